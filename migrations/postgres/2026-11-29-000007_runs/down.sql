DROP TABLE run_tasks;
DROP TABLE runs;

DROP TABLE tasks;
DROP TABLE pipelines;

DROP INDEX runs_one_active_manual;

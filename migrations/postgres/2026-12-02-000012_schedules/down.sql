DROP INDEX runs_pipeline_execution_date;
DROP INDEX runs_pipeline_kind_status;
ALTER TABLE runs DROP COLUMN execution_date;
ALTER TABLE pipelines DROP COLUMN schedule_cursor;
ALTER TABLE pipelines DROP COLUMN schedule_paused;
ALTER TABLE pipelines DROP COLUMN schedule_timezone;
DROP TABLE schedule_records;
DROP TABLE background_jobs;

DROP INDEX schedule_records_created;
DROP INDEX runs_finished;
DROP INDEX schedule_records_date;
DROP INDEX notifications_created;
DROP INDEX runs_cluster_uncleared;
ALTER TABLE runs DROP COLUMN cleanup_after;
ALTER TABLE runs DROP COLUMN cleared_at;

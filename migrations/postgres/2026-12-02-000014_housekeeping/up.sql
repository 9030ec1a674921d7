-- Housekeeping: when the objects of a finished run on a cluster (its Workflow and pods) were
-- removed (its record and logs stay), and indexes for removing old rows by age.
ALTER TABLE runs ADD COLUMN cleared_at TIMESTAMP;
CREATE INDEX runs_cluster_uncleared ON runs (finished_at) WHERE cluster <> 'local' AND cleared_at IS NULL;
CREATE INDEX notifications_created ON notifications (created_at);
CREATE INDEX schedule_records_date ON schedule_records (execution_date);

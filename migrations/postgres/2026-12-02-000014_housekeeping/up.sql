-- Housekeeping: when the objects of a finished run on a cluster (its Workflow and pods) were
-- removed (its record and logs stay), when a cluster that did not answer is tried again, and
-- indexes for removing old rows by age.
ALTER TABLE runs ADD COLUMN cleared_at TIMESTAMP;
ALTER TABLE runs ADD COLUMN cleanup_after TIMESTAMP;
CREATE INDEX runs_finished ON runs (finished_at);
CREATE INDEX schedule_records_created ON schedule_records (created_at);
CREATE INDEX runs_cluster_uncleared ON runs (finished_at) WHERE cluster <> 'local' AND cleared_at IS NULL;
CREATE INDEX notifications_created ON notifications (created_at);
CREATE INDEX schedule_records_date ON schedule_records (execution_date);

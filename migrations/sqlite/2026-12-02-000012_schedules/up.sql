-- Schedules that run. Periodic work of the server is driven by `background_jobs`: a replica
-- claims a job with a lease, so two servers on one database never do the same pass at once.
CREATE TABLE background_jobs (
    name TEXT PRIMARY KEY,
    next_at TIMESTAMP NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    last_started_at TIMESTAMP,
    last_finished_at TIMESTAMP,
    last_error TEXT NOT NULL DEFAULT '',
    failures BIGINT NOT NULL DEFAULT 0,
    passes BIGINT NOT NULL DEFAULT 0
);

-- Each execution date of a pipeline's schedule, once: waiting for its turn, started (its
-- run), or skipped with the reason (`by_hand`: a person skipped it, which lets a schedule that
-- waits for the previous run go on). The unique key is what makes a tick happen once.
CREATE TABLE schedule_records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pipeline_id BIGINT NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    execution_date TIMESTAMP NOT NULL,
    state TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    run_pk BIGINT REFERENCES runs (id) ON DELETE SET NULL,
    by_hand BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (pipeline_id, execution_date)
);
CREATE INDEX schedule_records_waiting ON schedule_records (pipeline_id, execution_date) WHERE state = 'waiting';
CREATE INDEX schedule_records_run ON schedule_records (run_pk);

-- The schedule's time zone (empty: the server's), pause, and how far its ticks are
-- accounted for (NULL: from the catch-up start on).
ALTER TABLE pipelines ADD COLUMN schedule_timezone TEXT NOT NULL DEFAULT '';
ALTER TABLE pipelines ADD COLUMN schedule_paused BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE pipelines ADD COLUMN schedule_cursor TIMESTAMP;

-- The execution date a scheduled run was made for (templating sees it as execution_date).
ALTER TABLE runs ADD COLUMN execution_date TIMESTAMP;
CREATE INDEX runs_pipeline_kind_status ON runs (pipeline_id, kind, status);
CREATE INDEX runs_pipeline_execution_date ON runs (pipeline_id, execution_date);

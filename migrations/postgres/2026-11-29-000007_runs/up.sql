-- Runs of pipelines and single tasks, with the state of each task; the plan is kept as run.
CREATE TABLE runs (
    id BIGSERIAL PRIMARY KEY,
    run_id TEXT NOT NULL UNIQUE,
    pipeline_id BIGINT NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    task_id BIGINT,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    runner_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    plan TEXT NOT NULL,
    dag TEXT NOT NULL DEFAULT '{}',
    layout TEXT NOT NULL DEFAULT '{}',
    message TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    started_at TIMESTAMP,
    finished_at TIMESTAMP
);
CREATE INDEX runs_pipeline_recent ON runs (pipeline_id, created_at);
CREATE INDEX runs_status ON runs (status);
CREATE INDEX runs_recent ON runs (created_at);

CREATE TABLE run_tasks (
    id BIGSERIAL PRIMARY KEY,
    run_pk BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    label TEXT NOT NULL,
    task_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    pid BIGINT,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    attempts TEXT NOT NULL DEFAULT '[]',
    UNIQUE (run_pk, name)
);

-- Pipelines (settings, DAG and canvas layout) and their tasks.
CREATE TABLE pipelines (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id BIGINT NOT NULL REFERENCES projects (id),
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    global_env TEXT NOT NULL DEFAULT '',
    parallelism BIGINT NOT NULL DEFAULT 1,
    schedule_kind TEXT NOT NULL DEFAULT 'once',
    cron TEXT NOT NULL DEFAULT '',
    catchup_start TIMESTAMP,
    depends_on_past BOOLEAN NOT NULL DEFAULT 0,
    max_active_runs BIGINT NOT NULL DEFAULT 1,
    keep_newest BIGINT NOT NULL DEFAULT 0,
    alert_statuses TEXT NOT NULL DEFAULT 'failed',
    alert_users TEXT NOT NULL DEFAULT '',
    dag TEXT NOT NULL DEFAULT '{}',
    expand TEXT NOT NULL DEFAULT '{}',
    is_demo BOOLEAN NOT NULL DEFAULT 0,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX pipelines_project_recent ON pipelines (project_id, updated_at);
CREATE INDEX pipelines_creator_recent ON pipelines (created_by, updated_at);
CREATE INDEX pipelines_demo ON pipelines (is_demo, updated_at);
CREATE INDEX pipelines_recent ON pipelines (updated_at);
CREATE INDEX pipelines_schedule ON pipelines (schedule_kind);

CREATE TABLE tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pipeline_id BIGINT NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    label TEXT NOT NULL,
    template_id BIGINT NOT NULL REFERENCES job_templates (id),
    args TEXT NOT NULL DEFAULT '{}',
    workdir TEXT NOT NULL DEFAULT '',
    command TEXT NOT NULL DEFAULT '',
    volume_mount TEXT NOT NULL DEFAULT '',
    cpu TEXT NOT NULL,
    memory TEXT NOT NULL,
    gpu TEXT NOT NULL,
    timeout_secs BIGINT NOT NULL DEFAULT 0,
    retries BIGINT NOT NULL DEFAULT 0,
    skip BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (pipeline_id, name)
);
CREATE INDEX tasks_template ON tasks (template_id);

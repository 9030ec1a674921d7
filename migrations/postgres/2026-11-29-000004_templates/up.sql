-- Registry repositories (credentials encrypted), runtime images and job templates.
CREATE TABLE repositories (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    server TEXT NOT NULL,
    username TEXT NOT NULL,
    password_enc TEXT NOT NULL,
    hubsecret TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX repositories_creator ON repositories (created_by);

CREATE TABLE images (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    repository_id BIGINT REFERENCES repositories (id) ON DELETE SET NULL,
    description TEXT NOT NULL DEFAULT '',
    entrypoint TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX images_creator ON images (created_by);

CREATE TABLE job_templates (
    id BIGSERIAL PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects (id),
    name TEXT NOT NULL UNIQUE,
    version TEXT NOT NULL,
    image_id BIGINT NOT NULL REFERENCES images (id),
    description TEXT NOT NULL DEFAULT '',
    workdir TEXT NOT NULL DEFAULT '',
    entrypoint TEXT NOT NULL DEFAULT '',
    volume_mount TEXT NOT NULL DEFAULT '',
    env TEXT NOT NULL DEFAULT '',
    service_account TEXT NOT NULL DEFAULT '',
    privileged BOOLEAN NOT NULL DEFAULT FALSE,
    host_aliases TEXT NOT NULL DEFAULT '',
    args TEXT NOT NULL DEFAULT '[]',
    demo TEXT NOT NULL DEFAULT '{}',
    expand TEXT NOT NULL DEFAULT '{}',
    sort_index BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX job_templates_project_order ON job_templates (project_id, sort_index, name);
CREATE INDEX job_templates_image ON job_templates (image_id);

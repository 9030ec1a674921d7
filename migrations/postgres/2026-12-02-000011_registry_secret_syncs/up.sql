-- Where each registry pull Secret must be (its repository set) or must go (repository
-- NULL: deleted or renamed) on each cluster, and how that went: pending, applied, failed.
CREATE TABLE registry_secret_syncs (
    id BIGSERIAL PRIMARY KEY,
    secret_name TEXT NOT NULL,
    cluster TEXT NOT NULL,
    repository_id BIGINT REFERENCES repositories (id) ON DELETE SET NULL,
    state TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (secret_name, cluster)
);
CREATE INDEX registry_secret_syncs_repository ON registry_secret_syncs (repository_id);
CREATE INDEX registry_secret_syncs_state ON registry_secret_syncs (state);

-- Single sign-on identities are linked by issuer and subject, never by a name alone; the
-- sign-on attempt now travels in a sealed cookie instead of a table.
ALTER TABLE users ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX users_external_id ON users (external_id) WHERE external_id IS NOT NULL;
DROP TABLE oidc_logins;

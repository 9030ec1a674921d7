-- Single sign-on attempts in flight: the state (hashed), nonce and PKCE verifier of each.
CREATE TABLE oidc_logins (
    state_hash TEXT PRIMARY KEY,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX oidc_logins_created ON oidc_logins (created_at);

-- OpenID Connect provider: the keys that sign tokens (private key in DER, base64), the consents
-- people gave to connectors, and refresh tokens (by SHA-256 digest) grouped by grant so that a
-- reused token revokes its whole grant.
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    private_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);
CREATE TABLE oidc_consents (
    person_id TEXT NOT NULL REFERENCES people(id),
    service_id TEXT NOT NULL REFERENCES services(id),
    scopes TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (person_id, service_id)
);
CREATE TABLE oidc_refresh_tokens (
    digest TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL,
    service_id TEXT NOT NULL REFERENCES services(id),
    person_id TEXT NOT NULL REFERENCES people(id),
    subject TEXT NOT NULL,
    scopes TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX oidc_refresh_grant ON oidc_refresh_tokens (grant_id);
CREATE INDEX oidc_refresh_person ON oidc_refresh_tokens (person_id);

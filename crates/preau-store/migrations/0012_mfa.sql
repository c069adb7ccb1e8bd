-- Second factor: each person's TOTP secret (base32) and the last step accepted (no replay),
-- their recovery codes (SHA-256 digests, single use), the devices they asked to be remembered
-- (token digest, bounded lifetime), the profiles a territory requires it of, and sessions that
-- wait for it.
CREATE TABLE mfa_secrets (
    person_id TEXT PRIMARY KEY REFERENCES people(id),
    secret TEXT NOT NULL,
    enabled_at BIGINT NOT NULL,
    last_step BIGINT NOT NULL
);
CREATE TABLE mfa_recovery_codes (
    person_id TEXT NOT NULL REFERENCES people(id),
    digest TEXT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (person_id, digest)
);
CREATE TABLE trusted_devices (
    digest TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people(id),
    label TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX trusted_devices_person ON trusted_devices (person_id);
CREATE TABLE mfa_policy (
    territory_id TEXT NOT NULL REFERENCES territories(id),
    profile TEXT NOT NULL,
    PRIMARY KEY (territory_id, profile)
);
ALTER TABLE sessions ADD COLUMN mfa_pending BIGINT NOT NULL DEFAULT 0;

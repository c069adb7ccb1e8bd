-- SCIM 2.0 provisioning: the sources that push accounts (each with a bearer token, stored as a
-- digest, scoped to structures), and which people and groups each source owns. A SCIM person or
-- group keeps, as JSON, the attributes its source sent, so that they are given back as sent.
CREATE TABLE scim_sources (
    id TEXT PRIMARY KEY,
    territory_id TEXT NOT NULL REFERENCES territories(id),
    name TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE scim_source_structures (
    source_id TEXT NOT NULL REFERENCES scim_sources(id),
    structure_id TEXT NOT NULL REFERENCES structures(id),
    PRIMARY KEY (source_id, structure_id)
);
ALTER TABLE class_groups ADD COLUMN source TEXT;
ALTER TABLE class_groups ADD COLUMN scim_record TEXT;
CREATE INDEX people_source ON people (source);
CREATE INDEX class_groups_source ON class_groups (source);

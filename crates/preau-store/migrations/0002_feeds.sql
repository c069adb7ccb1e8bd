-- Directory feeds: namespaced external identifiers, fingerprints of fed people, detachment,
-- which links a feed owns (fed = 1) so that it never touches what admins added by hand, MEFs,
-- and the kept import reports.
ALTER TABLE people ADD COLUMN external_id TEXT;
ALTER TABLE people ADD COLUMN feed_hash TEXT;
ALTER TABLE people ADD COLUMN detached_at BIGINT;
CREATE UNIQUE INDEX people_external ON people (territory_id, external_id);
ALTER TABLE structures ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX structures_external ON structures (territory_id, external_id);
ALTER TABLE memberships ADD COLUMN fed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE group_members ADD COLUMN fed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE parent_links ADD COLUMN fed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE functions ADD COLUMN fed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE teachings ADD COLUMN fed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE principal_teachers ADD COLUMN fed BIGINT NOT NULL DEFAULT 0;
CREATE TABLE mefs (
    territory_id TEXT NOT NULL REFERENCES territories(id),
    code TEXT NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (territory_id, code)
);
CREATE TABLE import_reports (
    id TEXT PRIMARY KEY,
    territory_id TEXT NOT NULL REFERENCES territories(id),
    source TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    report TEXT NOT NULL
);

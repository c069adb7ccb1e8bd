-- SQLite only (PostgreSQL keeps its tables as they are): the link tables become WITHOUT ROWID
-- tables, stored in the B-tree of their primary key. A rowid table with a composite primary key
-- is two B-trees, the rows and the key's index, and a feed writes hundreds of thousands of links:
-- one B-tree fewer per link is a fifth less time for a full import. Their references are checked
-- at commit (DEFERRABLE INITIALLY DEFERRED): with `INSERT OR FAIL`, a statement of hundreds of
-- links then cannot abort half-way and needs no statement journal; a broken reference still fails
-- the whole transaction. Each table is copied, the old one dropped and the new one renamed;
-- nothing references these tables.
CREATE TABLE memberships_new (
    person_id TEXT NOT NULL REFERENCES people(id) DEFERRABLE INITIALLY DEFERRED,
    structure_id TEXT NOT NULL REFERENCES structures(id) DEFERRABLE INITIALLY DEFERRED,
    profile TEXT NOT NULL,
    fed BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (person_id, structure_id, profile)
) WITHOUT ROWID;
INSERT INTO memberships_new (person_id, structure_id, profile, fed) SELECT person_id, structure_id, profile, fed FROM memberships;
DROP TABLE memberships;
ALTER TABLE memberships_new RENAME TO memberships;
CREATE INDEX memberships_structure ON memberships (structure_id, profile);
CREATE TABLE functions_new (
    person_id TEXT NOT NULL REFERENCES people(id) DEFERRABLE INITIALLY DEFERRED,
    structure_id TEXT NOT NULL REFERENCES structures(id) DEFERRABLE INITIALLY DEFERRED,
    code TEXT NOT NULL,
    label TEXT NOT NULL,
    fed BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (person_id, structure_id, code)
) WITHOUT ROWID;
INSERT INTO functions_new (person_id, structure_id, code, label, fed) SELECT person_id, structure_id, code, label, fed FROM functions;
DROP TABLE functions;
ALTER TABLE functions_new RENAME TO functions;
CREATE TABLE parent_links_new (
    parent_id TEXT NOT NULL REFERENCES people(id) DEFERRABLE INITIALLY DEFERRED,
    child_id TEXT NOT NULL REFERENCES people(id) DEFERRABLE INITIALLY DEFERRED,
    legal_guardian BIGINT NOT NULL,
    fed BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (parent_id, child_id)
) WITHOUT ROWID;
INSERT INTO parent_links_new (parent_id, child_id, legal_guardian, fed) SELECT parent_id, child_id, legal_guardian, fed FROM parent_links;
DROP TABLE parent_links;
ALTER TABLE parent_links_new RENAME TO parent_links;
CREATE INDEX parent_links_child ON parent_links (child_id);
CREATE TABLE group_members_new (
    group_id TEXT NOT NULL REFERENCES class_groups(id) DEFERRABLE INITIALLY DEFERRED,
    person_id TEXT NOT NULL REFERENCES people(id) DEFERRABLE INITIALLY DEFERRED,
    fed BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (group_id, person_id)
) WITHOUT ROWID;
INSERT INTO group_members_new (group_id, person_id, fed) SELECT group_id, person_id, fed FROM group_members;
DROP TABLE group_members;
ALTER TABLE group_members_new RENAME TO group_members;
CREATE INDEX group_members_person ON group_members (person_id);
CREATE TABLE teachings_new (
    person_id TEXT NOT NULL REFERENCES people(id) DEFERRABLE INITIALLY DEFERRED,
    group_id TEXT NOT NULL REFERENCES class_groups(id) DEFERRABLE INITIALLY DEFERRED,
    subject_code TEXT NOT NULL,
    fed BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (person_id, group_id, subject_code)
) WITHOUT ROWID;
INSERT INTO teachings_new (person_id, group_id, subject_code, fed) SELECT person_id, group_id, subject_code, fed FROM teachings;
DROP TABLE teachings;
ALTER TABLE teachings_new RENAME TO teachings;
CREATE TABLE principal_teachers_new (
    group_id TEXT NOT NULL REFERENCES class_groups(id) DEFERRABLE INITIALLY DEFERRED,
    person_id TEXT NOT NULL REFERENCES people(id) DEFERRABLE INITIALLY DEFERRED,
    fed BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (group_id, person_id)
) WITHOUT ROWID;
INSERT INTO principal_teachers_new (group_id, person_id, fed) SELECT group_id, person_id, fed FROM principal_teachers;
DROP TABLE principal_teachers;
ALTER TABLE principal_teachers_new RENAME TO principal_teachers;
CREATE INDEX principal_teachers_person ON principal_teachers (person_id);

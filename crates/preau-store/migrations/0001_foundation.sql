-- The foundation schema: portable SQL that SQLite and PostgreSQL both run unchanged.
-- Identifiers are UUIDv7 text, times are Unix seconds (BIGINT), booleans are 0/1 (BIGINT).
CREATE TABLE territories (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);
CREATE TABLE structures (
    id TEXT PRIMARY KEY,
    territory_id TEXT NOT NULL REFERENCES territories(id),
    uai TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    degree BIGINT NOT NULL,
    academie TEXT NOT NULL,
    address TEXT NOT NULL,
    postal_code TEXT NOT NULL,
    city TEXT NOT NULL,
    phone TEXT NOT NULL,
    email TEXT NOT NULL,
    parent_id TEXT REFERENCES structures(id),
    UNIQUE (territory_id, uai)
);
CREATE TABLE people (
    id TEXT PRIMARY KEY,
    territory_id TEXT NOT NULL REFERENCES territories(id),
    login TEXT NOT NULL,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    birth_date TEXT,
    email TEXT,
    source TEXT NOT NULL,
    UNIQUE (territory_id, login)
);
CREATE TABLE login_aliases (
    territory_id TEXT NOT NULL,
    alias TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES people(id),
    PRIMARY KEY (territory_id, alias)
);
CREATE TABLE memberships (
    person_id TEXT NOT NULL REFERENCES people(id),
    structure_id TEXT NOT NULL REFERENCES structures(id),
    profile TEXT NOT NULL,
    PRIMARY KEY (person_id, structure_id, profile)
);
CREATE INDEX memberships_structure ON memberships (structure_id, profile);
CREATE TABLE functions (
    person_id TEXT NOT NULL REFERENCES people(id),
    structure_id TEXT NOT NULL REFERENCES structures(id),
    code TEXT NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (person_id, structure_id, code)
);
CREATE TABLE parent_links (
    parent_id TEXT NOT NULL REFERENCES people(id),
    child_id TEXT NOT NULL REFERENCES people(id),
    legal_guardian BIGINT NOT NULL,
    PRIMARY KEY (parent_id, child_id)
);
CREATE INDEX parent_links_child ON parent_links (child_id);
CREATE TABLE class_groups (
    id TEXT PRIMARY KEY,
    structure_id TEXT NOT NULL REFERENCES structures(id),
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    UNIQUE (structure_id, kind, code)
);
CREATE TABLE group_structures (
    group_id TEXT NOT NULL REFERENCES class_groups(id),
    structure_id TEXT NOT NULL REFERENCES structures(id),
    PRIMARY KEY (group_id, structure_id)
);
CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES class_groups(id),
    person_id TEXT NOT NULL REFERENCES people(id),
    PRIMARY KEY (group_id, person_id)
);
CREATE INDEX group_members_person ON group_members (person_id);
CREATE TABLE subjects (
    territory_id TEXT NOT NULL REFERENCES territories(id),
    code TEXT NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (territory_id, code)
);
CREATE TABLE teachings (
    person_id TEXT NOT NULL REFERENCES people(id),
    group_id TEXT NOT NULL REFERENCES class_groups(id),
    subject_code TEXT NOT NULL,
    PRIMARY KEY (person_id, group_id, subject_code)
);
CREATE TABLE principal_teachers (
    group_id TEXT NOT NULL REFERENCES class_groups(id),
    person_id TEXT NOT NULL REFERENCES people(id),
    PRIMARY KEY (group_id, person_id)
);
CREATE TABLE role_assignments (
    id TEXT PRIMARY KEY,
    territory_id TEXT NOT NULL REFERENCES territories(id),
    role TEXT NOT NULL,
    person_id TEXT REFERENCES people(id),
    group_id TEXT REFERENCES class_groups(id),
    scope_kind TEXT NOT NULL,
    scope_id TEXT
);
CREATE INDEX role_assignments_person ON role_assignments (person_id);
CREATE TABLE services (
    id TEXT PRIMARY KEY,
    territory_id TEXT NOT NULL REFERENCES territories(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    icon TEXT NOT NULL,
    UNIQUE (territory_id, code)
);
CREATE TABLE bouquet_entries (
    structure_id TEXT NOT NULL REFERENCES structures(id),
    profile TEXT NOT NULL,
    service_id TEXT NOT NULL REFERENCES services(id),
    position BIGINT NOT NULL,
    PRIMARY KEY (structure_id, profile, service_id)
);
CREATE TABLE favourites (
    person_id TEXT NOT NULL REFERENCES people(id),
    service_id TEXT NOT NULL REFERENCES services(id),
    position BIGINT NOT NULL,
    PRIMARY KEY (person_id, service_id)
);
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    territory_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    structure_id TEXT,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_log_territory ON audit_log (territory_id, at);
CREATE TABLE credentials (
    person_id TEXT PRIMARY KEY REFERENCES people(id),
    password_hash TEXT,
    blocked BIGINT NOT NULL DEFAULT 0,
    charter_version BIGINT NOT NULL DEFAULT 0,
    lang TEXT
);
CREATE TABLE activation_codes (
    person_id TEXT PRIMARY KEY REFERENCES people(id),
    digest TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE TABLE charters (
    territory_id TEXT NOT NULL REFERENCES territories(id),
    version BIGINT NOT NULL,
    text TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    PRIMARY KEY (territory_id, version)
);
CREATE TABLE reset_tokens (
    digest TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people(id),
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE TABLE sessions (
    digest TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people(id),
    territory_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    csrf TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    address TEXT NOT NULL,
    charter_pending BIGINT NOT NULL
);
CREATE INDEX sessions_person ON sessions (person_id);
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    territory_id TEXT NOT NULL REFERENCES territories(id),
    name TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked BIGINT NOT NULL DEFAULT 0
);

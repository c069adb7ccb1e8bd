-- Properties WebDAV clients store on files and folders, kept as sent.
CREATE TABLE doc_props (
    node_id TEXT NOT NULL REFERENCES doc_nodes (id) ON DELETE CASCADE,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    xml TEXT NOT NULL,
    PRIMARY KEY (node_id, namespace, name)
);
-- Passwords a person makes for an application (a WebDAV client): each shown once, kept as a
-- SHA-256 digest, revocable on its own.
CREATE TABLE app_passwords (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE INDEX app_passwords_person ON app_passwords (person_id);

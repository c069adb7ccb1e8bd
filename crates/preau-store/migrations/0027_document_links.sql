-- Public links to files: the digest of the token given out, the hash of the optional password.
CREATE TABLE doc_links (
    id TEXT PRIMARY KEY,
    node_id TEXT NOT NULL REFERENCES doc_nodes (id) ON DELETE CASCADE,
    digest TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX doc_links_node ON doc_links (node_id);

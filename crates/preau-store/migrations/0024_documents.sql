-- The documents service. A node is a file or a folder of a space (`person:<id>`,
-- `group:<id>`, `structure:<id>`); `parent_id` is '' at the top of a space, and `path` lists
-- the ids from the top down to the node itself (`/a/b/id/`), so that a folder's contents are
-- the nodes whose path starts with its own. A shared space counts towards `structure_id`'s
-- quota. The bytes are in the blob storage under `blob`. Trashed nodes keep their place
-- (`trash_root` is the node whose deletion took them) until restored or purged.
-- Owners are not foreign keys: a shared space keeps what someone added after they leave.
CREATE TABLE doc_nodes (
    id TEXT PRIMARY KEY,
    space TEXT NOT NULL,
    structure_id TEXT,
    parent_id TEXT NOT NULL,
    path TEXT NOT NULL,
    name TEXT NOT NULL,
    folder BIGINT NOT NULL,
    size BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    blob TEXT,
    version BIGINT NOT NULL,
    owner_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    modified_at BIGINT NOT NULL,
    trashed_at BIGINT,
    trashed_by TEXT,
    trash_root TEXT
);
CREATE UNIQUE INDEX doc_nodes_name ON doc_nodes (space, parent_id, name) WHERE trashed_at IS NULL;
CREATE INDEX doc_nodes_space ON doc_nodes (space);
CREATE INDEX doc_nodes_structure ON doc_nodes (structure_id) WHERE structure_id IS NOT NULL;
CREATE INDEX doc_nodes_trash ON doc_nodes (trash_root) WHERE trash_root IS NOT NULL;
-- A file's previous versions.
CREATE TABLE doc_versions (
    node_id TEXT NOT NULL REFERENCES doc_nodes (id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    blob TEXT NOT NULL,
    size BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    author_id TEXT NOT NULL,
    PRIMARY KEY (node_id, version)
);
-- A node shared with a target (`Target::code`) at a level; its contents inherit it.
CREATE TABLE doc_shares (
    node_id TEXT NOT NULL REFERENCES doc_nodes (id) ON DELETE CASCADE,
    target TEXT NOT NULL,
    level TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (node_id, target)
);
CREATE INDEX doc_shares_target ON doc_shares (target);

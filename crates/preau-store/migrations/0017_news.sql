-- News of a structure (or of one of its classes and groups), for chosen profiles, with its
-- publication state.
CREATE TABLE news (
    id TEXT PRIMARY KEY,
    territory_id TEXT NOT NULL REFERENCES territories(id),
    structure_id TEXT NOT NULL REFERENCES structures(id),
    group_id TEXT,
    profiles TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    author_id TEXT NOT NULL,
    author_name TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    published_at BIGINT,
    published_by TEXT,
    expires_at BIGINT,
    public BIGINT NOT NULL,
    hidden_at BIGINT
);
CREATE INDEX news_structure ON news (structure_id, created_at);

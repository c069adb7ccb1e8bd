-- A structure's own rule for public links: the profiles that may not make them there (profile
-- codes, as JSON); none: the territory's rule.
CREATE TABLE doc_link_policies (
    structure_id TEXT PRIMARY KEY,
    forbidden TEXT NOT NULL
);

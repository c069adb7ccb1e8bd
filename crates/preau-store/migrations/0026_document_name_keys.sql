-- Names are unique in a folder whatever their case, and found by that key in one lookup (a
-- folder of thousands of files is not read to check a name). The key is the name in lower
-- case, computed by Préau (Unicode); `lower` here only fills rows written before.
ALTER TABLE doc_nodes ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE doc_nodes SET name_key = lower(name);
DROP INDEX doc_nodes_name;
CREATE UNIQUE INDEX doc_nodes_name_key ON doc_nodes (space, parent_id, name_key) WHERE trashed_at IS NULL;

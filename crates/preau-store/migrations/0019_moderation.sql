-- Moderation: reports of messages and news to a structure's moderators, their decision; a
-- message hidden by a moderator.
CREATE TABLE reports (
    id TEXT PRIMARY KEY,
    territory_id TEXT NOT NULL REFERENCES territories(id),
    structure_id TEXT NOT NULL REFERENCES structures(id),
    item_kind TEXT NOT NULL,
    item_id TEXT NOT NULL,
    reporter_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    decision TEXT NOT NULL
);
CREATE INDEX reports_open ON reports (territory_id, decision, structure_id);
ALTER TABLE messages ADD COLUMN hidden_at BIGINT;

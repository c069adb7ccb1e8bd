-- Files attached to messages, stored on disk under their id (until the documents service).
-- An upload belongs to its owner and to no message until a message is sent or saved with it;
-- one left unattached for a day is purged. The message keeps its attachments' names and sizes
-- (`messages.attachments`, JSON) for its readers; this table says who may download what.
-- The owner is not a foreign key: what a purged person sent stays with its recipients.
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    message_id TEXT,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_id);
CREATE INDEX attachments_owner ON attachments (owner_id) WHERE message_id IS NULL;
CREATE INDEX attachments_pending ON attachments (created_at) WHERE message_id IS NULL;
ALTER TABLE messages ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]';

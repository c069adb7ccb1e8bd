-- Communication: each structure's rules of who may write to whom (no row: the defaults), and
-- messaging — a message once, with its addressing as chosen (JSON), and one delivery row per
-- recipient, where the recipient files it and when they read it. The sender is not a foreign
-- key: when a person is purged, what they sent stays with its recipients, under their name.
CREATE TABLE communication_rule_sets (
    structure_id TEXT PRIMARY KEY REFERENCES structures(id),
    changed_at BIGINT NOT NULL
);
CREATE TABLE communication_rules (
    structure_id TEXT NOT NULL REFERENCES communication_rule_sets(structure_id),
    from_audience TEXT NOT NULL,
    to_audience TEXT NOT NULL,
    PRIMARY KEY (structure_id, from_audience, to_audience)
);
CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    territory_id TEXT NOT NULL REFERENCES territories(id),
    sender_id TEXT NOT NULL,
    sender_name TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    parent_id TEXT,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    addressees TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    deliver_at BIGINT,
    no_reply BIGINT NOT NULL,
    recalled_at BIGINT,
    recipients BIGINT NOT NULL,
    sender_folder TEXT NOT NULL
);
CREATE INDEX messages_sender ON messages (sender_id, sender_folder, created_at);
CREATE INDEX messages_thread ON messages (thread_id);
CREATE TABLE message_deliveries (
    person_id TEXT NOT NULL REFERENCES people(id),
    message_id TEXT NOT NULL REFERENCES messages(id),
    copy TEXT NOT NULL,
    delivered_at BIGINT NOT NULL,
    read_at BIGINT,
    folder TEXT NOT NULL,
    PRIMARY KEY (person_id, message_id)
);
CREATE INDEX message_deliveries_message ON message_deliveries (message_id);
CREATE INDEX message_deliveries_folder ON message_deliveries (person_id, folder, delivered_at);

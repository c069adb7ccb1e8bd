-- SQLite only (PostgreSQL dropped the keys in 0022): deliveries and notifications are rows
-- derived from a message, written by the thousand. Their tables are rebuilt without foreign keys
-- (the purge of a person deletes their rows by hand; sent messages are never deleted) and
-- WITHOUT ROWID, stored in the B-tree of their primary key: one B-tree fewer per row. A
-- delivery's key is the order of its folder (person, folder, time, message), and the pair
-- (message, person) is unique in an index: the separate folder index goes, one B-tree fewer
-- again. A recall finds a message's notifications through their people: no index of links.
CREATE TABLE message_deliveries_new (
    person_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    copy TEXT NOT NULL,
    delivered_at BIGINT NOT NULL,
    read_at BIGINT,
    folder TEXT NOT NULL,
    acknowledged_at BIGINT,
    PRIMARY KEY (person_id, folder, delivered_at, message_id)
) WITHOUT ROWID;
INSERT INTO message_deliveries_new (person_id, message_id, copy, delivered_at, read_at, folder, acknowledged_at) SELECT person_id, message_id, copy, delivered_at, read_at, folder, acknowledged_at FROM message_deliveries;
DROP TABLE message_deliveries;
ALTER TABLE message_deliveries_new RENAME TO message_deliveries;
CREATE UNIQUE INDEX message_deliveries_message ON message_deliveries (message_id, person_id);
CREATE TABLE notifications_new (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    at BIGINT NOT NULL,
    title TEXT NOT NULL,
    link TEXT NOT NULL,
    read_at BIGINT,
    live BIGINT NOT NULL,
    pushed BIGINT NOT NULL,
    email TEXT NOT NULL,
    mail_due BIGINT,
    digested BIGINT NOT NULL
) WITHOUT ROWID;
INSERT INTO notifications_new (id, person_id, kind, at, title, link, read_at, live, pushed, email, mail_due, digested) SELECT id, person_id, kind, at, title, link, read_at, live, pushed, email, mail_due, digested FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_person ON notifications (person_id, at);
CREATE INDEX notifications_unpushed ON notifications (at) WHERE pushed = 0;
CREATE INDEX notifications_mail ON notifications (mail_due) WHERE mail_due IS NOT NULL;
CREATE INDEX notifications_digest ON notifications (email, at) WHERE digested = 0;

-- A message's notification lives in its delivery row: one row per recipient instead of a
-- delivery and a notification. The delivery keeps how its recipient is told of the message
-- (read in the feed, pushed live, e-mail mode, immediate e-mail due, taken by a digest); the
-- title and link come from the message. The feed shows the person's notifications and their
-- deliveries together. Existing message notifications move into their deliveries.
ALTER TABLE message_deliveries ADD COLUMN feed_read_at BIGINT;
ALTER TABLE message_deliveries ADD COLUMN pushed BIGINT NOT NULL DEFAULT 1;
ALTER TABLE message_deliveries ADD COLUMN email TEXT NOT NULL DEFAULT 'off';
ALTER TABLE message_deliveries ADD COLUMN mail_due BIGINT;
ALTER TABLE message_deliveries ADD COLUMN digested BIGINT NOT NULL DEFAULT 1;
-- A message whose fan-out a stopped server left unfinished has deliveries but no notifications
-- yet: its deliveries go, and the outbox writes them again, with how each recipient is told,
-- at the next start.
DELETE FROM message_deliveries WHERE message_id IN (SELECT id FROM messages WHERE fanout IS NOT NULL);
-- A message's own notification is the one dated when it was delivered (a reminder of the
-- carnet de liaison, dated when it was sent, stays a notification of its own).
UPDATE message_deliveries SET feed_read_at = n.read_at, pushed = n.pushed, email = n.email, mail_due = n.mail_due, digested = n.digested FROM notifications n WHERE n.person_id = message_deliveries.person_id AND n.link = '/messages/' || message_deliveries.message_id AND n.at = message_deliveries.delivered_at AND n.kind IN ('message', 'acknowledgement');
-- Deliveries older than the feed had no notification: seen in the feed already.
UPDATE message_deliveries SET feed_read_at = delivered_at WHERE NOT EXISTS (SELECT 1 FROM notifications n WHERE n.person_id = message_deliveries.person_id AND n.link = '/messages/' || message_deliveries.message_id AND n.at = message_deliveries.delivered_at AND n.kind IN ('message', 'acknowledgement'));
DELETE FROM notifications WHERE kind IN ('message', 'acknowledgement') AND EXISTS (SELECT 1 FROM message_deliveries d WHERE d.person_id = notifications.person_id AND notifications.link = '/messages/' || d.message_id AND notifications.at = d.delivered_at);
CREATE INDEX message_deliveries_unpushed ON message_deliveries (delivered_at) WHERE pushed = 0;
CREATE INDEX message_deliveries_mail ON message_deliveries (mail_due) WHERE mail_due IS NOT NULL;
CREATE INDEX message_deliveries_digest ON message_deliveries (email, delivered_at) WHERE digested = 0;

-- The outbox: a sent message is stored with the recipients its audiences expanded into
-- (`fanout`, JSON [[person, copy], …]); the outbox then writes their deliveries and
-- notifications and clears `fanout` in one transaction. What a stopped server left (`fanout`
-- still set) is picked up at the next start. Messages sent before this version have their
-- deliveries already.
ALTER TABLE messages ADD COLUMN fanout TEXT;
CREATE INDEX messages_fanout ON messages (created_at) WHERE fanout IS NOT NULL;

-- Carnet de liaison: a message may ask its recipients to acknowledge it; each delivery records
-- when they did.
ALTER TABLE messages ADD COLUMN acknowledge BIGINT NOT NULL DEFAULT 0;
ALTER TABLE message_deliveries ADD COLUMN acknowledged_at BIGINT;

-- The last record the feed gave for each fed person (its attributes as JSON), so that a delta
-- extract's modifyRequest can be applied to it.
ALTER TABLE people ADD COLUMN feed_record TEXT;

-- Calendar feeds of a class or a room, made by the school's adults: the digest of the secret
-- address, who made it (the feed is what they may see) and what it shows (`class:<id>` or
-- `room:<structure>:<name>`); one per person and scope.
CREATE TABLE calendar_feeds (
    person_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (person_id, scope)
);

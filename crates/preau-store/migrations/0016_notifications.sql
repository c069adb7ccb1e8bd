-- The notification feed: one row per event and person, saying how it goes out (live, e-mail
-- mode), whether it was pushed live, when its immediate e-mail is due, whether a digest took it.
-- Preferences per person and kind; quiet hours per person or structure (`owner_id`).
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people(id),
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
);
CREATE INDEX notifications_person ON notifications (person_id, at);
CREATE INDEX notifications_link ON notifications (link);
CREATE INDEX notifications_unpushed ON notifications (at) WHERE pushed = 0;
CREATE INDEX notifications_mail ON notifications (mail_due) WHERE mail_due IS NOT NULL;
CREATE INDEX notifications_digest ON notifications (email, at) WHERE digested = 0;
CREATE TABLE notification_preferences (
    person_id TEXT NOT NULL REFERENCES people(id),
    kind TEXT NOT NULL,
    live BIGINT NOT NULL,
    email TEXT NOT NULL,
    PRIMARY KEY (person_id, kind)
);
CREATE TABLE quiet_hours (
    owner_id TEXT PRIMARY KEY,
    start_minute BIGINT NOT NULL,
    end_minute BIGINT NOT NULL,
    days_off BIGINT NOT NULL
);

-- What each structure says of its school calendar (another zone, whole years of its own, its
-- own days off), as JSON; none: the official calendar of its académie's zone.
CREATE TABLE tt_calendars (
    structure_id TEXT PRIMARY KEY,
    calendar TEXT NOT NULL
);

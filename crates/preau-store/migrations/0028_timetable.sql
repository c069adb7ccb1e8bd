-- Timetable: weekly courses with the groups that attend and the teachers who give them, the
-- changes of single lessons, and the digest of each person's calendar feed address.
CREATE TABLE tt_courses (
    id TEXT PRIMARY KEY,
    structure_id TEXT NOT NULL REFERENCES structures(id),
    subject TEXT NOT NULL,
    room TEXT NOT NULL,
    weekday BIGINT NOT NULL,
    start_minute BIGINT NOT NULL,
    end_minute BIGINT NOT NULL,
    weeks TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL,
    source TEXT NOT NULL,
    source_key TEXT NOT NULL
);
CREATE INDEX tt_courses_room ON tt_courses (structure_id, room);
CREATE UNIQUE INDEX tt_courses_key ON tt_courses (structure_id, source, source_key);
CREATE TABLE tt_course_groups (
    group_id TEXT NOT NULL,
    course_id TEXT NOT NULL,
    PRIMARY KEY (group_id, course_id)
);
CREATE INDEX tt_course_groups_course ON tt_course_groups (course_id);
CREATE TABLE tt_course_teachers (
    person_id TEXT NOT NULL,
    course_id TEXT NOT NULL,
    PRIMARY KEY (person_id, course_id)
);
CREATE INDEX tt_course_teachers_course ON tt_course_teachers (course_id);
CREATE TABLE tt_changes (
    course_id TEXT NOT NULL,
    lesson_date TEXT NOT NULL,
    cancelled BIGINT NOT NULL,
    moved_date TEXT,
    moved_start BIGINT,
    moved_end BIGINT,
    replacement TEXT,
    room TEXT,
    note TEXT NOT NULL,
    at BIGINT NOT NULL,
    by_person TEXT NOT NULL,
    PRIMARY KEY (course_id, lesson_date)
);
CREATE INDEX tt_changes_moved ON tt_changes (moved_date);
CREATE INDEX tt_changes_replacement ON tt_changes (replacement, lesson_date);
CREATE TABLE calendar_links (
    person_id TEXT PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

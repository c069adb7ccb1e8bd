-- Cahier de textes: the entry of each lesson and the homework set, each with the classes and
-- groups it is for (link rows carry the day, so that a class's days are one index range), the
-- pupils' private ticks, and the head's visas. Entries and homework outlive the courses they
-- were written for: they are the official record.
CREATE TABLE cdt_entries (
    id TEXT PRIMARY KEY,
    structure_id TEXT NOT NULL,
    course_id TEXT NOT NULL,
    lesson_date TEXT NOT NULL,
    subject TEXT NOT NULL,
    teacher_id TEXT NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    attachments TEXT NOT NULL,
    publish_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX cdt_entries_lesson ON cdt_entries (course_id, lesson_date);
CREATE TABLE cdt_entry_groups (
    group_id TEXT NOT NULL,
    lesson_date TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    PRIMARY KEY (group_id, lesson_date, entry_id)
);
CREATE INDEX cdt_entry_groups_entry ON cdt_entry_groups (entry_id);
CREATE TABLE cdt_homework (
    id TEXT PRIMARY KEY,
    structure_id TEXT NOT NULL,
    course_id TEXT NOT NULL,
    set_on TEXT NOT NULL,
    subject TEXT NOT NULL,
    teacher_id TEXT NOT NULL,
    due_date TEXT NOT NULL,
    instructions TEXT NOT NULL,
    minutes BIGINT NOT NULL,
    attachments TEXT NOT NULL,
    hand_in BIGINT NOT NULL,
    publish_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX cdt_homework_lesson ON cdt_homework (course_id, set_on);
CREATE TABLE cdt_homework_groups (
    group_id TEXT NOT NULL,
    due_date TEXT NOT NULL,
    homework_id TEXT NOT NULL,
    PRIMARY KEY (group_id, due_date, homework_id)
);
CREATE INDEX cdt_homework_groups_homework ON cdt_homework_groups (homework_id);
CREATE TABLE cdt_done (
    pupil_id TEXT NOT NULL,
    homework_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (pupil_id, homework_id)
);
CREATE INDEX cdt_done_homework ON cdt_done (homework_id);
CREATE TABLE cdt_visas (
    group_id TEXT NOT NULL,
    teacher_id TEXT NOT NULL,
    until_date TEXT NOT NULL,
    structure_id TEXT NOT NULL,
    note TEXT NOT NULL,
    at BIGINT NOT NULL,
    by_person TEXT NOT NULL
);
CREATE INDEX cdt_visas_group ON cdt_visas (group_id, teacher_id);

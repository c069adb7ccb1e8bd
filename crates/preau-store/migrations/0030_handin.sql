-- Homework handed in online: the deadline of homework (NULL: 8:00 on the day it is due) and
-- each pupil's copy, its file kept in the documents storage by blob key, and its return.
ALTER TABLE cdt_homework ADD COLUMN deadline BIGINT;
CREATE TABLE cdt_copies (
    id TEXT PRIMARY KEY,
    homework_id TEXT NOT NULL,
    pupil_id TEXT NOT NULL,
    name TEXT NOT NULL,
    blob TEXT NOT NULL,
    size BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    submitted_at BIGINT NOT NULL,
    late BIGINT NOT NULL,
    returned_at BIGINT,
    returned_by TEXT,
    comment TEXT,
    corrected_name TEXT,
    corrected_blob TEXT,
    corrected_size BIGINT,
    corrected_type TEXT
);
CREATE UNIQUE INDEX cdt_copies_pupil ON cdt_copies (homework_id, pupil_id);

-- The address each structure's timetable is published at, imported again every night, with
-- how its last run went (the report as JSON, or an error code).
CREATE TABLE tt_import_sources (
    structure_id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    class_id TEXT,
    saved_by TEXT NOT NULL,
    saved_at BIGINT NOT NULL,
    last_run_at BIGINT,
    last_report TEXT,
    last_error TEXT
);

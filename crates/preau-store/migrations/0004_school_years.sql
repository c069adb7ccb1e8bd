-- School-year rollover: classes and groups of a closed year are kept, read-only, with the year.
ALTER TABLE class_groups ADD COLUMN archived_year TEXT;

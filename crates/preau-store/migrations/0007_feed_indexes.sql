-- A delta replaces the links of each person it touches: finding a person's principal-teacher
-- rows must not scan the table.
CREATE INDEX principal_teachers_person ON principal_teachers (person_id);

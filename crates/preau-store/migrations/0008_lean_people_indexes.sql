-- Every index on people costs each of the hundreds of thousands of rows a feed writes. The
-- people a SCIM source owns are found through a partial index that fed people never enter; the
-- probable duplicates are found from the few manual accounts, without an index on birth dates.
DROP INDEX people_source;
DROP INDEX people_birth_date;
CREATE INDEX people_scim ON people (source) WHERE source LIKE 'scim:%';

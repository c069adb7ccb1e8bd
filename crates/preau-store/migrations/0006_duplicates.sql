-- Probable duplicates (a manual account and a fed one with the same names and birth date): what
-- an administrator decided for each pair, so a rejected pair is not proposed again.
CREATE TABLE duplicate_decisions (
    territory_id TEXT NOT NULL REFERENCES territories(id),
    manual_id TEXT NOT NULL,
    fed_id TEXT NOT NULL,
    decision TEXT NOT NULL,
    decided_at BIGINT NOT NULL,
    decided_by TEXT NOT NULL,
    PRIMARY KEY (manual_id, fed_id)
);
CREATE INDEX people_birth_date ON people (territory_id, birth_date);

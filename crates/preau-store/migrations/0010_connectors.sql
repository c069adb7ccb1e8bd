-- Connectors: an outside service of the catalogue with its protocol and release policy. The
-- policy (service URLs, structures, profiles, released attributes, identifier) is kept as JSON
-- in `policy`; the columns are what is searched or joined. Launch counts per day, connector,
-- structure and profile.
CREATE TABLE connectors (
    service_id TEXT PRIMARY KEY REFERENCES services(id),
    territory_id TEXT NOT NULL REFERENCES territories(id),
    owner_id TEXT REFERENCES structures(id),
    protocol TEXT NOT NULL,
    policy TEXT NOT NULL,
    salt TEXT NOT NULL,
    purpose TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    approved_by TEXT NOT NULL,
    approved_at BIGINT NOT NULL
);
CREATE INDEX connectors_territory ON connectors (territory_id);
CREATE TABLE launch_counts (
    day TEXT NOT NULL,
    service_id TEXT NOT NULL REFERENCES services(id),
    structure_id TEXT NOT NULL REFERENCES structures(id),
    profile TEXT NOT NULL,
    launches BIGINT NOT NULL,
    PRIMARY KEY (day, service_id, structure_id, profile)
);

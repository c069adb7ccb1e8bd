-- Federation with outside identity providers (the national pupil/parent login, the staff
-- login…): each provider a territory trusts, with the rule that finds the local account from
-- one of its claims, and the links made on first use (provider, subject at the provider).
CREATE TABLE upstream_providers (
    id TEXT PRIMARY KEY,
    territory_id TEXT NOT NULL REFERENCES territories(id),
    name TEXT NOT NULL,
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    scopes TEXT NOT NULL,
    match_claim TEXT NOT NULL,
    match_rule TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE upstream_links (
    provider_id TEXT NOT NULL REFERENCES upstream_providers(id),
    subject TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES people(id),
    linked_at BIGINT NOT NULL,
    PRIMARY KEY (provider_id, subject)
);
CREATE INDEX upstream_links_person ON upstream_links (person_id);

-- Outside providers may speak SAML 2.0: their kind, single sign-on address and signing
-- certificate (base64 DER). For them, `issuer` is the identity provider's entity ID.
ALTER TABLE upstream_providers ADD COLUMN kind TEXT NOT NULL DEFAULT 'oidc';
ALTER TABLE upstream_providers ADD COLUMN sso_url TEXT NOT NULL DEFAULT '';
ALTER TABLE upstream_providers ADD COLUMN certificate TEXT NOT NULL DEFAULT '';

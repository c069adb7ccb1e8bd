//! The keys that sign OpenID Connect tokens, and their rotation. One active key per algorithm:
//! RS256 (which every relying party supports) and ES256 (a hundred times cheaper to sign with,
//! for services that accept it). Keys are generated on first use and kept in the database;
//! rotation makes a new active key and retires the old one, which stays published in the JWKS
//! for [`KEY_GRACE_SECS`] so tokens it signed still verify, then is deleted.

use crate::{Sso, SsoStore};
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};
use preau_core::{Error, Random, Result};
use rsa::rand_core::{TryCryptoRng, TryRng};
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use std::sync::{Arc, RwLock};

/// How long a key signs before rotation makes a new one.
pub const KEY_LIFETIME_SECS: i64 = 90 * 24 * 3600;
/// How long a retired key stays published for verification.
pub const KEY_GRACE_SECS: i64 = 7 * 24 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SigningAlg {
    #[default]
    RS256,
    ES256,
    /// The SAML identity provider's RSA key (RSA-SHA256 XML signatures), published in its
    /// metadata as a certificate, not in the JWKS, and not rotated with the JWT keys: service
    /// providers pin it.
    #[serde(rename = "SAML-RS256")]
    SamlRs256,
}

impl SigningAlg {
    /// The algorithms of OpenID Connect tokens (published in the JWKS, rotated together).
    pub const ALL: [SigningAlg; 2] = [SigningAlg::RS256, SigningAlg::ES256];

    pub fn code(self) -> &'static str {
        match self {
            SigningAlg::RS256 => "RS256",
            SigningAlg::ES256 => "ES256",
            SigningAlg::SamlRs256 => "SAML-RS256",
        }
    }

    pub fn parse(s: &str) -> Option<SigningAlg> {
        [SigningAlg::RS256, SigningAlg::ES256, SigningAlg::SamlRs256].into_iter().find(|a| a.code() == s)
    }

    fn jwt(self) -> Algorithm {
        match self {
            SigningAlg::RS256 | SigningAlg::SamlRs256 => Algorithm::RS256,
            SigningAlg::ES256 => Algorithm::ES256,
        }
    }
}

/// A key as the database keeps it: the private key in DER (PKCS#1 for RSA, PKCS#8 for EC).
#[derive(Debug, Clone)]
pub struct StoredKey {
    pub kid: String,
    pub alg: SigningAlg,
    pub private_der: Vec<u8>,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

/// The private half, parsed once (`ring`: several times faster to sign with than re-parsing
/// the key for every token, and than the pure-Rust RSA).
enum Signer {
    Rsa(ring::signature::RsaKeyPair),
    Ec(ring::signature::EcdsaKeyPair),
}

/// A key ready to sign, with its public half as a JWK.
pub struct SigningKey {
    pub kid: String,
    pub alg: SigningAlg,
    pub created_at: i64,
    pub retired_at: Option<i64>,
    signer: Signer,
    jwk: Jwk,
    decoding: DecodingKey,
}

impl SigningKey {
    pub(crate) fn load(k: &StoredKey) -> Result<SigningKey> {
        let encoding = match k.alg {
            SigningAlg::RS256 | SigningAlg::SamlRs256 => EncodingKey::from_rsa_der(&k.private_der),
            SigningAlg::ES256 => EncodingKey::from_ec_der(&k.private_der),
        };
        let mut jwk = Jwk::from_encoding_key(&encoding, k.alg.jwt()).map_err(Error::internal)?;
        jwk.common.key_id = Some(k.kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(match k.alg {
            SigningAlg::RS256 | SigningAlg::SamlRs256 => KeyAlgorithm::RS256,
            SigningAlg::ES256 => KeyAlgorithm::ES256,
        });
        let decoding = DecodingKey::from_jwk(&jwk).map_err(Error::internal)?;
        let rejected = |e: ring::error::KeyRejected| Error::internal(format!("signing key rejected: {e}"));
        let signer = match k.alg {
            SigningAlg::RS256 | SigningAlg::SamlRs256 => Signer::Rsa(ring::signature::RsaKeyPair::from_der(&k.private_der).map_err(rejected)?),
            SigningAlg::ES256 => Signer::Ec(
                ring::signature::EcdsaKeyPair::from_pkcs8(&ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING, &k.private_der, &ring::rand::SystemRandom::new())
                    .map_err(rejected)?,
            ),
        };
        Ok(SigningKey { kid: k.kid.clone(), alg: k.alg, created_at: k.created_at, retired_at: k.retired_at, signer, jwk, decoding })
    }

    /// The signature of `input`: RSASSA-PKCS1-v1_5 with SHA-256, or ECDSA P-256 (fixed).
    pub(crate) fn signature(&self, input: &[u8]) -> Result<Vec<u8>> {
        let rng = ring::rand::SystemRandom::new();
        let failed = |_| Error::internal("signing failed");
        match &self.signer {
            Signer::Rsa(k) => {
                let mut sig = vec![0; k.public().modulus_len()];
                k.sign(&ring::signature::RSA_PKCS1_SHA256, &rng, input, &mut sig).map_err(failed)?;
                Ok(sig)
            }
            Signer::Ec(k) => Ok(k.sign(&rng, input).map_err(failed)?.as_ref().to_vec()),
        }
    }
}

/// The keys in memory, loaded from the database on first use.
#[derive(Default)]
pub struct Keys {
    keys: RwLock<Option<Vec<Arc<SigningKey>>>>,
}

/// The injected random source as the `rand_core` generator the key generators want.
struct PortRng<'a>(&'a dyn Random);

impl TryRng for PortRng<'_> {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> std::result::Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.0.fill(&mut b);
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> std::result::Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.0.fill(&mut b);
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> std::result::Result<(), Infallible> {
        self.0.fill(dst);
        Ok(())
    }
}

impl TryCryptoRng for PortRng<'_> {}

/// A new private key in DER.
pub(crate) fn generate(alg: SigningAlg, rng: &dyn Random) -> Result<Vec<u8>> {
    let mut rng = PortRng(rng);
    match alg {
        SigningAlg::RS256 | SigningAlg::SamlRs256 => {
            use rsa::pkcs1::EncodeRsaPrivateKey;
            let key = rsa::PrivateKey::new(&mut rng, 2048).map_err(Error::internal)?;
            Ok(key.to_pkcs1_der().map_err(Error::internal)?.as_bytes().to_vec())
        }
        SigningAlg::ES256 => {
            use p256::pkcs8::EncodePrivateKey;
            let key = <p256::SecretKey as p256::elliptic_curve::Generate>::generate_from_rng(&mut rng);
            Ok(key.to_pkcs8_der().map_err(Error::internal)?.as_bytes().to_vec())
        }
    }
}

impl<S: SsoStore> Sso<S> {
    async fn loaded_keys(&self) -> Result<Vec<Arc<SigningKey>>> {
        if let Ok(k) = self.keys.keys.read()
            && let Some(k) = k.as_ref()
        {
            return Ok(k.clone());
        }
        let stored = self.store.signing_keys().await?;
        let keys: Vec<Arc<SigningKey>> = stored.iter().map(SigningKey::load).collect::<Result<Vec<_>>>()?.into_iter().map(Arc::new).collect();
        if let Ok(mut k) = self.keys.keys.write() {
            *k = Some(keys.clone());
        }
        Ok(keys)
    }

    fn forget_keys(&self) {
        if let Ok(mut k) = self.keys.keys.write() {
            *k = None;
        }
    }

    async fn new_key(&self, alg: SigningAlg) -> Result<()> {
        let k = StoredKey {
            kid: preau_identity::secrets::token(&*self.rng)[..16].to_owned(),
            alg,
            private_der: generate(alg, &*self.rng)?,
            created_at: self.clock.now(),
            retired_at: None,
        };
        self.store.insert_signing_key(&k).await?;
        self.forget_keys();
        Ok(())
    }

    /// The active key for `alg`, made on first use.
    pub async fn signing_key(&self, alg: SigningAlg) -> Result<Arc<SigningKey>> {
        let active = |keys: &[Arc<SigningKey>]| keys.iter().filter(|k| k.alg == alg && k.retired_at.is_none()).max_by_key(|k| k.created_at).cloned();
        if let Some(k) = active(&self.loaded_keys().await?) {
            return Ok(k);
        }
        self.new_key(alg).await?;
        active(&self.loaded_keys().await?).ok_or_else(|| Error::internal("no signing key"))
    }

    /// Retires every active key and makes new ones; deletes keys retired for longer than the
    /// grace period. Returns the new keys' ids.
    pub async fn rotate_keys(&self) -> Result<Vec<String>> {
        let now = self.clock.now();
        self.store.retire_signing_keys(&SigningAlg::ALL.map(SigningAlg::code), now, now - KEY_GRACE_SECS).await?;
        self.forget_keys();
        for alg in SigningAlg::ALL {
            self.new_key(alg).await?;
        }
        Ok(self.loaded_keys().await?.iter().filter(|k| SigningAlg::ALL.contains(&k.alg) && k.retired_at.is_none()).map(|k| k.kid.clone()).collect())
    }

    /// Rotates when an active key has signed for its whole lifetime; returns whether it did.
    pub async fn rotate_keys_if_due(&self) -> Result<bool> {
        let now = self.clock.now();
        let due =
            self.loaded_keys().await?.iter().any(|k| SigningAlg::ALL.contains(&k.alg) && k.retired_at.is_none() && k.created_at + KEY_LIFETIME_SECS <= now);
        if due {
            self.rotate_keys().await?;
        }
        Ok(due)
    }

    /// The public keys: active ones and those retired within the grace period.
    pub async fn jwks(&self) -> Result<JwkSet> {
        for alg in SigningAlg::ALL {
            self.signing_key(alg).await?;
        }
        let now = self.clock.now();
        let keys = self.loaded_keys().await?;
        let published = |k: &&Arc<SigningKey>| SigningAlg::ALL.contains(&k.alg) && k.retired_at.is_none_or(|at| at + KEY_GRACE_SECS > now);
        Ok(JwkSet { keys: keys.iter().filter(published).map(|k| k.jwk.clone()).collect() })
    }

    /// Signs `claims` as a JWT (JWS compact form) with the active key for `alg`.
    pub async fn sign<T: Serialize>(&self, alg: SigningAlg, typ: &str, claims: &T) -> Result<String> {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let key = self.signing_key(alg).await?;
        let header = serde_json::json!({"alg": alg.code(), "kid": key.kid, "typ": typ});
        let mut out = b64.encode(header.to_string());
        out.push('.');
        out.push_str(&b64.encode(serde_json::to_vec(claims).map_err(Error::internal)?));
        let sig = key.signature(out.as_bytes())?;
        out.push('.');
        out.push_str(&b64.encode(sig));
        Ok(out)
    }

    /// The claims of a token this server signed for `audience` (a published key, any age:
    /// an expired `id_token_hint` still names its person). `None` if the signature is not ours.
    pub async fn verify_own<T: for<'de> Deserialize<'de>>(&self, token: &str, audience: Option<&str>) -> Option<T> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        let kid = header.kid?;
        let keys = self.loaded_keys().await.ok()?;
        let key = keys.iter().find(|k| k.kid == kid && k.alg.jwt() == header.alg)?;
        let mut v = Validation::new(header.alg);
        v.validate_exp = false;
        v.required_spec_claims.clear();
        match audience {
            Some(a) => v.set_audience(&[a]),
            None => v.validate_aud = false,
        }
        jsonwebtoken::decode::<T>(token, &key.decoding, &v).ok().map(|d| d.claims)
    }
}

impl<S: SsoStore> Sso<S> {
    /// The SAML identity provider's key and its self-signed certificate (DER, base64). The
    /// certificate is made again from the key the same way each time (PKCS#1 v1.5 signatures are
    /// deterministic), so it never changes under a service provider that pinned it.
    pub async fn saml_key(&self) -> Result<(Arc<SigningKey>, String)> {
        use base64::Engine;
        let key = self.signing_key(SigningAlg::SamlRs256).await?;
        let stored = self.store.signing_keys().await?.into_iter().find(|k| k.kid == key.kid).ok_or_else(|| Error::internal("SAML key vanished"))?;
        let cert = saml_certificate(&stored)?;
        Ok((key, base64::engine::general_purpose::STANDARD.encode(cert)))
    }
}

/// A self-signed certificate for the SAML key, valid 20 years from the key's creation.
pub(crate) fn saml_certificate(k: &StoredKey) -> Result<Vec<u8>> {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::EncodePrivateKey;
    let rsa_key = rsa::PrivateKey::from_pkcs1_der(&k.private_der).map_err(Error::internal)?;
    let pkcs8 = rsa_key.to_pkcs8_der().map_err(Error::internal)?;
    let pair = rcgen::KeyPair::try_from(pkcs8.as_bytes()).map_err(Error::internal)?;
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(rcgen::DnType::CommonName, format!("Préau SAML {}", k.kid));
    let day = chrono::DateTime::from_timestamp(k.created_at, 0).unwrap_or_default();
    use chrono::Datelike;
    params.not_before = rcgen::date_time_ymd(day.year(), day.month() as u8, day.day() as u8);
    params.not_after = rcgen::date_time_ymd(day.year() + 20, day.month() as u8, day.day().min(28) as u8);
    params.serial_number = Some(rcgen::SerialNumber::from_slice(k.kid.as_bytes()));
    let cert = params.self_signed(&pair).map_err(Error::internal)?;
    Ok(cert.der().to_vec())
}

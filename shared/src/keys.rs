//! Signing keys, key sets and their JWK / JWKS form (RFC 7517, RFC 8037).

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_compact::{KeyPair, PublicKey, SecretKey, Seed};
use jwt_compact::alg::Hs256Key;
use serde::Deserialize;
use serde_json::{json, Value};
use subtle::ConstantTimeEq;

/// Longest key id accepted, in characters.
pub const MAX_KEY_ID_LEN: usize = 64;

/// Shortest HS256 secret accepted, in bytes.
pub const MIN_HS256_SECRET_LEN: usize = 32;

/// Most keys a [`SigningKeySet`] holds: the current key and one previous key.
pub const MAX_SIGNING_KEYS: usize = 2;

/// Length of an Ed25519 public key (`x`) and seed (`d`), in bytes.
const ED25519_LEN: usize = 32;

/// The JWS algorithm a key is bound to. A key only ever checks tokens of its own algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// Ed25519 signatures, JWS name `EdDSA` (RFC 8037).
    EdDsa,
    /// HMAC with SHA-256, JWS name `HS256` (RFC 7518).
    Hs256,
}

impl Algorithm {
    /// The JWS `alg` name: `"EdDSA"` or `"HS256"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EdDsa => "EdDSA",
            Self::Hs256 => "HS256",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a key or key set was refused. Messages name the problem, never key bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// The input is not JSON of the expected shape (position only, no content).
    MalformedJson {
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
    },
    /// The key set has no keys.
    EmptyKeySet,
    /// A signing key set may hold at most [`MAX_SIGNING_KEYS`] keys.
    TooManyKeys {
        /// Number of keys found.
        found: usize,
    },
    /// A key has no `kid`.
    MissingKeyId,
    /// A `kid` breaks the rules (1 to 64 characters of `A-Z a-z 0-9 . _ -`).
    InvalidKeyId(&'static str),
    /// Two keys of one set share a `kid`.
    DuplicateKeyId(String),
    /// A required JWK member is absent.
    MissingField(&'static str),
    /// The `kty` is neither `OKP` nor `oct`.
    UnsupportedKeyType(String),
    /// The `crv` of an `OKP` key is not `Ed25519`.
    UnsupportedCurve(String),
    /// The `alg` does not fit the key type (`EdDSA` for `OKP`, `HS256` for `oct`).
    UnsupportedAlgorithm(String),
    /// The `use` is present and not `sig`.
    UnsupportedKeyUse(String),
    /// A member is not strict unpadded base64url.
    InvalidBase64(&'static str),
    /// A decoded member has the wrong length.
    InvalidKeyLength {
        /// The JWK member (`x` or `d`).
        field: &'static str,
        /// Length required, in bytes.
        expected: usize,
        /// Length found, in bytes.
        found: usize,
    },
    /// An HS256 secret is shorter than [`MIN_HS256_SECRET_LEN`] bytes.
    SecretTooShort {
        /// Length found, in bytes.
        found: usize,
    },
    /// The Ed25519 public key `x` is not a valid, strong curve point.
    InvalidPublicKey,
    /// The Ed25519 seed is all zeros.
    WeakSeed,
    /// The public key `x` does not belong to the private key `d`.
    KeyMismatch,
    /// A private key set holds an `OKP` key without its private part `d`.
    MissingPrivateKey,
    /// A public key set holds an `OKP` key with a private part `d`.
    UnexpectedPrivateKey,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MalformedJson { line, column } => {
                write!(
                    f,
                    "key set is not valid jwks json (line {line}, column {column})"
                )
            }
            Self::EmptyKeySet => f.write_str("key set has no keys"),
            Self::TooManyKeys { found } => write!(
                f,
                "signing key set holds {found} keys, at most {MAX_SIGNING_KEYS} are allowed"
            ),
            Self::MissingKeyId => f.write_str("key has no key id (kid)"),
            Self::InvalidKeyId(reason) => write!(f, "invalid key id: {reason}"),
            Self::DuplicateKeyId(kid) => write!(f, "duplicate key id {kid:?}"),
            Self::MissingField(field) => write!(f, "key is missing the member {field:?}"),
            Self::UnsupportedKeyType(kty) => write!(f, "unsupported key type (kty) {kty:?}"),
            Self::UnsupportedCurve(crv) => write!(f, "unsupported curve (crv) {crv:?}"),
            Self::UnsupportedAlgorithm(alg) => {
                write!(f, "unsupported algorithm (alg) {alg:?} for this key type")
            }
            Self::UnsupportedKeyUse(key_use) => {
                write!(f, "unsupported key use (use) {key_use:?}, expected \"sig\"")
            }
            Self::InvalidBase64(field) => {
                write!(f, "member {field:?} is not unpadded base64url")
            }
            Self::InvalidKeyLength {
                field,
                expected,
                found,
            } => write!(
                f,
                "member {field:?} must be {expected} bytes, found {found}"
            ),
            Self::SecretTooShort { found } => write!(
                f,
                "hs256 secret must be at least {MIN_HS256_SECRET_LEN} bytes, found {found}"
            ),
            Self::InvalidPublicKey => f.write_str("ed25519 public key (x) is not a valid point"),
            Self::WeakSeed => f.write_str("ed25519 private key (d) is all zeros"),
            Self::KeyMismatch => {
                f.write_str("ed25519 public key (x) does not match the private key (d)")
            }
            Self::MissingPrivateKey => {
                f.write_str("private key set holds an ed25519 key without its private part (d)")
            }
            Self::UnexpectedPrivateKey => {
                f.write_str("public key set holds an ed25519 private key (d); publish x only")
            }
        }
    }
}

impl std::error::Error for KeyError {}

/// Checks a key id: 1 to [`MAX_KEY_ID_LEN`] characters of `A-Z a-z 0-9 . _ -`.
fn check_kid(kid: &str) -> Result<(), KeyError> {
    if kid.is_empty() {
        return Err(KeyError::InvalidKeyId("key id is empty"));
    }
    if !kid
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(KeyError::InvalidKeyId(
            "key id may only contain A-Z, a-z, 0-9, '.', '_' and '-'",
        ));
    }
    // Only ASCII is left, so bytes and characters coincide.
    if kid.len() > MAX_KEY_ID_LEN {
        return Err(KeyError::InvalidKeyId(
            "key id is longer than 64 characters",
        ));
    }
    Ok(())
}

/// Strict unpadded base64url encoding.
fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Strict unpadded base64url decoding (padding, `+`, `/` and loose trailing bits refused).
fn unb64(field: &'static str, text: &str) -> Result<Vec<u8>, KeyError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| KeyError::InvalidBase64(field))
}

fn unb64_32(field: &'static str, text: &str) -> Result<[u8; ED25519_LEN], KeyError> {
    let bytes = unb64(field, text)?;
    let found = bytes.len();
    bytes.try_into().map_err(|_| KeyError::InvalidKeyLength {
        field,
        expected: ED25519_LEN,
        found,
    })
}

fn checked_public_key(bytes: [u8; ED25519_LEN]) -> Result<PublicKey, KeyError> {
    let key = PublicKey::new(bytes);
    key.validate().map_err(|_| KeyError::InvalidPublicKey)?;
    Ok(key)
}

fn checked_hs256_secret(secret: &[u8]) -> Result<Hs256Key, KeyError> {
    if secret.len() < MIN_HS256_SECRET_LEN {
        return Err(KeyError::SecretTooShort {
            found: secret.len(),
        });
    }
    Ok(Hs256Key::new(secret))
}

/// Private key material of a [`SigningKey`].
#[derive(Clone)]
pub(crate) enum SecretMaterial {
    Ed25519(SecretKey),
    Hs256(Hs256Key),
}

/// A key that signs tokens: a key id bound to an Ed25519 key pair or an HS256 secret.
///
/// `Debug` shows the key id and algorithm only.
#[derive(Clone)]
pub struct SigningKey {
    pub(crate) kid: String,
    pub(crate) material: SecretMaterial,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// An Ed25519 (`EdDSA`) key from its 32-byte seed (the JWK `d`). Refuses a bad key id
    /// and an all-zero seed.
    pub fn ed25519_from_seed(kid: &str, seed: &[u8; 32]) -> Result<Self, KeyError> {
        check_kid(kid)?;
        let pair = KeyPair::try_from_seed(Seed::new(*seed)).map_err(|_| KeyError::WeakSeed)?;
        Ok(Self {
            kid: kid.to_owned(),
            material: SecretMaterial::Ed25519(pair.sk),
        })
    }

    /// An HS256 key from a shared secret of at least [`MIN_HS256_SECRET_LEN`] bytes.
    pub fn hs256(kid: &str, secret: &[u8]) -> Result<Self, KeyError> {
        check_kid(kid)?;
        Ok(Self {
            kid: kid.to_owned(),
            material: SecretMaterial::Hs256(checked_hs256_secret(secret)?),
        })
    }

    /// The key id, written into the `kid` header of every token this key signs.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm this key is bound to.
    pub fn algorithm(&self) -> Algorithm {
        match self.material {
            SecretMaterial::Ed25519(_) => Algorithm::EdDsa,
            SecretMaterial::Hs256(_) => Algorithm::Hs256,
        }
    }

    /// The raw 32-byte Ed25519 public key, or `None` for an HS256 key.
    pub fn ed25519_public_key(&self) -> Option<[u8; 32]> {
        match &self.material {
            SecretMaterial::Ed25519(sk) => Some(*sk.public_key()),
            SecretMaterial::Hs256(_) => None,
        }
    }

    fn verification_key(&self) -> VerificationKey {
        let material = match &self.material {
            SecretMaterial::Ed25519(sk) => PublicMaterial::Ed25519(sk.public_key()),
            SecretMaterial::Hs256(key) => PublicMaterial::Hs256(key.clone()),
        };
        VerificationKey {
            kid: self.kid.clone(),
            material,
        }
    }

    fn to_private_jwk(&self) -> Value {
        match &self.material {
            SecretMaterial::Ed25519(sk) => json!({
                "kty": "OKP",
                "crv": "Ed25519",
                "alg": "EdDSA",
                "use": "sig",
                "kid": self.kid,
                "x": b64(sk.public_key().as_slice()),
                "d": b64(sk.seed().as_slice()),
            }),
            SecretMaterial::Hs256(key) => hs256_jwk(&self.kid, key),
        }
    }

    fn from_jwk(jwk: JwkIn) -> Result<Self, KeyError> {
        let (kid, kty) = jwk.check_common()?;
        let material = match kty {
            KeyKind::Okp => {
                let x = jwk.x.as_deref().ok_or(KeyError::MissingField("x"))?;
                let d = jwk.d.as_deref().ok_or(KeyError::MissingPrivateKey)?;
                let x = unb64_32("x", x)?;
                let seed = unb64_32("d", d)?;
                let pair =
                    KeyPair::try_from_seed(Seed::new(seed)).map_err(|_| KeyError::WeakSeed)?;
                if !bool::from(pair.pk.as_slice().ct_eq(x.as_slice())) {
                    return Err(KeyError::KeyMismatch);
                }
                SecretMaterial::Ed25519(pair.sk)
            }
            KeyKind::Oct => SecretMaterial::Hs256(jwk.hs256_secret()?),
        };
        Ok(Self { kid, material })
    }
}

fn hs256_jwk(kid: &str, key: &Hs256Key) -> Value {
    json!({
        "kty": "oct",
        "alg": "HS256",
        "use": "sig",
        "kid": kid,
        "k": b64(key.as_ref()),
    })
}

/// The keys a service signs with: the current key, which signs, and at most one previous
/// key, kept so that tokens it signed still verify after a rotation.
///
/// `Debug` shows key ids and algorithms only.
#[derive(Clone)]
pub struct SigningKeySet {
    pub(crate) current: SigningKey,
    pub(crate) previous: Option<SigningKey>,
}

impl fmt::Debug for SigningKeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeySet")
            .field("current", &self.current)
            .field("previous", &self.previous)
            .finish()
    }
}

impl SigningKeySet {
    /// A set of `current` and an optional `previous` key. Refuses a shared key id.
    pub fn new(current: SigningKey, previous: Option<SigningKey>) -> Result<Self, KeyError> {
        if let Some(previous) = &previous {
            if previous.kid == current.kid {
                return Err(KeyError::DuplicateKeyId(current.kid));
            }
        }
        Ok(Self { current, previous })
    }

    /// Loads a private JWKS (as written by [`to_jwks`](Self::to_jwks)): one or two keys,
    /// the first is the current key. Every key must carry its private part.
    pub fn from_jwks(json: &str) -> Result<Self, KeyError> {
        let keys = parse_jwks(json)?;
        if keys.len() > MAX_SIGNING_KEYS {
            return Err(KeyError::TooManyKeys { found: keys.len() });
        }
        let mut keys = keys.into_iter().map(SigningKey::from_jwk);
        let current = keys.next().ok_or(KeyError::EmptyKeySet)??;
        let previous = keys.next().transpose()?;
        Self::new(current, previous)
    }

    /// The private JWKS of this set, current key first. It holds secrets: store it as a
    /// secret (`wrangler secret put`), never publish it.
    pub fn to_jwks(&self) -> String {
        let keys: Vec<Value> = self.keys().map(SigningKey::to_private_jwk).collect();
        json!({ "keys": keys }).to_string()
    }

    /// Makes `new_current` the current key; the old current key becomes the previous key
    /// and the old previous key is dropped. Refuses a `new_current` with the key id of the
    /// current key.
    pub fn rotate(self, new_current: SigningKey) -> Result<Self, KeyError> {
        Self::new(new_current, Some(self.current))
    }

    /// The key that signs.
    pub fn current(&self) -> &SigningKey {
        &self.current
    }

    /// The previous key, if any (verifies only).
    pub fn previous(&self) -> Option<&SigningKey> {
        self.previous.as_ref()
    }

    /// Every key of this set (public Ed25519 keys, HS256 secrets), for verifying tokens.
    pub fn verification_keys(&self) -> VerificationKeySet {
        VerificationKeySet {
            keys: self.keys().map(SigningKey::verification_key).collect(),
        }
    }

    /// The public JWKS to publish: the Ed25519 public keys only, never HS256 secrets.
    pub fn public_jwks(&self) -> String {
        self.verification_keys().to_jwks()
    }

    fn keys(&self) -> impl Iterator<Item = &SigningKey> {
        std::iter::once(&self.current).chain(self.previous.as_ref())
    }
}

/// Public key material of a [`VerificationKey`].
#[derive(Clone)]
pub(crate) enum PublicMaterial {
    Ed25519(PublicKey),
    Hs256(Hs256Key),
}

/// One key of a [`VerificationKeySet`].
#[derive(Clone)]
pub(crate) struct VerificationKey {
    pub(crate) kid: String,
    pub(crate) material: PublicMaterial,
}

impl VerificationKey {
    pub(crate) fn algorithm(&self) -> Algorithm {
        match self.material {
            PublicMaterial::Ed25519(_) => Algorithm::EdDsa,
            PublicMaterial::Hs256(_) => Algorithm::Hs256,
        }
    }

    fn from_jwk(jwk: JwkIn) -> Result<Self, KeyError> {
        let (kid, kty) = jwk.check_common()?;
        let material = match kty {
            KeyKind::Okp => {
                if jwk.d.is_some() {
                    return Err(KeyError::UnexpectedPrivateKey);
                }
                let x = jwk.x.as_deref().ok_or(KeyError::MissingField("x"))?;
                PublicMaterial::Ed25519(checked_public_key(unb64_32("x", x)?)?)
            }
            KeyKind::Oct => PublicMaterial::Hs256(jwk.hs256_secret()?),
        };
        Ok(Self { kid, material })
    }
}

/// The keys a service verifies tokens with: Ed25519 public keys and/or HS256 secrets, each
/// bound to its key id and algorithm.
///
/// `Debug` shows key ids and algorithms only.
#[derive(Clone)]
pub struct VerificationKeySet {
    pub(crate) keys: Vec<VerificationKey>,
}

impl fmt::Debug for VerificationKeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// What `Debug` shows of one key.
        #[derive(Debug)]
        struct Key<'a> {
            #[allow(dead_code)] // read by `Debug` only
            kid: &'a str,
            #[allow(dead_code)]
            algorithm: Algorithm,
        }
        let keys: Vec<Key<'_>> = self
            .keys
            .iter()
            .map(|key| Key {
                kid: &key.kid,
                algorithm: key.algorithm(),
            })
            .collect();
        f.debug_struct("VerificationKeySet")
            .field("keys", &keys)
            .finish()
    }
}

impl VerificationKeySet {
    /// Loads a JWKS of public `OKP` (Ed25519) keys and/or `oct` keys marked
    /// `"alg":"HS256"`. Refuses Ed25519 private keys, duplicates and an empty set.
    pub fn from_jwks(json: &str) -> Result<Self, KeyError> {
        let jwks = parse_jwks(json)?;
        if jwks.is_empty() {
            return Err(KeyError::EmptyKeySet);
        }
        let mut keys: Vec<VerificationKey> = Vec::with_capacity(jwks.len());
        for jwk in jwks {
            let key = VerificationKey::from_jwk(jwk)?;
            if keys.iter().any(|known| known.kid == key.kid) {
                return Err(KeyError::DuplicateKeyId(key.kid));
            }
            keys.push(key);
        }
        Ok(Self { keys })
    }

    /// The public JWKS of this set: Ed25519 keys only; HS256 secrets are left out.
    pub fn to_jwks(&self) -> String {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .filter_map(|key| match &key.material {
                PublicMaterial::Ed25519(pk) => Some(json!({
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "alg": "EdDSA",
                    "use": "sig",
                    "kid": key.kid,
                    "x": b64(pk.as_slice()),
                })),
                PublicMaterial::Hs256(_) => None,
            })
            .collect();
        json!({ "keys": keys }).to_string()
    }

    /// Key ids and algorithms of the keys in this set, in order.
    pub fn key_ids(&self) -> Vec<(&str, Algorithm)> {
        self.keys
            .iter()
            .map(|key| (key.kid.as_str(), key.algorithm()))
            .collect()
    }

    pub(crate) fn find(&self, kid: &str) -> Option<&VerificationKey> {
        self.keys.iter().find(|key| key.kid == kid)
    }
}

/// A JWKS as read: `{"keys":[...]}`.
#[derive(Deserialize)]
struct JwksIn {
    keys: Option<Vec<JwkIn>>,
}

/// One JWK as read; every member optional so that a missing one gets its own error.
#[derive(Deserialize)]
struct JwkIn {
    kty: Option<String>,
    crv: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    key_use: Option<String>,
    kid: Option<String>,
    x: Option<String>,
    d: Option<String>,
    k: Option<String>,
}

#[derive(Clone, Copy)]
enum KeyKind {
    Okp,
    Oct,
}

/// At most this many characters of an offending member are echoed in an error.
const ECHO_LEN: usize = 24;

fn echo(value: &str) -> String {
    value.chars().take(ECHO_LEN).collect()
}

impl JwkIn {
    /// Checks `kid`, `kty`, `use`, `crv` and `alg`.
    fn check_common(&self) -> Result<(String, KeyKind), KeyError> {
        let kid = self.kid.as_deref().ok_or(KeyError::MissingKeyId)?;
        check_kid(kid)?;
        if let Some(key_use) = self.key_use.as_deref() {
            if key_use != "sig" {
                return Err(KeyError::UnsupportedKeyUse(echo(key_use)));
            }
        }
        let kty = self.kty.as_deref().ok_or(KeyError::MissingField("kty"))?;
        let kind = match kty {
            "OKP" => {
                let crv = self.crv.as_deref().ok_or(KeyError::MissingField("crv"))?;
                if crv != "Ed25519" {
                    return Err(KeyError::UnsupportedCurve(echo(crv)));
                }
                match self.alg.as_deref() {
                    None | Some("EdDSA") => {}
                    Some(alg) => return Err(KeyError::UnsupportedAlgorithm(echo(alg))),
                }
                KeyKind::Okp
            }
            "oct" => {
                let alg = self.alg.as_deref().ok_or(KeyError::MissingField("alg"))?;
                if alg != "HS256" {
                    return Err(KeyError::UnsupportedAlgorithm(echo(alg)));
                }
                KeyKind::Oct
            }
            other => return Err(KeyError::UnsupportedKeyType(echo(other))),
        };
        Ok((kid.to_owned(), kind))
    }

    fn hs256_secret(&self) -> Result<Hs256Key, KeyError> {
        let k = self.k.as_deref().ok_or(KeyError::MissingField("k"))?;
        checked_hs256_secret(&unb64("k", k)?)
    }
}

fn parse_jwks(json: &str) -> Result<Vec<JwkIn>, KeyError> {
    let jwks: JwksIn = serde_json::from_str(json).map_err(|err| KeyError::MalformedJson {
        line: err.line(),
        column: err.column(),
    })?;
    jwks.keys.ok_or(KeyError::MissingField("keys"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: [u8; 32] = [7; 32];

    #[test]
    fn key_id_rules() {
        assert_eq!(check_kid("2025-01_a.b"), Ok(()));
        assert_eq!(check_kid(&"k".repeat(64)), Ok(()));
        assert!(matches!(check_kid(""), Err(KeyError::InvalidKeyId(r)) if r.contains("empty")));
        let too_long = check_kid(&"k".repeat(65));
        assert!(matches!(too_long, Err(KeyError::InvalidKeyId(r)) if r.contains("64")));
        for bad in ["a b", "a/b", "ké", "a\"b", "a\nb", "a;b"] {
            assert!(
                matches!(check_kid(bad), Err(KeyError::InvalidKeyId(r)) if r.contains("only")),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn base64url_is_strict() {
        assert_eq!(unb64("k", "AAEC").unwrap(), vec![0, 1, 2]);
        assert_eq!(unb64("k", "AAE="), Err(KeyError::InvalidBase64("k")));
        assert_eq!(unb64("k", "AA+/"), Err(KeyError::InvalidBase64("k")));
        assert_eq!(unb64("k", "AA E"), Err(KeyError::InvalidBase64("k")));
        // "AB" has non-zero trailing bits: not the canonical encoding of any byte.
        assert_eq!(unb64("k", "AB"), Err(KeyError::InvalidBase64("k")));
    }

    #[test]
    fn all_zero_seed_is_refused() {
        assert_eq!(
            SigningKey::ed25519_from_seed("k", &[0; 32]).err(),
            Some(KeyError::WeakSeed)
        );
    }

    #[test]
    fn debug_of_secret_holders_shows_kid_and_algorithm_only() {
        let ed = SigningKey::ed25519_from_seed("ed-1", &SEED).unwrap();
        let hs = SigningKey::hs256("hs-1", &[0x5a; 32]).unwrap();
        let set = SigningKeySet::new(ed.clone(), Some(hs.clone())).unwrap();
        let verifying = set.verification_keys();
        let secrets = [
            b64(&SEED),
            b64(&[0x5a; 32]),
            hex_of(&SEED),
            hex_of(&[0x5a; 32]),
        ];
        for text in [
            format!("{ed:?}"),
            format!("{hs:?}"),
            format!("{set:?}"),
            format!("{verifying:?}"),
            format!("{:#?}", set),
        ] {
            assert!(text.contains("ed-1") || text.contains("hs-1"), "{text}");
            for secret in &secrets {
                assert!(!text.contains(secret.as_str()), "{text}");
            }
            assert!(!text.contains("90, 90"), "{text}");
            assert!(!text.contains("7, 7"), "{text}");
        }
        assert_eq!(
            format!("{ed:?}"),
            "SigningKey { kid: \"ed-1\", algorithm: EdDsa, .. }"
        );
        assert_eq!(
            format!("{verifying:?}"),
            "VerificationKeySet { keys: [Key { kid: \"ed-1\", algorithm: EdDsa }, \
             Key { kid: \"hs-1\", algorithm: Hs256 }] }"
        );
    }

    fn hex_of(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn private_jwk_reloads_to_the_same_key() {
        let key = SigningKey::ed25519_from_seed("ed-1", &SEED).unwrap();
        let jwk: JwkIn = serde_json::from_value(key.to_private_jwk()).unwrap();
        let again = SigningKey::from_jwk(jwk).unwrap();
        assert_eq!(again.kid(), "ed-1");
        assert_eq!(again.ed25519_public_key(), key.ed25519_public_key());
    }

    #[test]
    fn key_error_messages_are_lowercase_and_hold_no_key_bytes() {
        let errors = [
            KeyError::MalformedJson { line: 1, column: 2 },
            KeyError::EmptyKeySet,
            KeyError::TooManyKeys { found: 3 },
            KeyError::MissingKeyId,
            KeyError::InvalidKeyId("key id is empty"),
            KeyError::MissingField("x"),
            KeyError::InvalidBase64("d"),
            KeyError::InvalidKeyLength {
                field: "x",
                expected: 32,
                found: 31,
            },
            KeyError::SecretTooShort { found: 31 },
            KeyError::InvalidPublicKey,
            KeyError::WeakSeed,
            KeyError::KeyMismatch,
            KeyError::MissingPrivateKey,
            KeyError::UnexpectedPrivateKey,
        ];
        for error in errors {
            let text = error.to_string();
            assert!(text.starts_with(|c: char| c.is_ascii_lowercase()), "{text}");
        }
    }
}

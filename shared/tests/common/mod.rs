//! Helpers shared by the integration tests: keys, rules, and hand-built tokens.
// Not every test binary uses every helper; helpers may panic like the tests they serve.
#![allow(dead_code, clippy::unwrap_used, clippy::indexing_slicing)]

use aurora_auth::{Claims, SigningKey, SigningKeySet, SubjectKind, Validation};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_compact::{KeyPair, Seed};
use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::{Algorithm as _, AlgorithmSignature as _};

pub const NOW: i64 = 1_750_000_000;
pub const ISSUER: &str = "https://id.aurorahours.com";
pub const AUDIENCE: &str = "logging";
pub const ED_SEED: [u8; 32] = [0x11; 32];
pub const OTHER_SEED: [u8; 32] = [0x22; 32];
pub const HS_SECRET: [u8; 32] = [0x5a; 32];

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).unwrap()
}

pub fn ed_key(kid: &str, seed: &[u8; 32]) -> SigningKey {
    SigningKey::ed25519_from_seed(kid, seed).unwrap()
}

pub fn hs_key(kid: &str, secret: &[u8]) -> SigningKey {
    SigningKey::hs256(kid, secret).unwrap()
}

pub fn single(key: SigningKey) -> SigningKeySet {
    SigningKeySet::new(key, None).unwrap()
}

/// The Ed25519 set with kid `k1` most tests use.
pub fn ed_set() -> SigningKeySet {
    single(ed_key("k1", &ED_SEED))
}

pub fn claims() -> Claims {
    Claims {
        iss: ISSUER.into(),
        sub: "user-42".into(),
        aud: AUDIENCE.into(),
        iat: NOW,
        exp: NOW + 900,
        nbf: None,
        jti: Some("token-1".into()),
        kind: SubjectKind::User,
    }
}

pub fn rules() -> Validation {
    Validation {
        issuer: ISSUER.into(),
        audience: AUDIENCE.into(),
        leeway: 30,
        max_lifetime: 3_600,
    }
}

/// A valid payload as JSON, for tests that edit it.
pub fn payload_json() -> serde_json::Value {
    serde_json::json!({
        "iss": ISSUER,
        "sub": "user-42",
        "aud": AUDIENCE,
        "iat": NOW,
        "exp": NOW + 900,
        "kind": "user",
    })
}

/// `b64(header).b64(payload)`, the JWS signing input.
pub fn signing_input(header: &str, payload: &str) -> String {
    format!("{}.{}", b64(header), b64(payload))
}

/// A token with exactly this header and payload, Ed25519-signed with `seed`.
pub fn forge_ed(seed: &[u8; 32], header: &str, payload: &str) -> String {
    let input = signing_input(header, payload);
    let pair = KeyPair::from_seed(Seed::new(*seed));
    let signature = pair.sk.sign(input.as_bytes(), None);
    format!("{input}.{}", b64(signature.as_ref()))
}

/// A token with exactly this header and payload, HMAC-SHA256-signed with `secret`.
pub fn forge_hs(secret: &[u8], header: &str, payload: &str) -> String {
    let input = signing_input(header, payload);
    let signature = Hs256.sign(&Hs256Key::new(secret), input.as_bytes());
    format!("{input}.{}", b64(signature.as_bytes()))
}

/// An `EdDSA` token for kid `k1` with this payload, signed with [`ED_SEED`].
pub fn forge_k1(payload: &serde_json::Value) -> String {
    forge_ed(
        &ED_SEED,
        r#"{"alg":"EdDSA","kid":"k1","typ":"JWT"}"#,
        &payload.to_string(),
    )
}

/// The three segments of a token.
pub fn segments(token: &str) -> [String; 3] {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "not a three-segment token");
    [parts[0].into(), parts[1].into(), parts[2].into()]
}

/// Flips one bit of the decoded segment `index` at byte `byte`, and re-encodes.
pub fn flip_bit(token: &str, index: usize, byte: usize, bit: u8) -> String {
    let mut parts = segments(token);
    let mut bytes = unb64(&parts[index]);
    bytes[byte] ^= 1 << bit;
    parts[index] = b64(&bytes);
    parts.join(".")
}

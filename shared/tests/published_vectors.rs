//! Published test vectors: RFC 8037 (Ed25519 JWK and JWS) and RFC 7515 A.1 (HS256).
// Helpers outside `#[test]` functions unwrap just like the tests do.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use aurora_auth::{SigningKey, SigningKeySet, TokenError, VerificationKeySet};
use common::*;
use ed25519_compact::{KeyPair, PublicKey, Seed, Signature};
use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::{Algorithm as _, AlgorithmExt as _, AlgorithmSignature as _, UntrustedToken};

/// RFC 8037 A.1: the private key `d` and its public key `x`.
const RFC8037_D: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
const RFC8037_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

/// RFC 8037 A.4: the JWS of "Example of Ed25519 signing" with header {"alg":"EdDSA"}.
const RFC8037_JWS: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.\
                           hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5B\
                           hVsPt9g7sVvpAr_MuM0KAg";

/// RFC 7515 A.1: the HS256 JWS and its key.
const RFC7515_JWS: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.\
                           eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt\
                           cGxlLmNvbS9pc19yb290Ijp0cnVlfQ.\
                           dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const RFC7515_K: &str = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75\
                         aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";

fn rfc8037_seed() -> [u8; 32] {
    unb64(RFC8037_D).try_into().unwrap()
}

#[test]
fn rfc8037_a1_public_key_derives_from_the_private_key() {
    let pair = KeyPair::from_seed(Seed::new(rfc8037_seed()));
    assert_eq!(b64(pair.pk.as_ref()), RFC8037_X);
    let ours = SigningKey::ed25519_from_seed("rfc", &rfc8037_seed()).unwrap();
    assert_eq!(b64(ours.ed25519_public_key().unwrap()), RFC8037_X);
    assert_eq!(
        hex::encode(unb64(RFC8037_X)),
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    );
}

#[test]
fn rfc8037_a1_jwk_loads_as_a_private_and_a_public_key() {
    let private = serde_json::json!({"keys": [{
        "kty": "OKP", "crv": "Ed25519", "kid": "rfc", "d": RFC8037_D, "x": RFC8037_X,
    }]})
    .to_string();
    let set = SigningKeySet::from_jwks(&private).unwrap();
    let public: serde_json::Value = serde_json::from_str(&set.public_jwks()).unwrap();
    assert_eq!(public["keys"][0]["x"], RFC8037_X);
    let public =
        format!(r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","kid":"rfc","x":"{RFC8037_X}"}}]}}"#);
    assert!(VerificationKeySet::from_jwks(&public).is_ok());
}

#[test]
fn rfc8037_a4_signature_is_reproduced_and_verifies() {
    let (input, signature) = RFC8037_JWS.rsplit_once('.').unwrap();
    assert_eq!(
        unb64(input.split('.').next().unwrap()),
        br#"{"alg":"EdDSA"}"#
    );
    assert_eq!(
        unb64(input.split('.').nth(1).unwrap()),
        b"Example of Ed25519 signing"
    );
    let pair = KeyPair::from_seed(Seed::new(rfc8037_seed()));
    // Ed25519 is deterministic without noise, as the RFC requires: same bytes.
    let ours = pair.sk.sign(input.as_bytes(), None);
    assert_eq!(b64(ours.as_ref()), signature);
    let public = PublicKey::from_slice(&unb64(RFC8037_X)).unwrap();
    let published = Signature::from_slice(&unb64(signature)).unwrap();
    assert!(public.verify(input.as_bytes(), &published).is_ok());
    assert!(public
        .verify(b"Example of Ed25519 signinG", &published)
        .is_err());
}

#[test]
fn our_tokens_use_the_same_deterministic_signatures_as_rfc8037() {
    // Signing twice gives the same token; a fresh signature over the token's own input
    // with ed25519-compact gives the same bytes.
    let set = single(SigningKey::ed25519_from_seed("rfc", &rfc8037_seed()).unwrap());
    let token = set.sign(&claims()).unwrap();
    assert_eq!(set.sign(&claims()).unwrap(), token);
    let (input, signature) = token.rsplit_once('.').unwrap();
    let pair = KeyPair::from_seed(Seed::new(rfc8037_seed()));
    assert_eq!(
        b64(pair.sk.sign(input.as_bytes(), None).as_ref()),
        signature
    );
}

#[test]
fn rfc8037_a4_jws_without_kid_is_refused_by_our_verifier() {
    let public =
        format!(r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","kid":"rfc","x":"{RFC8037_X}"}}]}}"#);
    let keys = VerificationKeySet::from_jwks(&public).unwrap();
    assert_eq!(
        keys.verify(RFC8037_JWS, &rules(), NOW),
        Err(TokenError::MissingKeyId)
    );
}

#[test]
fn rfc7515_a1_hs256_vector_verifies_with_jwt_compact() {
    let key = Hs256Key::new(unb64(RFC7515_K));
    let token = UntrustedToken::new(RFC7515_JWS).unwrap();
    assert_eq!(token.algorithm(), "HS256");
    let verified = Hs256
        .validator::<serde_json::Map<String, serde_json::Value>>(&key)
        .validate(&token)
        .unwrap();
    assert_eq!(verified.claims().custom["iss"], "joe");
    assert_eq!(
        verified.claims().expiration.unwrap().timestamp(),
        1_300_819_380
    );
    // The HMAC over the signing input is the published signature.
    let (input, signature) = RFC7515_JWS.rsplit_once('.').unwrap();
    assert_eq!(
        b64(Hs256.sign(&key, input.as_bytes()).as_bytes()),
        signature
    );
    // A different key does not verify it.
    let other = Hs256Key::new([0u8; 64]);
    assert!(Hs256
        .validator::<serde_json::Value>(&other)
        .validate(&token)
        .is_err());
}

#[test]
fn rfc7515_a1_key_loads_as_an_oct_jwk_and_the_kid_less_vector_is_refused() {
    let jwks =
        format!(r#"{{"keys":[{{"kty":"oct","alg":"HS256","kid":"joe","k":"{RFC7515_K}"}}]}}"#);
    let keys = VerificationKeySet::from_jwks(&jwks).unwrap();
    assert_eq!(
        keys.verify(RFC7515_JWS, &rules(), NOW),
        Err(TokenError::MissingKeyId)
    );
}

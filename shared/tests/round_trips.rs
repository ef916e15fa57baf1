//! Signing then verifying gives back the claims; key sets survive JWKS and rotation.
// Helpers outside `#[test]` functions unwrap just like the tests do.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use aurora_auth::{Algorithm, SigningKeySet, SubjectKind, TokenError, VerificationKeySet};
use common::*;

#[test]
fn eddsa_token_verifies_and_returns_every_claim() {
    let set = ed_set();
    let mut claims = claims();
    claims.nbf = Some(NOW - 5);
    let token = set.sign(&claims).unwrap();
    let verified = set
        .verification_keys()
        .verify(&token, &rules(), NOW)
        .unwrap();
    assert_eq!(verified, claims);
}

#[test]
fn hs256_token_verifies_and_returns_every_claim() {
    let set = single(hs_key("svc-1", &HS_SECRET));
    assert_eq!(set.current().algorithm(), Algorithm::Hs256);
    let mut claims = claims();
    claims.kind = SubjectKind::Service;
    claims.jti = None;
    let token = set.sign(&claims).unwrap();
    let verified = set
        .verification_keys()
        .verify(&token, &rules(), NOW)
        .unwrap();
    assert_eq!(verified, claims);
    assert_eq!(verified.kind, SubjectKind::Service);
}

#[test]
fn signed_payload_holds_exactly_the_documented_claims() {
    let token = ed_set().sign(&claims()).unwrap();
    let payload: serde_json::Value = serde_json::from_slice(&unb64(&segments(&token)[1])).unwrap();
    let mut expected = payload_json();
    expected["jti"] = "token-1".into();
    assert_eq!(payload, expected);
}

#[test]
fn hs256_header_is_alg_kid_typ() {
    let token = single(hs_key("svc-1", &HS_SECRET)).sign(&claims()).unwrap();
    assert_eq!(
        unb64(&segments(&token)[0]),
        br#"{"alg":"HS256","kid":"svc-1","typ":"JWT"}"#
    );
}

#[test]
fn private_jwks_round_trip_keeps_both_keys_in_order() {
    let previous = Some(hs_key("old", &HS_SECRET));
    let set = SigningKeySet::new(ed_key("new", &ED_SEED), previous).unwrap();
    let jwks = set.to_jwks();
    let reloaded = SigningKeySet::from_jwks(&jwks).unwrap();
    assert_eq!(reloaded.current().kid(), "new");
    assert_eq!(reloaded.current().algorithm(), Algorithm::EdDsa);
    assert_eq!(reloaded.previous().map(|k| k.kid()), Some("old"));
    assert_eq!(reloaded.to_jwks(), jwks);
    // The reloaded set signs tokens the original set verifies, and the other way round.
    let token = reloaded.sign(&claims()).unwrap();
    assert!(set
        .verification_keys()
        .verify(&token, &rules(), NOW)
        .is_ok());
    let token = set.sign(&claims()).unwrap();
    assert!(reloaded
        .verification_keys()
        .verify(&token, &rules(), NOW)
        .is_ok());
}

#[test]
fn private_jwks_has_the_rfc_members() {
    let set = SigningKeySet::new(ed_key("ed", &ED_SEED), Some(hs_key("hs", &HS_SECRET))).unwrap();
    let jwks: serde_json::Value = serde_json::from_str(&set.to_jwks()).unwrap();
    let ed = &jwks["keys"][0];
    assert_eq!(ed["kty"], "OKP");
    assert_eq!(ed["crv"], "Ed25519");
    assert_eq!(ed["alg"], "EdDSA");
    assert_eq!(ed["use"], "sig");
    assert_eq!(ed["kid"], "ed");
    assert_eq!(ed["d"], b64(ED_SEED));
    assert_eq!(ed["x"], b64(set.current().ed25519_public_key().unwrap()));
    let hs = &jwks["keys"][1];
    assert_eq!(hs["kty"], "oct");
    assert_eq!(hs["alg"], "HS256");
    assert_eq!(hs["kid"], "hs");
    assert_eq!(hs["k"], b64(HS_SECRET));
}

#[test]
fn public_jwks_round_trip_verifies_tokens() {
    let set = SigningKeySet::new(ed_key("a", &ED_SEED), Some(ed_key("b", &OTHER_SEED))).unwrap();
    let public = VerificationKeySet::from_jwks(&set.public_jwks()).unwrap();
    assert_eq!(
        public.key_ids(),
        [("a", Algorithm::EdDsa), ("b", Algorithm::EdDsa)]
    );
    assert_eq!(public.to_jwks(), set.public_jwks());
    let token = set.sign(&claims()).unwrap();
    assert_eq!(public.verify(&token, &rules(), NOW).unwrap(), claims());
}

#[test]
fn public_jwks_never_contains_private_or_hs256_material() {
    let set = SigningKeySet::new(hs_key("hs", &HS_SECRET), Some(ed_key("ed", &ED_SEED))).unwrap();
    let public = set.public_jwks();
    assert!(!public.contains(&b64(HS_SECRET)), "{public}");
    assert!(!public.contains(&b64(ED_SEED)), "{public}");
    assert!(!public.contains("\"d\""), "{public}");
    assert!(!public.contains("\"k\""), "{public}");
    assert!(!public.contains("oct"), "{public}");
    let parsed: serde_json::Value = serde_json::from_str(&public).unwrap();
    assert_eq!(parsed["keys"].as_array().unwrap().len(), 1);
    assert_eq!(parsed["keys"][0]["kid"], "ed");
    assert_eq!(set.verification_keys().to_jwks(), public);
}

#[test]
fn hs256_verification_key_loads_from_an_oct_jwk() {
    let jwks = format!(
        r#"{{"keys":[{{"kty":"oct","alg":"HS256","kid":"svc","k":"{}"}}]}}"#,
        b64(HS_SECRET)
    );
    let keys = VerificationKeySet::from_jwks(&jwks).unwrap();
    let token = single(hs_key("svc", &HS_SECRET)).sign(&claims()).unwrap();
    assert_eq!(keys.verify(&token, &rules(), NOW).unwrap(), claims());
}

#[test]
fn token_signed_by_the_previous_key_still_verifies_after_rotation() {
    let before = single(ed_key("2025-01", &ED_SEED));
    let old_token = before.sign(&claims()).unwrap();
    let after = before.rotate(hs_key("2025-02", &HS_SECRET)).unwrap();
    assert_eq!(after.current().kid(), "2025-02");
    assert_eq!(after.previous().map(|k| k.kid()), Some("2025-01"));
    let keys = after.verification_keys();
    assert!(keys.verify(&old_token, &rules(), NOW).is_ok());
    // New tokens are signed with the new current key.
    let new_token = after.sign(&claims()).unwrap();
    assert_eq!(
        unb64(&segments(&new_token)[0]),
        br#"{"alg":"HS256","kid":"2025-02","typ":"JWT"}"#
    );
    assert!(keys.verify(&new_token, &rules(), NOW).is_ok());
}

#[test]
fn token_of_a_key_dropped_after_two_rotations_has_an_unknown_kid() {
    let first = single(ed_key("one", &ED_SEED));
    let old_token = first.sign(&claims()).unwrap();
    let second = first.rotate(ed_key("two", &OTHER_SEED)).unwrap();
    let third = second.rotate(hs_key("three", &HS_SECRET)).unwrap();
    assert_eq!(third.previous().map(|k| k.kid()), Some("two"));
    assert_eq!(
        third.verification_keys().verify(&old_token, &rules(), NOW),
        Err(TokenError::UnknownKeyId)
    );
}

#[test]
fn rotation_survives_a_jwks_round_trip() {
    let rotated = ed_set().rotate(ed_key("k2", &OTHER_SEED)).unwrap();
    let reloaded = SigningKeySet::from_jwks(&rotated.to_jwks()).unwrap();
    assert_eq!(reloaded.current().kid(), "k2");
    assert_eq!(reloaded.previous().map(|k| k.kid()), Some("k1"));
}

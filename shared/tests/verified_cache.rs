//! The cache of verified tokens skips only the signature check, never the claim rules.
// Helpers outside `#[test]` functions unwrap just like the tests do.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use aurora_auth::{TokenError, VerifiedTokens};
use common::*;

#[test]
fn a_cached_token_verifies_again_with_the_same_claims() {
    let set = ed_set();
    let keys = set.verification_keys();
    let token = set.sign(&claims()).unwrap();
    let mut cache = VerifiedTokens::new(8);
    let first = keys
        .verify_cached(&token, &rules(), NOW, &mut cache)
        .unwrap();
    assert_eq!(cache.len(), 1);
    let second = keys
        .verify_cached(&token, &rules(), NOW, &mut cache)
        .unwrap();
    assert_eq!(first, second);
    assert_eq!(first, keys.verify(&token, &rules(), NOW).unwrap());
}

#[test]
fn the_claim_rules_apply_to_cached_tokens_every_time() {
    let set = ed_set();
    let keys = set.verification_keys();
    let token = set.sign(&claims()).unwrap();
    let mut cache = VerifiedTokens::new(8);
    keys.verify_cached(&token, &rules(), NOW, &mut cache)
        .unwrap();

    let later = claims().exp + 3600;
    assert_eq!(
        keys.verify_cached(&token, &rules(), later, &mut cache),
        Err(TokenError::Expired)
    );
    let mut other = rules();
    other.audience = "another-service".into();
    assert_eq!(
        keys.verify_cached(&token, &other, NOW, &mut cache),
        Err(TokenError::WrongAudience)
    );
}

#[test]
fn a_tampered_copy_of_a_cached_token_is_still_refused() {
    let set = ed_set();
    let keys = set.verification_keys();
    let token = set.sign(&claims()).unwrap();
    let mut cache = VerifiedTokens::new(8);
    keys.verify_cached(&token, &rules(), NOW, &mut cache)
        .unwrap();

    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let sig = parts[2].clone();
    let flipped = if sig.starts_with('A') { "B" } else { "A" };
    parts[2] = format!("{flipped}{}", &sig[1..]);
    let tampered = parts.join(".");
    assert_eq!(
        keys.verify_cached(&tampered, &rules(), NOW, &mut cache),
        Err(TokenError::BadSignature)
    );
    assert_eq!(cache.len(), 1, "failures are not remembered");
}

#[test]
fn a_full_cache_makes_room_and_a_zero_capacity_cache_remembers_nothing() {
    let set = ed_set();
    let keys = set.verification_keys();
    let mut cache = VerifiedTokens::new(2);
    for i in 0..5 {
        let mut c = claims();
        c.jti = Some(format!("t{i}"));
        let token = set.sign(&c).unwrap();
        keys.verify_cached(&token, &rules(), NOW, &mut cache)
            .unwrap();
        assert!(cache.len() <= 2);
    }
    let mut none = VerifiedTokens::new(0);
    let token = set.sign(&claims()).unwrap();
    keys.verify_cached(&token, &rules(), NOW, &mut none)
        .unwrap();
    assert!(none.is_empty());
    assert!(
        !format!("{cache:?}").contains("eyJ"),
        "Debug shows no token"
    );
}

//! After the signature: issuer, audience, times and required claims.
// Helpers outside `#[test]` functions unwrap just like the tests do.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use aurora_auth::{Claims, SubjectKind, TokenError, Validation};
use common::*;
use serde_json::json;

fn verify_at(token: &str, rules: &Validation, now: i64) -> Result<Claims, TokenError> {
    ed_set().verification_keys().verify(token, rules, now)
}

fn signed(claims: &Claims) -> String {
    ed_set().sign(claims).unwrap()
}

#[test]
fn valid_until_exp_plus_leeway_and_expired_after() {
    let token = signed(&claims());
    let exp = claims().exp;
    assert!(verify_at(&token, &rules(), exp).is_ok());
    assert!(
        verify_at(&token, &rules(), exp + 30).is_ok(),
        "within leeway"
    );
    assert_eq!(
        verify_at(&token, &rules(), exp + 31),
        Err(TokenError::Expired)
    );
    assert_eq!(
        verify_at(&token, &rules(), exp + 86_400),
        Err(TokenError::Expired)
    );
}

#[test]
fn zero_leeway_expires_right_after_exp() {
    let mut strict = rules();
    strict.leeway = 0;
    let token = signed(&claims());
    assert!(verify_at(&token, &strict, claims().exp).is_ok());
    assert_eq!(
        verify_at(&token, &strict, claims().exp + 1),
        Err(TokenError::Expired)
    );
}

#[test]
fn not_valid_before_nbf_minus_leeway() {
    let mut claims = claims();
    claims.nbf = Some(NOW + 100);
    let token = signed(&claims);
    assert_eq!(
        verify_at(&token, &rules(), NOW + 69),
        Err(TokenError::NotYetValid)
    );
    assert!(
        verify_at(&token, &rules(), NOW + 70).is_ok(),
        "within leeway"
    );
    assert!(verify_at(&token, &rules(), NOW + 100).is_ok());
}

#[test]
fn issued_in_the_future_beyond_leeway_is_refused() {
    let token = signed(&claims());
    assert_eq!(
        verify_at(&token, &rules(), NOW - 31),
        Err(TokenError::IssuedInFuture)
    );
    assert!(
        verify_at(&token, &rules(), NOW - 30).is_ok(),
        "within leeway"
    );
}

#[test]
fn wrong_issuer_is_refused() {
    let mut claims = claims();
    claims.iss = "https://evil.example".into();
    assert_eq!(
        verify_at(&signed(&claims), &rules(), NOW),
        Err(TokenError::WrongIssuer)
    );
    // Exact comparison: no trailing slash, no case folding.
    claims.iss = format!("{ISSUER}/");
    assert_eq!(
        verify_at(&signed(&claims), &rules(), NOW),
        Err(TokenError::WrongIssuer)
    );
    claims.iss = ISSUER.to_uppercase();
    assert_eq!(
        verify_at(&signed(&claims), &rules(), NOW),
        Err(TokenError::WrongIssuer)
    );
}

#[test]
fn wrong_audience_is_refused() {
    let mut claims = claims();
    claims.aud = "identity".into();
    assert_eq!(
        verify_at(&signed(&claims), &rules(), NOW),
        Err(TokenError::WrongAudience)
    );
    claims.aud = "Logging".into();
    assert_eq!(
        verify_at(&signed(&claims), &rules(), NOW),
        Err(TokenError::WrongAudience)
    );
}

#[test]
fn array_audience_is_malformed_even_if_it_holds_the_audience() {
    let mut payload = payload_json();
    payload["aud"] = json!([AUDIENCE]);
    assert_eq!(
        verify_at(&forge_k1(&payload), &rules(), NOW),
        Err(TokenError::Malformed(
            "aud must be a single string, not an array"
        ))
    );
}

#[test]
fn non_string_audience_is_malformed() {
    let mut payload = payload_json();
    payload["aud"] = json!({"aud": AUDIENCE});
    assert_eq!(
        verify_at(&forge_k1(&payload), &rules(), NOW),
        Err(TokenError::Malformed("aud must be a string"))
    );
}

#[test]
fn lifetime_over_the_maximum_is_refused() {
    let mut claims = claims();
    claims.exp = claims.iat + 3_600;
    assert!(
        verify_at(&signed(&claims), &rules(), NOW).is_ok(),
        "exactly the maximum"
    );
    claims.exp = claims.iat + 3_601;
    assert_eq!(
        verify_at(&signed(&claims), &rules(), NOW),
        Err(TokenError::LifetimeTooLong)
    );
}

#[test]
fn exp_not_after_iat_is_refused() {
    for exp in [NOW, NOW - 1] {
        let mut payload = payload_json();
        payload["exp"] = json!(exp);
        assert_eq!(
            verify_at(&forge_k1(&payload), &rules(), NOW),
            Err(TokenError::ExpiresBeforeIssued),
            "exp {exp}"
        );
    }
}

#[test]
fn each_missing_required_claim_is_named() {
    for claim in ["exp", "iat", "kind", "iss", "sub", "aud"] {
        let mut payload = payload_json();
        payload.as_object_mut().unwrap().remove(claim);
        assert_eq!(
            verify_at(&forge_k1(&payload), &rules(), NOW),
            Err(TokenError::MissingClaim(claim)),
            "{claim}"
        );
    }
}

#[test]
fn kind_is_never_defaulted() {
    let mut payload = payload_json();
    payload["kind"] = json!(null);
    assert_eq!(
        verify_at(&forge_k1(&payload), &rules(), NOW),
        Err(TokenError::MissingClaim("kind"))
    );
    for bad in [json!("admin"), json!("User"), json!("")] {
        payload["kind"] = bad;
        assert_eq!(
            verify_at(&forge_k1(&payload), &rules(), NOW),
            Err(TokenError::Malformed(
                "kind must be \"user\" or \"service\""
            ))
        );
    }
}

#[test]
fn service_kind_is_reported() {
    let mut payload = payload_json();
    payload["kind"] = json!("service");
    let claims = verify_at(&forge_k1(&payload), &rules(), NOW).unwrap();
    assert_eq!(claims.kind, SubjectKind::Service);
    assert_eq!(claims.jti, None);
    assert_eq!(claims.nbf, None);
}

#[test]
fn non_numeric_times_are_malformed() {
    for (claim, value) in [
        ("exp", json!("later")),
        ("iat", json!(null)),
        ("nbf", json!(true)),
    ] {
        let mut payload = payload_json();
        payload[claim] = value;
        assert_eq!(
            verify_at(&forge_k1(&payload), &rules(), NOW),
            Err(TokenError::Malformed(
                "claims are not json of the expected shape"
            )),
            "{claim}"
        );
    }
}

#[test]
fn unknown_extra_claims_are_ignored() {
    let mut payload = payload_json();
    payload["scope"] = json!("admin");
    assert!(verify_at(&forge_k1(&payload), &rules(), NOW).is_ok());
}

#[test]
fn issuer_is_checked_before_the_clock() {
    // An expired token from the wrong issuer reports the issuer.
    let mut claims = claims();
    claims.iss = "other".into();
    assert_eq!(
        verify_at(&signed(&claims), &rules(), NOW + 100_000),
        Err(TokenError::WrongIssuer)
    );
}

//! Keys and key sets are refused when loading, each problem with its own error.
// Helpers outside `#[test]` functions unwrap just like the tests do.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use aurora_auth::{KeyError, SigningKey, SigningKeySet, VerificationKeySet};
use common::*;
use serde_json::{json, Value};

fn ed_private_jwk() -> Value {
    let key = ed_key("k1", &ED_SEED);
    json!({
        "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": "k1",
        "x": b64(key.ed25519_public_key().unwrap()), "d": b64(ED_SEED),
    })
}

fn ed_public_jwk() -> Value {
    let mut jwk = ed_private_jwk();
    jwk.as_object_mut().unwrap().remove("d");
    jwk
}

fn hs_jwk() -> Value {
    json!({"kty": "oct", "alg": "HS256", "kid": "svc", "k": b64(HS_SECRET)})
}

fn jwks(keys: &[Value]) -> String {
    json!({ "keys": keys }).to_string()
}

fn private_err(keys: &[Value]) -> KeyError {
    SigningKeySet::from_jwks(&jwks(keys)).unwrap_err()
}

fn public_err(keys: &[Value]) -> KeyError {
    VerificationKeySet::from_jwks(&jwks(keys)).unwrap_err()
}

/// Both loaders refuse the key with the same error.
fn both_err(jwk: Value) -> KeyError {
    let mut public = jwk.clone();
    public.as_object_mut().unwrap().remove("d");
    let private = private_err(&[jwk]);
    assert_eq!(public_err(&[public]), private);
    private
}

fn with(mut jwk: Value, member: &str, value: Value) -> Value {
    jwk[member] = value;
    jwk
}

fn without(mut jwk: Value, member: &str) -> Value {
    jwk.as_object_mut().unwrap().remove(member);
    jwk
}

#[test]
fn the_reference_keys_load() {
    assert!(SigningKeySet::from_jwks(&jwks(&[ed_private_jwk(), hs_jwk()])).is_ok());
    assert!(VerificationKeySet::from_jwks(&jwks(&[ed_public_jwk(), hs_jwk()])).is_ok());
    // `alg` and `use` are optional for an OKP key.
    let bare = without(without(ed_public_jwk(), "alg"), "use");
    assert!(VerificationKeySet::from_jwks(&jwks(&[bare])).is_ok());
}

#[test]
fn malformed_json_is_refused_with_its_position_only() {
    let err = SigningKeySet::from_jwks("{\"keys\": [").unwrap_err();
    assert!(
        matches!(err, KeyError::MalformedJson { line: 1, .. }),
        "{err:?}"
    );
    for bad in [
        "",
        "null",
        "[]",
        "{\"keys\": {}}",
        "{\"keys\": [1]}",
        "{\"keys\":[{\"kty\":5}]}",
    ] {
        assert!(
            matches!(
                VerificationKeySet::from_jwks(bad),
                Err(KeyError::MalformedJson { .. })
            ),
            "{bad:?}"
        );
    }
    // A secret inside broken JSON is not echoed.
    let secret = b64(HS_SECRET);
    let broken = format!("{{\"keys\":[{{\"kty\":\"oct\",\"k\":\"{secret}\",}}]}}");
    let message = VerificationKeySet::from_jwks(&broken)
        .unwrap_err()
        .to_string();
    assert!(!message.contains(&secret), "{message}");
}

#[test]
fn missing_keys_member_is_refused() {
    assert_eq!(
        SigningKeySet::from_jwks("{}").unwrap_err(),
        KeyError::MissingField("keys")
    );
    assert_eq!(
        VerificationKeySet::from_jwks("{}").unwrap_err(),
        KeyError::MissingField("keys")
    );
}

#[test]
fn empty_key_set_is_refused() {
    assert_eq!(private_err(&[]), KeyError::EmptyKeySet);
    assert_eq!(public_err(&[]), KeyError::EmptyKeySet);
}

#[test]
fn signing_set_of_more_than_two_keys_is_refused() {
    let third = with(hs_jwk(), "kid", json!("svc-2"));
    assert_eq!(
        private_err(&[ed_private_jwk(), hs_jwk(), third]),
        KeyError::TooManyKeys { found: 3 }
    );
}

#[test]
fn duplicate_kid_is_refused() {
    let twin = with(hs_jwk(), "kid", json!("k1"));
    assert_eq!(
        private_err(&[ed_private_jwk(), twin.clone()]),
        KeyError::DuplicateKeyId("k1".into())
    );
    assert_eq!(
        public_err(&[ed_public_jwk(), twin]),
        KeyError::DuplicateKeyId("k1".into())
    );
    assert_eq!(
        SigningKeySet::new(ed_key("k1", &ED_SEED), Some(hs_key("k1", &HS_SECRET))).unwrap_err(),
        KeyError::DuplicateKeyId("k1".into())
    );
}

#[test]
fn rotating_to_the_current_kid_is_refused() {
    assert_eq!(
        ed_set().rotate(ed_key("k1", &OTHER_SEED)).unwrap_err(),
        KeyError::DuplicateKeyId("k1".into())
    );
    // Reusing the kid of the previous key is fine: that key is dropped.
    let set = ed_set().rotate(ed_key("k2", &OTHER_SEED)).unwrap();
    assert!(set.rotate(hs_key("k1", &HS_SECRET)).is_ok());
}

#[test]
fn missing_kid_is_refused() {
    assert_eq!(
        both_err(without(ed_private_jwk(), "kid")),
        KeyError::MissingKeyId
    );
    assert_eq!(
        public_err(&[without(hs_jwk(), "kid")]),
        KeyError::MissingKeyId
    );
}

#[test]
fn bad_kids_are_refused_in_jwks_and_constructors() {
    for kid in ["", "a b", "ключ", "a/b", "a:b", &"k".repeat(65)] {
        let jwk_err = both_err(with(ed_private_jwk(), "kid", json!(kid)));
        assert!(
            matches!(jwk_err, KeyError::InvalidKeyId(_)),
            "{kid:?}: {jwk_err:?}"
        );
        let ed_err = SigningKey::ed25519_from_seed(kid, &ED_SEED).unwrap_err();
        assert_eq!(ed_err, jwk_err);
        assert_eq!(SigningKey::hs256(kid, &HS_SECRET).unwrap_err(), jwk_err);
    }
    assert!(SigningKey::hs256(&"k".repeat(64), &HS_SECRET).is_ok());
}

#[test]
fn unknown_or_missing_kty_is_refused() {
    for kty in ["RSA", "EC", "okp", ""] {
        assert_eq!(
            both_err(with(ed_private_jwk(), "kty", json!(kty))),
            KeyError::UnsupportedKeyType(kty.into())
        );
    }
    assert_eq!(
        both_err(without(ed_private_jwk(), "kty")),
        KeyError::MissingField("kty")
    );
}

#[test]
fn unknown_or_missing_crv_is_refused() {
    for crv in ["X25519", "Ed448", "P-256", "ed25519"] {
        assert_eq!(
            both_err(with(ed_private_jwk(), "crv", json!(crv))),
            KeyError::UnsupportedCurve(crv.into())
        );
    }
    assert_eq!(
        both_err(without(ed_private_jwk(), "crv")),
        KeyError::MissingField("crv")
    );
}

#[test]
fn alg_that_does_not_fit_the_key_is_refused() {
    for alg in ["HS256", "ES256", "none", "Ed25519"] {
        assert_eq!(
            both_err(with(ed_private_jwk(), "alg", json!(alg))),
            KeyError::UnsupportedAlgorithm(alg.into())
        );
    }
    for alg in ["EdDSA", "HS512", "none", "hs256"] {
        assert_eq!(
            public_err(&[with(hs_jwk(), "alg", json!(alg))]),
            KeyError::UnsupportedAlgorithm(alg.into())
        );
    }
}

#[test]
fn oct_key_without_alg_is_refused() {
    assert_eq!(
        public_err(&[without(hs_jwk(), "alg")]),
        KeyError::MissingField("alg")
    );
    assert_eq!(
        private_err(&[without(hs_jwk(), "alg")]),
        KeyError::MissingField("alg")
    );
}

#[test]
fn encryption_keys_are_refused() {
    assert_eq!(
        both_err(with(ed_private_jwk(), "use", json!("enc"))),
        KeyError::UnsupportedKeyUse("enc".into())
    );
}

#[test]
fn wrong_length_x_is_refused() {
    for len in [0, 31, 33, 64] {
        let err = both_err(with(ed_private_jwk(), "x", json!(b64(vec![9; len]))));
        assert_eq!(
            err,
            KeyError::InvalidKeyLength {
                field: "x",
                expected: 32,
                found: len
            }
        );
    }
}

#[test]
fn wrong_length_d_is_refused() {
    for len in [0, 31, 33, 64] {
        assert_eq!(
            private_err(&[with(ed_private_jwk(), "d", json!(b64(vec![9; len])))]),
            KeyError::InvalidKeyLength {
                field: "d",
                expected: 32,
                found: len
            }
        );
    }
}

#[test]
fn invalid_base64url_is_refused() {
    let x = ed_private_jwk()["x"].as_str().unwrap().to_owned();
    let d = b64(ED_SEED);
    let k = b64(HS_SECRET);
    let spoil = |text: &str| {
        [
            format!("{text}="),
            text.replacen(&text[..1], "+", 1),
            format!("{text} "),
        ]
    };
    for bad in spoil(&x) {
        assert_eq!(
            both_err(with(ed_private_jwk(), "x", json!(bad))),
            KeyError::InvalidBase64("x")
        );
    }
    for bad in spoil(&d) {
        assert_eq!(
            private_err(&[with(ed_private_jwk(), "d", json!(bad))]),
            KeyError::InvalidBase64("d")
        );
    }
    for bad in spoil(&k) {
        assert_eq!(
            public_err(&[with(hs_jwk(), "k", json!(bad))]),
            KeyError::InvalidBase64("k")
        );
    }
    // Standard base64 padding of a 32-byte value.
    let padded = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE, HS_SECRET);
    assert!(padded.ends_with('='));
    assert_eq!(
        public_err(&[with(hs_jwk(), "k", json!(padded))]),
        KeyError::InvalidBase64("k")
    );
}

#[test]
fn short_hs256_secret_is_refused() {
    assert_eq!(
        SigningKey::hs256("svc", &[1; 31]).unwrap_err(),
        KeyError::SecretTooShort { found: 31 }
    );
    assert_eq!(
        SigningKey::hs256("svc", &[]).unwrap_err(),
        KeyError::SecretTooShort { found: 0 }
    );
    assert!(SigningKey::hs256("svc", &[1; 32]).is_ok());
    for set_err in [private_err, public_err] {
        assert_eq!(
            set_err(&[with(hs_jwk(), "k", json!(b64([1; 31])))]),
            KeyError::SecretTooShort { found: 31 }
        );
        assert_eq!(
            set_err(&[without(hs_jwk(), "k")]),
            KeyError::MissingField("k")
        );
    }
}

#[test]
fn x_that_does_not_match_d_is_refused() {
    let other = ed_key("k1", &OTHER_SEED).ed25519_public_key().unwrap();
    let err = private_err(&[with(ed_private_jwk(), "x", json!(b64(other)))]);
    assert_eq!(err, KeyError::KeyMismatch);
    assert!(!err.to_string().contains(&b64(ED_SEED)));
}

#[test]
fn private_set_needs_every_private_part() {
    assert_eq!(private_err(&[ed_public_jwk()]), KeyError::MissingPrivateKey);
    assert_eq!(
        private_err(&[without(ed_private_jwk(), "x")]),
        KeyError::MissingField("x")
    );
}

#[test]
fn public_set_refuses_private_keys() {
    assert_eq!(
        public_err(&[ed_private_jwk()]),
        KeyError::UnexpectedPrivateKey
    );
    assert_eq!(
        public_err(&[without(ed_public_jwk(), "x")]),
        KeyError::MissingField("x")
    );
}

#[test]
fn invalid_or_weak_public_key_is_refused() {
    let mut identity = [0u8; 32];
    identity[0] = 1; // the neutral point
    let not_a_point = [0xff; 32]; // y >= p, not canonical
    for x in [identity, [0; 32], not_a_point] {
        assert_eq!(
            public_err(&[with(ed_public_jwk(), "x", json!(b64(x)))]),
            KeyError::InvalidPublicKey
        );
    }
}

#[test]
fn all_zero_ed25519_seed_is_refused() {
    assert_eq!(
        SigningKey::ed25519_from_seed("k", &[0; 32]).unwrap_err(),
        KeyError::WeakSeed
    );
    let zero = with(ed_private_jwk(), "d", json!(b64([0; 32])));
    assert_eq!(private_err(&[zero]), KeyError::WeakSeed);
}

#[test]
fn long_offending_values_are_cut_in_errors() {
    let kty = "X".repeat(500);
    let err = both_err(with(ed_private_jwk(), "kty", json!(kty)));
    assert_eq!(err, KeyError::UnsupportedKeyType("X".repeat(24)));
}

#[test]
fn debug_of_secret_holding_types_shows_no_key_bytes() {
    let set = SigningKeySet::new(ed_key("ed", &ED_SEED), Some(hs_key("hs", &HS_SECRET))).unwrap();
    let loaded = VerificationKeySet::from_jwks(&jwks(&[hs_jwk()])).unwrap();
    let texts = [
        format!("{:?}", set.current()),
        format!("{:?}", set.previous()),
        format!("{set:?}"),
        format!("{set:#?}"),
        format!("{:?}", set.verification_keys()),
        format!("{loaded:?}"),
    ];
    let forbidden = [
        b64(ED_SEED),
        b64(HS_SECRET),
        hex::encode(ED_SEED),
        hex::encode(HS_SECRET),
        format!("{:?}", ED_SEED),
        format!("{:?}", HS_SECRET),
        "17, 17, 17".to_owned(),
        "90, 90, 90".to_owned(),
    ];
    for text in &texts {
        assert!(text.contains("kid"), "{text}");
        for secret in &forbidden {
            assert!(!text.contains(secret.as_str()), "{text}");
        }
    }
    assert!(
        texts[2].contains("EdDsa") && texts[2].contains("Hs256"),
        "{}",
        texts[2]
    );
}

//! Forged, tampered and malformed tokens are refused with the specific error.
// Helpers outside `#[test]` functions unwrap just like the tests do.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use aurora_auth::{SigningKeySet, TokenError, VerificationKeySet};
use common::*;

fn verify_k1(token: &str) -> Result<aurora_auth::Claims, TokenError> {
    ed_set().verification_keys().verify(token, &rules(), NOW)
}

#[test]
fn untampered_token_verifies() {
    let token = ed_set().sign(&claims()).unwrap();
    assert!(verify_k1(&token).is_ok());
}

#[test]
fn flipped_bit_in_the_header_breaks_the_signature() {
    let token = ed_set().sign(&claims()).unwrap();
    // Header is {"alg":"EdDSA","kid":"k1","typ":"JWT"}; byte 33 is the `J` of "JWT".
    let tampered = flip_bit(&token, 0, 33, 0);
    assert_eq!(
        unb64(&segments(&tampered)[0]),
        br#"{"alg":"EdDSA","kid":"k1","typ":"KWT"}"#
    );
    assert_eq!(verify_k1(&tampered), Err(TokenError::BadSignature));
}

#[test]
fn flipped_bit_in_the_payload_breaks_the_signature() {
    let token = ed_set().sign(&claims()).unwrap();
    let payload = String::from_utf8(unb64(&segments(&token)[1])).unwrap();
    let at = payload.find("user-42").unwrap() + 5; // the `4`
    let tampered = flip_bit(&token, 1, at, 0);
    assert!(String::from_utf8(unb64(&segments(&tampered)[1]))
        .unwrap()
        .contains("user-52"));
    assert_eq!(verify_k1(&tampered), Err(TokenError::BadSignature));
}

#[test]
fn flipped_bit_in_the_signature_is_refused() {
    let token = ed_set().sign(&claims()).unwrap();
    for (byte, bit) in [(0, 0), (31, 7), (32, 3), (63, 6)] {
        let tampered = flip_bit(&token, 2, byte, bit);
        assert_eq!(
            verify_k1(&tampered),
            Err(TokenError::BadSignature),
            "{byte}/{bit}"
        );
    }
}

#[test]
fn flipped_bit_in_an_hs256_token_is_refused() {
    let set = single(hs_key("svc", &HS_SECRET));
    let token = set.sign(&claims()).unwrap();
    let keys = set.verification_keys();
    for (segment, byte) in [(0, 34), (2, 0), (2, 31)] {
        let tampered = flip_bit(&token, segment, byte, 1);
        assert_eq!(
            keys.verify(&tampered, &rules(), NOW),
            Err(TokenError::BadSignature)
        );
    }
}

#[test]
fn truncated_or_extended_signature_is_refused() {
    let token = ed_set().sign(&claims()).unwrap();
    let parts = segments(&token);
    let mut short = unb64(&parts[2]);
    short.pop();
    let mut long = unb64(&parts[2]);
    long.push(0);
    for sig in [b64(&short), b64(&long), String::new()] {
        let forged = format!("{}.{}.{}", parts[0], parts[1], sig);
        assert_eq!(verify_k1(&forged), Err(TokenError::BadSignature));
    }
}

#[test]
fn same_kid_with_other_ed25519_key_material_is_a_bad_signature() {
    let impostor = single(ed_key("k1", &OTHER_SEED));
    let token = impostor.sign(&claims()).unwrap();
    assert_eq!(verify_k1(&token), Err(TokenError::BadSignature));
}

#[test]
fn same_kid_with_other_hs256_secret_is_a_bad_signature() {
    let token = single(hs_key("svc", &[0x33; 32])).sign(&claims()).unwrap();
    let keys = single(hs_key("svc", &HS_SECRET)).verification_keys();
    assert_eq!(
        keys.verify(&token, &rules(), NOW),
        Err(TokenError::BadSignature)
    );
}

#[test]
fn token_without_kid_is_refused() {
    let token = forge_ed(
        &ED_SEED,
        r#"{"alg":"EdDSA","typ":"JWT"}"#,
        &payload_json().to_string(),
    );
    assert_eq!(verify_k1(&token), Err(TokenError::MissingKeyId));
}

#[test]
fn token_with_unknown_kid_is_refused() {
    let token = single(ed_key("k9", &ED_SEED)).sign(&claims()).unwrap();
    assert_eq!(verify_k1(&token), Err(TokenError::UnknownKeyId));
    let empty_kid = forge_ed(&ED_SEED, r#"{"alg":"EdDSA","kid":""}"#, "{}");
    assert_eq!(verify_k1(&empty_kid), Err(TokenError::UnknownKeyId));
}

#[test]
fn kid_lookup_is_exact() {
    for kid in ["K1", "k1 ", " k1", "k10"] {
        let header = format!(r#"{{"alg":"EdDSA","kid":"{kid}"}}"#);
        let token = forge_ed(&ED_SEED, &header, &payload_json().to_string());
        assert_eq!(verify_k1(&token), Err(TokenError::UnknownKeyId), "{kid:?}");
    }
}

#[test]
fn alg_none_token_is_refused() {
    let header = b64(r#"{"alg":"none","kid":"k1"}"#);
    let payload = b64(payload_json().to_string());
    let token = format!("{header}.{payload}.");
    assert_eq!(verify_k1(&token), Err(TokenError::AlgorithmMismatch));
    // The same for an HS256 key.
    let keys = single(hs_key("svc", &HS_SECRET)).verification_keys();
    let header = b64(r#"{"alg":"none","kid":"svc"}"#);
    let token = format!("{header}.{payload}.");
    assert_eq!(
        keys.verify(&token, &rules(), NOW),
        Err(TokenError::AlgorithmMismatch)
    );
}

#[test]
fn hs256_token_keyed_with_the_ed25519_public_key_is_refused() {
    let set = ed_set();
    let public_key = set.current().ed25519_public_key().unwrap();
    let token = forge_hs(
        &public_key,
        r#"{"alg":"HS256","kid":"k1","typ":"JWT"}"#,
        &payload_json().to_string(),
    );
    assert_eq!(
        set.verification_keys().verify(&token, &rules(), NOW),
        Err(TokenError::AlgorithmMismatch)
    );
    // Also when the keys were loaded from the published JWKS.
    let published = VerificationKeySet::from_jwks(&set.public_jwks()).unwrap();
    assert_eq!(
        published.verify(&token, &rules(), NOW),
        Err(TokenError::AlgorithmMismatch)
    );
}

#[test]
fn eddsa_token_presented_for_an_hs256_kid_is_refused() {
    let token = forge_ed(
        &ED_SEED,
        r#"{"alg":"EdDSA","kid":"svc"}"#,
        &payload_json().to_string(),
    );
    let keys = single(hs_key("svc", &HS_SECRET)).verification_keys();
    assert_eq!(
        keys.verify(&token, &rules(), NOW),
        Err(TokenError::AlgorithmMismatch)
    );
}

#[test]
fn alg_names_are_compared_exactly() {
    for alg in ["eddsa", "EDDSA", "Ed25519", "ES256", "RS256", ""] {
        let header = format!(r#"{{"alg":"{alg}","kid":"k1"}}"#);
        let token = forge_ed(&ED_SEED, &header, &payload_json().to_string());
        assert_eq!(
            verify_k1(&token),
            Err(TokenError::AlgorithmMismatch),
            "{alg:?}"
        );
    }
}

#[test]
fn header_without_alg_is_malformed() {
    let token = forge_ed(&ED_SEED, r#"{"kid":"k1"}"#, &payload_json().to_string());
    assert!(matches!(verify_k1(&token), Err(TokenError::Malformed(_))));
}

#[test]
fn empty_string_is_malformed() {
    assert_eq!(verify_k1(""), Err(TokenError::Malformed("token is empty")));
}

#[test]
fn too_few_or_too_many_segments_are_malformed() {
    let token = ed_set().sign(&claims()).unwrap();
    let [h, p, s] = segments(&token);
    let structure = Err(TokenError::Malformed(
        "token must have exactly three segments",
    ));
    for candidate in [
        h.clone(),
        format!("{h}.{p}"),
        format!("{h}.{p}.{s}."),
        format!("{h}.{p}.{s}.{s}"),
        format!("{h}{p}{s}"),
        ".".into(),
        "....".into(),
    ] {
        assert_eq!(verify_k1(&candidate), structure, "{candidate}");
    }
}

#[test]
fn invalid_base64_in_any_segment_is_malformed() {
    let token = ed_set().sign(&claims()).unwrap();
    let base64 = Err(TokenError::Malformed("segment is not unpadded base64url"));
    for index in 0..3 {
        for bad in ["+", "/", "=", "*", " "] {
            let mut parts = segments(&token);
            parts[index].insert_str(4, bad);
            assert_eq!(
                verify_k1(&parts.join(".")),
                base64,
                "segment {index}, {bad:?}"
            );
        }
        // Padding is refused too.
        let mut parts = segments(&token);
        parts[index] = format!("{}==", parts[index]);
        assert_eq!(
            verify_k1(&parts.join(".")),
            base64,
            "segment {index} padded"
        );
    }
}

#[test]
fn header_that_is_not_json_is_malformed() {
    let [_, p, s] = segments(&ed_set().sign(&claims()).unwrap());
    for header in [
        "not json",
        "{\"alg\":\"EdDSA\",\"kid\":\"k1\"",
        "[]",
        "null",
        "",
    ] {
        let token = format!("{}.{p}.{s}", b64(header));
        assert_eq!(
            verify_k1(&token),
            Err(TokenError::Malformed(
                "header is not json of the expected shape"
            )),
            "{header:?}"
        );
    }
}

#[test]
fn header_with_non_string_kid_is_malformed() {
    let token = forge_ed(
        &ED_SEED,
        r#"{"alg":"EdDSA","kid":1}"#,
        &payload_json().to_string(),
    );
    assert_eq!(
        verify_k1(&token),
        Err(TokenError::Malformed(
            "header is not json of the expected shape"
        ))
    );
}

#[test]
fn payload_that_is_not_json_is_malformed() {
    let header = r#"{"alg":"EdDSA","kid":"k1"}"#;
    for payload in [
        "not json",
        "{\"iss\":",
        "[]",
        "42",
        "",
        "{\"exp\":\"soon\"}",
    ] {
        // Properly signed, so only the content is wrong.
        let token = forge_ed(&ED_SEED, header, payload);
        assert_eq!(
            verify_k1(&token),
            Err(TokenError::Malformed(
                "claims are not json of the expected shape"
            )),
            "{payload:?}"
        );
    }
}

#[test]
fn signature_segment_of_non_base64_text_is_malformed() {
    let [h, p, _] = segments(&ed_set().sign(&claims()).unwrap());
    let token = format!("{h}.{p}.{{\"sig\":1}}");
    assert_eq!(
        verify_k1(&token),
        Err(TokenError::Malformed("segment is not unpadded base64url"))
    );
}

#[test]
fn error_messages_never_contain_the_token() {
    let token = ed_set().sign(&claims()).unwrap();
    let [h, p, s] = segments(&token);
    let candidates = [
        flip_bit(&token, 2, 0, 0),
        format!("{h}.{p}"),
        format!("{h}.{p}.{s}=="),
        single(ed_key("k9", &ED_SEED)).sign(&claims()).unwrap(),
    ];
    for candidate in candidates {
        let message = verify_k1(&candidate).unwrap_err().to_string();
        for part in candidate.split('.').filter(|part| part.len() > 4) {
            assert!(!message.contains(part), "{message}");
        }
        assert!(!message.contains("k9"), "{message}");
    }
}

#[test]
fn garbage_never_panics() {
    let keys = SigningKeySet::new(ed_key("k1", &ED_SEED), Some(hs_key("svc", &HS_SECRET)))
        .unwrap()
        .verification_keys();
    let long = "A".repeat(10_000);
    let inputs = [
        "..",
        "...",
        "a.b.c",
        "é.é.é",
        "\0.\0.\0",
        "eyJ.eyJ.",
        "e30.e30.",
        "e30.e30.e30",
        &long,
    ];
    for input in inputs {
        assert!(
            matches!(
                keys.verify(input, &rules(), NOW),
                Err(TokenError::Malformed(_) | TokenError::MissingKeyId)
            ),
            "{input:?}"
        );
    }
}

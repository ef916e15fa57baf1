//! Set-Cookie values and Cookie header parsing.
// Helpers outside `#[test]` functions unwrap just like the tests do.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use aurora_auth::{cookie_values, CookieError, CookieSpec, SameSite, EXPIRES_IN_THE_PAST};

fn spec() -> CookieSpec {
    CookieSpec {
        name: "session".into(),
        domain: Some("aurorahours.com".into()),
        path: "/".into(),
        secure: true,
        http_only: true,
        same_site: SameSite::Strict,
    }
}

/// Attribute names and values other than Max-Age and Expires, in order.
fn attributes(set_cookie: &str) -> (String, Vec<String>) {
    let mut parts = set_cookie.split("; ");
    let pair = parts.next().unwrap();
    let name = pair.split_once('=').unwrap().0.to_owned();
    let rest = parts
        .filter(|a| !a.starts_with("Max-Age=") && !a.starts_with("Expires="))
        .map(str::to_owned)
        .collect();
    (name, rest)
}

#[test]
fn set_writes_every_attribute_and_max_age() {
    assert_eq!(
        spec().set("eyJh.eyJz.c2ln-_", 3600).unwrap(),
        "session=eyJh.eyJz.c2ln-_; Max-Age=3600; Domain=aurorahours.com; Path=/; Secure; \
         HttpOnly; SameSite=Strict"
    );
}

#[test]
fn clear_empties_the_value_with_max_age_zero_and_a_past_expiry() {
    assert_eq!(
        spec().clear().unwrap(),
        "session=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Domain=aurorahours.com; \
         Path=/; Secure; HttpOnly; SameSite=Strict"
    );
    assert!(spec().clear().unwrap().contains(EXPIRES_IN_THE_PAST));
}

#[test]
fn set_and_clear_write_the_same_attributes_for_every_spec() {
    for domain in [None, Some("id.aurorahours.com".to_owned())] {
        for secure in [false, true] {
            for http_only in [false, true] {
                for same_site in [SameSite::Strict, SameSite::Lax, SameSite::None] {
                    let spec = CookieSpec {
                        name: "__Host-s".into(),
                        domain: domain.clone(),
                        path: "/app".into(),
                        secure,
                        http_only,
                        same_site,
                    };
                    if same_site == SameSite::None && !secure {
                        continue;
                    }
                    let set = spec.set("v", 60).unwrap();
                    let clear = spec.clear().unwrap();
                    assert_eq!(attributes(&set), attributes(&clear), "{spec:?}");
                    assert_eq!(set.contains("; Secure"), secure);
                    assert_eq!(set.contains("; HttpOnly"), http_only);
                    assert_eq!(set.contains("; Domain="), domain.is_some());
                    assert!(set.contains(&format!("; SameSite={}", same_site.as_str())));
                    assert!(clear.starts_with("__Host-s=; Max-Age=0; Expires="));
                }
            }
        }
    }
}

#[test]
fn host_only_cookie_has_no_domain() {
    let mut spec = spec();
    spec.domain = None;
    assert_eq!(
        spec.set("v", 1).unwrap(),
        "session=v; Max-Age=1; Path=/; Secure; HttpOnly; SameSite=Strict"
    );
}

#[test]
fn values_outside_cookie_octets_are_refused() {
    for bad in [
        "a b", "a;b", "a,b", "a\"b", "a\\b", "a\tb", "a\nb", "é", "a\0",
    ] {
        assert_eq!(
            spec().set(bad, 60),
            Err(CookieError::InvalidValue),
            "{bad:?}"
        );
    }
    assert!(spec().set("", 60).is_ok());
    assert!(spec().set("!#$%&'()*+-./:<=>?@[]^_`{|}~", 60).is_ok());
}

#[test]
fn negative_max_age_is_refused() {
    assert_eq!(spec().set("v", -1), Err(CookieError::NegativeMaxAge));
    assert!(spec().set("v", 0).is_ok());
}

#[test]
fn bad_specs_are_refused_by_set_and_clear() {
    type Spoil = fn(&mut CookieSpec);
    let cases: [(Spoil, CookieError); 8] = [
        (|s| s.name = String::new(), CookieError::InvalidName),
        (|s| s.name = "a b".into(), CookieError::InvalidName),
        (|s| s.name = "a=b".into(), CookieError::InvalidName),
        (
            |s| s.domain = Some(String::new()),
            CookieError::InvalidDomain,
        ),
        (
            |s| s.domain = Some("a.com; Secure".into()),
            CookieError::InvalidDomain,
        ),
        (|s| s.path = "app".into(), CookieError::InvalidPath),
        (|s| s.path = "/a;b".into(), CookieError::InvalidPath),
        (
            |s| {
                s.same_site = SameSite::None;
                s.secure = false;
            },
            CookieError::SameSiteNoneWithoutSecure,
        ),
    ];
    for (spoil, error) in cases {
        let mut spec = spec();
        spoil(&mut spec);
        assert_eq!(spec.set("v", 60), Err(error), "{spec:?}");
        assert_eq!(spec.clear(), Err(error), "{spec:?}");
    }
}

#[test]
fn a_set_value_reads_back_from_a_cookie_header() {
    let set = spec().set("eyJh.eyJz.c2ln", 60).unwrap();
    let pair = set.split("; ").next().unwrap();
    assert_eq!(cookie_values(pair, "session"), ["eyJh.eyJz.c2ln"]);
}

#[test]
fn finds_the_cookie_among_several() {
    assert_eq!(cookie_values("a=1; session=tok; b=2", "session"), ["tok"]);
    assert_eq!(cookie_values("session=tok", "session"), ["tok"]);
    assert!(cookie_values("a=1; b=2", "session").is_empty());
}

#[test]
fn spaces_around_separators_are_ignored() {
    assert_eq!(
        cookie_values("  a=1 ;  session =  tok  ;b=2", "session"),
        ["tok"]
    );
    assert_eq!(cookie_values("a=1;session=tok;b=2", "session"), ["tok"]);
}

#[test]
fn quoted_values_are_unwrapped() {
    assert_eq!(cookie_values("session=\"tok\"", "session"), ["tok"]);
    assert_eq!(cookie_values("session=\"\"", "session"), [""]);
    // An unpaired quote is kept as it is.
    assert_eq!(cookie_values("session=\"tok", "session"), ["\"tok"]);
}

#[test]
fn duplicates_are_all_returned_in_order() {
    assert_eq!(
        cookie_values("session=old; a=1; session=new; session=", "session"),
        ["old", "new", ""]
    );
}

#[test]
fn garbage_is_skipped() {
    let header = ";; junk; =nameless; ; session=tok;;; = ; also junk ;";
    assert_eq!(cookie_values(header, "session"), ["tok"]);
    for header in [
        "",
        ";",
        " ; ; ",
        "=",
        "==",
        "session",
        "\"session\"=x",
        "\u{0}",
        "é=é",
    ] {
        assert!(cookie_values(header, "session").is_empty(), "{header:?}");
    }
}

#[test]
fn names_match_exactly() {
    let header = "Session=a; session=b; sessions=c; xsession=d";
    assert_eq!(cookie_values(header, "session"), ["b"]);
}

#[test]
fn values_may_contain_equals_signs() {
    assert_eq!(cookie_values("session=a=b==; x=1", "session"), ["a=b=="]);
}

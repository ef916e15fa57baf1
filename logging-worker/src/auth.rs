//! Who is calling: tokens from the cookie or `Authorization: Bearer`, verified locally.

use aurora_auth::{
    cookie_values, SubjectKind, TokenError, Validation, VerificationKeySet, VerifiedTokens,
};

use crate::config::Config;
use crate::error::AppError;

/// Most tokens tried per request: each new one costs a signature check, so a request stuffed
/// with cookies cannot buy unbounded CPU.
const MAX_CANDIDATES: usize = 4;

/// A caller whose token verified, with the kind this route needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub sub: String,
    pub kind: SubjectKind,
}

/// Why no caller could be established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// No token at all.
    Missing,
    /// Tokens came, none verified; the error of the first one.
    Invalid(TokenError),
    /// A token verified but is for the other kind of subject.
    WrongKind(SubjectKind),
}

impl Denial {
    /// A coarse reason for the log: never the token itself.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::WrongKind(_) => "wrong_kind",
            Self::Invalid(err) => match err {
                TokenError::Expired => "expired",
                TokenError::NotYetValid | TokenError::IssuedInFuture => "not_yet_valid",
                TokenError::BadSignature => "bad_signature",
                TokenError::WrongAudience => "wrong_audience",
                TokenError::WrongIssuer => "wrong_issuer",
                TokenError::UnknownKeyId | TokenError::MissingKeyId => "unknown_key",
                TokenError::AlgorithmMismatch => "algorithm_mismatch",
                TokenError::LifetimeTooLong | TokenError::ExpiresBeforeIssued => "bad_lifetime",
                TokenError::Malformed(_) | TokenError::MissingClaim(_) => "malformed",
                _ => "invalid",
            },
        }
    }
}

/// The request's credentials, as sent: untrusted until [`authenticate`] returns a caller.
#[derive(Debug, Clone, Copy, Default)]
pub struct Credentials<'a> {
    pub cookie_header: Option<&'a str>,
    pub authorization: Option<&'a str>,
}

impl<'a> Credentials<'a> {
    /// Tokens to try, in order: each value of the token cookie, then the bearer token.
    fn candidates(&self, cookie_name: &str) -> Vec<&'a str> {
        let mut tokens: Vec<&'a str> = self
            .cookie_header
            .map(|header| cookie_values(header, cookie_name))
            .unwrap_or_default();
        tokens.extend(self.authorization.and_then(bearer_token));
        tokens.retain(|token| !token.is_empty());
        tokens.truncate(MAX_CANDIDATES);
        tokens
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Verifies the candidate tokens at `now` (Unix seconds) and returns the first caller of the
/// `needed` kind. A token in `verified` (this key set's cache) skips the signature check;
/// its claims are checked again like any other's.
pub fn authenticate(
    credentials: Credentials<'_>,
    cookie_name: &str,
    keys: &VerificationKeySet,
    verified: &mut VerifiedTokens,
    rules: &Validation,
    needed: SubjectKind,
    now: i64,
) -> Result<Caller, Denial> {
    let mut denial = Denial::Missing;
    for token in credentials.candidates(cookie_name) {
        match keys.verify_cached(token, rules, now, verified) {
            Ok(claims) if claims.kind == needed => {
                return Ok(Caller {
                    sub: claims.sub,
                    kind: claims.kind,
                });
            }
            Ok(claims) => denial = Denial::WrongKind(claims.kind),
            Err(err) => {
                if denial == Denial::Missing {
                    denial = Denial::Invalid(err);
                }
            }
        }
    }
    Err(denial)
}

/// Whether a browser is asking for a page: then a missing login is a redirect, not a 401.
pub fn is_page_request(method_is_get: bool, accept: Option<&str>) -> bool {
    method_is_get && accept.is_some_and(|accept| accept.contains("text/html"))
}

/// The answer to a denial. `path_and_query` is the request's, to come back to after login.
pub fn refusal(
    denial: &Denial,
    page_request: bool,
    config: &Config,
    path_and_query: &str,
) -> AppError {
    match denial {
        Denial::WrongKind(SubjectKind::User) => AppError::Forbidden {
            description: "only services may send log entries; people read them",
        },
        Denial::WrongKind(SubjectKind::Service) => AppError::Forbidden {
            description: "service tokens may send log entries, not read them",
        },
        _ if page_request => AppError::LoginRedirect {
            location: Config::with_redirect(&config.login_url, &config.public_url(path_and_query)),
        },
        Denial::Missing => AppError::Unauthorized { token_sent: false },
        Denial::Invalid(_) => AppError::Unauthorized { token_sent: true },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aurora_auth::{Claims, SigningKey, SigningKeySet};

    const NOW: i64 = 1_776_679_200;

    fn keys() -> SigningKeySet {
        SigningKeySet::new(SigningKey::ed25519_from_seed("k1", &[9; 32]).unwrap(), None).unwrap()
    }

    fn rules() -> Validation {
        Validation {
            issuer: "iss".into(),
            audience: "logging-service".into(),
            leeway: 30,
            max_lifetime: 3600,
        }
    }

    fn token(kind: SubjectKind, aud: &str, exp: i64) -> String {
        keys()
            .sign(&Claims {
                iss: "iss".into(),
                sub: format!("{kind}-1"),
                aud: aud.into(),
                iat: exp - 300,
                exp,
                nbf: None,
                jti: None,
                kind,
            })
            .unwrap()
    }

    fn check(
        cookie: Option<&str>,
        authorization: Option<&str>,
        needed: SubjectKind,
    ) -> Result<Caller, Denial> {
        let mut verified = VerifiedTokens::new(16);
        check_with(&mut verified, cookie, authorization, needed, NOW)
    }

    /// [`check`] with a cache kept by the caller, at `now`.
    fn check_with(
        verified: &mut VerifiedTokens,
        cookie: Option<&str>,
        authorization: Option<&str>,
        needed: SubjectKind,
        now: i64,
    ) -> Result<Caller, Denial> {
        let credentials = Credentials {
            cookie_header: cookie,
            authorization,
        };
        let keys = keys().verification_keys();
        authenticate(
            credentials,
            "logging_token",
            &keys,
            verified,
            &rules(),
            needed,
            now,
        )
    }

    #[test]
    fn a_user_token_in_the_cookie_or_the_header_is_accepted() {
        let user = token(SubjectKind::User, "logging-service", NOW + 300);
        let cookie = format!("other=1; logging_token={user}");
        let caller = check(Some(&cookie), None, SubjectKind::User).unwrap();
        assert_eq!(caller.sub, "user-1");
        let header = format!("bearer {user}");
        assert!(check(None, Some(&header), SubjectKind::User).is_ok());
    }

    #[test]
    fn every_cookie_of_the_name_is_tried() {
        let user = token(SubjectKind::User, "logging-service", NOW + 300);
        let cookie = format!("logging_token=stale.old.token; logging_token={user}");
        assert!(check(Some(&cookie), None, SubjectKind::User).is_ok());
    }

    #[test]
    fn denials_say_why() {
        assert_eq!(check(None, None, SubjectKind::User), Err(Denial::Missing));
        assert_eq!(
            check(None, Some("Basic abc"), SubjectKind::User),
            Err(Denial::Missing)
        );
        let expired = format!(
            "Bearer {}",
            token(SubjectKind::User, "logging-service", NOW - 100)
        );
        assert_eq!(
            check(None, Some(&expired), SubjectKind::User),
            Err(Denial::Invalid(TokenError::Expired))
        );
        let other = format!("Bearer {}", token(SubjectKind::User, "identity", NOW + 300));
        assert_eq!(
            check(None, Some(&other), SubjectKind::User),
            Err(Denial::Invalid(TokenError::WrongAudience))
        );
        let service = format!(
            "Bearer {}",
            token(SubjectKind::Service, "logging-service", NOW + 300)
        );
        assert_eq!(
            check(None, Some(&service), SubjectKind::User),
            Err(Denial::WrongKind(SubjectKind::Service))
        );
        assert!(check(None, Some(&service), SubjectKind::Service).is_ok());
    }

    #[test]
    fn a_tampered_token_is_invalid() {
        let mut user = token(SubjectKind::User, "logging-service", NOW + 300);
        let last = user.pop().unwrap();
        user.push(if last == 'A' { 'B' } else { 'A' });
        let header = format!("Bearer {user}");
        let denial = check(None, Some(&header), SubjectKind::User).unwrap_err();
        assert!(matches!(denial, Denial::Invalid(_)), "{denial:?}");
    }

    /// The token with one character of its part `part` (0 header, 1 payload, 2 signature)
    /// changed.
    fn tampered(token: &str, part: usize) -> String {
        let mut parts: Vec<String> = token.split('.').map(String::from).collect();
        let target = &mut parts[part];
        let last = target.pop().unwrap();
        target.push(if last == 'A' { 'B' } else { 'A' });
        parts.join(".")
    }

    #[test]
    fn a_tampered_copy_of_a_cached_token_is_still_refused() {
        let mut verified = VerifiedTokens::new(16);
        let user = token(SubjectKind::User, "logging-service", NOW + 300);
        let header = format!("Bearer {user}");
        let caller = check_with(&mut verified, None, Some(&header), SubjectKind::User, NOW);
        assert_eq!(caller.unwrap().sub, "user-1");
        assert_eq!(verified.len(), 1, "the token is remembered");
        let again = check_with(&mut verified, None, Some(&header), SubjectKind::User, NOW);
        assert!(again.is_ok(), "and accepted again");

        for part in 0..3 {
            let copy = format!("Bearer {}", tampered(&user, part));
            let denial =
                check_with(&mut verified, None, Some(&copy), SubjectKind::User, NOW).unwrap_err();
            assert!(
                matches!(denial, Denial::Invalid(_)),
                "part {part}: {denial:?}"
            );
        }
        assert_eq!(verified.len(), 1, "refused tokens are not remembered");
    }

    #[test]
    fn a_cached_token_is_refused_once_it_expires() {
        let mut verified = VerifiedTokens::new(16);
        let exp = NOW + 300;
        let header = format!(
            "Bearer {}",
            token(SubjectKind::User, "logging-service", exp)
        );
        let at = |verified: &mut VerifiedTokens, now| {
            check_with(verified, None, Some(&header), SubjectKind::User, now)
        };
        assert!(at(&mut verified, NOW).is_ok());
        assert_eq!(verified.len(), 1);
        let leeway = rules().leeway;
        assert!(
            at(&mut verified, exp + leeway - 1).is_ok(),
            "within the leeway"
        );
        assert_eq!(
            at(&mut verified, exp + leeway + 1),
            Err(Denial::Invalid(TokenError::Expired))
        );

        // A cached service token still has the kind it was signed with.
        let service = format!(
            "Bearer {}",
            token(SubjectKind::Service, "logging-service", exp)
        );
        let as_service = check_with(
            &mut verified,
            None,
            Some(&service),
            SubjectKind::Service,
            NOW,
        );
        assert!(as_service.is_ok());
        assert_eq!(
            check_with(&mut verified, None, Some(&service), SubjectKind::User, NOW),
            Err(Denial::WrongKind(SubjectKind::Service))
        );
    }

    #[test]
    fn only_get_requests_accepting_html_are_pages() {
        assert!(is_page_request(
            true,
            Some("text/html,application/xhtml+xml,*/*;q=0.8")
        ));
        assert!(!is_page_request(true, Some("application/json")));
        assert!(!is_page_request(true, None));
        assert!(!is_page_request(false, Some("text/html")));
    }
}

//! Settings from the wrangler vars, and the verification key set from its secret.

use std::cell::RefCell;
use std::fmt;

use aurora_auth::{Validation, VerificationKeySet, VerifiedTokens};
use worker::{Env, Url};

/// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
const TOKEN_LEEWAY_SECS: i64 = 30;
/// Longest token lifetime accepted, whatever the issuer signed: a day, well above the
/// identity worker's 15 minutes, so a leaked long-lived token is still refused.
const MAX_TOKEN_LIFETIME_SECS: i64 = 24 * 60 * 60;
/// Longest retention accepted, in days (ten years).
const MAX_RETENTION_DAYS: i64 = 3650;

/// The worker's settings, checked once per request (reading vars is cheap).
#[derive(Debug, Clone)]
pub struct Config {
    pub issuer: String,
    pub audience: String,
    /// Where browsers reach the site; the base of every `redirect_url` sent to identity.
    pub public_origin: Url,
    pub login_url: Url,
    pub logout_url: Url,
    /// The cookie holding a person's token.
    pub token_cookie: String,
    /// Entries older than this many days move from D1 to the R2 archive.
    pub retention_days: i64,
    /// Archive chunks older than this many days are deleted.
    pub archive_retention_days: i64,
}

/// A missing or invalid setting. The text names the setting, never a secret's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configuration error: {}", self.0)
    }
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Self::from_lookup(|name| env.var(name).ok().map(|value| value.to_string()))
    }

    /// Builds the settings from a lookup of var names, so tests need no `Env`.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let text = |name: &str| match get(name) {
            Some(value) if !value.trim().is_empty() => Ok(value.trim().to_owned()),
            _ => Err(ConfigError(format!("{name} is not set"))),
        };
        let url = |name: &str| {
            let url = Url::parse(&text(name)?)
                .map_err(|_| ConfigError(format!("{name} is not an absolute URL")))?;
            if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
                return Err(ConfigError(format!("{name} is not an http(s) URL")));
            }
            Ok(url)
        };
        let days = |name: &str| {
            text(name)?
                .parse::<i64>()
                .ok()
                .filter(|days| (1..=MAX_RETENTION_DAYS).contains(days))
                .ok_or_else(|| {
                    ConfigError(format!("{name} is not a whole number of days (1 to 3650)"))
                })
        };

        let public_origin = url("PUBLIC_ORIGIN")?;
        if public_origin.path() != "/" || public_origin.query().is_some() {
            return Err(ConfigError(
                "PUBLIC_ORIGIN must be an origin, without a path".into(),
            ));
        }
        let token_cookie = text("TOKEN_COOKIE")?;
        if !token_cookie.bytes().all(is_cookie_name_byte) {
            return Err(ConfigError(
                "TOKEN_COOKIE is not a valid cookie name".into(),
            ));
        }
        let config = Self {
            issuer: text("ISSUER")?,
            audience: text("AUDIENCE")?,
            public_origin,
            login_url: url("LOGIN_URL")?,
            logout_url: url("LOGOUT_URL")?,
            token_cookie,
            retention_days: days("RETENTION_DAYS")?,
            archive_retention_days: days("ARCHIVE_RETENTION_DAYS")?,
        };
        if config.archive_retention_days < config.retention_days {
            return Err(ConfigError(
                "ARCHIVE_RETENTION_DAYS must not be shorter than RETENTION_DAYS".into(),
            ));
        }
        Ok(config)
    }

    /// The rules every token must meet here.
    pub fn validation(&self) -> Validation {
        Validation {
            issuer: self.issuer.clone(),
            audience: self.audience.clone(),
            leeway: TOKEN_LEEWAY_SECS,
            max_lifetime: MAX_TOKEN_LIFETIME_SECS,
        }
    }

    /// `PUBLIC_ORIGIN` followed by a path and query of this worker.
    pub fn public_url(&self, path_and_query: &str) -> String {
        let origin = self.public_origin.as_str().trim_end_matches('/');
        format!("{origin}{path_and_query}")
    }

    /// `base?redirect_url=<target>`, the target form-encoded as a query value.
    pub fn with_redirect(base: &Url, target: &str) -> String {
        let mut url = base.clone();
        url.query_pairs_mut().append_pair("redirect_url", target);
        url.into()
    }
}

/// RFC 6265 cookie-name characters (an RFC 7230 token).
fn is_cookie_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// Verified tokens remembered per isolate: enough for every person and service active at
/// once, and a bounded memory (a token is at most 8 KiB).
const VERIFIED_TOKENS: usize = 1024;

/// The parsed key set of this isolate, the secret text it was parsed from and the tokens
/// verified with it. A new secret (after a rotation) is parsed again with an empty cache, so
/// that a token of a retired key is not taken on the old set's word.
struct CachedKeys {
    source: String,
    keys: VerificationKeySet,
    verified: VerifiedTokens,
}

thread_local! {
    static KEYS: RefCell<Option<CachedKeys>> = const { RefCell::new(None) };
}

/// Runs `verify` with the verification key set from the `VERIFICATION_KEYS` secret (a JWKS)
/// and its cache of verified tokens, both kept for the isolate's life.
pub fn with_verification_keys<T>(
    env: &Env,
    verify: impl FnOnce(&VerificationKeySet, &mut VerifiedTokens) -> T,
) -> Result<T, ConfigError> {
    let secret = env
        .secret("VERIFICATION_KEYS")
        .map(|value| value.to_string())
        .map_err(|_| ConfigError("the secret VERIFICATION_KEYS is not set".into()))?;
    with_keys_cached(&secret, verify)
}

fn with_keys_cached<T>(
    jwks: &str,
    verify: impl FnOnce(&VerificationKeySet, &mut VerifiedTokens) -> T,
) -> Result<T, ConfigError> {
    KEYS.with_borrow_mut(|slot| {
        let cached = match slot.take() {
            Some(cached) if cached.source == jwks => slot.insert(cached),
            _ => {
                // KeyError's text names what is wrong with the set, never key material.
                let keys = VerificationKeySet::from_jwks(jwks).map_err(|err| {
                    ConfigError(format!("VERIFICATION_KEYS is not a usable key set: {err}"))
                })?;
                slot.insert(CachedKeys {
                    source: jwks.to_owned(),
                    keys,
                    verified: VerifiedTokens::new(VERIFIED_TOKENS),
                })
            }
        };
        Ok(verify(&cached.keys, &mut cached.verified))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn vars() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            ("ISSUER", "https://aurorahours.com/identity-backend"),
            ("AUDIENCE", "logging-service"),
            ("PUBLIC_ORIGIN", "https://aurorahours.com"),
            (
                "LOGIN_URL",
                "https://aurorahours.com/identity-backend/login",
            ),
            (
                "LOGOUT_URL",
                "https://aurorahours.com/identity-backend/logout",
            ),
            ("TOKEN_COOKIE", "logging_token"),
            ("RETENTION_DAYS", "7"),
            ("ARCHIVE_RETENTION_DAYS", "90"),
        ])
    }

    fn load(vars: &HashMap<&'static str, &'static str>) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| vars.get(name).map(|v| v.to_string()))
    }

    #[test]
    fn the_shipped_settings_load() {
        let config = load(&vars()).unwrap();
        assert_eq!(config.retention_days, 7);
        assert_eq!(
            config.public_url("/logging-backend/logs?q=a"),
            "https://aurorahours.com/logging-backend/logs?q=a"
        );
    }

    #[test]
    fn each_missing_or_bad_setting_is_named() {
        for (name, value, needle) in [
            ("ISSUER", "", "ISSUER is not set"),
            (
                "PUBLIC_ORIGIN",
                "aurorahours.com",
                "PUBLIC_ORIGIN is not an absolute URL",
            ),
            (
                "PUBLIC_ORIGIN",
                "https://aurorahours.com/x",
                "without a path",
            ),
            (
                "LOGIN_URL",
                "javascript:alert(1)",
                "LOGIN_URL is not an http(s) URL",
            ),
            ("TOKEN_COOKIE", "a b", "TOKEN_COOKIE"),
            ("RETENTION_DAYS", "0", "RETENTION_DAYS"),
            ("RETENTION_DAYS", "seven", "RETENTION_DAYS"),
            ("ARCHIVE_RETENTION_DAYS", "3", "must not be shorter"),
        ] {
            let mut vars = vars();
            vars.insert(name, value);
            let err = load(&vars).unwrap_err();
            assert!(err.to_string().contains(needle), "{name}={value}: {err}");
        }
    }

    #[test]
    fn redirect_targets_are_form_encoded() {
        let config = load(&vars()).unwrap();
        let target = config.public_url("/logging-backend/logs?q=a b&level=warn");
        assert_eq!(
            Config::with_redirect(&config.login_url, &target),
            "https://aurorahours.com/identity-backend/login?redirect_url=\
             https%3A%2F%2Faurorahours.com%2Flogging-backend%2Flogs%3Fq%3Da+b%26level%3Dwarn"
        );
    }

    #[test]
    fn a_bad_key_set_is_refused_without_echoing_it() {
        let jwks = r#"{"keys":[{"kty":"OKP","x":"c2VjcmV0"}]}"#;
        let err = with_keys_cached(jwks, |_, _| ()).unwrap_err();
        assert!(!err.to_string().contains("c2VjcmV0"), "{err}");
        assert!(with_keys_cached("not json", |_, _| ()).is_err());
    }

    #[test]
    fn a_new_key_set_starts_a_new_cache_of_verified_tokens() {
        use aurora_auth::{Claims, SigningKey, SigningKeySet, SubjectKind, TokenError};

        let now = 1_776_679_200;
        let signer = |kid: &str, seed: u8| {
            let key = SigningKey::ed25519_from_seed(kid, &[seed; 32]).unwrap();
            SigningKeySet::new(key, None).unwrap()
        };
        let (old, new) = (signer("old", 1), signer("new", 2));
        let jwks = |set: &SigningKeySet| set.public_jwks();
        let rules = load(&vars()).unwrap().validation();
        let token = old
            .sign(&Claims {
                iss: rules.issuer.clone(),
                sub: "ann".into(),
                aud: rules.audience.clone(),
                iat: now,
                exp: now + 300,
                nbf: None,
                jti: None,
                kind: SubjectKind::User,
            })
            .unwrap();
        let verify = |keys: &VerificationKeySet, verified: &mut VerifiedTokens| {
            (
                keys.verify_cached(&token, &rules, now, verified),
                verified.len(),
            )
        };

        let (claims, cached) = with_keys_cached(&jwks(&old), verify).unwrap();
        assert_eq!((claims.unwrap().sub.as_str(), cached), ("ann", 1));
        let (again, cached) = with_keys_cached(&jwks(&old), verify).unwrap();
        assert_eq!(
            (again.is_ok(), cached),
            (true, 1),
            "the same set keeps its cache"
        );

        // After a rotation that retires the old key, its token is refused, not remembered.
        let (rotated, cached) = with_keys_cached(&jwks(&new), verify).unwrap();
        assert_eq!((rotated, cached), (Err(TokenError::UnknownKeyId), 0));
    }
}

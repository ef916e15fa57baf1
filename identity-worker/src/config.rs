//! Settings from the wrangler vars and secrets, checked before any request is served.

use aurora_auth::{CookieSpec, SameSite, SigningKeySet};
use url::Url;
use worker::Env;

use crate::passwords::HashPolicy;

/// Name of the cookie that holds the browser session.
pub const SESSION_COOKIE: &str = "identity_session";
/// Name of the cookie that holds the login and logout forms' CSRF token.
pub const CSRF_COOKIE: &str = "identity_csrf";
/// Every path of this worker starts with this.
pub const PREFIX: &str = "/identity-backend";

/// Everything a request handler needs to know about the deployment.
pub struct Config {
    /// The `iss` of every token signed here.
    pub issuer: String,
    /// The origin browsers use, e.g. `https://aurorahours.com`; forms must come from it.
    pub public_origin: String,
    /// Domain attribute of service token cookies; `None` for host-only cookies.
    pub cookie_domain: Option<String>,
    /// Lifetime of a service token, in seconds.
    pub token_ttl: i64,
    /// A session ends this many seconds after it began...
    pub session_max_age: i64,
    /// ...or after this many seconds without use.
    pub session_idle: i64,
    /// How new passwords are hashed.
    pub hash_policy: HashPolicy,
    /// The private signing keys: the current one signs, both are published.
    pub keys: SigningKeySet,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("issuer", &self.issuer)
            .field("public_origin", &self.public_origin)
            .field("cookie_domain", &self.cookie_domain)
            .field("token_ttl", &self.token_ttl)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

/// A setting is missing or unusable; the message names it and never shows a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "configuration: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Reads one setting; `None` when it is not bound at all.
pub trait Settings {
    /// The value of a var or secret.
    fn get(&self, name: &str) -> Option<String>;
}

impl Settings for Env {
    fn get(&self, name: &str) -> Option<String> {
        // `var` reads secrets too: both are plain strings to the runtime.
        self.var(name).ok().map(|v| v.to_string())
    }
}

impl Config {
    /// Reads and checks every setting.
    pub fn load(settings: &impl Settings) -> Result<Self, ConfigError> {
        let required = |name: &str| {
            settings
                .get(name)
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| ConfigError(format!("{name} is not set")))
        };
        let seconds = |name: &str, default: i64, min: i64, max: i64| -> Result<i64, ConfigError> {
            let Some(raw) = settings.get(name).filter(|v| !v.trim().is_empty()) else {
                return Ok(default);
            };
            match raw.trim().parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(ConfigError(format!(
                    "{name} must be a whole number of seconds from {min} to {max}"
                ))),
            }
        };

        let issuer = required("ISSUER")?;
        let public_origin = origin_of(&required("PUBLIC_ORIGIN")?)?;
        let cookie_domain = settings
            .get("COOKIE_DOMAIN")
            .map(|d| d.trim().to_ascii_lowercase())
            .filter(|d| !d.is_empty());
        if let Some(domain) = &cookie_domain {
            let ok = domain
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
            if !ok {
                return Err(ConfigError("COOKIE_DOMAIN is not a host name".into()));
            }
        }

        let token_ttl = seconds("TOKEN_TTL_SECONDS", 900, 60, 3600)?;
        let session_max_age = seconds("SESSION_MAX_AGE_SECONDS", 7 * 86_400, 300, 30 * 86_400)?;
        let session_idle = seconds("SESSION_IDLE_SECONDS", 86_400, 300, session_max_age)?;

        let hash_policy = match settings.get("PBKDF2_ITERATIONS") {
            None => HashPolicy::default(),
            Some(raw) => raw
                .trim()
                .parse::<u32>()
                .map_err(|_| ConfigError("PBKDF2_ITERATIONS must be a whole number".into()))
                .and_then(|n| HashPolicy::new(n).map_err(|e| ConfigError(e.to_string())))?,
        };

        let keys = SigningKeySet::from_jwks(&required("SIGNING_KEYS")?)
            .map_err(|e| ConfigError(format!("SIGNING_KEYS: {e}")))?;

        Ok(Self {
            issuer,
            public_origin,
            cookie_domain,
            token_ttl,
            session_max_age,
            session_idle,
            hash_policy,
            keys,
        })
    }

    /// The cookie that carries the browser session: this worker's paths only.
    pub fn session_cookie(&self) -> CookieSpec {
        self.own_cookie(SESSION_COOKIE, SameSite::Lax)
    }

    /// The cookie that carries the CSRF token of the login and logout forms.
    pub fn csrf_cookie(&self) -> CookieSpec {
        self.own_cookie(CSRF_COOKIE, SameSite::Strict)
    }

    fn own_cookie(&self, name: &str, same_site: SameSite) -> CookieSpec {
        CookieSpec {
            name: name.into(),
            domain: None,
            path: PREFIX.into(),
            secure: true,
            http_only: true,
            same_site,
        }
    }

    /// The cookie that carries a service's token: sent to that service's path only.
    pub fn service_cookie(&self, name: &str, path: &str) -> CookieSpec {
        CookieSpec {
            name: name.into(),
            domain: self.cookie_domain.clone(),
            path: path.into(),
            secure: true,
            http_only: true,
            same_site: SameSite::Lax,
        }
    }

    /// An absolute URL on the public origin for one of this worker's paths.
    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{PREFIX}{path_and_query}", self.public_origin)
    }
}

fn origin_of(raw: &str) -> Result<String, ConfigError> {
    let bad = || ConfigError("PUBLIC_ORIGIN must be an origin such as https://example.com".into());
    let url = Url::parse(raw.trim()).map_err(|_| bad())?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(bad());
    }
    if url.path() != "/" || url.query().is_some() || !url.username().is_empty() {
        return Err(bad());
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aurora_auth::SigningKey;
    use std::collections::HashMap;

    struct Map(HashMap<&'static str, String>);

    impl Settings for Map {
        fn get(&self, name: &str) -> Option<String> {
            self.0.get(name).cloned()
        }
    }

    fn good() -> Map {
        let key = SigningKey::ed25519_from_seed("k1", &[9; 32]).unwrap();
        let keys = SigningKeySet::new(key, None).unwrap().to_jwks();
        Map(HashMap::from([
            (
                "ISSUER",
                "https://aurorahours.com/identity-backend".to_string(),
            ),
            ("PUBLIC_ORIGIN", "https://aurorahours.com".to_string()),
            ("COOKIE_DOMAIN", "aurorahours.com".to_string()),
            ("SIGNING_KEYS", keys),
        ]))
    }

    fn error_with(name: &'static str, value: &str) -> String {
        let mut map = good();
        map.0.insert(name, value.to_string());
        Config::load(&map).unwrap_err().0
    }

    #[test]
    fn defaults_apply_when_only_the_required_settings_are_given() {
        let config = Config::load(&good()).unwrap();
        assert_eq!(config.token_ttl, 900);
        assert_eq!(config.session_max_age, 7 * 86_400);
        assert_eq!(config.session_idle, 86_400);
        assert_eq!(config.hash_policy.iterations, 210_000);
        assert_eq!(config.public_origin, "https://aurorahours.com");
        assert_eq!(
            config.url("/login?x=1"),
            "https://aurorahours.com/identity-backend/login?x=1"
        );
    }

    #[test]
    fn missing_or_weak_settings_are_refused_by_name() {
        let mut map = good();
        map.0.remove("SIGNING_KEYS");
        assert_eq!(Config::load(&map).unwrap_err().0, "SIGNING_KEYS is not set");
        assert!(error_with("SIGNING_KEYS", "{\"keys\":[]}").starts_with("SIGNING_KEYS:"));
        assert!(error_with("PBKDF2_ITERATIONS", "1000").contains("below the floor"));
        assert!(error_with("TOKEN_TTL_SECONDS", "0").starts_with("TOKEN_TTL_SECONDS"));
        assert!(error_with("PUBLIC_ORIGIN", "https://a.com/path").starts_with("PUBLIC_ORIGIN"));
        assert!(error_with("COOKIE_DOMAIN", "a.com; x=y").starts_with("COOKIE_DOMAIN"));
    }

    #[test]
    fn a_key_error_never_shows_the_key() {
        let seed_b64 = "CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk";
        let broken = format!(r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","d":"{seed_b64}"}}]}}"#);
        let message = error_with("SIGNING_KEYS", &broken);
        assert!(!message.contains(seed_b64), "{message}");
    }

    #[test]
    fn session_and_service_cookies_are_scoped_apart() {
        let config = Config::load(&good()).unwrap();
        let session = config.session_cookie().set("v", 60).unwrap();
        assert!(session.contains("Path=/identity-backend"), "{session}");
        assert!(!session.contains("Domain"), "{session}");
        let service = config
            .service_cookie("logging_token", "/logging-backend")
            .set("v", 60)
            .unwrap();
        assert!(service.contains("Domain=aurorahours.com"), "{service}");
        assert!(service.contains("Path=/logging-backend"), "{service}");
    }
}

//! Checks a `redirect_url` against the registered services' return prefixes.
//!
//! A return target is parsed, never pattern-matched: scheme, host and port
//! must equal a registered prefix's exactly, and the path must continue the
//! prefix's path at a segment boundary. The browser is then sent to the
//! parsed URL's own serialization, never to the raw input.

use url::Url;

/// Longer `redirect_url` values are refused outright.
pub const MAX_TARGET_LEN: usize = 2048;

/// A service people can sign in to, as registered in D1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The `aud` of its tokens.
    pub audience: String,
    /// Shown on the login page.
    pub display_name: String,
    /// Name of the cookie that carries its token.
    pub cookie_name: String,
    /// Path attribute of that cookie.
    pub cookie_path: String,
    /// URL prefixes a browser may be returned to.
    pub prefixes: Vec<String>,
}

/// A `redirect_url` that passed every check; the only type a redirect takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnTarget {
    url: Url,
    service: usize,
}

impl ReturnTarget {
    /// The URL to send the browser to (the parsed, normalised form).
    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// The service whose prefix matched, from the list given to [`check`].
    pub fn service<'a>(&self, services: &'a [Service]) -> Option<&'a Service> {
        services.get(self.service)
    }
}

/// Why a `redirect_url` was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetError {
    /// Longer than [`MAX_TARGET_LEN`].
    TooLong,
    /// A control, whitespace, backslash or non-ASCII character, raw or
    /// percent-encoded, or a malformed or double percent-encoding.
    ForbiddenCharacter,
    /// Not an absolute `http://` or `https://` URL with a host.
    NotAbsolute,
    /// The URL does not parse.
    Unparsable,
    /// The URL carries a user name or password.
    UserInfo,
    /// No registered prefix matches.
    NotRegistered,
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::TooLong => "return address too long",
            Self::ForbiddenCharacter => "return address contains forbidden characters",
            Self::NotAbsolute => "return address is not an absolute web address",
            Self::Unparsable => "return address does not parse",
            Self::UserInfo => "return address carries user information",
            Self::NotRegistered => "return address belongs to no registered service",
        })
    }
}

impl std::error::Error for TargetError {}

/// Checks `raw` against every prefix of every service.
pub fn check(raw: &str, services: &[Service]) -> Result<ReturnTarget, TargetError> {
    if raw.len() > MAX_TARGET_LEN {
        return Err(TargetError::TooLong);
    }
    check_characters(raw)?;

    let lower = raw.get(..8).unwrap_or(raw).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        raw.get(8..)
    } else if lower.starts_with("http://") {
        raw.get(7..)
    } else {
        None
    };
    match rest.and_then(|r| r.chars().next()) {
        None | Some('/') => return Err(TargetError::NotAbsolute),
        Some(_) => {}
    }

    let url = Url::parse(raw).map_err(|_| TargetError::Unparsable)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TargetError::UserInfo);
    }
    if url.host_str().is_none() {
        return Err(TargetError::NotAbsolute);
    }

    for (index, service) in services.iter().enumerate() {
        for prefix in &service.prefixes {
            if let Ok(prefix) = Url::parse(prefix) {
                if matches_prefix(&url, &prefix) {
                    return Ok(ReturnTarget {
                        url,
                        service: index,
                    });
                }
            }
        }
    }
    Err(TargetError::NotRegistered)
}

/// Checks that a prefix is fit to register: an absolute URL with no user
/// information, query or fragment. The admin tool calls this.
pub fn check_prefix(raw: &str) -> Result<Url, TargetError> {
    check_characters(raw)?;
    let url = Url::parse(raw).map_err(|_| TargetError::Unparsable)?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(TargetError::NotAbsolute);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TargetError::UserInfo);
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(TargetError::Unparsable);
    }
    Ok(url)
}

fn matches_prefix(url: &Url, prefix: &Url) -> bool {
    if url.scheme() != prefix.scheme()
        || url.host_str() != prefix.host_str()
        || url.port_or_known_default() != prefix.port_or_known_default()
    {
        return false;
    }
    let base = prefix.path().trim_end_matches('/');
    let path = url.path();
    base.is_empty()
        || path == base
        || path
            .strip_prefix(base)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Refuses characters that have no place in a return address, whether raw
/// or percent-encoded (encoded slashes and dots in the path, too, since a
/// service behind the prefix may decode them and walk out of its path).
/// Only an encoded space in the query is let through.
fn check_characters(raw: &str) -> Result<(), TargetError> {
    let forbidden = |b: u8| b <= 0x20 || b == 0x7f || b == b'\\' || !b.is_ascii();
    let bytes = raw.as_bytes();
    let path_end = raw.find(['?', '#']).unwrap_or(raw.len());

    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if forbidden(b) {
            return Err(TargetError::ForbiddenCharacter);
        }
        if b == b'%' {
            let decoded = bytes
                .get(i + 1..i + 3)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .ok_or(TargetError::ForbiddenCharacter)?;
            let in_path = i < path_end;
            // An encoded space is allowed in the query alone: search filters
            // carry them, and there it cannot change where the browser goes.
            let query_space = !in_path && decoded == b' ';
            if (forbidden(decoded) && !query_space)
                || decoded == b'%'
                || (in_path && matches!(decoded, b'/' | b'.'))
            {
                return Err(TargetError::ForbiddenCharacter);
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn services() -> Vec<Service> {
        vec![
            Service {
                audience: "logging-service".into(),
                display_name: "Logs".into(),
                cookie_name: "logging_token".into(),
                cookie_path: "/logging-backend".into(),
                prefixes: vec!["https://aurorahours.com/logging-backend/".into()],
            },
            Service {
                audience: "stats-service".into(),
                display_name: "Stats".into(),
                cookie_name: "stats_token".into(),
                cookie_path: "/stats".into(),
                prefixes: vec!["https://aurorahours.com/stats".into()],
            },
        ]
    }

    fn audience(raw: &str) -> Result<String, TargetError> {
        let s = services();
        check(raw, &s).map(|t| {
            t.service(&s)
                .map(|x| x.audience.clone())
                .unwrap_or_default()
        })
    }

    #[test]
    fn registered_prefixes_are_accepted_at_segment_boundaries() {
        for (raw, aud) in [
            (
                "https://aurorahours.com/logging-backend/logs",
                "logging-service",
            ),
            ("https://aurorahours.com/logging-backend", "logging-service"),
            (
                "https://aurorahours.com/logging-backend/logs?level=warn&q=a%20b",
                "logging-service",
            ),
            (
                "https://aurorahours.com:443/logging-backend/logs",
                "logging-service",
            ),
            (
                "HTTPS://AURORAHOURS.COM/logging-backend/",
                "logging-service",
            ),
            ("https://aurorahours.com/stats", "stats-service"),
            ("https://aurorahours.com/stats/daily#top", "stats-service"),
        ] {
            assert_eq!(audience(raw).as_deref(), Ok(aud), "{raw}");
        }
    }

    #[test]
    fn the_redirect_uses_the_normalised_url() {
        let s = services();
        let t = check("HTTPS://AuroraHours.com:443/logging-backend/logs", &s).unwrap();
        assert_eq!(t.as_str(), "https://aurorahours.com/logging-backend/logs");
    }

    #[test]
    fn hostile_targets_are_refused_with_the_reason() {
        use TargetError::*;
        for (raw, why) in [
            ("", NotAbsolute),
            ("//evil.example/logging-backend/", NotAbsolute),
            ("/logging-backend/logs", NotAbsolute),
            ("https:/aurorahours.com/logging-backend/", NotAbsolute),
            ("https:///aurorahours.com/logging-backend/", NotAbsolute),
            ("javascript:alert(1)", NotAbsolute),
            ("data:text/html,<script>", NotAbsolute),
            (
                "https://aurorahours.com/logging-backend/a%20b",
                ForbiddenCharacter,
            ),
            (
                "https://aurorahours.com/logging-backend/?q=%09",
                ForbiddenCharacter,
            ),
            ("https://evil.example/logging-backend/", NotRegistered),
            (
                "https://aurorahours.com.evil.example/logging-backend/",
                NotRegistered,
            ),
            (
                "https://evilaurorahours.com/logging-backend/",
                NotRegistered,
            ),
            (
                "https://aurorahours.com/logging-backend-evil/",
                NotRegistered,
            ),
            ("https://aurorahours.com/statsevil", NotRegistered),
            (
                "https://aurorahours.com/identity-backend/login",
                NotRegistered,
            ),
            ("http://aurorahours.com/logging-backend/", NotRegistered),
            (
                "https://aurorahours.com:8443/logging-backend/",
                NotRegistered,
            ),
            (
                "https://aurorahours.com@evil.example/logging-backend/",
                UserInfo,
            ),
            ("https://user:pw@aurorahours.com/logging-backend/", UserInfo),
            (
                "https://aurorahours.com\\@evil.example/",
                ForbiddenCharacter,
            ),
            (
                "https://aurorahours.com/logging-backend/\r\nSet-Cookie:x",
                ForbiddenCharacter,
            ),
            (
                "https://aurorahours.com/logging-backend/%0d%0aSet-Cookie:x",
                ForbiddenCharacter,
            ),
            (
                "https://aurorahours.com/logging-backend/%2e%2e/identity-backend",
                ForbiddenCharacter,
            ),
            (
                "https://aurorahours.com/logging-backend/..%2fidentity-backend",
                ForbiddenCharacter,
            ),
            (
                "https://aurorahours.com/logging-backend/%5c",
                ForbiddenCharacter,
            ),
            (
                "https://aurorahours.com/logging-backend/%250d",
                ForbiddenCharacter,
            ),
            (
                "https://aurorahours.com/logging-backend/%zz",
                ForbiddenCharacter,
            ),
            (
                "https://aurorahours.com/logging-backend/%",
                ForbiddenCharacter,
            ),
            (
                "https://аurorahours.com/logging-backend/",
                ForbiddenCharacter,
            ),
            (
                " https://aurorahours.com/logging-backend/",
                ForbiddenCharacter,
            ),
            (
                "https://aurorahours.com/logging-backend/\t",
                ForbiddenCharacter,
            ),
        ] {
            assert_eq!(audience(raw), Err(why), "{raw:?}");
        }
    }

    #[test]
    fn dot_segments_are_resolved_before_matching() {
        assert_eq!(
            audience("https://aurorahours.com/logging-backend/../identity-backend/x"),
            Err(TargetError::NotRegistered)
        );
    }

    #[test]
    fn overlong_targets_are_refused() {
        let raw = format!(
            "https://aurorahours.com/logging-backend/{}",
            "a".repeat(3000)
        );
        assert_eq!(audience(&raw), Err(TargetError::TooLong));
    }

    #[test]
    fn prefixes_to_register_must_be_plain_absolute_urls() {
        assert!(check_prefix("https://aurorahours.com/logging-backend/").is_ok());
        assert!(check_prefix("http://localhost:8787/logging-backend/").is_ok());
        assert_eq!(check_prefix("ftp://x/"), Err(TargetError::NotAbsolute));
        assert_eq!(
            check_prefix("https://a.b/?q=1"),
            Err(TargetError::Unparsable)
        );
        assert_eq!(check_prefix("https://u@a.b/"), Err(TargetError::UserInfo));
    }
}

//! Building `Set-Cookie` values and reading cookies back from a `Cookie` header.

use std::fmt;
use std::fmt::Write as _;

use cookie::Cookie;

/// The `Expires` written by [`CookieSpec::clear`]: the Unix epoch, long past.
pub const EXPIRES_IN_THE_PAST: &str = "Thu, 01 Jan 1970 00:00:00 GMT";

/// The `SameSite` attribute of a cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SameSite {
    /// Sent on same-site requests only.
    Strict,
    /// Also sent on top-level navigations from other sites.
    Lax,
    /// Sent on cross-site requests too; requires `Secure`.
    None,
}

impl SameSite {
    /// The attribute value: `Strict`, `Lax` or `None`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Strict => "Strict",
            Self::Lax => "Lax",
            Self::None => "None",
        }
    }
}

/// Why a `Set-Cookie` value could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieError {
    /// The name is empty or has a character outside the RFC 7230 token set.
    InvalidName,
    /// The value has a character outside the RFC 6265 cookie-octets.
    InvalidValue,
    /// The domain is empty or has a character outside `A-Z a-z 0-9 . -`.
    InvalidDomain,
    /// The path does not start with `/`, or has a control character or `;`.
    InvalidPath,
    /// `Max-Age` is negative.
    NegativeMaxAge,
    /// `SameSite=None` without `Secure`, which browsers refuse.
    SameSiteNoneWithoutSecure,
}

impl fmt::Display for CookieError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::InvalidName => "cookie name is empty or not an rfc 7230 token",
            Self::InvalidValue => "cookie value has characters outside the rfc 6265 cookie-octets",
            Self::InvalidDomain => "cookie domain is empty or has characters outside a-z 0-9 . -",
            Self::InvalidPath => "cookie path must start with '/' and hold no ';' or controls",
            Self::NegativeMaxAge => "cookie max-age must not be negative",
            Self::SameSiteNoneWithoutSecure => "cookie with samesite=none must be secure",
        })
    }
}

impl std::error::Error for CookieError {}

/// How a cookie is set: everything but its value and lifetime.
///
/// [`set`](Self::set) and [`clear`](Self::clear) write the same `Domain`, `Path`,
/// `Secure`, `HttpOnly` and `SameSite`, so a clear always hits the cookie that was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieSpec {
    /// Cookie name (an RFC 7230 token, e.g. `__Host-session`).
    pub name: String,
    /// `Domain` attribute; `None` makes a host-only cookie.
    pub domain: Option<String>,
    /// `Path` attribute, starting with `/`.
    pub path: String,
    /// Whether to add `Secure`.
    pub secure: bool,
    /// Whether to add `HttpOnly`.
    pub http_only: bool,
    /// The `SameSite` attribute.
    pub same_site: SameSite,
}

impl CookieSpec {
    /// The `Set-Cookie` value that stores `value` for `max_age_secs` seconds.
    ///
    /// `value` must be cookie-safe (RFC 6265 cookie-octets, e.g. a token of base64url and
    /// dots); anything else is refused, never escaped.
    pub fn set(&self, value: &str, max_age_secs: i64) -> Result<String, CookieError> {
        if !value.bytes().all(is_cookie_octet) {
            return Err(CookieError::InvalidValue);
        }
        if max_age_secs < 0 {
            return Err(CookieError::NegativeMaxAge);
        }
        self.render(value, max_age_secs, None)
    }

    /// The `Set-Cookie` value that deletes the cookie: empty value, `Max-Age=0` and an
    /// `Expires` in the past, with the same attributes as [`set`](Self::set).
    pub fn clear(&self) -> Result<String, CookieError> {
        self.render("", 0, Some(EXPIRES_IN_THE_PAST))
    }

    fn check(&self) -> Result<(), CookieError> {
        if self.name.is_empty() || !self.name.bytes().all(is_token_char) {
            return Err(CookieError::InvalidName);
        }
        if let Some(domain) = &self.domain {
            let domain_char = |b: u8| b.is_ascii_alphanumeric() || b == b'.' || b == b'-';
            if domain.is_empty() || !domain.bytes().all(domain_char) {
                return Err(CookieError::InvalidDomain);
            }
        }
        if !self.path.starts_with('/')
            || self.path.bytes().any(|b| b.is_ascii_control() || b == b';')
        {
            return Err(CookieError::InvalidPath);
        }
        if self.same_site == SameSite::None && !self.secure {
            return Err(CookieError::SameSiteNoneWithoutSecure);
        }
        Ok(())
    }

    fn render(
        &self,
        value: &str,
        max_age_secs: i64,
        expires: Option<&str>,
    ) -> Result<String, CookieError> {
        self.check()?;
        let mut out = format!("{}={}; Max-Age={}", self.name, value, max_age_secs);
        // Writing into a String cannot fail.
        if let Some(expires) = expires {
            let _ = write!(out, "; Expires={expires}");
        }
        if let Some(domain) = &self.domain {
            let _ = write!(out, "; Domain={domain}");
        }
        let _ = write!(out, "; Path={}", self.path);
        if self.secure {
            out.push_str("; Secure");
        }
        if self.http_only {
            out.push_str("; HttpOnly");
        }
        let _ = write!(out, "; SameSite={}", self.same_site.as_str());
        Ok(out)
    }
}

/// RFC 6265 cookie-octet: `!`, `#`-`+`, `-`-`:`, `<`-`[`, `]`-`~`.
fn is_cookie_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
}

/// RFC 7230 tchar.
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Every value of the cookie `name` in a `Cookie` request header, in order.
///
/// Spaces around `;` and `=` are ignored, a value wrapped in double quotes is unwrapped,
/// and duplicates are all returned so the caller can try each. Garbage (pairs without
/// `=`, empty names, stray semicolons) is skipped: this never fails and never panics.
/// Names are compared exactly (case-sensitive).
pub fn cookie_values<'a>(header: &'a str, name: &str) -> Vec<&'a str> {
    Cookie::split_parse(header)
        .filter_map(Result::ok)
        .filter(|cookie| cookie.name() == name)
        .filter_map(|cookie| cookie.value_raw())
        .map(strip_quotes)
        .collect()
}

fn strip_quotes(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
        .unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_octets_follow_rfc_6265() {
        for b in 0u8..=255 {
            let expected = (0x21..=0x7E).contains(&b) && !b"\",;\\".contains(&b);
            assert_eq!(is_cookie_octet(b), expected, "{b:#x}");
        }
    }

    #[test]
    fn quotes_are_stripped_only_as_a_pair() {
        assert_eq!(strip_quotes("\"abc\""), "abc");
        assert_eq!(strip_quotes("\"\""), "");
        assert_eq!(strip_quotes("\""), "\"");
        assert_eq!(strip_quotes("\"abc"), "\"abc");
        assert_eq!(strip_quotes("abc\""), "abc\"");
    }
}

//! CSRF protection of the login and logout forms: a random token in a
//! SameSite=Strict cookie that the form must repeat, and an `Origin` header
//! that must be this site's.

use worker::Request;

use crate::config::{Config, CSRF_COOKIE};
use crate::http::AppResult;
use crate::random;
use crate::request::{cookies, header};

/// The CSRF cookie lives this long; a form older than that must be reloaded.
const CSRF_MAX_AGE: i64 = 2 * 3600;

/// The token for a form about to be rendered, and the `Set-Cookie` that
/// (re)sets it. An existing well-formed token is kept, so that several open
/// tabs keep working.
pub fn issue(config: &Config, req: &Request) -> AppResult<(String, String)> {
    let token = match cookies(req, CSRF_COOKIE)
        .into_iter()
        .find(|t| random::looks_like_token(t))
    {
        Some(existing) => existing,
        None => random::token_256()?,
    };
    let set_cookie = config.csrf_cookie().set(&token, CSRF_MAX_AGE)?;
    Ok((token, set_cookie))
}

/// Why a form submission was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsrfFailure {
    /// No `Origin` header.
    NoOrigin,
    /// `Origin` names another site.
    ForeignOrigin,
    /// No CSRF cookie, or no token in the form.
    Missing,
    /// The form's token is not the cookie's.
    Mismatch,
}

impl CsrfFailure {
    /// A short reason for the audit line.
    pub fn reason(self) -> &'static str {
        match self {
            Self::NoOrigin => "csrf_no_origin",
            Self::ForeignOrigin => "csrf_foreign_origin",
            Self::Missing => "csrf_missing",
            Self::Mismatch => "csrf_mismatch",
        }
    }
}

/// Checks a submitted form's token against the cookie, and its origin.
pub fn check(config: &Config, req: &Request, form_token: Option<&str>) -> Result<(), CsrfFailure> {
    match header(req, "Origin") {
        None => return Err(CsrfFailure::NoOrigin),
        Some(origin) if origin != config.public_origin => return Err(CsrfFailure::ForeignOrigin),
        Some(_) => {}
    }
    let Some(form_token) = form_token.filter(|t| !t.is_empty()) else {
        return Err(CsrfFailure::Missing);
    };
    let sent = cookies(req, CSRF_COOKIE);
    if sent.is_empty() {
        return Err(CsrfFailure::Missing);
    }
    if sent.iter().any(|c| random::same(c, form_token)) {
        Ok(())
    } else {
        Err(CsrfFailure::Mismatch)
    }
}

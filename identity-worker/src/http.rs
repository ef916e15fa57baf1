//! Response building: security headers, redirects, JSON, and the worker's error type.

use maud::Markup;
use worker::{Headers, Response};

/// Content-Security-Policy of every HTML page: no script at all, styles
/// from this worker only, forms posting only here, never framed.
pub const HTML_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Failures that end a request with a fixed answer. The precise cause is
/// logged; what the client sees never contains it.
#[derive(Debug)]
pub enum AppError {
    /// A setting is missing or unusable.
    Config(String),
    /// D1, the runtime or the random source failed.
    Internal(String),
    /// No route at this path.
    NotFound,
    /// A route exists, but not for this method.
    MethodNotAllowed(&'static str),
}

impl From<worker::Error> for AppError {
    fn from(err: worker::Error) -> Self {
        Self::Internal(err.to_string())
    }
}

impl From<getrandom::Error> for AppError {
    fn from(err: getrandom::Error) -> Self {
        Self::Internal(format!("random source: {err}"))
    }
}

impl From<aurora_auth::CookieError> for AppError {
    fn from(err: aurora_auth::CookieError) -> Self {
        Self::Internal(format!("cookie: {err}"))
    }
}

impl From<aurora_auth::SignError> for AppError {
    fn from(err: aurora_auth::SignError) -> Self {
        Self::Internal(format!("signing: {err}"))
    }
}

/// Shorthand for handler results.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// The answer to send, after logging the cause.
    pub fn into_response(self, request_id: &str) -> worker::Result<Response> {
        let (status, body) = match &self {
            Self::Config(why) => {
                log_error("configuration", why, request_id);
                (500, "The sign-in service is not configured correctly.")
            }
            Self::Internal(why) => {
                log_error("internal", why, request_id);
                (500, "The sign-in service failed. Please try again.")
            }
            Self::NotFound => (404, "Not found."),
            Self::MethodNotAllowed(_) => (405, "Method not allowed."),
        };
        let mut response = Response::error(body, status)?;
        let headers = response.headers_mut();
        headers.set("Content-Type", "text/plain; charset=utf-8")?;
        headers.set("Cache-Control", "no-store")?;
        headers.set("X-Content-Type-Options", "nosniff")?;
        if let Self::MethodNotAllowed(allow) = self {
            headers.set("Allow", allow)?;
        }
        Ok(response)
    }
}

fn log_error(kind: &str, why: &str, request_id: &str) {
    let line = serde_json::json!({
        "level": "error",
        "event": kind,
        "detail": why,
        "request_id": request_id,
    });
    worker::console_error!("{line}");
}

/// A page with the security headers every HTML response carries.
pub fn html(status: u16, page: Markup) -> AppResult<Response> {
    let mut response = Response::from_html(page.into_string())?.with_status(status);
    set_page_headers(response.headers_mut())?;
    Ok(response)
}

fn set_page_headers(headers: &mut Headers) -> AppResult<()> {
    headers.set("Content-Security-Policy", HTML_CSP)?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    headers.set("Referrer-Policy", "same-origin")?;
    headers.set("X-Frame-Options", "DENY")?;
    // Pages carry CSRF tokens and sign-in state: never cache them.
    headers.set("Cache-Control", "no-store")?;
    Ok(())
}

/// `303 See Other` to a URL this worker built or validated.
pub fn see_other(location: &str) -> AppResult<Response> {
    let mut response = Response::empty()?.with_status(303);
    let headers = response.headers_mut();
    headers.set("Location", location)?;
    headers.set("Cache-Control", "no-store")?;
    Ok(response)
}

/// A JSON body with `Cache-Control: no-store`.
pub fn json(status: u16, body: &serde_json::Value) -> AppResult<Response> {
    let mut response = Response::from_json(body)?.with_status(status);
    response.headers_mut().set("Cache-Control", "no-store")?;
    response
        .headers_mut()
        .set("X-Content-Type-Options", "nosniff")?;
    Ok(response)
}

/// Adds `Set-Cookie` headers to a response.
pub fn with_cookies(mut response: Response, cookies: &[String]) -> AppResult<Response> {
    for cookie in cookies {
        response.headers_mut().append("Set-Cookie", cookie)?;
    }
    Ok(response)
}

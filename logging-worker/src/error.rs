//! The worker's one error type and the one place that turns it into a response.

use serde_json::json;
use worker::{Headers, Response};

use crate::config::ConfigError;
use crate::ingest::EntryProblem;
use crate::log;

/// Fixed body of every 500: the cause goes to the log only.
pub const INTERNAL_BODY: &str = r#"{"error":"server_error","error_description":"internal error"}"#;

/// Why a request failed.
#[derive(Debug)]
pub enum AppError {
    /// 400 with a machine-readable code and a sentence for people.
    BadRequest {
        code: &'static str,
        description: String,
    },
    /// 400: some entries of a batch are invalid; nothing was stored.
    InvalidEntries {
        total: usize,
        details: Vec<EntryProblem>,
    },
    /// 413: the body or the batch is larger than accepted.
    TooLarge {
        code: &'static str,
        description: String,
    },
    /// 415: the body's media type is not one we read.
    UnsupportedMediaType,
    /// Status 401; `token_sent` is false when no token came at all: then the challenge
    /// carries no error code, as RFC 6750 section 3.1 asks.
    Unauthorized {
        token_sent: bool,
    },
    /// 302 to the login page, for a browser without a valid token.
    LoginRedirect {
        location: String,
    },
    /// 403: a valid token that may not do this.
    Forbidden {
        description: &'static str,
    },
    NotFound,
    MethodNotAllowed {
        allow: &'static str,
    },
    /// 500: a missing or invalid setting.
    Config(ConfigError),
    /// 500: D1, R2 or the runtime failed.
    Internal(String),
}

impl From<worker::Error> for AppError {
    fn from(err: worker::Error) -> Self {
        Self::Internal(err.to_string())
    }
}

impl From<ConfigError> for AppError {
    fn from(err: ConfigError) -> Self {
        Self::Config(err)
    }
}

impl AppError {
    pub fn bad_request(code: &'static str, description: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            description: description.into(),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest { .. } | Self::InvalidEntries { .. } => 400,
            Self::TooLarge { .. } => 413,
            Self::UnsupportedMediaType => 415,
            Self::Unauthorized { .. } => 401,
            Self::LoginRedirect { .. } => 302,
            Self::Forbidden { .. } => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed { .. } => 405,
            Self::Config(_) | Self::Internal(_) => 500,
        }
    }

    /// The JSON body (`None` for a redirect).
    fn body(&self) -> Option<String> {
        let body = match self {
            Self::BadRequest { code, description } | Self::TooLarge { code, description } => {
                json!({"error": code, "error_description": description})
            }
            Self::InvalidEntries { total, details } => json!({
                "error": "invalid_entries",
                "error_description": format!(
                    "{} of {total} entries are invalid; nothing was stored", details.len()
                ),
                "details": details,
            }),
            Self::UnsupportedMediaType => json!({
                "error": "unsupported_media_type",
                "error_description":
                    "send application/json (an array of entries) or application/x-ndjson",
            }),
            Self::Unauthorized { token_sent: false } => json!({
                "error": "invalid_token",
                "error_description": "no token was sent",
            }),
            Self::Unauthorized { token_sent: true } => json!({
                "error": "invalid_token",
                "error_description": "the token is invalid, expired or not meant for this service",
            }),
            Self::LoginRedirect { .. } => return None,
            Self::Forbidden { description } => {
                json!({"error": "insufficient_scope", "error_description": description})
            }
            Self::NotFound => json!({"error": "not_found", "error_description": "no such route"}),
            Self::MethodNotAllowed { allow } => json!({
                "error": "method_not_allowed",
                "error_description": format!("use {allow}"),
            }),
            Self::Config(_) | Self::Internal(_) => return Some(INTERNAL_BODY.to_owned()),
        };
        Some(body.to_string())
    }
}

/// Turns an error into its response. Internal failures are logged here, with their cause.
pub fn into_response(err: AppError, ray: Option<&str>) -> worker::Result<Response> {
    match &err {
        AppError::Config(cause) => log::error(json!({
            "event": "config", "result": "error", "cause": cause.to_string(), "ray": ray,
        })),
        AppError::Internal(cause) => log::error(json!({
            "event": "internal", "result": "error", "cause": cause, "ray": ray,
        })),
        _ => {}
    }

    let headers = Headers::new();
    headers.set("Cache-Control", "no-store")?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    match &err {
        AppError::LoginRedirect { location } => headers.set("Location", location)?,
        AppError::Unauthorized { token_sent: false } => {
            headers.set("WWW-Authenticate", "Bearer")?;
        }
        AppError::Unauthorized { token_sent: true } => {
            headers.set("WWW-Authenticate", r#"Bearer error="invalid_token""#)?;
        }
        AppError::Forbidden { .. } => {
            headers.set("WWW-Authenticate", r#"Bearer error="insufficient_scope""#)?;
        }
        AppError::MethodNotAllowed { allow } => headers.set("Allow", allow)?,
        _ => {}
    }
    let status = err.status();
    match err.body() {
        Some(body) => {
            headers.set("Content-Type", "application/json")?;
            Ok(Response::ok(body)?
                .with_status(status)
                .with_headers(headers))
        }
        None => Ok(Response::empty()?.with_status(status).with_headers(headers)),
    }
}

//! What every handler gets: settings, the database, the time, and request helpers.

use aurora_auth::{cookie_values, Claims, SubjectKind};
use futures_util::StreamExt;
use worker::{D1Database, Env, Request};

use crate::config::Config;
use crate::http::{AppError, AppResult};

/// Forms and token requests larger than this are refused unread.
pub const MAX_FORM_BYTES: usize = 16 * 1024;

/// The context of one request.
#[derive(Debug)]
pub struct Ctx {
    /// Checked settings.
    pub config: Config,
    /// The identity database.
    pub db: D1Database,
    /// Unix seconds, from the runtime's clock, taken once per request.
    pub now: i64,
    /// `cf-ray`, or a random id when running locally.
    pub request_id: String,
    /// `CF-Connecting-IP`, the client's address as Cloudflare saw it.
    pub client_addr: String,
}

impl Ctx {
    /// Loads the settings and binds the database.
    pub fn new(env: &Env, req: &Request, request_id: String) -> AppResult<Self> {
        let config = Config::load(env).map_err(|e| AppError::Config(e.to_string()))?;
        let db = env.d1("DB")?;
        let now = (worker::Date::now().as_millis() / 1000) as i64;
        let client_addr = header(req, "CF-Connecting-IP").unwrap_or_else(|| "unknown".into());
        Ok(Self {
            config,
            db,
            now,
            request_id,
            client_addr,
        })
    }
}

impl Ctx {
    /// Signs a token from this issuer for `sub` to enter `aud`, valid from now
    /// for `lifetime` seconds, with a random token id.
    pub fn sign_token(
        &self,
        sub: &str,
        aud: &str,
        lifetime: i64,
        kind: SubjectKind,
    ) -> AppResult<String> {
        let claims = Claims {
            iss: self.config.issuer.clone(),
            sub: sub.to_owned(),
            aud: aud.to_owned(),
            iat: self.now,
            exp: self.now + lifetime,
            nbf: None,
            jti: Some(crate::random::token_256()?),
            kind,
        };
        Ok(self.config.keys.sign(&claims)?)
    }
}

/// A request header, if present and valid.
pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// Every value of a cookie in the request, in the order sent.
pub fn cookies(req: &Request, name: &str) -> Vec<String> {
    header(req, "Cookie")
        .map(|h| {
            cookie_values(&h, name)
                .into_iter()
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// A query parameter's first value.
pub fn query(req: &Request, name: &str) -> Option<String> {
    let url = req.url().ok()?;
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Why a form body was not read.
#[derive(Debug, PartialEq, Eq)]
pub enum FormError {
    /// Not `application/x-www-form-urlencoded`.
    WrongType,
    /// Over [`MAX_FORM_BYTES`].
    TooLarge,
    /// The body could not be read or decoded.
    Unreadable,
}

/// Reads a form-encoded body into `T`, refusing other types and large bodies.
pub async fn form<T: serde::de::DeserializeOwned>(
    req: &mut Request,
) -> AppResult<Result<T, FormError>> {
    let content_type = header(req, "Content-Type").unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Ok(Err(FormError::WrongType));
    }
    let declared = header(req, "Content-Length").and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_FORM_BYTES) {
        return Ok(Err(FormError::TooLarge));
    }
    // Read chunk by chunk, so that a body without Content-Length is cut off
    // at the limit rather than buffered whole.
    let Ok(mut stream) = req.stream() else {
        return Ok(Err(FormError::Unreadable));
    };
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return Ok(Err(FormError::Unreadable));
        };
        if body.len() + chunk.len() > MAX_FORM_BYTES {
            return Ok(Err(FormError::TooLarge));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(serde_urlencoded::from_bytes::<T>(&body).map_err(|_| FormError::Unreadable))
}

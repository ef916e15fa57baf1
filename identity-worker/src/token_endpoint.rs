//! `POST /token`: the OAuth 2.0 client credentials grant (RFC 6749 section 4.4)
//! for machines, and `GET /.well-known/jwks.json`, the published verification keys.

use aurora_auth::SubjectKind;
use base64::{engine::general_purpose::STANDARD, Engine};
use serde::Deserialize;
use serde_json::json;
use worker::{Request, Response};

use crate::audit::Audit;
use crate::http::{json, AppResult};
use crate::random;
use crate::request::{form, header, Ctx, FormError};
use crate::store;

/// An error answer as RFC 6749 section 5.2 describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthError {
    /// Missing or repeated parameter, wrong content type, several credentials.
    InvalidRequest(&'static str),
    /// Unknown client, wrong secret, revoked client, or no credentials.
    InvalidClient,
    /// A grant other than `client_credentials`.
    UnsupportedGrantType,
    /// The client may not request a token for this audience (RFC 8707).
    InvalidTarget,
}

impl OAuthError {
    fn status(self) -> u16 {
        match self {
            Self::InvalidClient => 401,
            _ => 400,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidTarget => "invalid_target",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Self::InvalidRequest(why) => why,
            Self::InvalidClient => "client authentication failed",
            Self::UnsupportedGrantType => "only the client_credentials grant is supported",
            Self::InvalidTarget => "the client may not request a token for this audience",
        }
    }

    fn response(self) -> AppResult<Response> {
        let body = json!({"error": self.code(), "error_description": self.description()});
        let mut response = json(self.status(), &body)?;
        if self == Self::InvalidClient {
            response
                .headers_mut()
                .set("WWW-Authenticate", "Basic realm=\"aurorahours identity\"")?;
        }
        response.headers_mut().set("Pragma", "no-cache")?;
        Ok(response)
    }
}

#[derive(Deserialize)]
struct TokenRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    audience: Option<String>,
}

/// `POST /token`.
pub async fn issue(ctx: &Ctx, req: &mut Request) -> AppResult<Response> {
    match grant(ctx, req).await? {
        Ok(response) => Ok(response),
        Err(error) => {
            Audit::new("client_token", "refused", &ctx.request_id)
                .with("error", error.code())
                .emit();
            error.response()
        }
    }
}

async fn grant(ctx: &Ctx, req: &mut Request) -> AppResult<Result<Response, OAuthError>> {
    let basic = header(req, "Authorization");
    let fields = match form::<TokenRequest>(req).await? {
        Ok(fields) => fields,
        Err(FormError::WrongType) => {
            return Ok(Err(OAuthError::InvalidRequest(
                "the body must be application/x-www-form-urlencoded",
            )))
        }
        Err(FormError::TooLarge) => return Ok(Err(OAuthError::InvalidRequest("body too large"))),
        // serde_urlencoded refuses a repeated parameter, as RFC 6749 requires.
        Err(FormError::Unreadable) => {
            return Ok(Err(OAuthError::InvalidRequest(
                "the body is not a valid form or repeats a parameter",
            )))
        }
    };

    let Some(grant_type) = fields.grant_type.as_deref() else {
        return Ok(Err(OAuthError::InvalidRequest("grant_type is missing")));
    };
    if grant_type != "client_credentials" {
        return Ok(Err(OAuthError::UnsupportedGrantType));
    }

    let credentials = match (basic, fields.client_id, fields.client_secret) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Ok(Err(OAuthError::InvalidRequest(
                "use one way of sending client credentials, not two",
            )))
        }
        (Some(header), None, None) => match parse_basic(&header) {
            Some(pair) => pair,
            None => return Ok(Err(OAuthError::InvalidClient)),
        },
        (None, Some(id), Some(secret)) => (id, secret),
        (None, _, _) => return Ok(Err(OAuthError::InvalidClient)),
    };

    let Some(audience) = fields.audience.filter(|a| !a.is_empty()) else {
        return Ok(Err(OAuthError::InvalidRequest("audience is missing")));
    };

    let (client_id, secret) = credentials;
    let Some(client) = authenticate(ctx, &client_id, &secret).await? else {
        Audit::new("client_token", "bad_client", &ctx.request_id)
            .with("client_id", client_id.as_str())
            .emit();
        return Ok(Err(OAuthError::InvalidClient));
    };
    if !store::client_may_request(&ctx.db, &client.client_id, &audience).await? {
        return Ok(Err(OAuthError::InvalidTarget));
    }

    let ttl = ctx.config.token_ttl;
    let token = ctx.sign_token(&client.subject, &audience, ttl, SubjectKind::Service)?;
    store::touch_client(&ctx.db, &client.client_id, ctx.now).await?;
    Audit::new("client_token", "issued", &ctx.request_id)
        .with("client_id", client.client_id.as_str())
        .with("subject", client.subject.as_str())
        .with("service", audience.as_str())
        .emit();

    let body = json!({"access_token": token, "token_type": "Bearer", "expires_in": ttl});
    let mut response = json(200, &body)?;
    response.headers_mut().set("Pragma", "no-cache")?;
    Ok(Ok(response))
}

/// Finds the client and checks its secret, in constant time, against the stored hash.
async fn authenticate(
    ctx: &Ctx,
    client_id: &str,
    secret: &str,
) -> AppResult<Option<store::Client>> {
    if client_id.is_empty() || client_id.len() > 128 || secret.len() > 256 {
        return Ok(None);
    }
    let client = store::find_client(&ctx.db, client_id).await?;
    let presented = random::sha256_hex(secret);
    Ok(client.filter(|c| random::same(&c.secret_hash, &presented) && c.revoked_at.is_none()))
}

/// Reads `Authorization: Basic`, whose id and secret are form-encoded before
/// base64 (RFC 6749 section 2.3.1).
fn parse_basic(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| -> Option<String> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={s}")).ok()?;
        pairs.into_iter().next().map(|(_, v)| v)
    };
    Some((unescape(id)?, unescape(secret)?))
}

/// Any method but POST at `/token`: a JSON 405, never an HTML page.
pub fn wrong_method() -> AppResult<Response> {
    let body = json!({"error": "invalid_request", "error_description": "use POST"});
    let mut response = json(405, &body)?;
    response.headers_mut().set("Allow", "POST")?;
    Ok(response)
}

/// `GET /.well-known/jwks.json`: the public halves of the current and previous
/// signing keys. Verifiers may cache it briefly; rotation keeps the previous
/// key published, so a cached copy stays valid for a full token lifetime.
pub fn jwks(ctx: &Ctx) -> AppResult<Response> {
    let mut response = Response::ok(ctx.config.keys.public_jwks())?;
    let headers = response.headers_mut();
    headers.set("Content-Type", "application/jwk-set+json")?;
    headers.set("Cache-Control", "public, max-age=300")?;
    headers.set("Access-Control-Allow-Origin", "*")?;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_base64_of_form_encoded_parts() {
        let header = format!("Basic {}", STANDARD.encode("svc%3Aone:s%2Bcret"));
        assert_eq!(
            parse_basic(&header),
            Some(("svc:one".to_string(), "s+cret".to_string()))
        );
        assert_eq!(parse_basic("Bearer abc"), None);
        assert_eq!(parse_basic("Basic !!!"), None);
        assert_eq!(
            parse_basic(&format!("Basic {}", STANDARD.encode("nocolon"))),
            None
        );
    }

    #[test]
    fn only_invalid_client_is_a_401_with_a_challenge() {
        assert_eq!(OAuthError::InvalidClient.status(), 401);
        for e in [
            OAuthError::InvalidRequest("x"),
            OAuthError::UnsupportedGrantType,
            OAuthError::InvalidTarget,
        ] {
            assert_eq!(e.status(), 400);
        }
    }
}

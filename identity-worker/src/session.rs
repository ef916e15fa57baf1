//! Browser sessions: an opaque random id in a cookie, its hash in D1.

use aurora_auth::SubjectKind;
use worker::Request;

use crate::config::SESSION_COOKIE;
use crate::http::AppResult;
use crate::random;
use crate::request::{cookies, Ctx};
use crate::return_target::Service;
use crate::store;

/// Most session cookies looked up per request: each costs a D1 query, so a
/// request stuffed with cookies cannot buy unbounded work.
pub const MAX_SESSION_CANDIDATES: usize = 4;

/// The session ids a request carries, well-formed ones only, at most
/// [`MAX_SESSION_CANDIDATES`].
pub fn candidates(req: &Request) -> Vec<String> {
    let mut ids = cookies(req, SESSION_COOKIE);
    ids.retain(|id| random::looks_like_token(id));
    ids.truncate(MAX_SESSION_CANDIDATES);
    ids
}

/// The live session of this request, if its cookie names one.
pub async fn current(ctx: &Ctx, req: &Request) -> AppResult<Option<(String, store::Session)>> {
    for id in candidates(req) {
        let hash = random::sha256_hex(&id);
        let idle = ctx.config.session_idle;
        if let Some(session) = store::live_session(&ctx.db, &hash, ctx.now, idle).await? {
            return Ok(Some((id, session)));
        }
    }
    Ok(None)
}

/// Opens a session for a user, forgets the failures under `clear_key` and
/// takes back the attempt; returns the `Set-Cookie` value that carries the session.
pub async fn start(
    ctx: &Ctx,
    user_id: i64,
    clear_key: &str,
    attempt: &store::Attempt,
) -> AppResult<String> {
    let id = random::token_256()?;
    let max_age = ctx.config.session_max_age;
    let hash = random::sha256_hex(&id);
    let expires_at = ctx.now + max_age;
    store::create_session(
        &ctx.db, &hash, user_id, ctx.now, expires_at, clear_key, attempt,
    )
    .await?;
    Ok(ctx.config.session_cookie().set(&id, max_age)?)
}

/// Ends the session with this id.
pub async fn revoke(ctx: &Ctx, id: &str) -> AppResult<()> {
    store::revoke_session(&ctx.db, &random::sha256_hex(id), ctx.now).await
}

/// Signs a token for `username` to enter `service`, and the `Set-Cookie`
/// value that delivers it to that service's path only. The cookie never
/// outlives the session that issued it.
pub fn service_token_cookie(
    ctx: &Ctx,
    service: &Service,
    username: &str,
    session_expires_at: i64,
) -> AppResult<String> {
    let lifetime = ctx
        .config
        .token_ttl
        .min(session_expires_at - ctx.now)
        .max(1);
    let token = ctx.sign_token(username, &service.audience, lifetime, SubjectKind::User)?;
    let spec = ctx
        .config
        .service_cookie(&service.cookie_name, &service.cookie_path);
    Ok(spec.set(&token, lifetime)?)
}

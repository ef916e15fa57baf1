//! `GET /logout` (a confirmation page) and `POST /logout` (revokes the session
//! and clears every cookie this worker set).

use serde::Deserialize;
use worker::{Request, Response};

use crate::audit::Audit;
use crate::csrf;
use crate::http::{html, see_other, with_cookies, AppResult};
use crate::login::{accept_form, checked_target, PostedForm, HOME};
use crate::pages;
use crate::request::{query, Ctx};
use crate::return_target::ReturnTarget;
use crate::session;
use crate::store;

/// `GET /logout`: asks before signing out, so a link or an image cannot do it.
pub async fn show(ctx: &Ctx, req: &Request) -> AppResult<Response> {
    let services = store::services(&ctx.db).await?;
    let target = match checked_target(ctx, query(req, "redirect_url").as_deref(), &services) {
        Ok(target) => target,
        Err(page) => return page,
    };
    let username = session::current(ctx, req)
        .await?
        .map(|(_, session)| session.username);
    let (csrf, csrf_cookie) = csrf::issue(&ctx.config, req)?;
    let page = pages::confirm_logout(
        username.as_deref(),
        &csrf,
        target.as_ref().map(ReturnTarget::as_str),
    );
    with_cookies(html(200, page)?, &[csrf_cookie])
}

#[derive(Deserialize)]
struct LogoutFields {
    #[serde(default)]
    csrf_token: Option<String>,
    #[serde(default)]
    redirect_url: Option<String>,
}

impl PostedForm for LogoutFields {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
    fn redirect_url(&self) -> Option<&str> {
        self.redirect_url.as_deref()
    }
}

/// `POST /logout`: revokes the session in D1 and clears the session cookie
/// and every service's token cookie with the attributes they were set with.
pub async fn submit(ctx: &Ctx, req: &mut Request) -> AppResult<Response> {
    let (_, services, target) = match accept_form::<LogoutFields>(ctx, req).await? {
        Ok(accepted) => accepted,
        Err(page) => return Ok(page),
    };

    let current = session::current(ctx, req).await?;
    // Every session id the browser sent is revoked, live or not.
    for id in session::candidates(req) {
        session::revoke(ctx, &id).await?;
    }
    Audit::new("logout", "success", &ctx.request_id)
        .with("user", current.map(|(_, s)| s.username))
        .emit();

    let mut cookies = vec![ctx.config.session_cookie().clear()?];
    for service in &services {
        let spec = ctx
            .config
            .service_cookie(&service.cookie_name, &service.cookie_path);
        cookies.push(spec.clear()?);
    }
    let location = match &target {
        Some(target) => target.as_str().to_owned(),
        None => format!("{HOME}?signed_out=1"),
    };
    with_cookies(see_other(&location)?, &cookies)
}

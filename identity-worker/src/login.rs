//! `GET /login` and `POST /login`: the sign-in page, single sign-on, and the credential check.

use serde::Deserialize;
use worker::{Request, Response};

use crate::audit::Audit;
use crate::csrf;
use crate::http::{html, see_other, with_cookies, AppResult};
use crate::pages::{self, LoginForm, BAD_RETURN_ADDRESS, FORM_EXPIRED, SIGNED_OUT, SIGN_IN_FAILED};
use crate::passwords::Verdict;
use crate::request::{form, query, Ctx};
use crate::return_target::{self, ReturnTarget, Service};
use crate::session;
use crate::store;

/// The throttle's window: failures older than this are forgotten.
pub const THROTTLE_WINDOW: i64 = 15 * 60;
/// Failures for one username within the window before it is throttled.
pub const MAX_USER_FAILURES: i64 = 5;
/// Failures from one client address within the window before it is throttled.
pub const MAX_ADDR_FAILURES: i64 = 20;
/// Usernames longer than this cannot exist; they fail without a lookup.
const MAX_USERNAME_LEN: usize = 128;

/// Where a signed-in browser with no return address is sent.
pub const HOME: &str = "/identity-backend/login";

/// `GET /login`: a valid session goes straight back with a fresh token;
/// anyone else gets the form.
pub async fn show(ctx: &Ctx, req: &Request) -> AppResult<Response> {
    let services = store::services(&ctx.db).await?;
    let target = match checked_target(ctx, query(req, "redirect_url").as_deref(), &services) {
        Ok(target) => target,
        Err(page) => return page,
    };

    if let Some((_, session)) = session::current(ctx, req).await? {
        return match target {
            Some(target) => enter(ctx, &services, &target, &session, "sso", Vec::new()),
            None => signed_in_page(ctx, req, &services, &session.username),
        };
    }

    let notice = query(req, "signed_out").map(|_| SIGNED_OUT);
    form_page(ctx, req, 200, &services, target.as_ref(), "", None, notice)
}

#[derive(Deserialize)]
struct LoginFields {
    #[serde(default)]
    csrf_token: Option<String>,
    #[serde(default)]
    redirect_url: Option<String>,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// `POST /login`: CSRF, then the return address, then the throttle, then the credentials.
pub async fn submit(ctx: &Ctx, req: &mut Request) -> AppResult<Response> {
    let (fields, services, target) = match accept_form::<LoginFields>(ctx, req).await? {
        Ok(accepted) => accepted,
        Err(page) => return Ok(page),
    };
    let audience = target
        .as_ref()
        .and_then(|t| t.service(&services))
        .map(|s| s.audience.clone());

    let username = fields.username.trim();
    // No username is longer than this, so a longer one is cut for the throttle
    // key and the audit line, which then stay bounded.
    let shown: String = username.chars().take(MAX_USERNAME_LEN).collect();
    let user_key = format!("user:{}", shown.to_ascii_lowercase());
    let addr_key = format!("addr:{}", ctx.client_addr);
    let since = ctx.now - THROTTLE_WINDOW;
    let attempt = store::begin_attempt(&ctx.db, [&user_key, &addr_key], ctx.now, since).await?;
    if let Some(retry_after) = throttled(ctx, &attempt, &user_key) {
        store::withdraw_attempt(&ctx.db, &attempt).await?;
        Audit::new("login", "throttled", &ctx.request_id)
            .with("user", shown.as_str())
            .with("service", audience.clone())
            .with("retry_after", retry_after)
            .emit();
        let mut response = form_page(
            ctx,
            req,
            429,
            &services,
            target.as_ref(),
            username,
            Some(SIGN_IN_FAILED),
            None,
        )?;
        response
            .headers_mut()
            .set("Retry-After", &retry_after.to_string())?;
        return Ok(response);
    }

    let user = match check_credentials(ctx, username, &fields.password).await? {
        Some(user) => user,
        None => {
            // The attempt's rows stay: they are this failure's record.
            Audit::new("login", "failure", &ctx.request_id)
                .with("user", shown.as_str())
                .with("service", audience)
                .emit();
            return form_page(
                ctx,
                req,
                401,
                &services,
                target.as_ref(),
                username,
                Some(SIGN_IN_FAILED),
                None,
            );
        }
    };

    let session_cookie = session::start(ctx, user.id, &user_key, &attempt).await?;
    Audit::new("login", "success", &ctx.request_id)
        .with("user", user.username.as_str())
        .with("service", audience)
        .emit();
    let session = store::Session {
        user_id: user.id,
        username: user.username,
        expires_at: ctx.now + ctx.config.session_max_age,
    };
    match target {
        Some(target) => enter(
            ctx,
            &services,
            &target,
            &session,
            "login",
            vec![session_cookie],
        ),
        None => with_cookies(see_other(HOME)?, &[session_cookie]),
    }
}

/// Returns the user when the password is right and the account enabled. An
/// unknown user costs the same hashing work as a known one; a disabled one
/// is checked in full and then refused.
async fn check_credentials(
    ctx: &Ctx,
    username: &str,
    password: &str,
) -> AppResult<Option<store::User>> {
    let policy = ctx.config.hash_policy;
    let found = if username.is_empty() || username.len() > MAX_USERNAME_LEN {
        None
    } else {
        store::find_user(&ctx.db, username).await?
    };
    let Some(user) = found else {
        policy.burn(password);
        return Ok(None);
    };

    let verdict = match policy.verify(password, &user.password_hash) {
        Ok(verdict) => verdict,
        Err(crate::passwords::PasswordError::TooLong) => {
            // As long as for an unknown user, so length reveals nothing.
            policy.burn(password);
            Verdict::Mismatch
        }
        Err(other) => {
            // The stored hash is unusable: the account cannot sign in until an
            // administrator sets a new password. Spend the usual work anyway.
            policy.burn(password);
            Audit::new("login", "unusable_hash", &ctx.request_id)
                .with("user", user.username.as_str())
                .with("reason", other.to_string())
                .emit();
            Verdict::Mismatch
        }
    };

    match verdict {
        Verdict::Mismatch => Ok(None),
        _ if user.disabled != 0 => Ok(None),
        Verdict::Match => Ok(Some(user)),
        Verdict::MatchNeedsRehash => {
            match policy.hash(password) {
                Ok(hash) => {
                    store::set_password_hash(&ctx.db, user.id, &hash, ctx.now).await?;
                    Audit::new("password", "rehashed", &ctx.request_id)
                        .with("user", user.username.as_str())
                        .emit();
                }
                // The password was right; a failed upgrade must not lock the user out.
                Err(err) => Audit::new("password", "rehash_failed", &ctx.request_id)
                    .with("user", user.username.as_str())
                    .with("reason", err.to_string())
                    .emit(),
            }
            Ok(Some(user))
        }
    }
}

/// Seconds until the caller may try again, when this attempt went over the
/// limit of either key (the counts include this attempt).
fn throttled(ctx: &Ctx, attempt: &store::Attempt, user_key: &str) -> Option<i64> {
    attempt
        .windows
        .iter()
        .filter(|w| {
            let limit = if w.throttle_key == user_key {
                MAX_USER_FAILURES
            } else {
                MAX_ADDR_FAILURES
            };
            w.failures > limit
        })
        .map(|w| (w.oldest + THROTTLE_WINDOW - ctx.now).max(1))
        .max()
}

/// Issues the target service's token cookie and sends the browser there.
fn enter(
    ctx: &Ctx,
    services: &[Service],
    target: &ReturnTarget,
    session: &store::Session,
    how: &'static str,
    mut cookies: Vec<String>,
) -> AppResult<Response> {
    let Some(service) = target.service(services) else {
        return see_other(HOME);
    };
    cookies.push(session::service_token_cookie(
        ctx,
        service,
        &session.username,
        session.expires_at,
    )?);
    Audit::new("token", "issued", &ctx.request_id)
        .with("via", how)
        .with("user", session.username.as_str())
        .with("service", service.audience.as_str())
        .emit();
    with_cookies(see_other(target.as_str())?, &cookies)
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    ctx: &Ctx,
    req: &Request,
    status: u16,
    services: &[Service],
    target: Option<&ReturnTarget>,
    username: &str,
    error: Option<&str>,
    notice: Option<&str>,
) -> AppResult<Response> {
    let (csrf, csrf_cookie) = csrf::issue(&ctx.config, req)?;
    let page = pages::login(&LoginForm {
        service: target
            .and_then(|t| t.service(services))
            .map(|s| s.display_name.as_str()),
        redirect_url: target.map(ReturnTarget::as_str),
        username,
        csrf: &csrf,
        error,
        notice,
    });
    with_cookies(html(status, page)?, &[csrf_cookie])
}

fn signed_in_page(
    ctx: &Ctx,
    req: &Request,
    services: &[Service],
    username: &str,
) -> AppResult<Response> {
    let (csrf, csrf_cookie) = csrf::issue(&ctx.config, req)?;
    let links: Vec<(String, String)> = services
        .iter()
        .filter_map(|s| {
            let prefix = s.prefixes.first()?;
            let url = return_target::check(prefix, services).ok()?;
            Some((s.display_name.clone(), url.as_str().to_owned()))
        })
        .collect();
    let page = pages::signed_in(username, &csrf, &links);
    with_cookies(html(200, page)?, &[csrf_cookie])
}

/// A form posted to this worker: it carries a CSRF token and maybe a return address.
pub trait PostedForm: serde::de::DeserializeOwned {
    /// The form's `csrf_token`.
    fn csrf_token(&self) -> Option<&str>;
    /// The form's `redirect_url`.
    fn redirect_url(&self) -> Option<&str>;
}

impl PostedForm for LoginFields {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
    fn redirect_url(&self) -> Option<&str> {
        self.redirect_url.as_deref()
    }
}

/// Reads a posted form and checks it in the order every POST here needs:
/// the body, then CSRF, then the return address. Returns the fields, the
/// registered services and the target, or the page that refuses the form.
pub async fn accept_form<T: PostedForm>(
    ctx: &Ctx,
    req: &mut Request,
) -> AppResult<Result<(T, Vec<Service>, Option<ReturnTarget>), Response>> {
    let fields = match form::<T>(req).await? {
        Ok(fields) => fields,
        Err(_) => return expired(ctx, req, "unreadable_form").map(Err),
    };
    if let Err(failure) = csrf::check(&ctx.config, req, fields.csrf_token()) {
        return expired(ctx, req, failure.reason()).map(Err);
    }
    let services = store::services(&ctx.db).await?;
    match checked_target(ctx, fields.redirect_url(), &services) {
        Ok(target) => Ok(Ok((fields, services, target))),
        Err(page) => page.map(Err),
    }
}

/// The checked return target of a `redirect_url` (none when absent or empty),
/// or, when it is refused, the 400 page to answer with.
pub fn checked_target(
    ctx: &Ctx,
    raw: Option<&str>,
    services: &[Service],
) -> Result<Option<ReturnTarget>, AppResult<Response>> {
    match raw.filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(raw) => match return_target::check(raw, services) {
            Ok(target) => Ok(Some(target)),
            Err(why) => Err(bad_target(ctx, why)),
        },
    }
}

/// The 400 page for a refused return address. It links to this worker's
/// own page and never to the address given.
fn bad_target(ctx: &Ctx, why: return_target::TargetError) -> AppResult<Response> {
    Audit::new("return_target", "refused", &ctx.request_id)
        .with("reason", why.to_string())
        .emit();
    let page = pages::problem(
        "Cannot continue",
        BAD_RETURN_ADDRESS,
        HOME,
        "Go to the aurorahours.com sign-in page",
    );
    html(400, page)
}

/// The 403 page for a form that failed its CSRF check.
pub fn expired(ctx: &Ctx, req: &Request, reason: &'static str) -> AppResult<Response> {
    Audit::new("form", "refused", &ctx.request_id)
        .with("path", req.path())
        .with("reason", reason)
        .emit();
    let page = pages::problem("Please try again", FORM_EXPIRED, HOME, "Back to sign-in");
    html(403, page)
}

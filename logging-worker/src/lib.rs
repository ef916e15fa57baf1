//! The logging worker: ingest, storage, query, the log viewer and the archive cron.

mod archive;
mod auth;
mod config;
mod cursor;
mod entry;
mod error;
mod ingest;
mod log;
mod query;
mod search;
mod sql;
mod time;
mod viewer;

use aurora_auth::SubjectKind;
use serde_json::json;
use worker::{event, Context, Env, Method, Request, Response, ScheduleContext, ScheduledEvent};

use crate::auth::{Caller, Credentials};
use crate::config::Config;
use crate::error::AppError;

const HEALTH_PATH: &str = "/logging-backend/health";
const ME_PATH: &str = "/logging-backend/me";

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let ray = req.headers().get("cf-ray").ok().flatten();
    match route(req, &env).await {
        Ok(response) => Ok(response),
        Err(err) => error::into_response(err, ray.as_deref()),
    }
}

async fn route(req: Request, env: &Env) -> Result<Response, AppError> {
    let method = req.method();
    match (req.path().as_str(), method) {
        (HEALTH_PATH, Method::Get) => Ok(Response::from_json(
            &json!({"status": "ok", "service": "logging"}),
        )?),
        (viewer::CSS_PATH, Method::Get) => viewer::stylesheet(),
        ("/logging-backend" | "/logging-backend/", Method::Get) => {
            let headers = worker::Headers::new();
            headers.set("Location", viewer::LOGS_PATH)?;
            Ok(Response::empty()?.with_status(302).with_headers(headers))
        }
        (viewer::LOGS_PATH, Method::Get) => {
            let (config, now) = (Config::from_env(env)?, now_ms());
            let caller = authenticate(&req, env, &config, SubjectKind::User, now)?;
            query::handle(&req, env, &config, &caller, now).await
        }
        (viewer::LOGS_PATH, Method::Post) => {
            let (config, now) = (Config::from_env(env)?, now_ms());
            let caller = authenticate(&req, env, &config, SubjectKind::Service, now)?;
            ingest::handle(req, &env.d1("DB")?, &caller, now).await
        }
        (viewer::LOGS_PATH, _) => Err(AppError::MethodNotAllowed { allow: "GET, POST" }),
        // Who a person's token says they are: cheap, and a check that sign-in works.
        (ME_PATH, Method::Get) => {
            let (config, now) = (Config::from_env(env)?, now_ms());
            let caller = authenticate(&req, env, &config, SubjectKind::User, now)?;
            Ok(Response::from_json(
                &json!({"sub": caller.sub, "kind": caller.kind.as_str()}),
            )?)
        }
        (HEALTH_PATH | viewer::CSS_PATH | ME_PATH, _) => {
            Err(AppError::MethodNotAllowed { allow: "GET" })
        }
        _ => Err(AppError::NotFound),
    }
}

/// The runtime's clock, in Unix milliseconds.
fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}

/// The verified caller of the `needed` kind, or the refusal (logged with its reason class).
fn authenticate(
    req: &Request,
    env: &Env,
    config: &Config,
    needed: SubjectKind,
    now: i64,
) -> Result<Caller, AppError> {
    let headers = req.headers();
    let cookie = headers.get("Cookie")?;
    let authorization = headers.get("Authorization")?;
    let credentials = Credentials {
        cookie_header: cookie.as_deref(),
        authorization: authorization.as_deref(),
    };
    let rules = config.validation();
    let verdict = config::with_verification_keys(env, |keys, verified| {
        auth::authenticate(
            credentials,
            &config.token_cookie,
            keys,
            verified,
            &rules,
            needed,
            now.div_euclid(1000),
        )
    })?;
    let denial = match verdict {
        Ok(caller) => return Ok(caller),
        Err(denial) => denial,
    };

    let url = req.url()?;
    log::event(json!({
        "event": "auth", "result": "denied", "reason": denial.reason(),
        "needed": needed.as_str(), "path": url.path(), "ray": headers.get("cf-ray")?,
    }));
    let path_and_query = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let accept = headers.get("Accept")?;
    let page = auth::is_page_request(req.method() == Method::Get, accept.as_deref());
    Err(auth::refusal(&denial, page, config, &path_and_query))
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    // The run acts as of its scheduled time, so a late start changes nothing.
    let now = event.schedule() as i64;
    let started = now_ms();
    let outcome = async {
        let config = Config::from_env(&env)?;
        archive::run(&env.d1("DB")?, &env.bucket("ARCHIVE")?, &config, now).await
    }
    .await;
    match outcome {
        Ok(report) => log::event(json!({
            "event": "archive", "result": "ok", "chunks": report.chunks,
            "entries": report.entries, "bytes": report.bytes, "expired": report.expired,
            "swept": report.swept, "stopped": report.stopped, "ms": now_ms() - started,
        })),
        Err(err) => log::error(json!({
            "event": "archive", "result": "error", "cause": format!("{err:?}"),
        })),
    }
}

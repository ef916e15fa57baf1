//! The identity worker: users, the login page, sessions and token issuance.
//!
//! Routes, all under `/identity-backend`:
//!
//! | method | path | module |
//! |---|---|---|
//! | GET, POST | `/login` | [`login`] |
//! | GET, POST | `/logout` | [`logout`] |
//! | POST | `/token` | [`token_endpoint`] |
//! | GET | `/.well-known/jwks.json` | [`token_endpoint`] |
//! | GET | `/static/identity.css` | [`pages`] |
//! | GET | `/health` | here |

#[cfg(not(target_arch = "wasm32"))]
pub mod admin;
pub mod audit;
pub mod config;
pub mod csrf;
pub mod http;
pub mod login;
pub mod logout;
pub mod pages;
pub mod passwords;
pub mod random;
pub mod request;
pub mod return_target;
pub mod session;
pub mod store;
pub mod token_endpoint;

use worker::{event, Context, Env, Method, Request, Response};

use http::{AppError, AppResult};
use request::Ctx;

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let request_id = request::header(&req, "cf-ray")
        .filter(|id| id.len() <= 64)
        .or_else(|| {
            random::token_256()
                .ok()
                .map(|t| t.chars().take(16).collect())
        })
        .unwrap_or_default();
    match route(&mut req, &env, &request_id).await {
        Ok(response) => Ok(response),
        Err(err) => err.into_response(&request_id),
    }
}

async fn route(req: &mut Request, env: &Env, request_id: &str) -> AppResult<Response> {
    let method = req.method();
    let path = req.path();
    let sub = path.strip_prefix(config::PREFIX).unwrap_or("");

    match sub {
        "/health" => {
            return Ok(Response::from_json(
                &serde_json::json!({"status": "ok", "service": "identity"}),
            )?)
        }
        "/static/identity.css" => return stylesheet(),
        #[cfg(feature = "bench")]
        "/__bench/pbkdf2" => {
            // The hashing one sign-in performs, alone, for the benchmark's baseline.
            let config = config::Config::load(env).map_err(|e| AppError::Config(e.to_string()))?;
            config.hash_policy.burn("benchmark password");
            return Ok(Response::empty()?.with_status(204));
        }
        _ => {}
    }

    let allowed = match sub {
        "" | "/" => "GET",
        "/login" | "/logout" => "GET, POST",
        "/token" => "POST",
        "/.well-known/jwks.json" => "GET",
        _ => return Err(AppError::NotFound),
    };
    let ctx = Ctx::new(env, req, request_id.to_owned())?;
    match (method, sub) {
        (Method::Get, "" | "/") => http::see_other(login::HOME),
        (Method::Get, "/login") => login::show(&ctx, req).await,
        (Method::Post, "/login") => login::submit(&ctx, req).await,
        (Method::Get, "/logout") => logout::show(&ctx, req).await,
        (Method::Post, "/logout") => logout::submit(&ctx, req).await,
        (Method::Post, "/token") => token_endpoint::issue(&ctx, req).await,
        (_, "/token") => token_endpoint::wrong_method(),
        (Method::Get, "/.well-known/jwks.json") => token_endpoint::jwks(&ctx),
        _ => Err(AppError::MethodNotAllowed(allowed)),
    }
}

fn stylesheet() -> AppResult<Response> {
    let mut response = Response::ok(pages::STYLESHEET)?;
    let headers = response.headers_mut();
    headers.set("Content-Type", "text/css; charset=utf-8")?;
    headers.set("Cache-Control", "public, max-age=3600")?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    Ok(response)
}

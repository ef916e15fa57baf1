//! The identity worker: users, the login page, sessions and token issuance.

use worker::{event, Context, Env, Request, Response, Result, Router};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Router::new()
        .get("/identity-backend/health", |_, _| {
            Response::from_json(&serde_json::json!({"status": "ok", "service": "identity"}))
        })
        .run(req, env)
        .await
}

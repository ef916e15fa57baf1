//! The logging worker: ingest, storage, query and the log viewer.

use worker::{event, Context, Env, Request, Response, Result, Router};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Router::new()
        .get("/logging-backend/health", |_, _| {
            Response::from_json(&serde_json::json!({"status": "ok", "service": "logging"}))
        })
        .run(req, env)
        .await
}

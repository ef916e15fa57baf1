//! Every D1 query of the identity worker, as prepared statements with bound values.

use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

use crate::http::AppResult;
use crate::return_target::Service;

fn text(value: &str) -> JsValue {
    JsValue::from_str(value)
}

fn int(value: i64) -> JsValue {
    // D1 takes numbers as JavaScript doubles; every value here is far below 2^53.
    JsValue::from_f64(value as f64)
}

fn stmt(db: &D1Database, sql: &str, values: &[JsValue]) -> AppResult<D1PreparedStatement> {
    Ok(db.prepare(sql).bind(values)?)
}

/// A user as the login check needs it.
#[derive(Deserialize)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// The name as entered when the user was created.
    pub username: String,
    /// PHC string.
    pub password_hash: String,
    /// 1 when the account may not sign in.
    pub disabled: i64,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

/// Finds a user by name, case-insensitively.
pub async fn find_user(db: &D1Database, username: &str) -> AppResult<Option<User>> {
    let sql = "SELECT id, username, password_hash, disabled FROM users WHERE username = ?1";
    Ok(stmt(db, sql, &[text(username)])?
        .first::<User>(None)
        .await?)
}

/// Stores a new hash for a user (after a rehash at sign-in).
pub async fn set_password_hash(
    db: &D1Database,
    user_id: i64,
    hash: &str,
    now: i64,
) -> AppResult<()> {
    let sql = "UPDATE users SET password_hash = ?1, updated_at = ?2, password_changed_at = ?2 \
               WHERE id = ?3";
    stmt(db, sql, &[text(hash), int(now), int(user_id)])?
        .run()
        .await?;
    Ok(())
}

#[derive(Deserialize)]
struct ServiceRow {
    audience: String,
    display_name: String,
    cookie_name: String,
    cookie_path: String,
    prefix: Option<String>,
}

/// Every registered service with its return prefixes.
pub async fn services(db: &D1Database) -> AppResult<Vec<Service>> {
    let sql = "SELECT s.audience, s.display_name, s.cookie_name, s.cookie_path, p.prefix \
               FROM services s LEFT JOIN service_return_prefixes p ON p.audience = s.audience \
               ORDER BY s.audience, p.prefix";
    let rows = db.prepare(sql).all().await?.results::<ServiceRow>()?;
    let mut services: Vec<Service> = Vec::new();
    for row in rows {
        match services.last_mut() {
            Some(last) if last.audience == row.audience => last.prefixes.extend(row.prefix),
            _ => services.push(Service {
                audience: row.audience,
                display_name: row.display_name,
                cookie_name: row.cookie_name,
                cookie_path: row.cookie_path,
                prefixes: row.prefix.into_iter().collect(),
            }),
        }
    }
    Ok(services)
}

/// A live session and the user it belongs to.
#[derive(Debug, Deserialize)]
pub struct Session {
    /// The user's row id.
    pub user_id: i64,
    /// The user's name.
    pub username: String,
    /// When the session ends regardless of use.
    pub expires_at: i64,
}

/// Opens a session (only the hash of its id is stored) and, in the same
/// transaction, forgets the failures recorded under `clear_key` and takes
/// back the successful attempt's rows.
pub async fn create_session(
    db: &D1Database,
    id_hash: &str,
    user_id: i64,
    now: i64,
    expires_at: i64,
    clear_key: &str,
    attempt: &Attempt,
) -> AppResult<()> {
    let insert = "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at) \
                  VALUES (?1, ?2, ?3, ?3, ?4)";
    let clear = "DELETE FROM login_failures WHERE throttle_key = ?1";
    let mut batch = withdraw_statements(db, attempt)?;
    batch.push(stmt(db, clear, &[text(clear_key)])?);
    batch.push(stmt(
        db,
        insert,
        &[text(id_hash), int(user_id), int(now), int(expires_at)],
    )?);
    db.batch(batch).await?;
    Ok(())
}

/// The session with this id hash, if it is neither revoked, expired, idle
/// for longer than `idle` seconds, nor owned by a disabled user; marks it used.
pub async fn live_session(
    db: &D1Database,
    id_hash: &str,
    now: i64,
    idle: i64,
) -> AppResult<Option<Session>> {
    let sql = "SELECT s.user_id, u.username, s.expires_at FROM sessions s \
               JOIN users u ON u.id = s.user_id \
               WHERE s.id_hash = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2 \
               AND s.last_seen_at > ?3 AND u.disabled = 0";
    let found = stmt(db, sql, &[text(id_hash), int(now), int(now - idle)])?
        .first::<Session>(None)
        .await?;
    if found.is_some() {
        let touch = "UPDATE sessions SET last_seen_at = ?1 WHERE id_hash = ?2";
        stmt(db, touch, &[int(now), text(id_hash)])?.run().await?;
    }
    Ok(found)
}

/// Ends a session for good.
pub async fn revoke_session(db: &D1Database, id_hash: &str, now: i64) -> AppResult<()> {
    let sql = "UPDATE sessions SET revoked_at = ?1 WHERE id_hash = ?2 AND revoked_at IS NULL";
    stmt(db, sql, &[int(now), text(id_hash)])?.run().await?;
    Ok(())
}

/// Failures recorded under one throttle key within a window.
#[derive(Debug, Deserialize)]
pub struct FailureWindow {
    /// The key, e.g. `user:alice`.
    pub throttle_key: String,
    /// How many failures.
    pub failures: i64,
    /// When the oldest of them happened.
    pub oldest: i64,
}

#[derive(Deserialize)]
struct RowId {
    id: i64,
}

/// A sign-in attempt, recorded as a failure under both throttle keys before the
/// password is checked, so that attempts racing each other all count.
#[derive(Debug)]
pub struct Attempt {
    /// The rows this attempt added.
    pub row_ids: Vec<i64>,
    /// Failures under each key since the window began, this attempt included.
    pub windows: Vec<FailureWindow>,
}

/// Forgets failures older than `since` under both keys, records this attempt
/// under both, and counts what the window holds, in one transaction.
pub async fn begin_attempt(
    db: &D1Database,
    keys: [&str; 2],
    now: i64,
    since: i64,
) -> AppResult<Attempt> {
    let prune = "DELETE FROM login_failures WHERE throttle_key IN (?1, ?2) AND failed_at <= ?3";
    let insert =
        "INSERT INTO login_failures (throttle_key, failed_at) VALUES (?1, ?2) RETURNING id";
    let count = "SELECT throttle_key, COUNT(*) AS failures, MIN(failed_at) AS oldest \
                 FROM login_failures WHERE throttle_key IN (?1, ?2) AND failed_at > ?3 \
                 GROUP BY throttle_key";
    let results = db
        .batch(vec![
            stmt(db, prune, &[text(keys[0]), text(keys[1]), int(since)])?,
            stmt(db, insert, &[text(keys[0]), int(now)])?,
            stmt(db, insert, &[text(keys[1]), int(now)])?,
            stmt(db, count, &[text(keys[0]), text(keys[1]), int(since)])?,
        ])
        .await?;
    let mut row_ids = Vec::new();
    let mut windows = Vec::new();
    for (index, result) in results.iter().enumerate() {
        match index {
            1 | 2 => row_ids.extend(result.results::<RowId>()?.into_iter().map(|r| r.id)),
            3 => windows = result.results::<FailureWindow>()?,
            _ => {}
        }
    }
    Ok(Attempt { row_ids, windows })
}

/// Takes back an attempt's rows (a throttled attempt does not extend the window).
pub async fn withdraw_attempt(db: &D1Database, attempt: &Attempt) -> AppResult<()> {
    db.batch(withdraw_statements(db, attempt)?).await?;
    Ok(())
}

fn withdraw_statements(db: &D1Database, attempt: &Attempt) -> AppResult<Vec<D1PreparedStatement>> {
    let sql = "DELETE FROM login_failures WHERE id = ?1";
    attempt
        .row_ids
        .iter()
        .map(|id| stmt(db, sql, &[int(*id)]))
        .collect()
}

/// A machine client, as the token endpoint needs it.
#[derive(Deserialize)]
pub struct Client {
    /// Its public id.
    pub client_id: String,
    /// SHA-256 of its secret, hex.
    pub secret_hash: String,
    /// The `sub` of its tokens.
    pub subject: String,
    /// Set when the client may no longer get tokens.
    pub revoked_at: Option<i64>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("client_id", &self.client_id)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// Finds a client by id.
pub async fn find_client(db: &D1Database, client_id: &str) -> AppResult<Option<Client>> {
    let sql = "SELECT client_id, secret_hash, subject, revoked_at FROM service_clients \
               WHERE client_id = ?1";
    Ok(stmt(db, sql, &[text(client_id)])?
        .first::<Client>(None)
        .await?)
}

#[derive(Deserialize)]
struct Found {
    found: i64,
}

/// May this client request tokens for this audience?
pub async fn client_may_request(
    db: &D1Database,
    client_id: &str,
    audience: &str,
) -> AppResult<bool> {
    let sql = "SELECT COUNT(*) AS found FROM service_client_audiences \
               WHERE client_id = ?1 AND audience = ?2";
    let row = stmt(db, sql, &[text(client_id), text(audience)])?
        .first::<Found>(None)
        .await?;
    Ok(row.is_some_and(|r| r.found > 0))
}

/// Notes that a client got a token.
pub async fn touch_client(db: &D1Database, client_id: &str, now: i64) -> AppResult<()> {
    let sql = "UPDATE service_clients SET last_used_at = ?1 WHERE client_id = ?2";
    stmt(db, sql, &[int(now), text(client_id)])?.run().await?;
    Ok(())
}

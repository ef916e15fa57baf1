//! The pure part of the admin tool: checking names and building SQL for
//! `wrangler d1 execute`, which takes no bound parameters. Every value is
//! checked against a strict character set first and then quoted by
//! [`sql_text`], the only place a value enters SQL text.

use aurora_auth::{SigningKey, SigningKeySet};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

use crate::return_target::check_prefix;

/// Why an admin command's input was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError(pub String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

fn refuse<T>(message: impl Into<String>) -> Result<T, InputError> {
    Err(InputError(message.into()))
}

/// A SQLite string literal: single quotes doubled. Control characters are refused.
pub fn sql_text(value: &str) -> Result<String, InputError> {
    if value.chars().any(char::is_control) {
        return refuse("values may not contain control characters");
    }
    Ok(format!("'{}'", value.replace('\'', "''")))
}

/// Usernames: 1 to 64 ASCII letters, digits and `._@-`, so that D1's NOCASE
/// collation compares them case-insensitively.
pub fn check_username(name: &str) -> Result<(), InputError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._@-".contains(&b));
    if ok {
        Ok(())
    } else {
        refuse("a username is 1 to 64 ASCII letters, digits or . _ @ -")
    }
}

/// Identifiers (audiences, client ids, subjects, cookie names): 1 to 64 of
/// ASCII letters, digits and `._-`.
pub fn check_identifier(what: &str, value: &str) -> Result<(), InputError> {
    let ok = (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        refuse(format!(
            "{what} must be 1 to 64 ASCII letters, digits or . _ -"
        ))
    }
}

/// A cookie path: absolute, no trailing slash except for `/`, plain characters.
pub fn check_cookie_path(path: &str) -> Result<(), InputError> {
    let ok = path.starts_with('/')
        && (path == "/" || !path.ends_with('/'))
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-".contains(&b));
    if ok {
        Ok(())
    } else {
        refuse("a cookie path starts with / and has no trailing slash, e.g. /logging-backend")
    }
}

/// A PHC string as stored, checked for its character set (the worker checks the rest).
pub fn check_phc(hash: &str) -> Result<(), InputError> {
    let ok = hash.starts_with("$pbkdf2-sha")
        && hash.len() < 512
        && hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"$=,+/.-".contains(&b));
    if ok {
        Ok(())
    } else {
        refuse("not a PBKDF2 PHC string ($pbkdf2-sha512$... or $pbkdf2-sha256$...)")
    }
}

/// SQL that creates a user.
pub fn add_user(username: &str, phc: &str, now: i64) -> Result<String, InputError> {
    check_username(username)?;
    check_phc(phc)?;
    Ok(format!(
        "INSERT INTO users (username, password_hash, created_at, updated_at, \
         password_changed_at) VALUES ({}, {}, {now}, {now}, {now});",
        sql_text(username)?,
        sql_text(phc)?
    ))
}

/// SQL that replaces a user's password hash.
pub fn set_password(username: &str, phc: &str, now: i64) -> Result<String, InputError> {
    check_username(username)?;
    check_phc(phc)?;
    Ok(format!(
        "UPDATE users SET password_hash = {}, updated_at = {now}, password_changed_at = {now} \
         WHERE username = {};",
        sql_text(phc)?,
        sql_text(username)?
    ))
}

/// SQL that disables or enables a user; disabling also revokes their sessions.
pub fn set_disabled(username: &str, disabled: bool, now: i64) -> Result<String, InputError> {
    check_username(username)?;
    let name = sql_text(username)?;
    let flag = i32::from(disabled);
    let mut sql =
        format!("UPDATE users SET disabled = {flag}, updated_at = {now} WHERE username = {name};");
    if disabled {
        sql.push_str(&format!(
            " UPDATE sessions SET revoked_at = {now} WHERE revoked_at IS NULL AND user_id = \
             (SELECT id FROM users WHERE username = {name});"
        ));
    }
    Ok(sql)
}

/// A service to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewService {
    /// Its audience.
    pub audience: String,
    /// Shown on the login page.
    pub display_name: String,
    /// Token cookie name.
    pub cookie_name: String,
    /// Token cookie path.
    pub cookie_path: String,
    /// Return prefixes.
    pub prefixes: Vec<String>,
}

/// SQL that registers (or replaces) a service and its prefixes.
pub fn add_service(service: &NewService, now: i64) -> Result<String, InputError> {
    check_identifier("the audience", &service.audience)?;
    check_identifier("the cookie name", &service.cookie_name)?;
    check_cookie_path(&service.cookie_path)?;
    if service.display_name.trim().is_empty() || service.display_name.len() > 100 {
        return refuse("a display name is 1 to 100 characters");
    }
    if service.prefixes.is_empty() {
        return refuse("give at least one --prefix");
    }
    let audience = sql_text(&service.audience)?;
    let mut sql = format!(
        "DELETE FROM service_return_prefixes WHERE audience = {audience}; \
         INSERT INTO services (audience, display_name, cookie_name, cookie_path, created_at) \
         VALUES ({audience}, {}, {}, {}, {now}) ON CONFLICT (audience) DO UPDATE SET \
         display_name = excluded.display_name, cookie_name = excluded.cookie_name, \
         cookie_path = excluded.cookie_path;",
        sql_text(service.display_name.trim())?,
        sql_text(&service.cookie_name)?,
        sql_text(&service.cookie_path)?,
    );
    for prefix in &service.prefixes {
        let url =
            check_prefix(prefix).map_err(|e| InputError(format!("prefix {prefix:?}: {e}")))?;
        if !url.path().starts_with(&service.cookie_path) {
            return refuse(format!(
                "prefix {prefix:?} is outside the cookie path {}: the service would never \
                 receive its token",
                service.cookie_path
            ));
        }
        sql.push_str(&format!(
            " INSERT INTO service_return_prefixes (audience, prefix) VALUES ({audience}, {});",
            sql_text(url.as_str())?
        ));
    }
    Ok(sql)
}

/// A new client secret: 256 random bits, shown once.
pub fn new_client_secret() -> Result<String, InputError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| InputError(format!("random source: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// SQL that creates a client with its allowed audiences.
pub fn add_client(
    client_id: &str,
    secret_hash: &str,
    subject: &str,
    audiences: &[String],
    now: i64,
) -> Result<String, InputError> {
    check_identifier("the client id", client_id)?;
    check_identifier("the subject", subject)?;
    if audiences.is_empty() {
        return refuse("give at least one --audience");
    }
    let id = sql_text(client_id)?;
    let mut sql = format!(
        "INSERT INTO service_clients (client_id, secret_hash, subject, created_at) \
         VALUES ({id}, {}, {}, {now});",
        sql_text(secret_hash)?,
        sql_text(subject)?
    );
    for audience in audiences {
        check_identifier("an audience", audience)?;
        sql.push_str(&format!(
            " INSERT INTO service_client_audiences (client_id, audience) VALUES ({id}, {});",
            sql_text(audience)?
        ));
    }
    Ok(sql)
}

/// SQL that revokes a client.
pub fn revoke_client(client_id: &str, now: i64) -> Result<String, InputError> {
    check_identifier("the client id", client_id)?;
    Ok(format!(
        "UPDATE service_clients SET revoked_at = {now} WHERE client_id = {} \
         AND revoked_at IS NULL;",
        sql_text(client_id)?
    ))
}

/// A fresh Ed25519 signing key.
pub fn new_signing_key(kid: &str) -> Result<SigningKey, InputError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| InputError(format!("random source: {e}")))?;
    SigningKey::ed25519_from_seed(kid, &seed).map_err(|e| InputError(e.to_string()))
}

/// A key set with one fresh key.
pub fn generate_keys(kid: &str) -> Result<SigningKeySet, InputError> {
    SigningKeySet::new(new_signing_key(kid)?, None).map_err(|e| InputError(e.to_string()))
}

/// The set with a fresh current key; the old current key becomes the previous one.
pub fn rotate_keys(private_jwks: &str, kid: &str) -> Result<SigningKeySet, InputError> {
    let set = SigningKeySet::from_jwks(private_jwks).map_err(|e| InputError(e.to_string()))?;
    set.rotate(new_signing_key(kid)?)
        .map_err(|e| InputError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_doubled_and_control_characters_refused() {
        assert_eq!(sql_text("O'Brien").unwrap(), "'O''Brien'");
        assert_eq!(
            sql_text("'); DROP TABLE users; --").unwrap(),
            "'''); DROP TABLE users; --'"
        );
        assert!(sql_text("a\nb").is_err());
        assert!(sql_text("a\0b").is_err());
    }

    #[test]
    fn usernames_and_identifiers_are_plain_ascii() {
        assert!(check_username("alice.smith@example").is_ok());
        assert!(check_username("").is_err());
        assert!(check_username("a'b").is_err());
        assert!(check_username("émile").is_err());
        assert!(check_username(&"a".repeat(65)).is_err());
        assert!(check_identifier("x", "logging-service").is_ok());
        assert!(check_identifier("x", "logging service").is_err());
    }

    #[test]
    fn a_user_row_carries_the_hash_and_times() {
        let sql = add_user("alice", "$pbkdf2-sha512$i=210000,l=64$c2FsdA$aGFzaA", 42).unwrap();
        assert!(sql.contains("'alice'"), "{sql}");
        assert!(
            sql.contains("'$pbkdf2-sha512$i=210000,l=64$c2FsdA$aGFzaA'"),
            "{sql}"
        );
        assert!(sql.contains("42, 42, 42"), "{sql}");
        assert!(add_user("alice", "plaintext", 1).is_err());
    }

    #[test]
    fn disabling_a_user_revokes_their_sessions() {
        let sql = set_disabled("bob", true, 7).unwrap();
        assert!(sql.contains("disabled = 1"));
        assert!(sql.contains("UPDATE sessions SET revoked_at = 7"));
        assert!(!set_disabled("bob", false, 7).unwrap().contains("sessions"));
    }

    fn service(prefix: &str) -> NewService {
        NewService {
            audience: "logging-service".into(),
            display_name: "Logs".into(),
            cookie_name: "logging_token".into(),
            cookie_path: "/logging-backend".into(),
            prefixes: vec![prefix.into()],
        }
    }

    #[test]
    fn a_service_needs_prefixes_inside_its_cookie_path() {
        let sql = add_service(&service("https://aurorahours.com/logging-backend/"), 1).unwrap();
        assert!(
            sql.contains("'https://aurorahours.com/logging-backend/'"),
            "{sql}"
        );
        assert!(add_service(&service("https://aurorahours.com/other/"), 1).is_err());
        assert!(add_service(&service("https://u@aurorahours.com/logging-backend/"), 1).is_err());
        assert!(add_service(&service("javascript:alert(1)"), 1).is_err());
    }

    #[test]
    fn client_secrets_are_long_and_unique() {
        let a = new_client_secret().unwrap();
        assert_eq!(a.len(), 43);
        assert_ne!(a, new_client_secret().unwrap());
    }

    #[test]
    fn rotation_keeps_the_old_key_as_previous() {
        let first = generate_keys("k1").unwrap();
        let rotated = rotate_keys(&first.to_jwks(), "k2").unwrap();
        assert_eq!(rotated.current().kid(), "k2");
        assert_eq!(rotated.previous().map(|k| k.kid()), Some("k1"));
        assert!(rotate_keys(&first.to_jwks(), "k1").is_err());
    }
}

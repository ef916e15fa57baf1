//! Token claims, signing and verification, key sets and cookies shared by the workers.
//!
//! Tokens are compact JWS (JWT) signed with Ed25519 (`EdDSA`) or HS256. Every key has a
//! key id (`kid`) and is bound to one algorithm: a token names its key with the `kid`
//! header and cannot choose how it is checked. Nothing here reads the clock; every
//! function that needs the time takes `now` in Unix seconds.
//!
//! ```
//! use aurora_auth::{Claims, SigningKey, SigningKeySet, SubjectKind, TokenError, Validation};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The identity worker loads its private key set (a secret) and signs.
//! let key = SigningKey::ed25519_from_seed("2025-01", &[7; 32])?;
//! let signing = SigningKeySet::new(key, None)?;
//! let private_jwks = signing.to_jwks(); // for `wrangler secret put`
//! let signing = SigningKeySet::from_jwks(&private_jwks)?;
//!
//! let now = 1_750_000_000;
//! let token = signing.sign(&Claims {
//!     iss: "https://id.aurorahours.com".into(),
//!     sub: "user-42".into(),
//!     aud: "logging".into(),
//!     iat: now,
//!     exp: now + 900,
//!     nbf: None,
//!     jti: Some("b1f3".into()),
//!     kind: SubjectKind::User,
//! })?;
//!
//! // Another worker verifies with the published public keys.
//! let verifying = aurora_auth::VerificationKeySet::from_jwks(&signing.public_jwks())?;
//! let rules = Validation {
//!     issuer: "https://id.aurorahours.com".into(),
//!     audience: "logging".into(),
//!     leeway: 30,
//!     max_lifetime: 3600,
//! };
//! let claims = verifying.verify(&token, &rules, now + 60)?;
//! assert_eq!(claims.sub, "user-42");
//! assert_eq!(verifying.verify(&token, &rules, now + 3600), Err(TokenError::Expired));
//! # Ok(())
//! # }
//! ```
//!
//! Cookies carry such tokens:
//!
//! ```
//! use aurora_auth::{cookie_values, CookieSpec, SameSite};
//!
//! let spec = CookieSpec {
//!     name: "__Host-session".into(),
//!     domain: None,
//!     path: "/".into(),
//!     secure: true,
//!     http_only: true,
//!     same_site: SameSite::Lax,
//! };
//! assert_eq!(
//!     spec.set("abc.def", 600).unwrap(),
//!     "__Host-session=abc.def; Max-Age=600; Path=/; Secure; HttpOnly; SameSite=Lax"
//! );
//! assert_eq!(cookie_values("a=1; __Host-session=abc.def", "__Host-session"), ["abc.def"]);
//! ```
#![warn(missing_docs)]

mod claims;
mod cookies;
mod eddsa;
mod keys;
mod token;

pub use claims::{Claims, SubjectKind};
pub use cookies::{cookie_values, CookieError, CookieSpec, SameSite, EXPIRES_IN_THE_PAST};
pub use keys::{
    Algorithm, KeyError, SigningKey, SigningKeySet, VerificationKeySet, MAX_KEY_ID_LEN,
    MAX_SIGNING_KEYS, MIN_HS256_SECRET_LEN,
};
pub use token::{
    SignError, TokenError, Validation, VerifiedTokens, MAX_LEEWAY_SECS, MAX_TOKEN_LEN,
};

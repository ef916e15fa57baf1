//! Signing and verifying compact JWS tokens, and the rules checked after the signature.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use jwt_compact::alg::Hs256;
use jwt_compact::{AlgorithmExt as _, Header, ParseError, TimeOptions, UntrustedToken};
use jwt_compact::{Empty, ValidationError};

use crate::claims::{ClaimProblem, Claims, IncomingClaims, OutgoingClaims};
use crate::eddsa::EdDsa;
use crate::keys::{PublicMaterial, SecretMaterial, SigningKeySet, VerificationKeySet};

/// Largest leeway honoured, in seconds; a larger [`Validation::leeway`] is cut to this.
pub const MAX_LEEWAY_SECS: i64 = 60;

/// Longest token accepted by `verify`, in bytes. Longer input is refused unparsed.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// The rules a token must meet after its signature checks out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    /// Required `iss`, compared exactly.
    pub issuer: String,
    /// Required `aud`, compared exactly; the claim must be a single string.
    pub audience: String,
    /// Clock skew allowed on `exp`, `nbf` and `iat`, in seconds; clamped to `0..=60`.
    pub leeway: i64,
    /// Longest allowed lifetime `exp - iat`, in seconds.
    pub max_lifetime: i64,
}

impl Validation {
    /// The leeway actually used: [`leeway`](Self::leeway) clamped to
    /// `0..=`[`MAX_LEEWAY_SECS`].
    pub fn effective_leeway(&self) -> i64 {
        self.leeway.clamp(0, MAX_LEEWAY_SECS)
    }
}

/// Why a token could not be signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignError {
    /// `exp` is not after `iat`.
    InvalidLifetime,
    /// The header or claims could not be serialized.
    Serialization,
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::InvalidLifetime => "cannot sign: exp must be after iat",
            Self::Serialization => "cannot sign: token serialization failed",
        })
    }
}

impl std::error::Error for SignError {}

/// Why a token was refused. Each failure has its own variant; messages are lowercase
/// and never contain the token or any part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Not a well-formed compact JWS of the expected shape; the reason is fixed text.
    Malformed(&'static str),
    /// The header has no `kid`.
    MissingKeyId,
    /// No key of the set has the header's `kid`.
    UnknownKeyId,
    /// The header's `alg` is not the algorithm of the key named by `kid`.
    AlgorithmMismatch,
    /// The signature does not verify with the key named by `kid`.
    BadSignature,
    /// A required claim (`iss`, `sub`, `aud`, `exp`, `iat`, `kind`) is absent.
    MissingClaim(&'static str),
    /// `iss` is not the expected issuer.
    WrongIssuer,
    /// `aud` is not the expected audience.
    WrongAudience,
    /// `now` is past `exp` plus leeway.
    Expired,
    /// `now` plus leeway is before `nbf`.
    NotYetValid,
    /// `now` plus leeway is before `iat`.
    IssuedInFuture,
    /// `exp` is not after `iat`.
    ExpiresBeforeIssued,
    /// `exp - iat` exceeds [`Validation::max_lifetime`].
    LifetimeTooLong,
    /// The `now` passed in is outside the supported range of dates.
    ClockOutOfRange,
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(reason) => write!(f, "malformed token: {reason}"),
            Self::MissingKeyId => f.write_str("token header has no key id (kid)"),
            Self::UnknownKeyId => f.write_str("token key id is not in the key set"),
            Self::AlgorithmMismatch => {
                f.write_str("token algorithm does not match the algorithm of its key")
            }
            Self::BadSignature => f.write_str("token signature is invalid"),
            Self::MissingClaim(claim) => write!(f, "token lacks the required claim {claim:?}"),
            Self::WrongIssuer => f.write_str("token issuer is not the expected issuer"),
            Self::WrongAudience => f.write_str("token audience is not the expected audience"),
            Self::Expired => f.write_str("token has expired"),
            Self::NotYetValid => f.write_str("token is not valid yet (nbf)"),
            Self::IssuedInFuture => f.write_str("token is issued in the future (iat)"),
            Self::ExpiresBeforeIssued => f.write_str("token expires before it is issued"),
            Self::LifetimeTooLong => f.write_str("token lifetime exceeds the allowed maximum"),
            Self::ClockOutOfRange => f.write_str("current time is outside the supported range"),
        }
    }
}

impl std::error::Error for TokenError {}

impl SigningKeySet {
    /// Signs `claims` with the current key. The header is
    /// `{"alg":...,"kid":...,"typ":"JWT"}`. Only `exp > iat` is checked; no clock is read.
    pub fn sign(&self, claims: &Claims) -> Result<String, SignError> {
        if claims.exp <= claims.iat {
            return Err(SignError::InvalidLifetime);
        }
        let header = Header::empty()
            .with_key_id(self.current.kid.as_str())
            .with_token_type("JWT");
        let payload = jwt_compact::Claims::new(OutgoingClaims::from(claims));
        let token = match &self.current.material {
            SecretMaterial::Ed25519(key) => EdDsa.token(&header, &payload, key),
            SecretMaterial::Hs256(key) => Hs256.token(&header, &payload, key),
        };
        token.map_err(|_| SignError::Serialization)
    }
}

impl VerificationKeySet {
    /// Verifies `token` at time `now` (Unix seconds) and returns its claims.
    ///
    /// The header must name a key of this set by `kid`, and its `alg` must be that key's
    /// algorithm; the signature is then checked with that key only. After the signature
    /// come the claims: `iss`, `aud`, `exp`, `nbf`, `iat` and the lifetime, as set out by
    /// `rules`.
    pub fn verify(&self, token: &str, rules: &Validation, now: i64) -> Result<Claims, TokenError> {
        check_claims(self.verify_signature(token)?, rules, now)
    }

    /// [`verify`](Self::verify), remembering tokens whose signature checked out, so that
    /// the same token presented again skips the signature check. The claims are checked
    /// against `rules` and `now` every time. The cache belongs to this key set: keep one per
    /// set, and start a new one when the set changes.
    pub fn verify_cached(
        &self,
        token: &str,
        rules: &Validation,
        now: i64,
        cache: &mut VerifiedTokens,
    ) -> Result<Claims, TokenError> {
        if let Some(claims) = cache.entries.get(token) {
            return check_claims(claims.clone(), rules, now);
        }
        let claims = self.verify_signature(token)?;
        cache.remember(token, &claims, now);
        check_claims(claims, rules, now)
    }

    fn verify_signature(
        &self,
        token: &str,
    ) -> Result<jwt_compact::Claims<IncomingClaims>, TokenError> {
        if token.is_empty() {
            return Err(TokenError::Malformed("token is empty"));
        }
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Malformed("token is too long"));
        }
        let untrusted = UntrustedToken::new(token).map_err(parse_error)?;
        let kid = untrusted
            .header()
            .key_id
            .as_deref()
            .ok_or(TokenError::MissingKeyId)?;
        let key = self.find(kid).ok_or(TokenError::UnknownKeyId)?;
        if untrusted.algorithm() != key.algorithm().as_str() {
            return Err(TokenError::AlgorithmMismatch);
        }
        let verified = match &key.material {
            PublicMaterial::Ed25519(key) => {
                EdDsa.validator::<IncomingClaims>(key).validate(&untrusted)
            }
            PublicMaterial::Hs256(key) => {
                Hs256.validator::<IncomingClaims>(key).validate(&untrusted)
            }
        };
        Ok(verified.map_err(validation_error)?.into_parts().1)
    }
}

/// Tokens whose signature has been verified, for [`VerificationKeySet::verify_cached`].
/// Holds at most `capacity` tokens; expired ones are dropped first when it is full.
pub struct VerifiedTokens {
    entries: HashMap<String, jwt_compact::Claims<IncomingClaims>>,
    capacity: usize,
}

impl fmt::Debug for VerifiedTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The tokens are bearer credentials: show how many, never which.
        f.debug_struct("VerifiedTokens")
            .field("len", &self.entries.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl VerifiedTokens {
    /// An empty cache for at most `capacity` tokens.
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: HashMap::new(),
            capacity,
        }
    }

    /// How many tokens are remembered.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no token is remembered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn remember(&mut self, token: &str, claims: &jwt_compact::Claims<IncomingClaims>, now: i64) {
        if self.capacity == 0 {
            return;
        }
        if self.entries.len() >= self.capacity {
            let live = |c: &jwt_compact::Claims<IncomingClaims>| {
                c.expiration.is_some_and(|exp| exp.timestamp() > now)
            };
            self.entries.retain(|_, c| live(c));
            if self.entries.len() >= self.capacity {
                self.entries.clear();
            }
        }
        self.entries.insert(token.to_owned(), claims.clone());
    }
}

fn parse_error(error: ParseError) -> TokenError {
    TokenError::Malformed(match error {
        ParseError::InvalidTokenStructure => "token must have exactly three segments",
        ParseError::InvalidBase64Encoding => "segment is not unpadded base64url",
        ParseError::MalformedHeader(_) => "header is not json of the expected shape",
        ParseError::UnsupportedContentType(_) => "unsupported content type (cty)",
        _ => "token cannot be parsed",
    })
}

fn validation_error(error: ValidationError) -> TokenError {
    match error {
        ValidationError::AlgorithmMismatch { .. } => TokenError::AlgorithmMismatch,
        ValidationError::InvalidSignatureLen { .. }
        | ValidationError::MalformedSignature(_)
        | ValidationError::InvalidSignature => TokenError::BadSignature,
        ValidationError::MalformedClaims(_) => {
            TokenError::Malformed("claims are not json of the expected shape")
        }
        _ => TokenError::Malformed("token cannot be validated"),
    }
}

/// Checks the claims of a token whose signature verified.
fn check_claims(
    claims: jwt_compact::Claims<IncomingClaims>,
    rules: &Validation,
    now: i64,
) -> Result<Claims, TokenError> {
    let exp = claims.expiration.ok_or(TokenError::MissingClaim("exp"))?;
    let iat = claims.issued_at.ok_or(TokenError::MissingClaim("iat"))?;
    let nbf = claims.not_before;
    let identity = claims
        .custom
        .into_identity()
        .map_err(|problem| match problem {
            ClaimProblem::Missing(claim) => TokenError::MissingClaim(claim),
            ClaimProblem::Malformed(reason) => TokenError::Malformed(reason),
        })?;

    if identity.iss != rules.issuer {
        return Err(TokenError::WrongIssuer);
    }
    if identity.aud != rules.audience {
        return Err(TokenError::WrongAudience);
    }

    let leeway = rules.effective_leeway();
    let now_time = DateTime::<Utc>::from_timestamp(now, 0).ok_or(TokenError::ClockOutOfRange)?;
    let options = TimeOptions::new(
        TimeDelta::try_seconds(leeway).unwrap_or_default(),
        move || now_time,
    );
    let mut times = jwt_compact::Claims::<Empty>::empty();
    times.expiration = Some(exp);
    times.not_before = nbf;
    times
        .validate_expiration(&options)
        .map_err(|_| TokenError::Expired)?;
    if let Some(nbf) = nbf {
        // jwt-compact computes `nbf - leeway` with a panicking subtraction; a `nbf` so
        // early that it would overflow is long past anyway.
        if nbf.checked_sub_signed(options.leeway).is_some() {
            times
                .validate_maturity(&options)
                .map_err(|_| TokenError::NotYetValid)?;
        }
    }

    let (exp, iat) = (exp.timestamp(), iat.timestamp());
    if iat > now.saturating_add(leeway) {
        return Err(TokenError::IssuedInFuture);
    }
    if exp <= iat {
        return Err(TokenError::ExpiresBeforeIssued);
    }
    if exp.saturating_sub(iat) > rules.max_lifetime {
        return Err(TokenError::LifetimeTooLong);
    }

    Ok(Claims {
        iss: identity.iss,
        sub: identity.sub,
        aud: identity.aud,
        iat,
        exp,
        nbf: nbf.map(|nbf| nbf.timestamp()),
        jti: identity.jti,
        kind: identity.kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SigningKey, SubjectKind};

    fn set() -> SigningKeySet {
        SigningKeySet::new(SigningKey::ed25519_from_seed("k1", &[3; 32]).unwrap(), None).unwrap()
    }

    fn claims() -> Claims {
        Claims {
            iss: "https://id.example".into(),
            sub: "u1".into(),
            aud: "logging".into(),
            iat: 1_000,
            exp: 1_600,
            nbf: None,
            jti: Some("t1".into()),
            kind: SubjectKind::User,
        }
    }

    fn rules() -> Validation {
        Validation {
            issuer: "https://id.example".into(),
            audience: "logging".into(),
            leeway: 30,
            max_lifetime: 3_600,
        }
    }

    #[test]
    fn leeway_is_clamped_to_zero_through_sixty() {
        let mut rules = rules();
        rules.leeway = 3_600;
        assert_eq!(rules.effective_leeway(), 60);
        rules.leeway = -5;
        assert_eq!(rules.effective_leeway(), 0);
        rules.leeway = 12;
        assert_eq!(rules.effective_leeway(), 12);
    }

    #[test]
    fn a_huge_leeway_allows_only_sixty_seconds_past_expiry() {
        let token = set().sign(&claims()).unwrap();
        let keys = set().verification_keys();
        let mut lax = rules();
        lax.leeway = i64::MAX;
        assert!(keys.verify(&token, &lax, 1_660).is_ok());
        assert_eq!(keys.verify(&token, &lax, 1_661), Err(TokenError::Expired));
    }

    #[test]
    fn negative_leeway_counts_as_zero() {
        let token = set().sign(&claims()).unwrap();
        let keys = set().verification_keys();
        let mut strict = rules();
        strict.leeway = -100;
        assert!(keys.verify(&token, &strict, 1_600).is_ok());
        assert_eq!(
            keys.verify(&token, &strict, 1_601),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn header_is_alg_kid_typ() {
        let token = set().sign(&claims()).unwrap();
        let header = token.split('.').next().unwrap();
        let header =
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header)
                .unwrap();
        assert_eq!(header, br#"{"alg":"EdDSA","kid":"k1","typ":"JWT"}"#);
    }

    #[test]
    fn now_outside_the_date_range_is_refused_without_panic() {
        let token = set().sign(&claims()).unwrap();
        let keys = set().verification_keys();
        for now in [i64::MIN, i64::MAX] {
            assert_eq!(
                keys.verify(&token, &rules(), now),
                Err(TokenError::ClockOutOfRange)
            );
        }
    }

    #[test]
    fn extreme_nbf_does_not_panic() {
        let mut early = claims();
        early.nbf = Some(DateTime::<Utc>::MIN_UTC.timestamp());
        let token = set().sign(&early).unwrap();
        let verified = set()
            .verification_keys()
            .verify(&token, &rules(), 1_000)
            .unwrap();
        assert_eq!(verified.nbf, early.nbf);
    }

    #[test]
    fn sign_refuses_exp_not_after_iat() {
        let mut bad = claims();
        bad.exp = bad.iat;
        assert_eq!(set().sign(&bad), Err(SignError::InvalidLifetime));
        bad.exp = bad.iat - 1;
        assert_eq!(set().sign(&bad), Err(SignError::InvalidLifetime));
    }

    #[test]
    fn overlong_token_is_refused_before_parsing() {
        let long = "a".repeat(MAX_TOKEN_LEN + 1);
        assert_eq!(
            set().verification_keys().verify(&long, &rules(), 1_000),
            Err(TokenError::Malformed("token is too long"))
        );
    }

    #[test]
    fn token_error_messages_are_lowercase() {
        let errors = [
            TokenError::Malformed("x"),
            TokenError::MissingKeyId,
            TokenError::UnknownKeyId,
            TokenError::AlgorithmMismatch,
            TokenError::BadSignature,
            TokenError::MissingClaim("exp"),
            TokenError::WrongIssuer,
            TokenError::WrongAudience,
            TokenError::Expired,
            TokenError::NotYetValid,
            TokenError::IssuedInFuture,
            TokenError::ExpiresBeforeIssued,
            TokenError::LifetimeTooLong,
            TokenError::ClockOutOfRange,
        ];
        for error in errors {
            let text = error.to_string();
            assert!(!text.chars().any(|c| c.is_ascii_uppercase()), "{text}");
        }
        assert!(!SignError::InvalidLifetime
            .to_string()
            .chars()
            .any(|c| c.is_ascii_uppercase()));
    }
}

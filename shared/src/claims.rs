//! Token claims: what callers see, and the JSON shapes written into and read from tokens.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Who a token was issued to: a person or another service.
///
/// Written into tokens as the claim `"kind"` with the value `"user"` or `"service"`.
/// The claim is required when verifying: there is no default, so a token can never be
/// taken for a service token (or a user token) by omission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubjectKind {
    /// A human user.
    User,
    /// A machine client (another worker or service).
    Service,
}

impl SubjectKind {
    /// The claim value: `"user"` or `"service"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Service => "service",
        }
    }

    fn from_claim(value: &str) -> Option<Self> {
        match value {
            "user" => Some(Self::User),
            "service" => Some(Self::Service),
            _ => None,
        }
    }
}

impl fmt::Display for SubjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The claims of a token, as signed and as returned by a successful verification.
///
/// Times are Unix seconds. `aud` is a single string (an array audience is refused when
/// verifying).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// Issuer (`iss`), compared exactly with [`Validation::issuer`](crate::Validation).
    pub iss: String,
    /// Subject (`sub`): the user or service id.
    pub sub: String,
    /// Audience (`aud`), compared exactly with [`Validation::audience`](crate::Validation).
    pub aud: String,
    /// Issued at (`iat`), Unix seconds.
    pub iat: i64,
    /// Expiry (`exp`), Unix seconds.
    pub exp: i64,
    /// Not before (`nbf`), Unix seconds, optional.
    pub nbf: Option<i64>,
    /// Token id (`jti`), optional.
    pub jti: Option<String>,
    /// Whether the subject is a user or a service (`kind`).
    pub kind: SubjectKind,
}

/// The payload as written by `sign`: every field in claim order.
#[derive(Serialize)]
pub(crate) struct OutgoingClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nbf: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    jti: Option<&'a str>,
    kind: SubjectKind,
}

impl<'a> From<&'a Claims> for OutgoingClaims<'a> {
    fn from(claims: &'a Claims) -> Self {
        Self {
            iss: &claims.iss,
            sub: &claims.sub,
            aud: &claims.aud,
            iat: claims.iat,
            exp: claims.exp,
            nbf: claims.nbf,
            jti: claims.jti.as_deref(),
            kind: claims.kind,
        }
    }
}

/// The non-time claims read from an untrusted payload; jwt-compact reads `exp`, `nbf`
/// and `iat`. Everything is optional here so that a missing claim gets its own error.
#[derive(Clone, Deserialize)]
pub(crate) struct IncomingClaims {
    #[serde(default)]
    pub(crate) iss: Option<String>,
    #[serde(default)]
    pub(crate) sub: Option<String>,
    /// Kept as raw JSON so that an array audience is reported as such.
    #[serde(default)]
    pub(crate) aud: Option<serde_json::Value>,
    #[serde(default)]
    pub(crate) jti: Option<String>,
    #[serde(default)]
    pub(crate) kind: Option<String>,
}

/// Why the non-time claims could not be turned into [`Claims`] fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClaimProblem {
    Missing(&'static str),
    Malformed(&'static str),
}

/// The checked non-time claims.
pub(crate) struct IdentityClaims {
    pub(crate) iss: String,
    pub(crate) sub: String,
    pub(crate) aud: String,
    pub(crate) jti: Option<String>,
    pub(crate) kind: SubjectKind,
}

impl IncomingClaims {
    /// Requires `iss`, `sub`, `aud` (a string) and `kind` (`user` or `service`).
    pub(crate) fn into_identity(self) -> Result<IdentityClaims, ClaimProblem> {
        let iss = self.iss.ok_or(ClaimProblem::Missing("iss"))?;
        let sub = self.sub.ok_or(ClaimProblem::Missing("sub"))?;
        let aud = match self.aud {
            None | Some(serde_json::Value::Null) => return Err(ClaimProblem::Missing("aud")),
            Some(serde_json::Value::String(aud)) => aud,
            Some(serde_json::Value::Array(_)) => {
                return Err(ClaimProblem::Malformed(
                    "aud must be a single string, not an array",
                ))
            }
            Some(_) => return Err(ClaimProblem::Malformed("aud must be a string")),
        };
        let kind = self.kind.ok_or(ClaimProblem::Missing("kind"))?;
        let kind = SubjectKind::from_claim(&kind).ok_or(ClaimProblem::Malformed(
            "kind must be \"user\" or \"service\"",
        ))?;
        Ok(IdentityClaims {
            iss,
            sub,
            aud,
            jti: self.jti,
            kind,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incoming(json: &str) -> IncomingClaims {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn subject_kind_serializes_lowercase() {
        assert_eq!(
            serde_json::to_string(&SubjectKind::User).unwrap(),
            "\"user\""
        );
        assert_eq!(
            serde_json::to_string(&SubjectKind::Service).unwrap(),
            "\"service\""
        );
        assert_eq!(SubjectKind::Service.to_string(), "service");
    }

    #[test]
    fn outgoing_claims_omit_absent_optionals_and_always_write_kind() {
        let claims = Claims {
            iss: "i".into(),
            sub: "s".into(),
            aud: "a".into(),
            iat: 1,
            exp: 2,
            nbf: None,
            jti: None,
            kind: SubjectKind::User,
        };
        let json = serde_json::to_string(&OutgoingClaims::from(&claims)).unwrap();
        assert_eq!(
            json,
            r#"{"iss":"i","sub":"s","aud":"a","iat":1,"exp":2,"kind":"user"}"#
        );
    }

    #[test]
    fn each_missing_identity_claim_is_named() {
        let cases = [
            (r#"{"sub":"s","aud":"a","kind":"user"}"#, "iss"),
            (r#"{"iss":"i","aud":"a","kind":"user"}"#, "sub"),
            (r#"{"iss":"i","sub":"s","kind":"user"}"#, "aud"),
            (r#"{"iss":"i","sub":"s","aud":null,"kind":"user"}"#, "aud"),
            (r#"{"iss":"i","sub":"s","aud":"a"}"#, "kind"),
        ];
        for (json, name) in cases {
            let problem = incoming(json).into_identity().err();
            assert_eq!(problem, Some(ClaimProblem::Missing(name)), "{json}");
        }
    }

    #[test]
    fn array_audience_and_unknown_kind_are_malformed() {
        let array = incoming(r#"{"iss":"i","sub":"s","aud":["a"],"kind":"user"}"#);
        assert!(
            matches!(array.into_identity(), Err(ClaimProblem::Malformed(r)) if r.contains("array"))
        );
        let number = incoming(r#"{"iss":"i","sub":"s","aud":7,"kind":"user"}"#);
        assert!(matches!(
            number.into_identity(),
            Err(ClaimProblem::Malformed(_))
        ));
        let admin = incoming(r#"{"iss":"i","sub":"s","aud":"a","kind":"admin"}"#);
        assert!(
            matches!(admin.into_identity(), Err(ClaimProblem::Malformed(r)) if r.contains("kind"))
        );
    }
}

//! Password hashing and verification: PBKDF2 stored as PHC strings.
//!
//! New hashes use PBKDF2-HMAC-SHA512; PBKDF2-HMAC-SHA256 hashes are accepted
//! for imported users and reported as needing a rehash. The same code runs in
//! the worker (wasm) and in the admin tool (native).

use password_hash::{Ident, PasswordHash, PasswordHasher, Salt, SaltString};
use pbkdf2::{Algorithm, Params, Pbkdf2};
use subtle::ConstantTimeEq;

/// OWASP's floor for PBKDF2-HMAC-SHA512 (Password Storage Cheat Sheet).
pub const MIN_SHA512_ITERATIONS: u32 = 210_000;
/// OWASP's floor for PBKDF2-HMAC-SHA256, accepted only for imported hashes.
pub const MIN_SHA256_ITERATIONS: u32 = 600_000;
/// A stored hash asking for more than this is refused rather than run: it
/// would exhaust the CPU budget of a request.
pub const MAX_ITERATIONS: u32 = 5_000_000;
/// Longer passwords are refused before any hashing, so they cannot be used
/// to make the server work harder.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// NIST SP 800-63B: at least 15 characters when the password is the only factor.
pub const MIN_NEW_PASSWORD_CHARS: usize = 15;

const SALT_BYTES: usize = 16;
const OUTPUT_BYTES: usize = 64;

/// How new passwords are hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashPolicy {
    /// PBKDF2-HMAC-SHA512 iterations; at least [`MIN_SHA512_ITERATIONS`].
    pub iterations: u32,
}

impl Default for HashPolicy {
    fn default() -> Self {
        Self {
            iterations: MIN_SHA512_ITERATIONS,
        }
    }
}

/// Why a password or a stored hash was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordError {
    /// The policy asks for fewer iterations than the floor.
    WeakPolicy(u32),
    /// The password is longer than [`MAX_PASSWORD_BYTES`].
    TooLong,
    /// A new password is shorter than [`MIN_NEW_PASSWORD_CHARS`].
    TooShort,
    /// The stored hash is not a PBKDF2 PHC string this code accepts.
    UnsupportedHash(&'static str),
    /// The system's random number generator failed.
    Random,
    /// The hash computation itself failed.
    Hashing,
}

impl std::fmt::Display for PasswordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::WeakPolicy(n) => write!(
                f,
                "hash policy of {n} iterations is below the floor of {MIN_SHA512_ITERATIONS}"
            ),
            Self::TooLong => write!(f, "password longer than {MAX_PASSWORD_BYTES} bytes"),
            Self::TooShort => write!(
                f,
                "password shorter than {MIN_NEW_PASSWORD_CHARS} characters"
            ),
            Self::UnsupportedHash(why) => write!(f, "unsupported password hash: {why}"),
            Self::Random => write!(f, "random number generator failed"),
            Self::Hashing => write!(f, "password hashing failed"),
        }
    }
}

impl std::error::Error for PasswordError {}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The password is wrong (or the hash unusable).
    Mismatch,
    /// The password is right and the hash meets the policy.
    Match,
    /// The password is right but the hash is older than the policy: store a new one.
    MatchNeedsRehash,
}

impl HashPolicy {
    /// A policy with `iterations` of PBKDF2-HMAC-SHA512, refused below the floor.
    pub fn new(iterations: u32) -> Result<Self, PasswordError> {
        if !(MIN_SHA512_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) {
            return Err(PasswordError::WeakPolicy(iterations));
        }
        Ok(Self { iterations })
    }

    /// Hashes `password` with a fresh random salt, as a PHC string.
    pub fn hash(&self, password: &str) -> Result<String, PasswordError> {
        check_length(password)?;
        let mut salt = [0u8; SALT_BYTES];
        getrandom::fill(&mut salt).map_err(|_| PasswordError::Random)?;
        let salt = SaltString::encode_b64(&salt).map_err(|_| PasswordError::Hashing)?;
        self.hash_with_salt(password, salt.as_salt())
    }

    fn hash_with_salt(&self, password: &str, salt: Salt<'_>) -> Result<String, PasswordError> {
        let params = Params {
            rounds: self.iterations,
            output_length: OUTPUT_BYTES,
        };
        Pbkdf2
            .hash_password_customized(
                password.as_bytes(),
                Some(Algorithm::Pbkdf2Sha512.ident()),
                None,
                params,
                salt,
            )
            .map(|h| h.to_string())
            .map_err(|_| PasswordError::Hashing)
    }

    /// Checks `password` against a stored PHC string in constant time.
    pub fn verify(&self, password: &str, stored: &str) -> Result<Verdict, PasswordError> {
        check_length(password)?;
        let parsed = PasswordHash::new(stored)
            .map_err(|_| PasswordError::UnsupportedHash("not a PHC string"))?;
        let (algorithm, floor) = accepted_algorithm(parsed.algorithm)?;
        let params = Params::try_from(&parsed)
            .map_err(|_| PasswordError::UnsupportedHash("bad parameters"))?;
        if params.rounds < floor {
            return Err(PasswordError::UnsupportedHash("too few iterations"));
        }
        if params.rounds > MAX_ITERATIONS {
            return Err(PasswordError::UnsupportedHash("too many iterations"));
        }
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Err(PasswordError::UnsupportedHash("salt or hash missing"));
        };

        let computed = Pbkdf2
            .hash_password_customized(
                password.as_bytes(),
                Some(algorithm.ident()),
                None,
                params,
                salt,
            )
            .map_err(|_| PasswordError::Hashing)?;
        let Some(computed) = computed.hash else {
            return Err(PasswordError::Hashing);
        };

        if !bool::from(computed.as_bytes().ct_eq(expected.as_bytes())) {
            return Ok(Verdict::Mismatch);
        }
        let current = algorithm == Algorithm::Pbkdf2Sha512 && params.rounds >= self.iterations;
        Ok(if current {
            Verdict::Match
        } else {
            Verdict::MatchNeedsRehash
        })
    }

    /// Does the work of one verification at this policy and throws the result
    /// away, so that an unknown username costs as much as a known one.
    pub fn burn(&self, password: &str) {
        const FIXED_SALT: &str = "c2lnbmluZ2Zsb29y";
        let truncated = truncate_to_limit(password);
        if let Ok(salt) = Salt::from_b64(FIXED_SALT) {
            let _ = self.hash_with_salt(truncated, salt);
        }
    }
}

/// Refuses new passwords that are too short or too long (the admin tool's check).
pub fn check_new_password(password: &str) -> Result<(), PasswordError> {
    check_length(password)?;
    if password.chars().count() < MIN_NEW_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    Ok(())
}

fn check_length(password: &str) -> Result<(), PasswordError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::TooLong);
    }
    Ok(())
}

fn truncate_to_limit(password: &str) -> &str {
    let mut end = password.len().min(MAX_PASSWORD_BYTES);
    while !password.is_char_boundary(end) {
        end -= 1;
    }
    password.get(..end).unwrap_or_default()
}

fn accepted_algorithm(ident: Ident<'_>) -> Result<(Algorithm, u32), PasswordError> {
    if ident == Algorithm::Pbkdf2Sha512.ident() {
        Ok((Algorithm::Pbkdf2Sha512, MIN_SHA512_ITERATIONS))
    } else if ident == Algorithm::Pbkdf2Sha256.ident() {
        Ok((Algorithm::Pbkdf2Sha256, MIN_SHA256_ITERATIONS))
    } else {
        Err(PasswordError::UnsupportedHash(
            "algorithm is not pbkdf2-sha512 or pbkdf2-sha256",
        ))
    }
}

/// Builds a PBKDF2-HMAC-SHA256 PHC string, as an importer would bring one.
/// Used by tests and by the admin tool's import check; never for new users.
pub fn sha256_phc(
    password: &str,
    salt_b64: &str,
    iterations: u32,
) -> Result<String, PasswordError> {
    let salt = Salt::from_b64(salt_b64).map_err(|_| PasswordError::Hashing)?;
    let params = Params {
        rounds: iterations,
        output_length: 32,
    };
    Pbkdf2
        .hash_password_customized(
            password.as_bytes(),
            Some(Algorithm::Pbkdf2Sha256.ident()),
            None,
            params,
            salt,
        )
        .map(|h| h.to_string())
        .map_err(|_| PasswordError::Hashing)
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7914 section 11: PBKDF2-HMAC-SHA256, P="passwd", S="salt", c=1, dkLen=64.
    #[test]
    fn pbkdf2_sha256_matches_the_rfc_7914_vector() {
        let mut out = [0u8; 64];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(b"passwd", b"salt", 1, &mut out);
        assert_eq!(
            hex::encode(out),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc\
             49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
        );
    }

    fn policy() -> HashPolicy {
        HashPolicy::default()
    }

    #[test]
    fn a_new_hash_is_a_sha512_phc_string_at_the_policy_cost() {
        let hash = policy().hash("correct horse battery staple").unwrap();
        assert!(hash.starts_with("$pbkdf2-sha512$i=210000,l=64$"), "{hash}");
        assert_eq!(
            policy().verify("correct horse battery staple", &hash),
            Ok(Verdict::Match)
        );
        assert_eq!(policy().verify("wrong", &hash), Ok(Verdict::Mismatch));
    }

    #[test]
    fn two_hashes_of_one_password_differ_by_salt() {
        let a = policy().hash("the same password").unwrap();
        let b = policy().hash("the same password").unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn an_imported_sha256_hash_verifies_and_asks_for_a_rehash() {
        let hash = sha256_phc("imported password", "c2FsdHNhbHRzYWx0", 600_000).unwrap();
        assert!(hash.starts_with("$pbkdf2-sha256$i=600000"), "{hash}");
        assert_eq!(
            policy().verify("imported password", &hash),
            Ok(Verdict::MatchNeedsRehash)
        );
        assert_eq!(policy().verify("other", &hash), Ok(Verdict::Mismatch));
    }

    #[test]
    fn a_sha512_hash_below_a_raised_policy_asks_for_a_rehash() {
        let hash = policy().hash("a long enough password").unwrap();
        let raised = HashPolicy::new(300_000).unwrap();
        assert_eq!(
            raised.verify("a long enough password", &hash),
            Ok(Verdict::MatchNeedsRehash)
        );
    }

    #[test]
    fn hashes_under_the_floor_are_refused() {
        let weak = sha256_phc("pw", "c2FsdHNhbHRzYWx0", 1000).unwrap();
        assert_eq!(
            policy().verify("pw", &weak),
            Err(PasswordError::UnsupportedHash("too few iterations"))
        );
        assert_eq!(
            HashPolicy::new(100_000),
            Err(PasswordError::WeakPolicy(100_000))
        );
    }

    #[test]
    fn other_algorithms_and_garbage_are_refused() {
        let argon = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g";
        assert!(matches!(
            policy().verify("pw", argon),
            Err(PasswordError::UnsupportedHash(_))
        ));
        assert!(matches!(
            policy().verify("pw", "plaintext"),
            Err(PasswordError::UnsupportedHash(_))
        ));
    }

    #[test]
    fn overlong_passwords_are_refused_before_hashing() {
        let long = "x".repeat(MAX_PASSWORD_BYTES + 1);
        assert_eq!(policy().hash(&long), Err(PasswordError::TooLong));
        assert_eq!(
            policy().verify(&long, "$pbkdf2-sha512$x"),
            Err(PasswordError::TooLong)
        );
        assert_eq!(check_new_password(&long), Err(PasswordError::TooLong));
    }

    #[test]
    fn new_passwords_need_fifteen_characters() {
        assert_eq!(
            check_new_password("fourteen chars"),
            Err(PasswordError::TooShort)
        );
        assert_eq!(check_new_password("fifteen chars!!"), Ok(()));
        // Characters, not bytes: 15 accented letters pass.
        assert_eq!(check_new_password(&"é".repeat(15)), Ok(()));
    }

    #[test]
    fn truncation_never_splits_a_character() {
        let s = format!("{}é", "a".repeat(MAX_PASSWORD_BYTES - 1));
        assert_eq!(truncate_to_limit(&s).len(), MAX_PASSWORD_BYTES - 1);
    }
}

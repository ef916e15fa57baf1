//! Deterministic Ed25519 (`EdDSA`, RFC 8032) wired into jwt-compact's `Algorithm` trait.
//!
//! jwt-compact ships its own `Ed25519` for the ed25519-compact backend, but enabling it
//! switches on ed25519-compact's `random` feature (getrandom) and signs with random noise,
//! which panics if the platform RNG fails. This one signs deterministically as RFC 8032
//! specifies, needs no randomness and has no panicking path.

use std::borrow::Cow;
use std::num::NonZeroUsize;

use ed25519_compact::{PublicKey, SecretKey, Signature};
use jwt_compact::{Algorithm, AlgorithmSignature};

/// The `EdDSA` JWS algorithm over Ed25519 with deterministic signatures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct EdDsa;

/// An Ed25519 signature as jwt-compact sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EdDsaSignature(Signature);

impl AlgorithmSignature for EdDsaSignature {
    const LENGTH: Option<NonZeroUsize> = NonZeroUsize::new(Signature::BYTES);

    fn try_from_slice(slice: &[u8]) -> anyhow::Result<Self> {
        let bytes: [u8; Signature::BYTES] = slice
            .try_into()
            .map_err(|_| anyhow::anyhow!("ed25519 signature must be 64 bytes"))?;
        Ok(Self(Signature::new(bytes)))
    }

    fn as_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(self.0.as_ref())
    }
}

impl Algorithm for EdDsa {
    type SigningKey = SecretKey;
    type VerifyingKey = PublicKey;
    type Signature = EdDsaSignature;

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("EdDSA")
    }

    fn sign(&self, signing_key: &SecretKey, message: &[u8]) -> EdDsaSignature {
        EdDsaSignature(signing_key.sign(message, None))
    }

    fn verify_signature(
        &self,
        signature: &EdDsaSignature,
        verifying_key: &PublicKey,
        message: &[u8],
    ) -> bool {
        verifying_key.verify(message, &signature.0).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_compact::{KeyPair, Seed};

    #[test]
    fn signatures_are_deterministic_and_verify() {
        let pair = KeyPair::from_seed(Seed::new([9; 32]));
        let first = EdDsa.sign(&pair.sk, b"message");
        let second = EdDsa.sign(&pair.sk, b"message");
        assert_eq!(first, second);
        assert!(EdDsa.verify_signature(&first, &pair.pk, b"message"));
        assert!(!EdDsa.verify_signature(&first, &pair.pk, b"messagf"));
    }

    #[test]
    fn signature_of_the_wrong_length_is_refused_not_panicking() {
        assert!(EdDsaSignature::try_from_slice(&[0; 63]).is_err());
        assert!(EdDsaSignature::try_from_slice(&[0; 65]).is_err());
        assert!(EdDsaSignature::try_from_slice(&[]).is_err());
        assert!(EdDsaSignature::try_from_slice(&[0; 64]).is_ok());
    }
}

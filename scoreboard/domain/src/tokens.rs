//! Team and admin tokens: random (256 bits), shown once when made, stored only as a SHA-256
//! digest, compared in constant time.

use base64::Engine as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::ScoreError;

/// The owner name under which the admin token is stored (team names cannot start with `@`).
pub const ADMIN: &str = "@admin";

/// The digest a token is stored as.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TokenHash(pub [u8; 32]);

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a digest in full: it is as good as a token against a weak store.
        write!(f, "TokenHash({:02x}{:02x}…)", self.0[0], self.0[1])
    }
}

impl TokenHash {
    /// The digest of `token`.
    pub fn of(token: &str) -> TokenHash {
        TokenHash(Sha256::digest(token.as_bytes()).into())
    }

    /// Whether `token` is the one this digest was made from, in constant time.
    pub fn verify(&self, token: &str) -> bool {
        self.matches(&TokenHash::of(token))
    }

    /// Whether `other` is this digest, compared in constant time.
    pub fn matches(&self, other: &TokenHash) -> bool {
        other.0.ct_eq(&self.0).into()
    }
}

/// A fresh token (URL-safe text, 43 characters) and its digest.
pub fn generate() -> Result<(String, TokenHash), ScoreError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ScoreError::Config(format!("no randomness for a token: {e}")))?;
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = TokenHash::of(&token);
    Ok((token, hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_verify_only_themselves() {
        let (a, ha) = generate().unwrap();
        let (b, hb) = generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(ha.verify(&a));
        assert!(!ha.verify(&b));
        assert!(!hb.verify(""));
        assert!(!format!("{ha:?}").contains(&a));
    }
}

//! The unicorn hash: PBKDF2-HMAC-SHA256, base64-encoded, and its parameters.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::Sha256;

use crate::HashrefError;

/// Length in bytes of every answer: padded standard base64 of 32 bytes.
pub const ANSWER_LEN: usize = 44;

/// Highest iteration count accepted. A million iterations is about a second of CPU per key:
/// past that a game's answer table would take hours.
pub const MAX_ITERATIONS: u32 = 1_000_000;

/// One expected answer, as the bytes a correct server sends.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Answer([u8; ANSWER_LEN]);

impl Answer {
    /// The answer as text (always ASCII).
    pub fn as_str(&self) -> &str {
        // Base64 output is ASCII by construction.
        std::str::from_utf8(&self.0).expect("base64 is ASCII")
    }

    /// The answer's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Reads an answer back from its text, checking its length and alphabet.
    pub fn from_text(text: &str) -> Option<Answer> {
        let bytes: [u8; ANSWER_LEN] = text.as_bytes().try_into().ok()?;
        let decoded = STANDARD.decode(bytes).ok()?;
        (decoded.len() == 32).then_some(Answer(bytes))
    }
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Answer({:?})", self.as_str())
    }
}

/// The parameters of the unicorn hash. Servers and the engine must agree on both.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HashParams {
    /// PBKDF2 salt, used as UTF-8 bytes.
    pub salt: String,
    /// PBKDF2 iteration count: the cost of one answer.
    pub iterations: u32,
}

impl Default for HashParams {
    fn default() -> Self {
        HashParams {
            salt: "unicorn.rentals".to_owned(),
            iterations: 10_000,
        }
    }
}

impl HashParams {
    /// Parameters with the given salt and iteration count, checked.
    pub fn new(salt: impl Into<String>, iterations: u32) -> Result<HashParams, HashrefError> {
        let params = HashParams {
            salt: salt.into(),
            iterations,
        };
        params.validate()?;
        Ok(params)
    }

    /// Checks that the parameters can be used: at least one iteration, not absurdly many.
    pub fn validate(&self) -> Result<(), HashrefError> {
        if self.iterations == 0 {
            return Err(HashrefError::Params(
                "iterations must be at least 1".to_owned(),
            ));
        }
        if self.iterations > MAX_ITERATIONS {
            return Err(HashrefError::Params(format!(
                "{} iterations is more than the limit of {MAX_ITERATIONS} (about a second of CPU per key)",
                self.iterations
            )));
        }
        Ok(())
    }

    /// The unicorn hash of `input` under these parameters.
    pub fn answer(&self, input: &str) -> Answer {
        unicorn_hash(input, &self.salt, self.iterations)
    }
}

/// The unicorn hash of `input`: padded standard base64 of
/// PBKDF2-HMAC-SHA256(input, salt, iterations, 32 bytes).
pub fn unicorn_hash(input: &str, salt: &str, iterations: u32) -> Answer {
    let mut derived = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(input.as_bytes(), salt.as_bytes(), iterations, &mut derived);
    let mut out = [0u8; ANSWER_LEN];
    let written = STANDARD
        .encode_slice(derived, &mut out)
        .expect("44 bytes hold base64 of 32");
    debug_assert_eq!(written, ANSWER_LEN);
    Answer(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_44_chars_and_depend_on_every_input() {
        let a = unicorn_hash("3615-7184-2117", "unicorn.rentals", 10);
        assert_eq!(a.as_str().len(), ANSWER_LEN);
        assert!(a.as_str().ends_with('='));
        assert_ne!(a, unicorn_hash("3615-7184-2118", "unicorn.rentals", 10));
        assert_ne!(a, unicorn_hash("3615-7184-2117", "unicorn.rental", 10));
        assert_ne!(a, unicorn_hash("3615-7184-2117", "unicorn.rentals", 11));
    }

    #[test]
    fn answer_round_trips_through_text() {
        let a = unicorn_hash("0000-0000-0000", "s", 1);
        assert_eq!(Answer::from_text(a.as_str()), Some(a));
        assert_eq!(Answer::from_text("too short"), None);
        assert_eq!(Answer::from_text(&"!".repeat(44)), None);
    }

    #[test]
    fn params_are_validated() {
        assert!(HashParams::new("x", 0).is_err());
        assert!(HashParams::new("x", MAX_ITERATIONS + 1).is_err());
        assert!(HashParams::new("x", 1).is_ok());
        HashParams::default().validate().unwrap();
    }
}

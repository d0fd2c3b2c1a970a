//! The unicorn reference hash, the game keyset, its popularity, the expected answers, and
//! (with the `server` feature) the `unicorn` reference team server.
//!
//! # The contract between the engine and team servers
//!
//! A team server answers `GET /calc?input=KEY` with the **unicorn hash** of `KEY`:
//!
//! ```text
//! base64_standard_padded(PBKDF2-HMAC-SHA256(password = KEY as UTF-8,
//!                                           salt     = salt as UTF-8,
//!                                           iterations,
//!                                           dklen    = 32))
//! ```
//!
//! The answer is always 44 characters (`=`-padded standard base64 of 32 bytes). The default
//! parameters are [`HashParams::default`]: salt `unicorn.rentals`, 10 000 iterations. Anyone
//! can recompute an answer with Python's `hashlib.pbkdf2_hmac("sha256", key, salt, n)`;
//! the test suite checks our answers against exactly that.
//!
//! Keys look like the original game's, three groups of four digits: `3615-7184-2117`
//! ([`Key`]). A game draws a constrained [`Keyset`] from its seed and sends keys with a Zipf
//! popularity ([`ZipfPicker`]) so that a few keys are hot and caching pays. The engine never
//! hashes per request: it builds an [`AnswerTable`] once and compares bytes.

mod answers;
mod error;
mod hash;
mod key;
mod popularity;
#[cfg(feature = "server")]
pub mod unicorn;

pub use answers::{AnswerCache, AnswerTable, BuildOptions, BuildReport, TableOrigin};
pub use error::HashrefError;
pub use hash::{ANSWER_LEN, Answer, HashParams, unicorn_hash};
pub use key::{KEY_LEN, Key, KeyParseError, Keyset, MAX_KEYSET};
pub use popularity::ZipfPicker;

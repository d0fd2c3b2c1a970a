//! Helpers that more than one of scoreboard's test binaries may use.

pub mod postgres;

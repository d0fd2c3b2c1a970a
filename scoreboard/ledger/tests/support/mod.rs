//! Helpers for the ledger's test binaries (gameday's own tests include postgres.rs by path).

pub mod postgres;

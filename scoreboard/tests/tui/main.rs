//! The organizer's terminal cockpit: panels and whole screens against checked-in text
//! snapshots, keys against the controls they send, and the run loop on a test backend.

#![cfg(feature = "tui")]

mod keys;
mod render;
mod run_loop;
mod util;

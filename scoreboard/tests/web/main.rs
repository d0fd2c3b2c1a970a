//! The web scoreboard: every route against every kind of caller through the router, the
//! controls a real `LivePublisher` receives, and the live streams over a real socket.

#![cfg(feature = "web")]

mod access;
mod api;
mod client;
mod losses;
mod names;
mod report;
mod sse;
mod util;

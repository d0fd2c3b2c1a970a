//! gameday's views: the live channel a game publishes its snapshots on, the organizer's
//! terminal cockpit (`tui`), the web scoreboard (`web`) and the printable debrief and slips
//! (`debrief`), each behind its feature. Views read the domain's projection and the ledger;
//! the domain and the ledger must never depend on this crate, nor this crate on the AWS SDK
//! or the load engine.

#[cfg(feature = "debrief")]
pub mod debrief;
pub mod event_json;
pub mod follower;
pub mod live;
pub mod notify;
#[cfg(feature = "debrief")]
pub mod slips;
#[cfg(feature = "tui")]
pub mod tui;
#[cfg(feature = "web")]
pub mod web;

//! The catch-up statements: what a reader follows after a position, a chunk at a time (the
//! causes, the events, the notes), and what a rescore walks. A row's position is its `seq`
//! in PostgreSQL and its rowid in SQLite (each grows with every row written); an event's is
//! its `id` in both.

use super::{batch_columns, block_columns, event_columns, note_columns, void_columns};

/// The statements that read after a position, for one way of naming positions. Each reads
/// `$1` (after) and `$2` (at most).
pub struct Follow {
    /// The position, then `batch_columns!()`.
    pub batches: &'static str,
    /// The position, then [`super::BLOCK_COLUMNS`].
    pub blocks: &'static str,
    /// The position, then `void_columns!()`.
    pub voids: &'static str,
    /// `note_columns!()`, then the position.
    pub notes: &'static str,
}

macro_rules! follow {
    ($pos:literal) => {
        Follow {
            batches: concat!(
                "SELECT ",
                $pos,
                ", ",
                batch_columns!(),
                " FROM batches WHERE ",
                $pos,
                " > $1 ORDER BY ",
                $pos,
                " LIMIT $2"
            ),
            blocks: concat!(
                "SELECT ",
                $pos,
                ", ",
                block_columns!(),
                " FROM blocks WHERE ",
                $pos,
                " > $1 ORDER BY ",
                $pos,
                " LIMIT $2"
            ),
            voids: concat!(
                "SELECT ",
                $pos,
                ", ",
                void_columns!(),
                " FROM voids WHERE ",
                $pos,
                " > $1 ORDER BY ",
                $pos,
                " LIMIT $2"
            ),
            notes: concat!(
                "SELECT ",
                note_columns!(),
                ", ",
                $pos,
                " FROM notes WHERE ",
                $pos,
                " > $1 ORDER BY ",
                $pos,
                " LIMIT $2"
            ),
        }
    };
}

/// Positions as SQLite's rowids.
pub(crate) const BY_ROWID: Follow = follow!("rowid");
/// Positions as PostgreSQL's `seq` identity columns.
#[cfg(feature = "postgres")]
pub(crate) const BY_SEQ: Follow = follow!("seq");

/// The events stored after `$1`, at most `$2`: [`super::EVENT_COLUMNS`], then the id.
pub(crate) const EVENTS_AFTER: &str = concat!(
    "SELECT ",
    event_columns!(),
    ", id FROM events WHERE id > $1 ORDER BY id LIMIT $2"
);
/// The oldest stored event's id (NULL when there is none).
pub(crate) const FIRST_EVENT: &str = "SELECT min(id) FROM events";

//! The one SQL dialect layer the SQLite and PostgreSQL ledgers share for the rows of a game
//! (the rest of a ledger's rows, the game, clock, tokens and workers, are in [`game`]):
//! each cause's insert statement (one text: `$n` placeholders and `ON CONFLICT DO NOTHING`,
//! which both databases take), its parameters in column order, and every row read back into
//! a cause or an event. A column added to one ledger and not the other cannot compile or
//! cannot pass the tests that run both; the two are no longer kept in step by hand.

pub(crate) mod follow;
pub(crate) mod game;

use std::borrow::Cow;

use super::{BatchFacts, Note, NoteKind, RecordedBatch, codec};
use crate::LedgerError;
use scoreboard_domain::{
    Adjustment, BillingBlock, EventKind, GameTime, Points, Recorded, ScoreEvent, SegmentVoid,
    Source,
};

/// The column lists, as macros so that a database's own statements can be `concat!`ed
/// from them into constant text (PostgreSQL prepares statements by their text).
macro_rules! batch_columns {
    () => {
        "at_ms, team, run, worker, target, tick, body"
    };
}
macro_rules! block_columns {
    () => {
        "team, instance, block, instance_type, anchor_ms, at_ms"
    };
}
macro_rules! event_columns {
    () => {
        "cause, seq, at_ms, team, source, points, reason, kind, count"
    };
}
macro_rules! void_columns {
    () => {
        "team, run, tick, at_ms, segments, missing"
    };
}
macro_rules! adjustment_columns {
    () => {
        "id, at_ms, team, points, reason, by_whom"
    };
}
macro_rules! note_columns {
    () => {
        "id, at_ms, kind, team, text"
    };
}
pub(crate) use {batch_columns, block_columns, event_columns, note_columns, void_columns};

/// The columns of a billing block, as [`block_from_row`] reads them.
pub(crate) const BLOCK_COLUMNS: &str = block_columns!();
/// The columns of a score event, as [`event_from_row`] reads them.
pub(crate) const EVENT_COLUMNS: &str = event_columns!();
/// How many they are: a column a query selects after them is at this index.
pub(crate) const EVENT_COLUMN_COUNT: usize = 9;
/// The columns of an organizer adjustment, as [`adjustment_from_row`] reads them.
pub(crate) const ADJUSTMENT_COLUMNS: &str = adjustment_columns!();

pub(crate) const INSERT_BATCH: &str = concat!(
    "INSERT INTO batches (id, ",
    batch_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING"
);
pub(crate) const INSERT_SEGMENT_BATCH: &str = concat!(
    "INSERT INTO segment_batches (id, ",
    batch_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING"
);
pub(crate) const INSERT_BLOCK: &str = concat!(
    "INSERT INTO blocks (",
    block_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING"
);
pub(crate) const INSERT_ADJUSTMENT: &str = "INSERT INTO adjustments
     (id, at_ms, team, points, reason, by_whom)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";
pub(crate) const INSERT_VOID: &str = concat!(
    "INSERT INTO voids (",
    void_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING"
);
pub(crate) const INSERT_EVENT: &str = concat!(
    "INSERT INTO events (",
    event_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING"
);

/// Events as columns of arrays (`$1` their causes, … in [`event_arrays`]), for a database
/// that takes arrays: one round trip for many events.
pub(crate) const INSERT_EVENT_ARRAYS: &str = concat!(
    "INSERT INTO events (",
    event_columns!(),
    ") SELECT * FROM UNNEST($1::TEXT[], $2::BIGINT[], $3::BIGINT[], $4::TEXT[], $5::TEXT[],
                          $6::BIGINT[], $7::TEXT[], $8::TEXT[], $9::BIGINT[])
     ON CONFLICT (cause, seq) DO NOTHING"
);
/// Events sent in one [`INSERT_EVENT_ARRAYS`].
pub(crate) const EVENT_ARRAY_CHUNK: usize = 2_000;

/// The next chunk of a split game's batches after a position (`$1`), at most `$2`.
pub(crate) const SEGMENT_BATCHES_AFTER: &str = concat!(
    "SELECT seq, ",
    batch_columns!(),
    " FROM segment_batches WHERE seq > $1 ORDER BY seq LIMIT $2"
);

pub(crate) const INSERT_NOTE: &str = concat!(
    "INSERT INTO notes (",
    note_columns!(),
    ") VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING"
);

/// A parameter of a shared statement, bound the same way by either database.
#[derive(Debug)]
pub enum Value<'a> {
    Int(i64),
    Bool(bool),
    Text(&'a str),
    /// Text, or NULL.
    OptText(Option<&'a str>),
    Owned(String),
    Bytes(Vec<u8>),
    Null,
    /// An array of numbers (a database that takes arrays: [`INSERT_EVENT_ARRAYS`]).
    Ints(Vec<i64>),
    /// An array of texts, as [`Value::Ints`].
    Texts(Vec<Cow<'a, str>>),
}

impl Value<'_> {
    pub(crate) fn int(v: impl Into<i128>) -> Value<'static> {
        // Every stored number fits in i64: game times, ticks, runs and counts.
        Value::Int(i64::try_from(v.into()).unwrap_or(i64::MAX))
    }
}

/// The statement that records `item`, and its parameters in column order.
pub(crate) fn cause_insert(item: &Recorded) -> (&'static str, Vec<Value<'_>>) {
    match item {
        Recorded::Batch(recorded) => (INSERT_BATCH, batch_params(recorded)),
        Recorded::Block(b) => (
            INSERT_BLOCK,
            vec![
                Value::Text(&b.team),
                Value::Text(&b.instance),
                Value::int(b.block),
                Value::Text(&b.instance_type),
                Value::int(b.anchor.0),
                Value::int(b.at.0),
            ],
        ),
        Recorded::Adjustment(a) => (
            INSERT_ADJUSTMENT,
            vec![
                Value::Text(&a.id),
                Value::int(a.at.0),
                Value::Text(&a.team),
                Value::Int(a.points.0),
                Value::Text(&a.reason),
                Value::Text(&a.by),
            ],
        ),
        Recorded::Void(v) => (
            INSERT_VOID,
            vec![
                Value::Text(&v.team),
                Value::int(v.run),
                Value::int(v.tick),
                Value::int(v.at.0),
                Value::int(v.segments),
                Value::Owned(super::missing_text(&v.missing)),
            ],
        ),
    }
}

/// A batch's parameters for [`INSERT_BATCH`] or [`INSERT_SEGMENT_BATCH`].
pub(crate) fn batch_params(recorded: &RecordedBatch) -> Vec<Value<'_>> {
    let RecordedBatch { at, batch } = recorded;
    vec![
        Value::Owned(batch.id.to_string()),
        Value::int(at.0),
        Value::Text(&batch.target),
        Value::int(batch.id.run),
        Value::int(batch.id.worker),
        Value::int(batch.id.target),
        Value::int(batch.id.tick),
        Value::Bytes(codec::encode(batch)),
    ]
}

/// An event's parameters for [`INSERT_EVENT`].
pub(crate) fn event_params(e: &ScoreEvent) -> [Value<'_>; EVENT_COLUMN_COUNT] {
    [
        Value::Text(&e.cause),
        Value::int(e.seq),
        Value::int(e.at.0),
        Value::Text(&e.team),
        Value::Text(e.source.name()),
        Value::Int(e.points.0),
        Value::Text(&e.reason),
        Value::Owned(e.kind.name().into_owned()),
        Value::int(e.count),
    ]
}

/// Events' parameters for [`INSERT_EVENT_ARRAYS`]: each column's values, as arrays.
pub(crate) fn event_arrays<'e>(events: &[&'e ScoreEvent]) -> [Value<'e>; EVENT_COLUMN_COUNT] {
    let texts =
        |f: fn(&'e ScoreEvent) -> Cow<'e, str>| Value::Texts(events.iter().map(|e| f(e)).collect());
    let ints = |f: fn(&ScoreEvent) -> i64| Value::Ints(events.iter().map(|e| f(e)).collect());
    [
        texts(|e| Cow::Borrowed(&e.cause)),
        ints(|e| i64::from(e.seq)),
        ints(|e| e.at.0 as i64),
        texts(|e| Cow::Borrowed(&e.team)),
        texts(|e| Cow::Borrowed(e.source.name())),
        ints(|e| e.points.0),
        texts(|e| Cow::Borrowed(&e.reason)),
        texts(|e| e.kind.name()),
        ints(|e| i64::try_from(e.count).unwrap_or(i64::MAX)),
    ]
}

/// A note's parameters for [`INSERT_NOTE`].
pub(crate) fn note_params(n: &Note) -> [Value<'_>; 5] {
    [
        Value::Text(&n.id),
        Value::int(n.at.0),
        Value::Text(n.kind.name()),
        Value::OptText(n.team.as_deref()),
        Value::Text(&n.text),
    ]
}

/// A row of either database, read by column index.
pub trait SqlRow {
    fn int(&self, i: usize) -> Result<i64, LedgerError>;
    fn opt_int(&self, i: usize) -> Result<Option<i64>, LedgerError>;
    fn text(&self, i: usize) -> Result<String, LedgerError>;
    fn bool(&self, i: usize) -> Result<bool, LedgerError>;
    fn opt_text(&self, i: usize) -> Result<Option<String>, LedgerError>;
    /// Binary columns; SQLite's older ledgers hold JSON TEXT there, read as its bytes.
    fn bytes(&self, i: usize) -> Result<&[u8], LedgerError>;

    fn u64(&self, i: usize) -> Result<u64, LedgerError> {
        self.int(i).map(|v| v as u64)
    }

    fn u32(&self, i: usize) -> Result<u32, LedgerError> {
        let value = self.int(i)?;
        u32::try_from(value).map_err(|_| LedgerError::Corrupt {
            what: format!("column {i}"),
            reason: format!("{value} is out of range"),
        })
    }

    fn time(&self, i: usize) -> Result<GameTime, LedgerError> {
        self.u64(i).map(GameTime)
    }
}

/// The batch id and team of a row whose columns, from `first`, are `batch_columns!()` (in `batches` and `segment_batches`).
fn batch_id(
    r: &dyn SqlRow,
    first: usize,
) -> Result<(loadgen_outcome::BatchId, String), LedgerError> {
    let id = loadgen_outcome::BatchId {
        run: r.u64(first + 2)?,
        worker: r.u32(first + 3)?,
        target: r.u32(first + 4)?,
        tick: r.u64(first + 5)?,
    };
    Ok((id, r.text(first + 1)?))
}

/// A batch from a row whose columns, from `first`, are `batch_columns!()`.
pub(crate) fn batch_from_row(r: &dyn SqlRow, first: usize) -> Result<RecordedBatch, LedgerError> {
    let (id, team) = batch_id(r, first)?;
    let batch = codec::decode(id, &team, r.bytes(first + 6)?)?;
    Ok(RecordedBatch {
        at: r.time(first)?,
        batch,
    })
}

/// What the scorer reads of a batch row whose columns, from `first`, are `batch_columns!()`.
pub(crate) fn facts_from_row(r: &dyn SqlRow, first: usize) -> Result<BatchFacts, LedgerError> {
    let (id, team) = batch_id(r, first)?;
    codec::decode_facts(r.time(first)?, id, team, r.bytes(first + 6)?)
}

/// A billing block from [`BLOCK_COLUMNS`], the first of them at column `first`.
pub(crate) fn block_from_row(r: &dyn SqlRow, first: usize) -> Result<BillingBlock, LedgerError> {
    Ok(BillingBlock {
        team: r.text(first)?,
        instance: r.text(first + 1)?,
        block: r.u32(first + 2)?,
        instance_type: r.text(first + 3)?,
        anchor: r.time(first + 4)?,
        at: r.time(first + 5)?,
    })
}

/// A score event from [`EVENT_COLUMNS`], from column 0. A row of an older ledger has no
/// kind nor count: its kind is [`EventKind::Unknown`] and it counts 1.
pub(crate) fn event_from_row(r: &dyn SqlRow) -> Result<ScoreEvent, LedgerError> {
    let kind = match r.opt_text(7)? {
        None => EventKind::Unknown,
        Some(name) => EventKind::parse(&name).ok_or_else(|| LedgerError::Corrupt {
            what: "score event".into(),
            reason: format!("kind {name:?}"),
        })?,
    };
    Ok(ScoreEvent {
        cause: r.text(0)?,
        seq: r.u32(1)?,
        at: r.time(2)?,
        team: r.text(3)?,
        source: Source::parse(&r.text(4)?).unwrap_or(Source::Engine),
        points: Points(r.int(5)?),
        reason: r.text(6)?,
        kind,
        count: r.opt_int(8)?.map_or(1, |n| n as u64),
    })
}

/// A segment void from `void_columns!()`, the first of them at column `first`.
pub(crate) fn void_from_row(r: &dyn SqlRow, first: usize) -> Result<SegmentVoid, LedgerError> {
    Ok(SegmentVoid {
        team: r.text(first)?,
        run: r.u64(first + 1)?,
        tick: r.u64(first + 2)?,
        at: r.time(first + 3)?,
        segments: r.u32(first + 4)?,
        missing: super::missing_from_text(&r.text(first + 5)?)?,
    })
}

/// An organizer adjustment from [`ADJUSTMENT_COLUMNS`], from column 0.
pub(crate) fn adjustment_from_row(r: &dyn SqlRow) -> Result<Adjustment, LedgerError> {
    Ok(Adjustment {
        id: r.text(0)?,
        at: r.time(1)?,
        team: r.text(2)?,
        points: Points(r.int(3)?),
        reason: r.text(4)?,
        by: r.text(5)?,
    })
}

/// A note from `note_columns!()`, from column 0.
pub(crate) fn note_from_row(r: &dyn SqlRow) -> Result<Note, LedgerError> {
    let kind = r.text(2)?;
    Ok(Note {
        id: r.text(0)?,
        at: r.time(1)?,
        kind: NoteKind::parse(&kind).ok_or_else(|| LedgerError::Corrupt {
            what: "note".into(),
            reason: format!("kind {kind:?}"),
        })?,
        team: r.opt_text(3)?,
        text: r.text(4)?,
    })
}

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::ToSqlOutput;
        Ok(match self {
            Value::Int(v) => ToSqlOutput::from(*v),
            Value::Bool(v) => ToSqlOutput::from(*v),
            Value::Text(s) => ToSqlOutput::from(*s),
            Value::OptText(s) => rusqlite::ToSql::to_sql(s)?,
            Value::Owned(s) => ToSqlOutput::from(s.as_str()),
            Value::Bytes(b) => ToSqlOutput::from(b.as_slice()),
            Value::Null => ToSqlOutput::from(rusqlite::types::Null),
            Value::Ints(_) | Value::Texts(_) => {
                let arrays = "SQLite takes no arrays as parameters";
                return Err(rusqlite::Error::ToSqlConversionFailure(arrays.into()));
            }
        })
    }
}

impl SqlRow for rusqlite::Row<'_> {
    fn int(&self, i: usize) -> Result<i64, LedgerError> {
        Ok(self.get(i)?)
    }

    fn opt_int(&self, i: usize) -> Result<Option<i64>, LedgerError> {
        Ok(self.get(i)?)
    }

    fn text(&self, i: usize) -> Result<String, LedgerError> {
        Ok(self.get(i)?)
    }

    fn bool(&self, i: usize) -> Result<bool, LedgerError> {
        Ok(self.get(i)?)
    }

    fn opt_text(&self, i: usize) -> Result<Option<String>, LedgerError> {
        Ok(self.get(i)?)
    }

    fn bytes(&self, i: usize) -> Result<&[u8], LedgerError> {
        Ok(self.get_ref(i)?.as_bytes().map_err(rusqlite::Error::from)?)
    }
}

#[cfg(feature = "postgres")]
mod postgres_rows {
    use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

    use super::{SqlRow, Value};
    use crate::LedgerError;

    type BoxError = Box<dyn std::error::Error + Sync + Send>;

    impl ToSql for Value<'_> {
        fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, BoxError> {
            match self {
                Value::Int(v) => v.to_sql(ty, out),
                Value::Bool(v) => v.to_sql(ty, out),
                Value::Text(s) => s.to_sql(ty, out),
                Value::OptText(s) => s.to_sql(ty, out),
                Value::Owned(s) => s.to_sql(ty, out),
                Value::Bytes(b) => b.to_sql(ty, out),
                Value::Null => Ok(IsNull::Yes),
                Value::Ints(v) => v.to_sql(ty, out),
                Value::Texts(v) => v.to_sql(ty, out),
            }
        }

        fn accepts(ty: &Type) -> bool {
            <i64 as ToSql>::accepts(ty)
                || <bool as ToSql>::accepts(ty)
                || <&str as ToSql>::accepts(ty)
                || <Vec<u8> as ToSql>::accepts(ty)
                || <Vec<i64> as ToSql>::accepts(ty)
                || <Vec<&str> as ToSql>::accepts(ty)
        }

        to_sql_checked!();
    }

    impl SqlRow for tokio_postgres::Row {
        fn int(&self, i: usize) -> Result<i64, LedgerError> {
            Ok(self.try_get(i)?)
        }

        fn opt_int(&self, i: usize) -> Result<Option<i64>, LedgerError> {
            Ok(self.try_get(i)?)
        }

        fn text(&self, i: usize) -> Result<String, LedgerError> {
            Ok(self.try_get(i)?)
        }

        fn bool(&self, i: usize) -> Result<bool, LedgerError> {
            Ok(self.try_get(i)?)
        }

        fn opt_text(&self, i: usize) -> Result<Option<String>, LedgerError> {
            Ok(self.try_get(i)?)
        }

        fn bytes(&self, i: usize) -> Result<&[u8], LedgerError> {
            Ok(self.try_get(i)?)
        }
    }
}

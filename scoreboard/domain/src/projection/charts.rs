//! A team's live charts (score and p99 of the last [`CHART_SECONDS`]) as a snapshot carries
//! them: a copy of the team's history, drawn the first time a view reads it, then shared by
//! every snapshot until the team changes.
//!
//! Why not drawn at each snapshot: a snapshot is made every tick for every team that
//! changed, and only the TUI draws these charts, for one team at a time. Drawn for all of
//! them, they were 40 bytes a point, 300 points a team, held by each snapshot still alive
//! (two or three): 24 KiB a team, 24 MiB of a 1,000-team game, and every team's window drawn
//! again each second. The copy of the history shares its chunks with the game's: what it
//! costs is the chunk the game writes into next, copied then (1.9 KiB a team), and a few
//! pointers.

use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use super::{CHART_SECONDS, ChartWindow, History};
use crate::Points;

/// A team's live charts: [`ChartWindow`] when read (it derefs to one).
#[derive(Clone, Default)]
pub struct Charts(Arc<Inner>);

#[derive(Default)]
struct Inner {
    /// The history they are drawn from, and the team's score at its end.
    from: Option<(History, Points)>,
    drawn: OnceLock<ChartWindow>,
}

impl Charts {
    /// The charts of `history`, whose team has `score` now: drawn when first read.
    pub fn of(history: &History, score: Points) -> Charts {
        Charts(Arc::new(Inner {
            from: Some((history.clone(), score)),
            drawn: OnceLock::new(),
        }))
    }

    /// Charts already drawn (a view's own, a test's).
    pub fn drawn(window: ChartWindow) -> Charts {
        Charts(Arc::new(Inner {
            from: None,
            drawn: OnceLock::from(window),
        }))
    }

    /// The charts, drawn now if no one read them before.
    pub fn window(&self) -> &ChartWindow {
        self.0.drawn.get_or_init(|| match &self.0.from {
            Some((history, score)) => history.chart_window(CHART_SECONDS, *score),
            None => ChartWindow::default(),
        })
    }

    /// Whether both are the same charts, shared (not only equal).
    pub fn ptr_eq(a: &Charts, b: &Charts) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }
}

impl Deref for Charts {
    type Target = ChartWindow;

    fn deref(&self) -> &ChartWindow {
        self.window()
    }
}

impl PartialEq for Charts {
    fn eq(&self, other: &Charts) -> bool {
        Charts::ptr_eq(self, other) || self.window() == other.window()
    }
}

impl std::fmt::Debug for Charts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Charts").field(self.window()).finish()
    }
}

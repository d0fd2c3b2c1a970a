//! `gameday rescore`'s plan: every score event rebuilt from the recorded causes under the
//! stored rules or new ones, beside the ledger's events as they stand (read on a connection
//! of their own at the same time), each team's old and new totals from the projection every
//! view uses, and the new events written only when asked.

use std::path::{Path, PathBuf};

use scoreboard_domain::{GameProjection, Points, Rules, ScoreError, ScoreEvent, Scorer};
use scoreboard_ledger::{Ledger, LedgerAt, LedgerError};

/// Why a rescore cannot be planned or written.
#[derive(Debug, thiserror::Error)]
pub enum RescoreError {
    #[error("the ledger holds no game yet")]
    NoGame,
    #[error("cannot read {}", path.display())]
    ReadRules {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The new rules file is not valid rules.
    #[error("{}: {message}", path.display())]
    Rules { path: PathBuf, message: String },
    #[error("the new rules")]
    Scorer(#[source] ScoreError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// One team's total before and after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamTotals {
    pub team: String,
    pub old: Points,
    pub new: Points,
}

/// The ledger's events and the rebuilt ones, with the totals of each.
pub struct RescorePlan {
    pub rules: Rules,
    /// The ledger's events as they stand, in the ledger's order.
    pub old: Vec<ScoreEvent>,
    /// The events rebuilt under `rules`.
    pub new: Vec<ScoreEvent>,
    before: GameProjection,
    after: GameProjection,
}

impl RescorePlan {
    /// Rebuilds the events of the game in `ledger` (at `at`) under `rules` (none: the stored
    /// ones), while the events as they stand are read on a second connection.
    pub fn make(
        at: &LedgerAt,
        ledger: &dyn Ledger,
        rules: Option<Rules>,
    ) -> Result<RescorePlan, RescoreError> {
        let meta = ledger.meta()?.ok_or(RescoreError::NoGame)?;
        let rules = rules.unwrap_or_else(|| meta.rules.clone());
        let scorer = Scorer::new(rules.clone()).map_err(RescoreError::Scorer)?;
        let price = rules.billing.price;
        let blank = || GameProjection::new(&meta.teams, price, None);
        let ((old, before), new) = std::thread::scope(|scope| {
            let old = scope.spawn(|| -> Result<_, LedgerError> {
                let mut state = blank();
                let mut old = Vec::new();
                state.catch_up(&*at.open_existing()?, &mut |e| old.push(e.clone()))?;
                scoreboard_ledger::sort_events(&mut old);
                Ok((old, state))
            });
            let new = scoreboard_ledger::rescore(ledger, &scorer);
            let old = old.join().expect("reading events does not panic");
            Ok::<_, LedgerError>((old?, new?))
        })?;
        let mut after = blank();
        for e in &new {
            after.apply_event(e);
        }
        Ok(RescorePlan {
            rules,
            old,
            new,
            before,
            after,
        })
    }

    /// Each team's old and new totals, in the order of the board before.
    pub fn totals(&self) -> Vec<TeamTotals> {
        let score = |state: &GameProjection, team: &str| {
            state.team(team).map(|t| t.score).unwrap_or_default()
        };
        self.before
            .order()
            .iter()
            .map(|team| TeamTotals {
                team: team.clone(),
                old: score(&self.before, team),
                new: score(&self.after, team),
            })
            .collect()
    }

    /// Whether any event would change.
    pub fn changed(&self) -> bool {
        self.old != self.new
    }

    /// Replaces the ledger's events and rules with the rebuilt ones; how many were written.
    pub fn write(&self, ledger: &mut dyn Ledger) -> Result<usize, RescoreError> {
        ledger.replace_events(&self.rules, &self.new)?;
        Ok(self.new.len())
    }
}

/// Reads rules from a TOML file: the fields of a scenario's [scoring] table at the top, and
/// a [billing] table (price, block, points_per_dollar).
pub fn read_rules(path: &Path) -> Result<Rules, RescoreError> {
    let invalid = |message: String| RescoreError::Rules {
        path: path.to_owned(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|source| RescoreError::ReadRules {
        path: path.to_owned(),
        source,
    })?;
    let rules: Rules = toml::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    rules.validate().map_err(|e| invalid(e.to_string()))?;
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger() -> (tempfile::TempDir, LedgerAt) {
        let dir = tempfile::tempdir().unwrap();
        let at = LedgerAt::File(dir.path().join("game.db"));
        crate::test_ledger::small_game(at.file().unwrap());
        (dir, at)
    }

    #[test]
    fn the_stored_rules_change_nothing() {
        let (_dir, at) = ledger();
        let ledger = at.open_existing().unwrap();
        let plan = RescorePlan::make(&at, &*ledger, None).unwrap();
        assert!(!plan.changed());
        assert!(!plan.old.is_empty());
        let totals = plan.totals();
        assert_eq!(totals.len(), 2);
        assert!(totals.iter().all(|t| t.old == t.new), "{totals:?}");
        // alpha: 3 ticks × (10 correct − one 503 at 0.5).
        let alpha = totals.iter().find(|t| t.team == "alpha").unwrap();
        assert_eq!(alpha.old, Points(28_500));
    }

    #[test]
    fn new_rules_change_the_totals_and_are_written_only_when_asked() {
        let (dir, at) = ledger();
        let path = dir.path().join("rules.toml");
        std::fs::write(
            &path,
            "status_5xx = -2\n[billing]\npoints_per_dollar = 10\n",
        )
        .unwrap();
        let rules = read_rules(&path).unwrap();
        let mut ledger = at.open_existing().unwrap();
        let plan = RescorePlan::make(&at, &*ledger, Some(rules)).unwrap();
        assert!(plan.changed());
        let bravo = plan
            .totals()
            .into_iter()
            .find(|t| t.team == "bravo")
            .unwrap();
        // 33 correct − 3 × 0.5 − 400 before; 33 − 6 − 80 after.
        assert_eq!((bravo.old, bravo.new), (Points(-368_500), Points(-53_000)));
        // Planning wrote nothing: the same plan again still sees the old events.
        let again = RescorePlan::make(&at, &*ledger, Some(plan.rules.clone())).unwrap();
        assert_eq!(again.old, plan.old);
        assert_eq!(plan.write(&mut *ledger).unwrap(), plan.new.len());
        let after = RescorePlan::make(&at, &*ledger, None).unwrap();
        assert!(!after.changed(), "the new rules are now the stored ones");
        assert_eq!(after.old, plan.new);
    }

    #[test]
    fn bad_rules_are_named_with_their_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules.toml");
        std::fs::write(&path, "status_5xx = \"lots\"\n").unwrap();
        let err = read_rules(&path).unwrap_err();
        assert!(
            err.to_string()
                .starts_with(&format!("{}: ", path.display())),
            "{err}"
        );
        let err = read_rules(&dir.path().join("none.toml")).unwrap_err();
        assert!(err.to_string().contains("cannot read"), "{err}");
    }
}

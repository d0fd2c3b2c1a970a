//! The checks every section shares: integers, numbers, money, points and durations within
//! bounds, each failing with an error placed at its span in the file.

use std::fmt::Display;
use std::ops::{Range, RangeInclusive};
use std::path::Path;
use std::time::Duration;

use toml::Spanned;

use super::ScenarioError;
use super::duration::show;
use super::locate::line_column;
use super::raw::Parsed;

/// Builds errors that point into one file.
pub(crate) struct Checker<'a> {
    text: &'a str,
    path: &'a Path,
}

/// A decimal number kept as an integer of its smallest unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decimal {
    /// Points, kept in thousandths (`scoreboard_domain::Points`).
    Points,
    /// Dollars, kept in cents (`scoreboard_domain::Cents`).
    Dollars,
}

impl Decimal {
    fn scale(self) -> f64 {
        match self {
            Decimal::Points => 1000.0,
            Decimal::Dollars => 100.0,
        }
    }

    /// The unit, and how many decimals it keeps.
    fn words(self) -> (&'static str, &'static str) {
        match self {
            Decimal::Points => ("points", "three"),
            Decimal::Dollars => ("dollars", "two"),
        }
    }

    /// `value` in the smallest unit, if it has no more decimals than the unit keeps (the
    /// rule scoreboard applies to its own rule files).
    pub(crate) fn exact(self, value: f64) -> Option<i64> {
        let scaled = value * self.scale();
        let whole = scaled.round();
        (value.is_finite() && (scaled - whole).abs() <= 1e-6 && whole.abs() <= 1e15)
            .then_some(whole as i64)
    }
}

impl<'a> Checker<'a> {
    pub(crate) fn new(text: &'a str, path: &'a Path) -> Checker<'a> {
        Checker { text, path }
    }

    /// The error at `span`, on `field`.
    /// A path the scenario names, relative to the scenario's own directory.
    pub(crate) fn relative(&self, path: &str) -> std::path::PathBuf {
        let dir = self.path.parent().unwrap_or(Path::new(""));
        dir.join(path)
    }

    pub(crate) fn error(
        &self,
        span: Range<usize>,
        field: &str,
        message: impl Into<String>,
    ) -> ScenarioError {
        let (line, column) = line_column(self.text, span.start);
        ScenarioError::Invalid {
            path: self.path.to_owned(),
            line,
            column,
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// An integer within `range`, like "a count from 1 to 1000000".
    pub(crate) fn int<T: TryFrom<i64>>(
        &self,
        value: &Spanned<i64>,
        field: &str,
        what: &str,
        range: RangeInclusive<i64>,
    ) -> Result<T, ScenarioError> {
        let v = *value.get_ref();
        if !range.contains(&v) {
            return Err(self.out_of(value.span(), field, what, &range, v));
        }
        T::try_from(v).map_err(|_| self.out_of(value.span(), field, what, &range, v))
    }

    /// [`Checker::int`], or `default` when the field is not written.
    pub(crate) fn int_or<T: TryFrom<i64>>(
        &self,
        value: Option<&Spanned<i64>>,
        field: &str,
        what: &str,
        range: RangeInclusive<i64>,
        default: T,
    ) -> Result<T, ScenarioError> {
        value.map_or(Ok(default), |v| self.int(v, field, what, range))
    }

    /// A number within `range`, like "a rate from 0 to 1000000 requests per second" (`unit`
    /// follows the range).
    pub(crate) fn number(
        &self,
        value: &Spanned<f64>,
        field: &str,
        what: &str,
        range: RangeInclusive<f64>,
        unit: &str,
    ) -> Result<f64, ScenarioError> {
        let v = *value.get_ref();
        if v.is_finite() && range.contains(&v) {
            return Ok(v);
        }
        let message = format!(
            "expected {what} from {} to {}{unit}, got {v}",
            range.start(),
            range.end()
        );
        Err(self.error(value.span(), field, message))
    }

    /// Points or dollars within `range` (in whole points or dollars), in their smallest unit.
    pub(crate) fn decimal(
        &self,
        value: &Spanned<f64>,
        field: &str,
        unit: Decimal,
        range: RangeInclusive<i64>,
    ) -> Result<i64, ScenarioError> {
        let v = *value.get_ref();
        let scaled = (*range.start() as f64 * unit.scale())..=(*range.end() as f64 * unit.scale());
        match unit.exact(v) {
            Some(small) if scaled.contains(&(small as f64)) => Ok(small),
            _ => {
                let (name, decimals) = unit.words();
                let message = format!(
                    "expected {name} from {} to {} with at most {decimals} decimals, got {v}",
                    range.start(),
                    range.end()
                );
                Err(self.error(value.span(), field, message))
            }
        }
    }

    /// A duration within `range`.
    pub(crate) fn duration(
        &self,
        value: &Spanned<Parsed<Duration>>,
        field: &str,
        range: RangeInclusive<Duration>,
    ) -> Result<Duration, ScenarioError> {
        let v = value.get_ref().0;
        if range.contains(&v) {
            return Ok(v);
        }
        let (lo, hi) = (show(*range.start()), show(*range.end()));
        let message = if range.start().is_zero() {
            format!("expected a duration up to {hi}, got {}", show(v))
        } else {
            format!("expected a duration from {lo} to {hi}, got {}", show(v))
        };
        Err(self.error(value.span(), field, message))
    }

    /// [`Checker::duration`], or `default` when the field is not written.
    pub(crate) fn duration_or(
        &self,
        value: Option<&Spanned<Parsed<Duration>>>,
        field: &str,
        range: RangeInclusive<Duration>,
        default: Duration,
    ) -> Result<Duration, ScenarioError> {
        value.map_or(Ok(default), |v| self.duration(v, field, range))
    }

    /// A moment of the game: from its start to before its end.
    pub(crate) fn moment(
        &self,
        value: &Spanned<Parsed<Duration>>,
        field: &str,
        game: Duration,
    ) -> Result<Duration, ScenarioError> {
        let v = value.get_ref().0;
        if v < game {
            return Ok(v);
        }
        let message = format!(
            "expected a time before the end of the game ({}), got {}",
            show(game),
            show(v)
        );
        Err(self.error(value.span(), field, message))
    }

    /// A string that is not empty (nor only spaces).
    pub(crate) fn text(
        &self,
        value: &Spanned<String>,
        field: &str,
        what: &str,
    ) -> Result<String, ScenarioError> {
        if value.get_ref().trim().is_empty() {
            let got = value.get_ref();
            return Err(self.error(value.span(), field, format!("expected {what}, got {got:?}")));
        }
        Ok(value.get_ref().clone())
    }

    fn out_of<T: Display>(
        &self,
        span: Range<usize>,
        field: &str,
        what: &str,
        range: &RangeInclusive<T>,
        got: impl Display,
    ) -> ScenarioError {
        let message = format!(
            "expected {what} from {} to {}, got {got}",
            range.start(),
            range.end()
        );
        self.error(span, field, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_their_smallest_unit_exactly() {
        assert_eq!(Decimal::Points.exact(0.25), Some(250));
        assert_eq!(Decimal::Points.exact(-1.0), Some(-1000));
        assert_eq!(Decimal::Points.exact(0.0001), None);
        assert_eq!(Decimal::Dollars.exact(8.5), Some(850));
        assert_eq!(Decimal::Dollars.exact(0.07), Some(7));
        assert_eq!(Decimal::Dollars.exact(8.505), None);
        assert_eq!(Decimal::Dollars.exact(f64::NAN), None);
    }

    #[test]
    fn points_read_as_scoreboards_rule_files_read_them() {
        for (text, points) in [
            ("0.125", Some(125)),
            ("-2.5", Some(-2500)),
            ("0.0005", None),
        ] {
            let rules = toml::from_str::<scoreboard_domain::Rules>(&format!("correct = {text}"));
            assert_eq!(rules.ok().map(|r| r.correct.0), points, "{text}");
            assert_eq!(
                Decimal::Points.exact(text.parse().unwrap()),
                points,
                "{text}"
            );
        }
    }
}

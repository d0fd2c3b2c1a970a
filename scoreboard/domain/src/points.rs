//! Integer units: milli-points, cents, and game time.

use serde::{Deserialize, Serialize};

/// Points in thousandths: a correct answer worth 1 point is `Points(1000)`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Points(pub i64);

impl Points {
    /// Whole points.
    pub const fn whole(p: i64) -> Points {
        Points(p * 1000)
    }

    /// `n` times this many points.
    pub fn times(self, n: u64) -> Points {
        Points(self.0.saturating_mul(i64::try_from(n).unwrap_or(i64::MAX)))
    }
}

impl std::ops::Add for Points {
    type Output = Points;
    fn add(self, o: Points) -> Points {
        Points(self.0 + o.0)
    }
}

impl std::ops::AddAssign for Points {
    fn add_assign(&mut self, o: Points) {
        self.0 += o.0;
    }
}

impl std::iter::Sum for Points {
    fn sum<I: Iterator<Item = Points>>(iter: I) -> Points {
        Points(iter.map(|p| p.0).sum())
    }
}

/// Signed, with as many decimals as needed: `+412`, `-0.5`, `0`.
impl std::fmt::Display for Points {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = match self.0 {
            0 => "",
            x if x > 0 => "+",
            _ => "-",
        };
        let abs = self.0.unsigned_abs();
        let (whole, frac) = (abs / 1000, abs % 1000);
        if frac == 0 {
            write!(f, "{sign}{whole}")
        } else {
            let frac = format!("{frac:03}");
            write!(f, "{sign}{whole}.{}", frac.trim_end_matches('0'))
        }
    }
}

/// Money in cents.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Cents(pub i64);

impl std::fmt::Display for Cents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The sign goes first and on its own: -50 cents is -$0.50, whose dollars are 0.
        let sign = if self.0 < 0 { "-" } else { "" };
        let (dollars, cents) = (self.0.unsigned_abs() / 100, self.0.unsigned_abs() % 100);
        if cents == 0 {
            write!(f, "{sign}${dollars}")
        } else {
            write!(f, "{sign}${dollars}.{cents:02}")
        }
    }
}

/// Time since the game started, in milliseconds of game clock (pauses excluded).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct GameTime(pub u64);

impl GameTime {
    pub fn from_duration(d: std::time::Duration) -> GameTime {
        GameTime(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn as_duration(self) -> std::time::Duration {
        std::time::Duration::from_millis(self.0)
    }
}

/// `mm:ss`, or `h:mm:ss` past an hour.
impl std::fmt::Display for GameTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.0 / 1000;
        let (h, m, s) = (s / 3600, (s / 60) % 60, s % 60);
        if h > 0 {
            write!(f, "{h}:{m:02}:{s:02}")
        } else {
            write!(f, "{m:02}:{s:02}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_print_like_a_scoreboard() {
        assert_eq!(Points::whole(412).to_string(), "+412");
        assert_eq!(Points(-500).to_string(), "-0.5");
        assert_eq!(Points(-25_250).to_string(), "-25.25");
        assert_eq!(Points(0).to_string(), "0");
        assert_eq!(Points(1000).times(3), Points(3000));
    }

    #[test]
    fn money_and_time_print() {
        assert_eq!(Cents(800).to_string(), "$8");
        assert_eq!(Cents(1250).to_string(), "$12.50");
        assert_eq!(Cents(-1).to_string(), "-$0.01");
        assert_eq!(Cents(-99).to_string(), "-$0.99");
        assert_eq!(Cents(-800).to_string(), "-$8");
        assert_eq!(Cents(-1250).to_string(), "-$12.50");
        assert_eq!(Cents(i64::MIN).to_string(), "-$92233720368547758.08");
        assert_eq!(GameTime(61_000).to_string(), "01:01");
        assert_eq!(GameTime(3_723_000).to_string(), "1:02:03");
    }
}

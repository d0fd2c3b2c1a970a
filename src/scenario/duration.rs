//! Durations as scenario files write them (`90s`, `15m`, `2h`, `500ms`, `1h30m`) and as
//! messages show them back.

use std::time::Duration;

/// What a duration looks like, for messages.
pub(crate) const LIKE: &str = "90s, 15m, 2h or 500ms";

/// Reads a duration like `90s` or `1h30m`: humantime's units, written without spaces (so
/// `15 minutes`, which reads like prose, is refused rather than guessed at).
pub(crate) fn parse(text: &str) -> Result<Duration, String> {
    let bad = || format!("expected a duration like {LIKE}, got {text:?}");
    if text.is_empty() || text.contains(char::is_whitespace) {
        return Err(bad());
    }
    humantime::parse_duration(text).map_err(|_| bad())
}

/// A duration in the largest unit that shows it exactly: `24h`, `90s`, `1500ms`.
pub(crate) fn show(d: Duration) -> String {
    let ms = d.as_millis();
    if !d.subsec_nanos().is_multiple_of(1_000_000) {
        return humantime::format_duration(d).to_string().replace(' ', "");
    }
    match ms {
        0 => "0s".to_owned(),
        ms if ms.is_multiple_of(3_600_000) => format!("{}h", ms / 3_600_000),
        ms if ms.is_multiple_of(60_000) => format!("{}m", ms / 60_000),
        ms if ms.is_multiple_of(1000) => format!("{}s", ms / 1000),
        ms => format!("{ms}ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_humantime_units_without_spaces() {
        let secs = Duration::from_secs;
        assert_eq!(parse("90s"), Ok(secs(90)));
        assert_eq!(parse("15m"), Ok(secs(900)));
        assert_eq!(parse("2h"), Ok(secs(7200)));
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("1h30m"), Ok(secs(5400)));
        assert_eq!(parse("0s"), Ok(Duration::ZERO));
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
        for bad in ["15 minutes", "", "90", "soon", "-5s", "5 s", "1h 30m"] {
            assert_eq!(
                parse(bad),
                Err(format!(
                    "expected a duration like 90s, 15m, 2h or 500ms, got {bad:?}"
                )),
                "{bad}"
            );
        }
    }

    #[test]
    fn durations_show_in_their_largest_exact_unit() {
        assert_eq!(show(Duration::from_secs(86_400)), "24h");
        assert_eq!(show(Duration::from_secs(600)), "10m");
        assert_eq!(show(Duration::from_secs(90)), "90s");
        assert_eq!(show(Duration::from_millis(1500)), "1500ms");
        assert_eq!(show(Duration::ZERO), "0s");
        assert_eq!(show(Duration::from_micros(1500)), "1ms500us");
    }
}

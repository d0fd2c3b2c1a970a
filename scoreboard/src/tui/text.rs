//! Small text helpers the panels share: latency as people read it, and word wrapping.

use std::time::Duration;

/// `840µs`, `182ms`, `1.25s`: three significant digits at most, in the unit people expect.
pub(super) fn latency(d: Duration) -> String {
    let micros = d.as_micros();
    if micros < 1000 {
        format!("{micros}µs")
    } else if micros < 1_000_000 {
        format!("{}ms", d.as_millis())
    } else {
        format!("{:.2}s", d.as_secs_f64())
    }
}

/// Splits `text` into lines of at most `width` characters, breaking between words and
/// cutting words longer than a line. Always at least one line.
pub(super) fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut line_len = 0;
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        if line_len > 0 && line_len + 1 + word.len() <= width {
            line.push(' ');
            line.extend(&word);
            line_len += 1 + word.len();
            continue;
        }
        if line_len > 0 {
            lines.push(std::mem::take(&mut line));
        }
        while word.len() > width {
            lines.push(word.drain(..width).collect());
        }
        line_len = word.len();
        line = word.into_iter().collect();
    }
    if line_len > 0 || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The last `width` characters of `text`, so the end of a long input stays in view.
pub(super) fn tail(text: &str, width: usize) -> &str {
    let count = text.chars().count();
    match text.char_indices().nth(count.saturating_sub(width)) {
        Some((at, _)) => &text[at..],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_read_naturally() {
        assert_eq!(latency(Duration::from_micros(840)), "840µs");
        assert_eq!(latency(Duration::from_micros(182_400)), "182ms");
        assert_eq!(latency(Duration::from_millis(1250)), "1.25s");
    }

    #[test]
    fn wrapping_breaks_between_words_and_cuts_long_ones() {
        assert_eq!(
            wrap("12 wrong answers to GET /x", 10),
            ["12 wrong", "answers to", "GET /x"]
        );
        assert_eq!(wrap("abcdefghij k", 4), ["abcd", "efgh", "ij k"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(wrap("é é", 3), ["é é"]);
    }

    #[test]
    fn tail_keeps_the_end() {
        assert_eq!(tail("hello", 3), "llo");
        assert_eq!(tail("hé", 5), "hé");
        assert_eq!(tail("héllo", 4), "éllo");
    }
}

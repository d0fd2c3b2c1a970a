//! Where a problem sits in a scenario file: the line and column of a byte offset, and the
//! dotted path of the field written there (`team[1].simulate.flavor`).

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The 1-based line and column (in characters) of byte `offset` in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// The path of the innermost key or value of `text` that holds `span`, like
/// `load.phases[1].rate`; empty when the span is outside every key (the top of the file).
///
/// A file with a syntax error is read as far as toml can recover, so the key being written
/// when the error happened is usually still found.
pub(crate) fn field_at(text: &str, span: &Range<usize>) -> String {
    let (root, _) = DeTable::parse_recoverable(text);
    let mut path = String::new();
    if find_in_table(root.get_ref(), span, &mut path) {
        path
    } else {
        field_by_lines(text, span.start)
    }
}

/// `parent.child`, or the one that is not empty.
pub(crate) fn join(parent: &str, child: &str) -> String {
    match (parent.is_empty(), child.is_empty()) {
        (true, _) => child.to_owned(),
        (_, true) => parent.to_owned(),
        _ => format!("{parent}.{child}"),
    }
}

fn holds(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end && outer.start < outer.end
}

fn find_in_table(table: &DeTable<'_>, span: &Range<usize>, path: &mut String) -> bool {
    for (key, value) in table {
        let mark = path.len();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key.get_ref());
        if holds(&key.span(), span) || find_in_value(value, span, path) {
            return true;
        }
        path.truncate(mark);
    }
    false
}

/// Children first: a table's own span is only its `[header]`, which holds no child.
fn find_in_value(value: &Spanned<DeValue<'_>>, span: &Range<usize>, path: &mut String) -> bool {
    match value.get_ref() {
        DeValue::Table(table) if find_in_table(table, span, path) => return true,
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let mark = path.len();
                path.push_str(&format!("[{i}]"));
                if find_in_value(item, span, path) {
                    return true;
                }
                path.truncate(mark);
            }
        }
        _ => {}
    }
    holds(&value.span(), span)
}

/// When toml cannot recover the key being written: the `key =` of the offset's line under
/// the last `[table]` header above it (`[[table]]` headers counted for the index), or the
/// header on the line itself.
fn field_by_lines(text: &str, offset: usize) -> String {
    let upto = text.get(..offset.min(text.len())).unwrap_or(text);
    let line_start = upto.rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("").trim();
    if line.starts_with('[') {
        return line
            .trim_matches(|c| c == '[' || c == ']')
            .trim()
            .to_owned();
    }
    let key = line.split_once('=').map_or("", |(k, _)| k.trim());
    let above: Vec<&str> = upto[..line_start].lines().map(str::trim).collect();
    let Some(header) = above.iter().rev().find(|l| l.starts_with('[')) else {
        return key.to_owned();
    };
    let name = header.trim_matches(|c| c == '[' || c == ']').trim();
    let table = if header.starts_with("[[") {
        let index = above.iter().filter(|l| *l == header).count() - 1;
        format!("{name}[{index}]")
    } else {
        name.to_owned()
    };
    join(&table, key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(text: &str, needle: &str) -> String {
        let start = text.find(needle).unwrap();
        field_at(text, &(start..start + needle.len()))
    }

    #[test]
    fn lines_and_columns_count_from_one_in_characters() {
        let text = "ab\ncdé\nfg";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 2), (1, 3));
        assert_eq!(line_column(text, 3), (2, 1));
        assert_eq!(line_column(text, 8), (3, 1));
        assert_eq!(line_column(text, 99), (3, 3));
    }

    #[test]
    fn fields_are_found_with_their_array_indexes() {
        let text = "[game]\nname = \"x\"\n\n[load]\nphases = [{ at = \"0s\", rate = 1 }, \
                    { at = \"5s\", rate = 9 }]\n\n[[team]]\nname = \"a\"\n\n[[team]]\n\
                    name = \"b\"\nsimulate = { flavor = \"v9\" }\n";
        let nine = text.find("rate = 9").unwrap() + 7;
        assert_eq!(field_at(text, &(nine..nine + 1)), "load.phases[1].rate");
        assert_eq!(field_of(text, "\"v9\""), "team[1].simulate.flavor");
        assert_eq!(field_of(text, "\"b\""), "team[1].name");
        assert_eq!(field_of(text, "[game]"), "game");
    }

    #[test]
    fn a_syntax_error_still_names_the_key_being_written() {
        let text = "[game]\nname = \"x\"\nduration = 30s\n";
        assert_eq!(field_of(text, "30s"), "game.duration");
        let text = "[game]\nname = \"x\nduration = \"30s\"\n";
        let at = text.find("\"x").unwrap() + 2;
        assert_eq!(field_at(text, &(at..at)), "game.name");
        let text = "[[team]]\nname = \"a\"\n[[team]]\nname = \"b\"\nurl = \"http://b\" x\n";
        assert_eq!(field_of(text, "x\n"), "team[1].url");
        assert_eq!(field_of("[game\nname = 1\n", "\n"), "game");
    }
}

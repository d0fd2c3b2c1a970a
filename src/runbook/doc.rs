//! A small document (sections of paragraphs, lists, tables and code) and its two renderings:
//! one self-contained HTML page (no script, no link to load) and Markdown.

use std::fmt::Write as _;

use scoreboard_domain::markup::escape;

/// A run of text with one look.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    /// A value to type or compare as it is: a key, a URL, a command.
    Code(String),
    Strong(String),
    /// A link whose text is its address.
    Link(String),
}

/// A line of inlines, built with [`Line::t`], [`Line::c`], [`Line::b`] and [`Line::link`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Line(pub Vec<Inline>);

impl Line {
    pub fn new() -> Line {
        Line::default()
    }
    /// Plain text.
    pub fn t(mut self, text: impl Into<String>) -> Line {
        self.0.push(Inline::Text(text.into()));
        self
    }
    /// Code.
    pub fn c(mut self, text: impl Into<String>) -> Line {
        self.0.push(Inline::Code(text.into()));
        self
    }
    /// Strong text.
    pub fn b(mut self, text: impl Into<String>) -> Line {
        self.0.push(Inline::Strong(text.into()));
        self
    }
    /// A link.
    pub fn link(mut self, url: impl Into<String>) -> Line {
        self.0.push(Inline::Link(url.into()));
        self
    }
}

impl From<&str> for Line {
    fn from(text: &str) -> Line {
        Line::new().t(text)
    }
}

/// One block of a section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    Para(Line),
    List(Vec<Line>),
    /// Numbered steps.
    Steps(Vec<Line>),
    Table {
        head: Vec<String>,
        rows: Vec<Vec<Line>>,
    },
    /// Lines to type or read as they are.
    Code(String),
}

/// A titled section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub title: String,
    pub blocks: Vec<Block>,
}

/// A document: a title, an opening paragraph, sections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Doc {
    pub title: String,
    pub intro: Line,
    pub sections: Vec<Section>,
}

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:860px;\
padding:1em 2em;color:#222}h1{margin-bottom:.3em}h2{border-bottom:2px solid #ddd;margin-top:1.8em}\
code,pre{font-family:ui-monospace,monospace;background:#f4f4f4;border-radius:3px}\
code{padding:0 .25em}pre{padding:.6em 1em;white-space:pre-wrap;overflow-wrap:anywhere}\
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.3em .6em;\
text-align:left;vertical-align:top}th{background:#f4f4f4}\
@media print{body{max-width:none}h2{break-after:avoid}}";

impl Doc {
    /// One HTML page that opens without a network and prints well.
    pub fn html(&self) -> String {
        let mut out = String::with_capacity(16 * 1024);
        let _ = write!(
            out,
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
             <title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n<p>{}</p>\n",
            escape(&self.title),
            escape(&self.title),
            html_line(&self.intro)
        );
        for section in &self.sections {
            let _ = writeln!(out, "<h2>{}</h2>", escape(&section.title));
            for block in &section.blocks {
                html_block(&mut out, block);
            }
        }
        out.push_str("</body></html>\n");
        out
    }

    /// The same document in Markdown (GitHub's flavour: tables, fenced code).
    pub fn markdown(&self) -> String {
        let mut out = format!("# {}\n\n{}\n", md_text(&self.title), md_line(&self.intro));
        for section in &self.sections {
            let _ = write!(out, "\n## {}\n", md_text(&section.title));
            for block in &section.blocks {
                out.push('\n');
                md_block(&mut out, block);
            }
        }
        out
    }
}

fn html_block(out: &mut String, block: &Block) {
    match block {
        Block::Para(line) => {
            let _ = writeln!(out, "<p>{}</p>", html_line(line));
        }
        Block::List(items) | Block::Steps(items) => {
            let tag = if matches!(block, Block::Steps(_)) {
                "ol"
            } else {
                "ul"
            };
            let _ = writeln!(out, "<{tag}>");
            for item in items {
                let _ = writeln!(out, "<li>{}</li>", html_line(item));
            }
            let _ = writeln!(out, "</{tag}>");
        }
        Block::Table { head, rows } => {
            out.push_str("<table><thead><tr>");
            for h in head {
                let _ = write!(out, "<th>{}</th>", escape(h));
            }
            out.push_str("</tr></thead><tbody>\n");
            for row in rows {
                out.push_str("<tr>");
                for cell in row {
                    let _ = write!(out, "<td>{}</td>", html_line(cell));
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</tbody></table>\n");
        }
        Block::Code(text) => {
            let _ = writeln!(out, "<pre>{}</pre>", escape(text));
        }
    }
}

fn html_line(line: &Line) -> String {
    let mut out = String::new();
    for inline in &line.0 {
        match inline {
            Inline::Text(t) => out.push_str(&escape(t)),
            Inline::Code(t) => {
                let _ = write!(out, "<code>{}</code>", escape(t));
            }
            Inline::Strong(t) => {
                let _ = write!(out, "<strong>{}</strong>", escape(t));
            }
            Inline::Link(url) => {
                let _ = write!(out, "<a href=\"{0}\">{0}</a>", escape(url));
            }
        }
    }
    out
}

fn md_block(out: &mut String, block: &Block) {
    match block {
        Block::Para(line) => {
            let _ = writeln!(out, "{}", md_line(line));
        }
        Block::List(items) => {
            for item in items {
                let _ = writeln!(out, "- {}", md_line(item));
            }
        }
        Block::Steps(items) => {
            for (n, item) in items.iter().enumerate() {
                let _ = writeln!(out, "{}. {}", n + 1, md_line(item));
            }
        }
        Block::Table { head, rows } => {
            let head: Vec<String> = head.iter().map(|h| md_text(h)).collect();
            let _ = writeln!(out, "| {} |", head.join(" | "));
            let _ = writeln!(out, "|{}", " --- |".repeat(head.len()));
            for row in rows {
                let cells: Vec<String> = row.iter().map(|c| md_inlines(c, true)).collect();
                let _ = writeln!(out, "| {} |", cells.join(" | "));
            }
        }
        Block::Code(text) => {
            let fence = if text.contains("```") { "~~~~" } else { "```" };
            let _ = writeln!(out, "{fence}\n{}\n{fence}", text.trim_end());
        }
    }
}

fn md_line(line: &Line) -> String {
    md_inlines(line, false)
}

/// A line in Markdown; in a table's cell a code span's `|` is escaped too (text's always is).
fn md_inlines(line: &Line, in_table: bool) -> String {
    let mut out = String::new();
    for inline in &line.0 {
        match inline {
            Inline::Text(t) => out.push_str(&md_text(t)),
            Inline::Code(t) if in_table => out.push_str(&md_code(t).replace('|', "\\|")),
            Inline::Code(t) => out.push_str(&md_code(t)),
            Inline::Strong(t) => {
                let _ = write!(out, "**{}**", md_text(t));
            }
            Inline::Link(url) => {
                let _ = write!(out, "<{url}>");
            }
        }
    }
    out
}

/// Text with Markdown's markup characters escaped, so that a value reads as it is.
fn md_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(
            ch,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|'
        ) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// A code span that holds any text, backticks too (a longer fence, padded).
fn md_code(text: &str) -> String {
    let mut run = 0;
    let mut longest = 0;
    for ch in text.chars() {
        run = if ch == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    if longest > 0 {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Doc {
        Doc {
            title: "A <game> & *more*".into(),
            intro: Line::new()
                .t("Salt ")
                .c("a`b<c")
                .t(" then ")
                .link("https://x.example/?a=1&b=2"),
            sections: vec![Section {
                title: "Points".into(),
                blocks: vec![
                    Block::Table {
                        head: vec!["what".into(), "points".into()],
                        rows: vec![vec![Line::from("a|b"), Line::new().b("+1")]],
                    },
                    Block::Steps(vec![Line::from("one"), Line::from("two")]),
                    Block::Code("curl x\n".into()),
                ],
            }],
        }
    }

    #[test]
    fn html_escapes_every_value_and_loads_nothing() {
        let html = doc().html();
        assert!(
            html.contains("<h1>A &lt;game&gt; &amp; *more*</h1>"),
            "{html}"
        );
        assert!(html.contains("<code>a`b&lt;c</code>"), "{html}");
        assert!(
            html.contains("href=\"https://x.example/?a=1&amp;b=2\""),
            "{html}"
        );
        assert!(
            html.contains("<ol>\n<li>one</li>\n<li>two</li>\n</ol>"),
            "{html}"
        );
        assert!(
            html.contains("<td>a|b</td><td><strong>+1</strong></td>"),
            "{html}"
        );
        for loads in ["<script", "<link", "src=", "@import"] {
            assert!(!html.contains(loads), "{loads} in {html}");
        }
    }

    #[test]
    fn markdown_keeps_values_as_they_are() {
        let md = doc().markdown();
        assert!(md.starts_with("# A \\<game\\> & \\*more\\*\n"), "{md}");
        assert!(
            md.contains("`` a`b<c ``"),
            "a code span with a backtick: {md}"
        );
        assert!(md.contains("<https://x.example/?a=1&b=2>"), "{md}");
        assert!(
            md.contains("| what | points |\n| --- | --- |\n| a\\|b | **+1** |"),
            "{md}"
        );
        assert!(md.contains("1. one\n2. two\n"), "{md}");
        assert!(md.contains("```\ncurl x\n```"), "{md}");
    }
}

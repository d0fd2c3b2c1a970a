//! The report's HTML: sections in the order a debrief goes (who won, the race, each team,
//! fairness, why points were lost and what to try, the timeline), with inline CSS and the
//! charts inline.

use std::fmt::Write as _;

use loadgen_outcome::OutcomeKind;

use super::{Audience, Debrief, DebriefError, FinalRow, Marker, RACE_LEGEND, charts};
use scoreboard_domain::markup::escape;
use scoreboard_domain::projection::{ERROR_KINDS, EndpointStatus, LossLine};
use scoreboard_domain::{Points, TeamState};

const STYLE: &str = "body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1340px;\
padding:1em 2em;color:#222}h1{margin-bottom:.2em}h2{border-bottom:2px solid #ddd;margin-top:2em}\
table{border-collapse:collapse;margin:.5em 0}td,th{padding:.25em .6em;border-bottom:1px solid #eee;\
text-align:left;vertical-align:top}.num{text-align:right;font-variant-numeric:tabular-nums}\
.id{color:#888;font-size:.85em}.neg{color:#c62828}.pos{color:#2e7d32}.charts{display:grid;\
grid-template-columns:repeat(auto-fill,minmax(640px,1fr));gap:.5em}.team{page-break-inside:avoid}\
.small{font-size:.85em;color:#555}.starved{color:#c62828;font-weight:bold}svg{max-width:100%;height:auto}\
.legend span{margin-right:1em}.legend i{display:inline-block;width:1.6em;border-top:3px dashed;\
vertical-align:middle;margin-right:.3em}";

/// The whole document.
pub(super) fn render(d: &Debrief<'_>) -> Result<String, DebriefError> {
    let rows = d.standings();
    let markers = d.markers();
    let mut out = String::with_capacity(1 << 20);
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>Debrief: {game}</title><style>{STYLE}</style></head><body>\
         <h1>Debrief: {game}</h1><p class=\"small\">Game time {now}{cut}. {teams} teams.</p>",
        game = escape(d.game),
        now = d.end(),
        cut = if d.until.is_some() {
            " (the board is frozen: this is the game as it stood at the freeze)"
        } else {
            ""
        },
        teams = rows.len(),
    );
    final_table(d, &rows, &mut out);
    let global: Vec<Marker> = markers
        .iter()
        .filter(|m| m.team.is_none())
        .cloned()
        .collect();
    let race: Vec<(String, scoreboard_domain::projection::Series)> = rows
        .iter()
        .map(|r| (d.name(r.team).to_owned(), d.series(r.state)))
        .collect();
    out.push_str("<h2 id=\"race\">Score race</h2>");
    legend(&mut out);
    out.push_str(&charts::race(&race, RACE_LEGEND, &global)?);
    if d.audience == Audience::Organizer {
        out.push_str("<h2 id=\"teams\">Each team over time</h2>");
        for (r, (_, series)) in rows.iter().zip(&race) {
            let mine: Vec<Marker> = markers
                .iter()
                .filter(|m| m.team.as_deref().is_none_or(|t| t == r.team))
                .cloned()
                .collect();
            let _ = write!(
                out,
                "<section class=\"team\" id=\"team-{id}\"><h3>#{rank} {name} <span class=\"id\">{id}</span></h3>\
                 <div class=\"charts\">",
                id = escape(r.team),
                rank = r.rank,
                name = escape(d.name(r.team)),
            );
            for svg in charts::team(series, &mine)? {
                out.push_str(&svg);
            }
            out.push_str("</div>");
            registration(d.projection.endpoint(r.team), &mut out);
            after_end(r.state, &mut out);
            out.push_str("</section>");
        }
        fairness(d, &rows, &mut out);
        lost(d, &rows, &mut out);
    }
    timeline(d, &markers, &mut out);
    out.push_str("</body></html>\n");
    Ok(out)
}

/// The colours of the markers, as a key.
fn legend(out: &mut String) {
    use super::MarkerKind as K;
    out.push_str("<p class=\"legend small\">Markers (hover one for what it was): ");
    for k in [
        K::Announcement,
        K::Fault,
        K::Step,
        K::Url,
        K::Pause,
        K::Organizer,
    ] {
        let _ = write!(
            out,
            "<span><i style=\"border-color:{}\"></i>{}</span>",
            k.colour(),
            k.name()
        );
    }
    out.push_str("</p>");
}

fn final_table(d: &Debrief<'_>, rows: &[FinalRow<'_>], out: &mut String) {
    let full = d.audience == Audience::Organizer;
    out.push_str("<h2 id=\"final\">Final table</h2>");
    if let [first, second, ..] = rows {
        if second.rank == first.rank {
            // Ties share a rank: every team of the first one is tied at the top.
            let tied: Vec<String> = rows
                .iter()
                .take_while(|r| r.rank == first.rank)
                .map(|r| format!("<b>{}</b>", escape(d.name(r.team))))
                .collect();
            let _ = write!(
                out,
                "<p>A tie at the top: {} have <b>{}</b> points each.</p>",
                and_list(&tied),
                first.score.to_string().trim_start_matches('+'),
            );
        } else {
            let _ = write!(
                out,
                "<p><b>{}</b> wins by <b>{}</b> points over {}.</p>",
                escape(d.name(first.team)),
                Points(first.score.0 - second.score.0)
                    .to_string()
                    .trim_start_matches('+'),
                escape(d.name(second.team)),
            );
        }
    }
    out.push_str("<table id=\"final-table\"><thead><tr><th class=\"num\">#</th><th>Team</th><th class=\"num\">Score</th>");
    if full {
        out.push_str(
            "<th class=\"num\">Correct</th><th>Errors by kind</th><th class=\"num\">Cost</th>\
             <th class=\"num\">Instance-hours</th>",
        );
    }
    out.push_str("</tr></thead><tbody>");
    let (_, block) = d.projection.billing();
    for r in rows {
        let _ = write!(
            out,
            "<tr><td class=\"num\">{}</td><td>{} <span class=\"id\">{}</span></td><td class=\"num {}\">{}</td>",
            r.rank,
            escape(d.name(r.team)),
            escape(r.team),
            sign(r.score),
            r.score,
        );
        if full {
            let t = r.state;
            let errors: Vec<String> = ERROR_KINDS
                .iter()
                .filter(|k| t.counts.get(**k) > 0)
                .map(|k| format!("{} {}", k.name(), t.counts.get(*k)))
                .collect();
            let _ = write!(
                out,
                "<td class=\"num\">{}</td><td class=\"small\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.2}</td>",
                t.counts.get(OutcomeKind::Correct),
                if errors.is_empty() {
                    "none".to_owned()
                } else {
                    errors.join(" · ")
                },
                t.billing.cost,
                t.billing.blocks as f64 * block.as_secs_f64() / 3600.0,
            );
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// When a team that registers its own endpoint did (it had no load before), or that it
/// never did.
fn registration(endpoint: Option<&EndpointStatus>, out: &mut String) {
    let Some(e) = endpoint.filter(|e| e.registers) else {
        return;
    };
    match (e.registered_at, &e.url) {
        (Some(at), Some(url)) => {
            let _ = write!(
                out,
                "<p class=\"small\">Registered its endpoint at {at} (no load before that); \
                 its endpoint at the end: <code>{}</code>.</p>",
                escape(url)
            );
        }
        _ => out.push_str(
            "<p class=\"small\">Never registered an endpoint: it got no load all game.</p>",
        ),
    }
}

/// Says how many answers came after the game's end, which the per-second charts leave out
/// (drawn in the last second, they would be a spike the team never served).
fn after_end(t: &TeamState, out: &mut String) {
    let b = t.history.after_end();
    let errors: Vec<String> = ERROR_KINDS
        .iter()
        .zip(b.errors)
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{n} {}", k.name()))
        .collect();
    let total = u64::from(b.correct) + b.error_total();
    if total == 0 {
        return;
    }
    let _ = write!(
        out,
        "<p class=\"small after-end\">After the end, {total} answer{s} came in from requests \
         still out when the game ended ({} correct{}{}): they count in the score and the totals, \
         not in the per-second charts.</p>",
        b.correct,
        if errors.is_empty() { "" } else { ", " },
        errors.join(", "),
        s = if total == 1 { "" } else { "s" },
    );
}

fn fairness(d: &Debrief<'_>, rows: &[FinalRow<'_>], out: &mut String) {
    let limit = f64::from(d.rules.void_late_per_mille) / 10.0;
    let _ = write!(
        out,
        "<h2 id=\"fairness\">Fairness of the load</h2><p class=\"small\">Load worker segments: {}. \
         A team is starved when a tick of its load was voided or more than {limit:.1} % of its \
         sends left late.</p><table><thead><tr><th>Team</th><th class=\"num\">Requests due</th>\
         <th class=\"num\">Sent late</th><th class=\"num\">Late %</th><th class=\"num\">Voided ticks</th>\
         <th>Starved?</th></tr></thead><tbody>",
        if d.workers == 0 {
            "none (one process sent the load)".to_owned()
        } else {
            d.workers.to_string()
        },
    );
    for r in rows {
        let t = &r.state.sending;
        let late = if t.sends == 0 {
            0.0
        } else {
            100.0 * t.late_sends as f64 / t.sends as f64
        };
        let starved = t.voided_ticks > 0 || late > limit;
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{late:.2}</td>\
             <td class=\"num\">{}</td><td>{}</td></tr>",
            escape(d.name(r.team)),
            t.sends,
            t.late_sends,
            t.voided_ticks,
            if starved {
                "<span class=\"starved\">yes</span>"
            } else {
                "no"
            },
        );
    }
    let any = rows.iter().any(|r| {
        let t = &r.state.sending;
        t.voided_ticks > 0 || (t.sends > 0 && 100.0 * t.late_sends as f64 / t.sends as f64 > limit)
    });
    let _ = write!(
        out,
        "</tbody></table><p>{}</p>",
        if any {
            "<span class=\"starved\">Some teams were starved</span>: their voided ticks cost them nothing."
        } else {
            "No team was starved."
        }
    );
}

fn lost(d: &Debrief<'_>, rows: &[FinalRow<'_>], out: &mut String) {
    out.push_str(
        "<h2 id=\"losses\">Where points were lost</h2><p class=\"small\">Each team's losses \
         by kind, the most points first, over the last 5 minutes of the game and over the \
         whole game: how many outcomes, the points, the latest reason, and what to try.</p>",
    );
    let end = d.end();
    for r in rows {
        let _ = write!(
            out,
            "<h3 id=\"losses-{}\">{}</h3>",
            escape(r.team),
            escape(d.name(r.team))
        );
        let game = d.projection.game_losses(r.team);
        if game.is_empty() {
            out.push_str("<p>No points lost.</p>");
            continue;
        }
        let recent = d.projection.losses(r.team, end);
        if recent == game {
            loss_table(
                "Last 5 minutes of the game, as over the whole game",
                &game,
                out,
            );
        } else {
            loss_table("Last 5 minutes of the game", &recent, out);
            loss_table("Whole game", &game, out);
        }
    }
}

/// One table of losses by kind, under a caption.
fn loss_table(caption: &str, losses: &[LossLine], out: &mut String) {
    let _ = write!(out, "<p class=\"small\"><b>{caption}</b></p>");
    if losses.is_empty() {
        out.push_str("<p class=\"small\">Nothing lost.</p>");
        return;
    }
    out.push_str(
        "<table class=\"losses\"><thead><tr><th>What</th><th class=\"num\">How many</th>\
         <th class=\"num\">Points</th><th>Example</th><th>What to try</th></tr></thead><tbody>",
    );
    for l in losses {
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num neg\">{}</td>\
             <td class=\"small\">{}</td><td class=\"small\">{}</td></tr>",
            escape(&l.label()),
            l.count,
            l.points,
            escape(&l.example),
            escape(&l.hint),
        );
    }
    out.push_str("</tbody></table>");
}

fn timeline(d: &Debrief<'_>, markers: &[Marker], out: &mut String) {
    out.push_str("<h2 id=\"timeline\">Timeline</h2>");
    if markers.is_empty() {
        out.push_str("<p>Nothing was announced.</p>");
        return;
    }
    out.push_str(
        "<table><thead><tr><th>Time</th><th>What</th><th>Team</th><th></th></tr></thead><tbody>",
    );
    for m in markers {
        let _ = write!(
            out,
            "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            m.at,
            m.kind.name(),
            m.team
                .as_deref()
                .map(|t| escape(d.name(t)))
                .unwrap_or_default(),
            escape(&m.text),
        );
    }
    out.push_str("</tbody></table>");
}

fn sign(p: Points) -> &'static str {
    match p.0 {
        0 => "",
        x if x > 0 => "pos",
        _ => "neg",
    }
}

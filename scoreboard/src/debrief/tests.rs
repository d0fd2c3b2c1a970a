//! The report drawn from a small projection: every team's charts, nothing fetched, names
//! escaped, the public cut at the freeze.

use std::time::Duration;

use hashref::{Key, unicorn_hash};
use loadgen_outcome::{BatchId, Outcome, OutcomeBatch, OutcomeKind};

use super::*;
use scoreboard_domain::{BillingBlock, Cents, EventKind, Scorer};
use scoreboard_ledger::{Recorded, RecordedBatch};

/// Three teams over two minutes: `<b>x</b>` answers well, `slow` times out, `broke` fails
/// after a minute; one billing block each and an organizer adjustment.
fn game() -> (GameProjection, Rules) {
    let names: Vec<String> = ["<b>x</b>", "slow", "broke"].map(String::from).to_vec();
    let rules = Rules::default();
    let scorer = Scorer::new(rules.clone()).unwrap();
    let mut p = GameProjection::new(&names, Cents(800), Some(Duration::from_secs(1)));
    for tick in 0..120u64 {
        for (i, team) in names.iter().enumerate() {
            let mut b = OutcomeBatch::new(
                BatchId {
                    run: 1,
                    worker: 0,
                    target: i as u32,
                    tick,
                },
                team.as_str().into(),
            );
            for j in 0..5u16 {
                let key = Key::from_groups([i as u16, tick as u16, j]);
                let outcome = match (i, tick) {
                    (0, _) => Outcome::Correct,
                    (1, _) if j < 2 => Outcome::Timeout,
                    (2, t) if t >= 60 => Outcome::HttpStatus(503),
                    _ => Outcome::Correct,
                };
                let lat = Duration::from_millis(10 + 40 * u64::from(j) + 100 * i as u64);
                b.record(
                    outcome,
                    key,
                    unicorn_hash(key.as_str(), "s", 1),
                    Some((lat, lat)),
                );
                b.sends += 1;
            }
            let r = Recorded::Batch(Box::new(RecordedBatch {
                at: GameTime((tick + 1) * 1000),
                batch: b,
            }));
            let events = scorer.events(&r);
            p.apply(&r, &events);
        }
    }
    for team in &names {
        let r = Recorded::Block(BillingBlock {
            team: team.clone(),
            instance: "i-1".into(),
            instance_type: "t2.micro".into(),
            block: 1,
            anchor: GameTime(0),
            at: GameTime(0),
        });
        let events = scorer.events(&r);
        p.apply(&r, &events);
    }
    let adj = Recorded::Adjustment(scoreboard_domain::Adjustment {
        id: "a1".into(),
        at: GameTime(90_000),
        team: "slow".into(),
        points: Points::whole(-5),
        reason: "<script>alert(1)</script> spam".into(),
        by: "admin".into(),
    });
    let events = scorer.events(&adj);
    p.apply(&adj, &events);
    p.now = GameTime(120_000);
    (p, rules)
}

fn debrief<'a>(p: &'a GameProjection, rules: &'a Rules, audience: Audience) -> Debrief<'a> {
    Debrief {
        game: "Test day",
        projection: p,
        rules,
        markers: vec![
            Marker {
                at: GameTime(60_000),
                kind: MarkerKind::Fault,
                team: Some("broke".into()),
                text: "every server now runs v1".into(),
            },
            Marker {
                at: GameTime(30_000),
                kind: MarkerKind::Announcement,
                team: None,
                text: "Lunch <i>soon</i>".into(),
            },
        ],
        audience,
        until: None,
        workers: 0,
    }
}

#[test]
fn the_organizer_report_has_every_chart_and_fetches_nothing() {
    let (p, rules) = game();
    let html = debrief(&p, &rules, Audience::Organizer).render().unwrap();
    // The race, and four charts a team.
    assert_eq!(html.matches("<svg").count(), 1 + 4 * 3);
    for team in ["team-slow", "team-broke", "team-&lt;b&gt;x&lt;/b&gt;"] {
        assert!(html.contains(&format!("id=\"{team}\"")), "{team}");
    }
    for external in ["src=", "href=", "url(", "@import"] {
        assert!(!html.contains(external), "{external} in the report");
    }
    assert!(!html.contains("<b>x</b>") && !html.contains("<script>alert"));
    assert!(html.contains("&lt;script&gt;alert(1)"));
    // The fault is marked on broke's charts only, with a hover title.
    let broke = &html[html.find("id=\"team-broke\"").unwrap()..];
    let broke = &broke[..broke.find("</section>").unwrap()];
    assert_eq!(broke.matches("every server now runs v1</title>").count(), 4);
    assert_eq!(html.matches("every server now runs v1</title>").count(), 4);
    assert!(html.contains("wins by"));
    assert!(html.contains("Where points were lost"));
    assert!(html.contains("timeout"));
    assert!(html.contains("503"));
    assert!(html.contains("No team was starved."));
}

#[test]
fn the_public_report_has_the_table_and_the_race_only_cut_at_the_freeze() {
    let (p, rules) = game();
    let mut d = debrief(&p, &rules, Audience::Public);
    let html = d.render().unwrap();
    assert_eq!(html.matches("<svg").count(), 1);
    assert!(!html.contains("Fairness") && !html.contains("points were lost"));
    assert!(
        !html.contains("every server now runs v1"),
        "faults are the organizer's"
    );
    assert!(html.contains("Lunch &lt;i&gt;soon"));
    let full: Vec<i64> = d.standings().iter().map(|r| r.score.0).collect();
    d.until = Some(GameTime(30_000));
    let cut: Vec<i64> = d.standings().iter().map(|r| r.score.0).collect();
    assert!(cut.iter().sum::<i64>() < full.iter().sum::<i64>());
    let html = d.render().unwrap();
    assert!(html.contains("as it stood at the freeze"));
    assert!(html.contains("Game time 00:30"));
}

#[test]
fn losses_are_grouped_by_kind_worst_first_with_a_reason_and_a_hint() {
    let (p, rules) = game();
    let slow = p.game_losses("slow");
    // A block ($8 at 50 points a dollar) costs more than 240 timeouts at half a point.
    let kinds: Vec<EventKind> = slow.iter().map(|l| l.kind).collect();
    let timeout = EventKind::Failure(loadgen_outcome::OutcomeKind::Timeout);
    assert_eq!(kinds, [EventKind::Billing, timeout, EventKind::Organizer]);
    assert_eq!(slow[0].points, Points::whole(-400));
    assert_eq!((slow[1].count, slow[1].points), (240, Points(-120_000)));
    assert_eq!(
        slow[1].example,
        "2 requests timed out (no full answer in time)"
    );
    assert!(slow[1].hint.contains("5 s"), "{}", slow[1].hint);
    assert_eq!((slow[2].count, slow[2].points), (1, Points::whole(-5)));
    let broke = p.losses("broke", p.now);
    let status = broke
        .iter()
        .find(|l| l.kind == EventKind::Status(503))
        .unwrap();
    assert_eq!(status.count, 300);
    assert!(status.hint.contains("queue is full"), "{}", status.hint);
    // The report shows each team's tables, the hint beside each kind.
    let html = debrief(&p, &rules, Audience::Organizer).render().unwrap();
    let section = &html[html.find("id=\"losses-broke\"").unwrap()..];
    let section = &section[..section.find("<h3").unwrap_or(section.len())];
    // A game of two minutes lost the same over its last five as over the whole: one table.
    assert_eq!(
        section.matches("<td>503 Service Unavailable</td>").count(),
        1
    );
    assert!(section.contains("Last 5 minutes of the game, as over the whole game"));
    assert!(section.contains("Scale out"), "{section}");
    // Drawn at one minute, the last five minutes are not the whole game: two tables.
    let mut cut = debrief(&p, &rules, Audience::Organizer);
    cut.until = Some(GameTime(60_000));
    let html = cut.render().unwrap();
    let section = &html[html.find("id=\"losses-slow\"").unwrap()..];
    let section = &section[..section.find("<h3").unwrap_or(section.len())];
    let (recent, whole) = section.split_once("Whole game</b>").unwrap();
    assert!(
        recent.contains("Last 5 minutes of the game</b>"),
        "{section}"
    );
    // The timeouts of the first minute (to the nearest 5 s), then of the whole game.
    assert!(recent.contains("<td>timeouts</td>") && !recent.contains(">240<"));
    assert!(whole.contains("<td>timeouts</td><td class=\"num\">240</td>"));
}

/// A batch of `correct` right answers for team `i` of `names`, in tick `tick`, placed at `at`.
fn answered(names: &[String], i: usize, tick: u64, at: u64, correct: u16) -> Recorded {
    let mut b = OutcomeBatch::new(
        BatchId {
            run: 1,
            worker: 0,
            target: i as u32,
            tick,
        },
        names[i].as_str().into(),
    );
    for j in 0..correct {
        let key = Key::from_groups([i as u16, tick as u16, j]);
        let lat = Duration::from_millis(20);
        b.record(
            Outcome::Correct,
            key,
            unicorn_hash(key.as_str(), "s", 1),
            Some((lat, lat)),
        );
    }
    Recorded::Batch(Box::new(RecordedBatch {
        at: GameTime(at),
        batch: b,
    }))
}

#[test]
fn a_tie_at_the_top_says_it_is_a_tie_and_names_the_tied_teams() {
    let names: Vec<String> = ["ann", "bob", "cyd", "dee"].map(String::from).to_vec();
    let rules = Rules::default();
    let scorer = Scorer::new(rules.clone()).unwrap();
    let mut p = GameProjection::new(&names, Cents(800), Some(Duration::from_secs(1)));
    // ann, bob and cyd answer 5 right, dee 3.
    for (i, correct) in [5, 5, 5, 3].into_iter().enumerate() {
        let r = answered(&names, i, 0, 1000, correct);
        p.apply(&r, &scorer.events(&r));
    }
    p.now = GameTime(1000);
    let bob = scoreboard_domain::names::TeamName {
        team: "bob".into(),
        name: "<Bob>".into(),
        by_team: true,
    };
    p.apply_note(&bob.note("bob".into()));
    let d = debrief(&p, &rules, Audience::Public);
    let html = d.render().unwrap();
    assert!(!html.contains("wins by"), "a tie is not a win by 0 points");
    assert!(
        html.contains(
            "A tie at the top: <b>ann</b>, <b>&lt;Bob&gt;</b> and <b>cyd</b> have <b>5</b> points each."
        ),
        "{}",
        &html[html.find("id=\"final\"").unwrap()..][..300]
    );
    // Two at the top, the others behind (bob keeps its name: the projection's).
    let r = answered(&names, 2, 1, 2000, 0);
    p.apply(&r, &scorer.events(&r));
    let r = answered(&names, 0, 1, 2000, 1);
    p.apply(&r, &scorer.events(&r));
    let r = answered(&names, 1, 1, 2000, 1);
    p.apply(&r, &scorer.events(&r));
    let html = debrief(&p, &rules, Audience::Public).render().unwrap();
    assert!(html.contains(
        "A tie at the top: <b>ann</b> and <b>&lt;Bob&gt;</b> have <b>6</b> points each."
    ));
    // A win still says by how much.
    let r = answered(&names, 1, 2, 3000, 2);
    p.apply(&r, &scorer.events(&r));
    let html = debrief(&p, &rules, Audience::Public).render().unwrap();
    assert!(html.contains("<b>&lt;Bob&gt;</b> wins by <b>2</b> points over ann."));
}

#[test]
fn answers_after_the_end_are_noted_apart_and_not_a_spike_in_the_last_second() {
    // As the report reads a ledger: the projection does not know the tick.
    let names = vec!["team-1".to_owned()];
    let rules = Rules::default();
    let scorer = Scorer::new(rules.clone()).unwrap();
    let mut p = GameProjection::new(&names, Cents(800), None);
    for tick in 0..120 {
        let r = answered(&names, 0, tick, (tick + 1) * 1000, 5);
        p.apply(&r, &scorer.events(&r));
    }
    // The drain tick: 40 requests still out at the end answered after it, placed at the end.
    let r = answered(&names, 0, 120, 120_000, 40);
    p.apply(&r, &scorer.events(&r));
    p.now = GameTime(120_000);
    let t = p.team("team-1").unwrap();
    assert_eq!(
        t.counts.get(OutcomeKind::Correct),
        640,
        "the totals keep them"
    );
    assert_eq!(t.score, Points::whole(640), "and the score");
    let d = debrief(&p, &rules, Audience::Organizer);
    let series = d.series(t);
    assert_eq!(
        series.correct_per_s.last(),
        Some(&5.0),
        "the last second answered 5, not 45: {:?}",
        &series.correct_per_s[110..]
    );
    assert_eq!(series.score.last(), Some(&640.0));
    let html = d.render().unwrap();
    assert!(
        html.contains("After the end, 40 answers came in from requests still out when the game ended (40 correct)"),
        "{html}"
    );
}

//! The handout follows the scenario: its figures change when the scenario's do.

use std::path::Path;
use std::time::Duration;

use hashref::unicorn_hash;
use scoreboard_domain::{BillingRules, Cents, Points};

use super::*;
use crate::scenario::parse;

fn scenario(billing: &str, hash: &str, scoring: &str) -> Scenario {
    let text = format!(
        "[game]\nname = \"Rentals <night>\"\nduration = \"2h\"\n[hash]\n{hash}\n[load]\n\
         phases = [{{ at = \"0s\", rate = 2 }}]\ntimeout = \"7s\"\n[scoring]\n{scoring}\n\
         [billing]\n{billing}\n[[team]]\nname = \"a\"\n"
    );
    parse(&text, Path::new("test.toml")).unwrap_or_else(|e| panic!("{e}"))
}

fn seeds() -> Scenario {
    scenario("price = 8\nblock = \"15m\"", "", "")
}

#[test]
fn the_billing_examples_are_the_runbooks_under_the_seeds_rule() {
    let b = BillingRules::default();
    let minutes = |m: u64| Duration::from_secs(m * 60);
    // The story's runbook: one instance for 3 minutes is $8, two for 13 minutes $16.
    assert_eq!(charge(&b, 1, minutes(3)), (Cents(800), Points::whole(-400)));
    assert_eq!(
        charge(&b, 2, minutes(13)),
        (Cents(1600), Points::whole(-800))
    );
    assert_eq!(
        charge(&b, 1, minutes(15)).0,
        Cents(800),
        "15:00 is one block"
    );
    assert_eq!(
        charge(&b, 1, minutes(16)).0,
        Cents(1600),
        "a started block counts"
    );
}

#[test]
fn the_handouts_figures_follow_the_scenarios_price_and_block() {
    let board = "https://board.example";
    let eight = handout(&seeds(), board);
    for text in [eight.html(), eight.markdown()] {
        assert!(text.contains("one instance for 3m"), "{text}");
        assert!(text.contains("$8"), "{text}");
        assert!(text.contains("2 instances for 13m each"), "{text}");
        assert!(text.contains("$16"), "{text}");
        assert!(text.contains("every started 15m"), "{text}");
        assert!(!text.contains("$60"), "{text}");
    }
    // $10 for every started 5 minutes: two instances for 13 minutes run 3 blocks each.
    let ten = handout(&scenario("price = 10\nblock = \"5m\"", "", ""), board);
    for text in [ten.html(), ten.markdown()] {
        assert!(text.contains("every started 5m"), "{text}");
        assert!(text.contains("$60"), "{text}");
        assert!(
            text.contains("one instance for 6m"),
            "block + 1 minute: {text}"
        );
        assert!(text.contains("$20"), "{text}");
        assert!(!text.contains("$16"), "{text}");
        assert!(!text.contains("every started 15m"), "{text}");
    }
}

#[test]
fn the_contract_sla_and_points_are_the_scenarios() {
    let s = scenario(
        "",
        "salt = \"night's salt\"\niterations = 777",
        "sla = \"2s\"\ncorrect = 3\ntimeout = -2.5",
    );
    let md = handout(&s, &board_url("http://10.0.0.1:8080/").unwrap()).markdown();
    let answer = unicorn_hash(EXAMPLE_KEY, "night's salt", 777);
    assert!(md.contains(answer.as_str()), "the example's answer: {md}");
    assert!(
        md.contains("`night's salt`") && md.contains("**777** iterations"),
        "{md}"
    );
    // The Python check computes the same answer (the salt's quote escaped for the shell).
    assert!(md.contains("b\"night\\x27s salt\", 777"), "{md}");
    assert!(
        md.contains("--salt 'night'\\''s salt' --iterations 777"),
        "{md}"
    );
    assert!(md.contains("within the SLA of 2s | **+3** |"), "{md}");
    assert!(
        md.contains("no whole answer within 7s | **-2.5** |"),
        "{md}"
    );
    assert!(md.contains("The SLA is **2s**"), "{md}");
    // The board's address, without its trailing slash, in every link.
    assert!(md.contains("<http://10.0.0.1:8080/team>"), "{md}");
    assert!(!md.contains("8080//"), "{md}");
    // A public game refuses private URLs, and says so.
    assert!(md.contains("private and loopback addresses are"), "{md}");
}

#[test]
fn every_hint_is_in_the_checklist_and_the_html_loads_nothing() {
    let html = handout(&seeds(), "https://board.example").html();
    for kind in EventKind::FAILURES {
        let hint = hint(EventKind::Failure(kind), Duration::from_secs(5));
        let escaped = scoreboard_domain::markup::escape(&hint);
        assert!(html.contains(&*escaped), "{kind:?}'s hint: {html}");
    }
    assert!(
        html.contains("<title>Rentals &lt;night&gt;: the runbook</title>"),
        "{html}"
    );
    assert!(
        html.contains("href=\"https://board.example/report\""),
        "{html}"
    );
    for loads in ["<script", "<link", "src=", "@import", "url("] {
        assert!(!html.contains(loads), "{loads}");
    }
}

#[test]
fn a_board_url_must_be_one_a_team_can_type() {
    assert_eq!(
        board_url("https://b.example/").unwrap(),
        "https://b.example"
    );
    assert_eq!(
        board_url("http://b.example:8080/game/").unwrap(),
        "http://b.example:8080/game"
    );
    let cases: [(&str, &str); 4] = [
        ("b.example", "not an http"),
        ("ftp://b.example", "not an http"),
        ("https://", "no host"),
        ("https://b.example/a b", "space"),
    ];
    for (bad, why) in cases {
        let e = board_url(bad).unwrap_err().to_string();
        assert!(e.contains(why) && e.contains(bad), "{bad}: {e}");
    }
}

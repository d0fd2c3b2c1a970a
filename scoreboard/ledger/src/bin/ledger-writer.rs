//! Records synthetic outcome batches and billing blocks to a ledger as fast as it can,
//! printing `ack CAUSE` after each durable commit: an example of the ledger API, and the
//! child process that the kill-and-resume test kills with SIGKILL. Not installed for
//! organizers; a tool for the ledger's own crash tests.
//!
//! DB is a SQLite file, or a `postgres://` URL (the game `synthetic`).
//!
//! Usage: ledger-writer DB                 runs until killed, printing an ack per cause
//!        ledger-writer DB TEAMS TICKS [--every MS]
//!                                          writes that many 1-second ticks of that many
//!                                          teams, one transaction per tick (one every MS
//!                                          milliseconds of wall time, or as fast as it
//!                                          can), and prints the write rate; run again on
//!                                          the same file, it goes on where it stopped

use std::io::Write;
use std::time::Duration;

use hashref::{Key, unicorn_hash};
use loadgen_outcome::{BatchId, Outcome, OutcomeBatch};
use scoreboard_domain::{
    Biller, GameMeta, GameTime, InstanceRun, Observation, Recorded, RecordedBatch, Rules, Scorer,
};
use scoreboard_ledger::LedgerAt;

fn main() {
    let Args {
        path,
        teams,
        limit,
        every,
    } = parse_args();
    // The kill test's child writes ticks of 100 ms; a synthetic game has 1-second ticks.
    let tick_ms = if limit.is_some() { 1000 } else { 100 };
    let mut ledger = LedgerAt::parse(&path, Some("synthetic"))
        .and_then(|at| at.open())
        .expect("ledger opens");
    let meta = meta(teams);
    let rules = meta.rules.clone();
    let session = ledger.start_or_resume(&meta, 0).expect("game starts");
    let scorer = Scorer::new(rules.clone()).unwrap();
    let mut biller = Biller::resume(&ledger.blocks().unwrap());
    let mut out = std::io::stdout().lock();
    // Game time runs on: each run starts where the ledger's last cause left off.
    let mut start = 0;
    ledger
        .for_each_cause(&mut |c| start = start.max(c.at().0))
        .unwrap();
    let started = std::time::Instant::now();
    let mut recorded = 0u64;
    for tick in 0..limit.unwrap_or(u64::MAX) {
        if let Some(every) = every {
            std::thread::sleep(
                (started + every * tick as u32)
                    .saturating_duration_since(std::time::Instant::now()),
            );
        }
        let at = GameTime(start + (tick + 1) * tick_ms);
        let mut items = batches(session.run, teams, tick, at);
        let runs = vec![InstanceRun {
            team: "team-0".into(),
            instance: "i-1".into(),
            instance_type: "t2.micro".into(),
            since: GameTime(0),
            until: at,
        }];
        for block in biller.observe(&rules.billing, &Observation { at, runs }) {
            items.push(Recorded::Block(block));
        }
        let with_events: Vec<_> = items
            .into_iter()
            .map(|r| {
                let e = scorer.events(&r);
                (r, e)
            })
            .collect();
        ledger.record(&with_events).expect("commit");
        recorded += with_events.len() as u64;
        if limit.is_none() {
            for (r, _) in &with_events {
                writeln!(out, "ack {}", r.cause().key()).unwrap();
            }
            out.flush().unwrap();
        }
    }
    let secs = started.elapsed().as_secs_f64();
    writeln!(
        out,
        "recorded {recorded} causes in {secs:.1} s: {:.0} causes/s, {:.0} commits/s",
        recorded as f64 / secs,
        limit.unwrap_or(0) as f64 / secs
    )
    .unwrap();
}

/// The synthetic game of `teams` teams: default rules with 2-second billing blocks.
fn meta(teams: u32) -> GameMeta {
    GameMeta {
        name: "synthetic game".into(),
        seed: 1,
        rules: Rules {
            billing: scoreboard_domain::BillingRules {
                block: Duration::from_secs(2),
                ..Default::default()
            },
            ..Rules::default()
        },
        teams: (0..teams).map(|t| format!("team-{t}")).collect(),
        registering: Vec::new(),
        duration_ms: 0,
    }
}

/// One tick's batch of every team: tick % 20 + 1 answers each, a third of them 503s.
fn batches(run: u64, teams: u32, tick: u64, at: GameTime) -> Vec<Recorded> {
    (0..teams)
        .map(|team| {
            let id = BatchId {
                run,
                worker: 0,
                target: team,
                tick,
            };
            let mut b = OutcomeBatch::new(id, format!("team-{team}").into());
            for j in 0..(tick % 20 + 1) {
                let key = Key::from_groups([team as u16, (tick % 10_000) as u16, j as u16]);
                let lat = Duration::from_millis(5 * j + 1);
                let outcome = if j % 3 == 2 {
                    Outcome::HttpStatus(503)
                } else {
                    Outcome::Correct
                };
                b.record(
                    outcome,
                    key,
                    unicorn_hash(key.as_str(), "s", 1),
                    Some((lat, lat)),
                );
                b.sends += 1;
            }
            Recorded::Batch(Box::new(RecordedBatch { at, batch: b }))
        })
        .collect()
}

/// What the command line asks for.
struct Args {
    path: String,
    teams: u32,
    /// Ticks to write (none: until killed).
    limit: Option<u64>,
    /// Wall time between ticks (none: as fast as it can).
    every: Option<Duration>,
}

/// The command line, or an exit with the usage.
fn parse_args() -> Args {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: ledger-writer DB [TEAMS TICKS [--every MS]]\n\n\
        Records synthetic outcome batches and billing blocks to the ledger DB (a SQLite file\n\
        or a postgres:// URL, the game `synthetic`):\n\
        without TEAMS and TICKS, until killed, printing `ack CAUSE` after each commit (the\n\
        kill test's child); with them, that many 1-second ticks of that many teams (one\n\
        every MS milliseconds with --every: a game being played), then the rate.";
    let mut every = None;
    if let Some(i) = args.iter().position(|a| a == "--every") {
        let ms = args.get(i + 1).and_then(|v| v.parse::<u64>().ok());
        let Some(ms) = ms else {
            eprintln!("ledger-writer: --every takes milliseconds\n{usage}");
            std::process::exit(2);
        };
        every = Some(Duration::from_millis(ms));
        args.drain(i..i + 2);
    }
    match args.first().map(String::as_str) {
        Some("-h" | "--help") => {
            println!("{usage}");
            std::process::exit(0);
        }
        Some(flag) if flag.starts_with('-') => {
            eprintln!("ledger-writer: unknown option {flag}\n{usage}");
            std::process::exit(2);
        }
        Some(_) if args.len() == 1 || args.len() == 3 => {}
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    }
    let path = args[0].clone();
    let number = |i: usize| args.get(i).map(|a| a.parse::<u64>().expect(usage));
    let (teams, limit) = (number(1).unwrap_or(3) as u32, number(2));
    Args {
        path,
        teams,
        limit,
        every,
    }
}

//! `gameday runbook`: the handout teams get, written from the scenario itself: what the
//! service must answer, the SLA and the points per outcome, the billing rule with worked
//! examples, how to sign in, name the team and register the endpoint, how to read score
//! events, the troubleshooting checklist (the hints the game gives), and where the board is.
//! Every figure comes from the scenario, so the handout cannot contradict the game.

mod doc;

use std::time::Duration;

use scoreboard_domain::hints::hint;
use scoreboard_domain::{
    Biller, BillingRules, Cents, EventKind, GameTime, InstanceRun, Observation, Points, Rules,
};

pub use doc::{Block, Doc, Inline, Line, Section};

use crate::scenario::Scenario;

/// The key the handout's example asks for: the story's, not one of the game's keyset (the
/// answer depends only on the salt and the iterations; the game's keys stay the game's).
pub const EXAMPLE_KEY: &str = "3615-7184-2117";

/// Why no handout was written.
#[derive(Debug, thiserror::Error)]
pub enum RunbookError {
    #[error(
        "--url {url}: {why}: give the board's address as teams will type it, like https://board.example.org"
    )]
    BoardUrl { url: String, why: &'static str },
}

/// The board's address as teams type it: `http(s)://host[:port][/path]`, without the
/// trailing slash.
pub fn board_url(url: &str) -> Result<String, RunbookError> {
    let bad = |why| RunbookError::BoardUrl {
        url: url.to_owned(),
        why,
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| bad("not an http:// or https:// address"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') {
        return Err(bad("no host"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("a space or control character in it"));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// Writes `text` to `path` whole or not at all: a file beside it, renamed over it.
pub fn write_file(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".part");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// The handout of the game `s`, whose board teams reach at `board` (see [`board_url`]).
pub fn handout(s: &Scenario, board: &str) -> Doc {
    let game = &s.game;
    Doc {
        title: format!("{}: the runbook", game.name),
        intro: Line::new()
            .t("Unicorn Rentals sells hashes as a service. For the next ")
            .b(span(game.duration))
            .t(", your team runs it: our clients ask your service for hashes, every answer wins or \
                loses points, and every server you run costs money. The team with the most points \
                at the end wins. This page says what your service must answer, how you score, what \
                servers cost, how to sign in, and what to do when things break. The board: ")
            .link(format!("{board}/")),
        sections: vec![
            service(s),
            scoring(&s.rules, s),
            billing(&s.rules.billing),
            sign_in(s, board),
            events(board),
            troubleshooting(s.rules.sla),
            Section {
                title: "Where the board is".into(),
                blocks: vec![Block::List(vec![
                    Line::new().t("The public scoreboard: ").link(format!("{board}/")),
                    Line::new().t("Your team's page: ").link(format!("{board}/team")),
                    Line::new()
                        .t("After the game, the report of how it went: ")
                        .link(format!("{board}/report")),
                ])],
            },
        ],
    }
}

/// What the service must answer.
fn service(s: &Scenario) -> Section {
    let hash = &s.hash;
    let answer = hash.answer(EXAMPLE_KEY);
    let python = format!(
        "python3 -c 'import hashlib,base64; print(base64.b64encode(hashlib.pbkdf2_hmac(\"sha256\", \
         b\"{EXAMPLE_KEY}\", {salt}, {n})).decode())'",
        salt = python_bytes(&hash.salt),
        n = hash.iterations
    );
    Section {
        title: "What your service must answer".into(),
        blocks: vec![
            Block::List(vec![
                Line::new()
                    .c("GET /calc?input=KEY")
                    .t(" answers ")
                    .c("200")
                    .t(
                        " with the unicorn hash of KEY as text: standard base64, padded, of \
                        PBKDF2-HMAC-SHA256 with the key as password, the salt ",
                    )
                    .c(hash.salt.clone())
                    .t(", ")
                    .b(hash.iterations.to_string())
                    .t(" iterations and 32 bytes. A trailing newline is fine."),
                Line::new()
                    .c("GET /healthcheck")
                    .t(" answers ")
                    .c("200")
                    .t(": your load balancer's health check and our endpoint check ask it."),
                Line::new().t(format!(
                    "Keys are three groups of four digits. The game asks for {} different keys, \
                     a few of them far more often than the rest: answers never change, so a \
                     cache pays.",
                    s.keyset.count
                )),
            ]),
            Block::Para(
                Line::new()
                    .t("For example, ")
                    .c(format!("/calc?input={EXAMPLE_KEY}"))
                    .t(" must answer:"),
            ),
            Block::Code(answer.as_str().to_owned()),
            Block::Para(Line::new().t("Check your own answer with Python:")),
            Block::Code(python),
            Block::Para(
                Line::new()
                    .t("Test your setup under load before the game's load finds it: ")
                    .c(format!(
                        "loadgen http://YOUR-LOAD-BALANCER/ --rate 5 --duration 30s --salt {} \
                         --iterations {}",
                        shell_word(&hash.salt),
                        hash.iterations
                    ))
                    .t(" says how many answers were right and how fast."),
            ),
        ],
    }
}

/// The SLA and the points of every outcome.
/// What each outcome wins or loses, in the words of the team that gets it.
fn points_rows(r: &Rules, s: &Scenario) -> Vec<(Line, Points)> {
    let load = &s.load;
    let sla = span(r.sla);
    vec![
        (Line::new().t(format!("a right answer within the SLA of {sla}")), r.correct),
        (Line::new().t(format!("a right answer slower than {sla}")), r.correct_slow),
        (
            Line::new().t("an answer with a 2xx status that is not the hash"),
            r.wrong_answer,
        ),
        (
            Line::new().t("a status 500–599 (").c("503").t(" when your server's queue is full)"),
            r.status_5xx,
        ),
        (Line::new().t("a status 400–499"), r.status_4xx),
        (
            Line::new().t("any other status: 1xx, or 3xx (we do not follow redirects)"),
            r.status_other,
        ),
        (
            Line::new().t(format!("no whole answer within {}", span(load.timeout))),
            r.timeout,
        ),
        (
            Line::new().t(format!(
                "a connection refused, or not accepted within {}, or a host name that does not resolve",
                span(load.connect_timeout)
            )),
            r.connect_error,
        ),
        (
            Line::new().t(
                "TLS went wrong: a certificate not trusted, expired or for another host, a \
                 handshake refused or too slow, plain HTTP on one side",
            ),
            r.tls_error,
        ),
        (
            Line::new().t("the connection closed or reset before a whole answer"),
            r.reset,
        ),
        (
            Line::new().t(format!("an answer over {} bytes", load.max_body)),
            r.too_large,
        ),
        (Line::new().t("an answer that is not HTTP"), r.malformed),
        (
            Line::new().t(format!(
                "a request we could not send because {} of yours were still waiting for answers",
                load.max_in_flight
            )),
            r.dropped,
        ),
        (
            Line::new().t(format!(
                "each started {} of each EC2 instance you run (see below)",
                span(r.billing.block)
            )),
            r.billing.block_points(),
        ),
    ]
}

fn scoring(r: &Rules, s: &Scenario) -> Section {
    let sla = span(r.sla);
    let rows = points_rows(r, s);
    Section {
        title: "How you score".into(),
        blocks: vec![
            Block::Para(
                Line::new()
                    .t("Every request our clients send you is scored. The SLA is ")
                    .b(sla.clone())
                    .t(
                        ", counted from the moment the request was due: a queue in front of your \
                        servers counts too. Points are added up every ",
                    )
                    .t(span(s.game.tick))
                    .t(" and shown with their reason."),
            ),
            Block::Table {
                head: vec!["what happens".into(), "points for each".into()],
                rows: rows
                    .into_iter()
                    .map(|(what, points)| vec![what, Line::new().b(points.to_string())])
                    .collect(),
            },
            Block::Para(Line::new().t(format!(
                "When our load generator falls behind and more than {} of a tick's requests to you \
                 leave late, that tick is void for you: no points either way. That is our fault, \
                 not yours.",
                per_mille(r.void_late_per_mille)
            ))),
        ],
    }
}

/// The billing rule, with examples computed by the game's own biller.
fn billing(b: &BillingRules) -> Section {
    let block = span(b.block);
    let examples = [
        (1, Duration::from_secs(3 * 60)),
        (2, Duration::from_secs(13 * 60)),
        (1, b.block + Duration::from_secs(60)),
    ];
    let rows = examples
        .iter()
        .map(|&(instances, ran)| {
            let (cost, points) = charge(b, instances, ran);
            let what = match instances {
                1 => format!("one instance for {}", span(ran)),
                n => format!("{n} instances for {} each", span(ran)),
            };
            vec![
                Line::from(what.as_str()),
                Line::new().b(cost.to_string()),
                Line::from(points.to_string().as_str()),
            ]
        })
        .collect();
    Section {
        title: "What your servers cost".into(),
        blocks: vec![
            Block::Para(
                Line::new()
                    .t("It takes money to make money. Each EC2 instance in your account costs ")
                    .b(b.price.to_string())
                    .t(format!(
                        " for every started {block} it runs, counted from when it started; each \
                         dollar costs {} points, so a block costs {} points. Instances run before \
                         you register your endpoint cost the same. Provision what you need, and \
                         stop what you do not.",
                        b.points_per_dollar,
                        Points(-b.block_points().0)
                            .to_string()
                            .trim_start_matches('+')
                    )),
            ),
            Block::Table {
                head: vec!["you run".into(), "you pay".into(), "points".into()],
                rows,
            },
        ],
    }
}

/// What `instances` instances that each ran for `ran` cost under `rules`, as the game bills
/// them (its [`Biller`]).
pub fn charge(rules: &BillingRules, instances: u32, ran: Duration) -> (Cents, Points) {
    let until = GameTime(ran.as_millis() as u64);
    let runs = (0..instances)
        .map(|i| InstanceRun {
            team: "team".into(),
            instance: format!("i-{i}"),
            instance_type: "t3.micro".into(),
            since: GameTime(0),
            until,
        })
        .collect();
    let blocks = Biller::default()
        .observe(rules, &Observation { at: until, runs })
        .len() as i64;
    (
        Cents(rules.price.0 * blocks),
        Points(rules.block_points().0 * blocks),
    )
}

/// Signing in, naming the team, registering and checking the endpoint.
fn sign_in(s: &Scenario, board: &str) -> Section {
    let mut register = Line::new()
        .b("Register your endpoint")
        .t(": your load balancer's URL, like ")
        .c("http://unicorn-123456.us-east-1.elb.amazonaws.com/")
        .t(" (the starting stack's output), then Register. The load begins within ")
        .t(span(s.game.tick))
        .t(
            ". Until you register, the game sends you no load and takes no points for it. The \
            same form changes the URL later.",
        );
    if !s.game.allow_private_targets {
        register = register.t(
            " The URL must be reachable from the internet: private and loopback addresses are \
             refused.",
        );
    }
    Section {
        title: "Sign in, name your team, register your endpoint".into(),
        blocks: vec![Block::Steps(vec![
            Line::new()
                .b("Sign in")
                .t(": scan the QR code on your team's slip, or open ")
                .link(format!("{board}/team"))
                .t(
                    " and type the token printed on it. The token is your team's only key: keep it \
                    to yourselves.",
                ),
            Line::new().b("Name your team").t(
                ", once: 1 to 40 characters. It shows on the public board, so choose it with that \
                 in mind; the organizers rename names that do not belong there.",
            ),
            register,
            Line::new().b("Check your endpoint").t(
                ": Check my endpoint asks /healthcheck and /calc for three keys, the way the load \
                 does, and says what broke and what to try. A check is never scored; you may ask \
                 once every 10 s.",
            ),
        ])],
    }
}

/// Reading score events, on the page and from a terminal.
fn events(board: &str) -> Section {
    Section {
        title: "Read your score events".into(),
        blocks: vec![
            Block::Para(Line::new().t(
                "Your page lists every score event: when, its source (LoadGen for your answers, \
                 Billing for your instances, Organizer for points the organizers gave or took, \
                 Engine for a voided tick), the points, and the reason. Read the reason when you \
                 lose points: it says what happened and what to check. The panel What is costing \
                 you points adds up your losses by kind, each with what to try.",
            )),
            Block::Para(Line::new().t("From a terminal, with your token:")),
            Block::Code(format!(
                "curl -s -H 'Authorization: Bearer YOUR-TOKEN' {board}/api/team/events\n\
                 curl -N -H 'Authorization: Bearer YOUR-TOKEN' {board}/api/team/stream"
            )),
            Block::Para(
                Line::new()
                    .t("The first gives your events as JSON, newest first (")
                    .c("?before=AT_MS")
                    .t(" pages back, ")
                    .c("?source=LoadGen")
                    .t(" filters); the second streams each new one as it is scored."),
            ),
        ],
    }
}

/// The checklist of what breaks, and the game's hint for each kind of loss.
fn troubleshooting(sla: Duration) -> Section {
    let checklist = [
        "Instances up? In service in the Auto Scaling group, and healthy in the load balancer's \
         target group?",
        "Security groups: is the service's port open to the load balancer, and the load \
         balancer's port open to the internet?",
        "Subnets: are they added to the load balancer and to the Auto Scaling group?",
        "Routes: does each subnet's route table send 0.0.0.0/0 to the internet gateway?",
        "Network ACLs on the subnets: too restrictive?",
        "The internet gateway: still attached to the VPC?",
        "The server's log: does it say why it answers what it answers?",
    ];
    let kinds = [EventKind::CorrectSlow, EventKind::WrongAnswer]
        .into_iter()
        .chain([503, 500, 502, 404, 301, 429, 403].map(EventKind::Status))
        .chain(EventKind::FAILURES.map(EventKind::Failure))
        .chain([EventKind::Billing, EventKind::Void]);
    let rows = kinds
        .map(|kind| {
            vec![
                Line::from(kind.label().as_ref()),
                Line::from(hint(kind, sla).as_ref()),
            ]
        })
        .collect();
    Section {
        title: "When things break".into(),
        blocks: vec![
            Block::Para(
                Line::new().t("Things will break, some of them on purpose. Check, in this order:"),
            ),
            Block::List(checklist.iter().map(|&l| Line::from(l)).collect()),
            Block::Para(Line::new().t("What your events say, and what to try:")),
            Block::Table {
                head: vec!["your events say".into(), "try".into()],
                rows,
            },
        ],
    }
}

/// A duration as a scenario writes it: `5s`, `15m`, `2h 30m`.
fn span(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// `10` per mille as `1 %`, `5` as `0.5 %`.
fn per_mille(n: u32) -> String {
    if n.is_multiple_of(10) {
        format!("{} %", n / 10)
    } else {
        format!("{}.{} %", n / 10, n % 10)
    }
}

/// `salt` as a Python bytes literal.
fn python_bytes(salt: &str) -> String {
    let mut out = String::from("b\"");
    for byte in salt.bytes() {
        match byte {
            b'"' | b'\\' => out.extend(['\\', byte as char]),
            // The command is in single quotes for the shell.
            b'\'' => out.push_str("\\x27"),
            0x20..=0x7e => out.push(byte as char),
            _ => out.push_str(&format!("\\x{byte:02x}")),
        }
    }
    out.push('"');
    out
}

/// `word` quoted for a POSIX shell when it needs it.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-/:=@%+,".contains(&b));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests;

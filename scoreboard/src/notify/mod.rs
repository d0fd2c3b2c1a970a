//! Webhooks: the game's moments told where people talk (Slack, Discord, Mattermost, or any
//! JSON endpoint), as a view of the live channel. [`Watcher`] says what changed between two
//! snapshots (start, pause, resume, freeze, the end and its reveal, announcements,
//! registrations, the ledger going down and coming back); [`Notifier`] sends each message
//! off the game loop, retried with backoff for a bounded time, and keeps each hook's health
//! for the admin page. A hook's URL is a secret: it is never logged, shown or exported.

#[cfg(feature = "notify")]
mod send;
mod shape;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use scoreboard_domain::GameTime;
use scoreboard_domain::snapshot::Snapshot;

#[cfg(feature = "notify")]
pub use send::{Notifier, Retry};
pub use shape::body;

/// Where a hook posts, which decides the message's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HookKind {
    /// `{"text": …}`, Slack's mrkdwn escaped.
    Slack,
    /// `{"content": …}`, with no mention allowed.
    Discord,
    /// `{"text": …, "username": "gameday"}`.
    Mattermost,
    /// `{"game", "event", "at_ms", "text"}` for any other receiver.
    Json,
}

impl HookKind {
    /// The kind a URL's host says: Slack's and Discord's webhook hosts, else JSON.
    pub fn of_url(url: &str) -> HookKind {
        let host = host(url);
        let host = host.split(':').next().unwrap_or("");
        match host {
            "hooks.slack.com" => HookKind::Slack,
            "discord.com" | "discordapp.com" => HookKind::Discord,
            _ => HookKind::Json,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            HookKind::Slack => "slack",
            HookKind::Discord => "discord",
            HookKind::Mattermost => "mattermost",
            HookKind::Json => "json",
        }
    }
}

/// Who reads a hook's channel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    /// Everyone at the event: the game's public moments.
    #[default]
    Everyone,
    /// The organizers: the public moments, the ledger's health, and the instructor's breaks
    /// and restores.
    Organizer,
}

/// One webhook.
#[derive(Clone, PartialEq, Eq)]
pub struct Hook {
    pub kind: HookKind,
    /// A secret: never printed (see [`Hook::label`]).
    pub url: String,
    pub audience: Audience,
}

impl Hook {
    /// How the hook is named where people read: its kind and host, never its path (the
    /// secret part of a Slack or Discord URL).
    pub fn label(&self) -> String {
        format!("{} webhook at {}", self.kind.name(), host(&self.url))
    }
}

/// A URL's host and port (`hooks.slack.com`, `127.0.0.1:9`): what may be shown of a hook.
fn host(url: &str) -> &str {
    url.split("://")
        .nth(1)
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        .unwrap_or("?")
}

impl std::fmt::Debug for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
}

/// What happened, as a message says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moment {
    Start,
    Pause,
    Resume,
    Freeze,
    Unfreeze,
    /// The end, with the true final standings (the reveal, when the board was frozen).
    End,
    Announcement,
    Registration,
    LedgerDown,
    LedgerUp,
    /// The instructor broke a team's stack (or could not).
    Break,
    /// A break put back (or found mended, or failing).
    Restore,
}

impl Moment {
    /// The name a JSON receiver gets in `event`.
    pub fn name(self) -> &'static str {
        match self {
            Moment::Start => "start",
            Moment::Pause => "pause",
            Moment::Resume => "resume",
            Moment::Freeze => "freeze",
            Moment::Unfreeze => "unfreeze",
            Moment::End => "end",
            Moment::Announcement => "announcement",
            Moment::Registration => "registration",
            Moment::LedgerDown => "ledger_down",
            Moment::LedgerUp => "ledger_up",
            Moment::Break => "break",
            Moment::Restore => "restore",
        }
    }

    /// Only organizer hooks hear of it.
    pub fn organizer_only(self) -> bool {
        matches!(
            self,
            Moment::LedgerDown | Moment::LedgerUp | Moment::Break | Moment::Restore
        )
    }
}

/// One message to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub game: String,
    pub moment: Moment,
    pub at: GameTime,
    pub text: String,
}

/// What the last snapshot looked like, to tell what changed.
#[derive(Clone, Debug, Default)]
struct Seen {
    paused: bool,
    frozen: bool,
    over: bool,
    announcements: usize,
    breaks: usize,
    registered: HashSet<String>,
    ledger_down: bool,
}

/// Says what changed from one snapshot to the next, as messages. Pure: the caller sends.
#[derive(Clone, Debug, Default)]
pub struct Watcher {
    seen: Option<Seen>,
}

impl Seen {
    /// What `s` shows of what the watcher tells.
    fn of(s: &Snapshot) -> Seen {
        Seen {
            paused: s.paused,
            frozen: s.frozen.is_some(),
            over: s.over,
            announcements: s.announcements.len(),
            breaks: s.breaks.len(),
            registered: s
                .teams
                .iter()
                .filter(|t| t.endpoint.registered_at.is_some())
                .map(|t| t.team.clone())
                .collect(),
            ledger_down: s.ledger.down_since_unix_ms.is_some(),
        }
    }
}

impl Watcher {
    /// The messages `s` makes since the last snapshot looked at. The first one says the
    /// game has started (or is back, after a restart), and nothing of what came before.
    pub fn look(&mut self, s: &Snapshot) -> Vec<Message> {
        let now = Seen::of(s);
        let said = match self.seen.replace(now.clone()) {
            None if s.over => Vec::new(),
            None => vec![(Moment::Start, first_words(s))],
            Some(was) => {
                let mut said = news(s, &was, &now);
                said.extend(switches(s, &was, &now));
                said
            }
        };
        said.into_iter()
            .map(|(moment, text)| Message {
                game: s.game.clone(),
                moment,
                at: s.now,
                text,
            })
            .collect()
    }
}

/// The first snapshot: the game has started, or is back after a restart.
fn first_words(s: &Snapshot) -> String {
    if s.now == GameTime(0) {
        format!("The game has started: {} to play.", span(s.duration))
    } else {
        format!("The game is back at {} (of {}).", s.now, span(s.duration))
    }
}

/// New announcements, breaks and restores (organizer hooks only), and the teams that
/// registered (by name).
fn news(s: &Snapshot, was: &Seen, now: &Seen) -> Vec<(Moment, String)> {
    let mut said: Vec<(Moment, String)> = s
        .announcements
        .iter()
        .skip(was.announcements)
        .map(|a| (Moment::Announcement, a.text.clone()))
        .collect();
    said.extend(s.breaks.iter().skip(was.breaks).map(|b| {
        let (moment, what) = if b.restore {
            (Moment::Restore, "restore")
        } else {
            (Moment::Break, "break")
        };
        let text = format!(
            "{}: {what} {}: {}",
            b.team,
            b.record.action,
            b.record.words()
        );
        (moment, text)
    }));
    let mut newly: Vec<_> = s
        .teams
        .iter()
        .filter(|t| now.registered.contains(&t.team) && !was.registered.contains(&t.team))
        .collect();
    newly.sort_by(|a, b| a.public_name().cmp(b.public_name()));
    said.extend(newly.into_iter().map(|t| {
        let text = format!(
            "Team {} registered its endpoint: its load begins.",
            t.public_name()
        );
        (Moment::Registration, text)
    }));
    said
}

/// The switches that turned: the ledger's health, the freeze, the pause, the end.
fn switches(s: &Snapshot, was: &Seen, now: &Seen) -> Vec<(Moment, String)> {
    let mut said = Vec::new();
    if now.ledger_down != was.ledger_down {
        said.push(if now.ledger_down {
            let error = s.ledger.error.as_deref().unwrap_or("no reason given");
            let text = format!(
                "The ledger stopped taking writes ({error}). The game goes on and keeps what \
                 it decides until the ledger is back."
            );
            (Moment::LedgerDown, text)
        } else {
            let text = "The ledger takes writes again: nothing was lost.";
            (Moment::LedgerUp, text.to_owned())
        });
    }
    // Once over, the end says it all (the reveal of a frozen board too).
    if !s.over && now.frozen != was.frozen {
        said.push(if now.frozen {
            let text = format!(
                "The public scoreboard is frozen at {}: the standings stay hidden until the end.",
                s.now
            );
            (Moment::Freeze, text)
        } else {
            let text = "The public scoreboard is live again.";
            (Moment::Unfreeze, text.to_owned())
        });
    }
    if !s.over && now.paused != was.paused {
        said.push(if now.paused {
            (Moment::Pause, format!("The game is paused at {}.", s.now))
        } else {
            (Moment::Resume, format!("The game goes on from {}.", s.now))
        });
    }
    if now.over && !was.over {
        said.push((Moment::End, final_words(s, was.frozen)));
    }
    said
}

/// The end: the true final standings, the top five (the reveal, after a freeze).
fn final_words(s: &Snapshot, was_frozen: bool) -> String {
    let mut text = if was_frozen {
        format!(
            "The game is over at {}. The frozen board is revealed: ",
            s.now
        )
    } else {
        format!("The game is over at {}. Final standings: ", s.now)
    };
    let top: Vec<String> = s
        .teams
        .iter()
        .take(5)
        .map(|t| format!("{}. {} ({})", t.rank, t.public_name(), t.score))
        .collect();
    if top.is_empty() {
        text.push_str("no teams.");
    } else {
        text.push_str(&top.join(", "));
        text.push('.');
    }
    text
}

/// `2h`, `30m`, `1h 30m`.
fn span(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let parts: Vec<String> = [(h, "h"), (m, "m"), (s, "s")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    if parts.is_empty() {
        "0s".into()
    } else {
        parts.join(" ")
    }
}

/// One hook as the admin page shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct HookHealth {
    /// Kind and host, never the URL's secret path.
    pub label: String,
    pub sent: u64,
    /// Messages queued and not yet sent or given up.
    pub pending: u64,
    /// Messages given up after the retries' bounded time.
    pub given_up: u64,
    /// Messages dropped because the queue was full.
    pub dropped: u64,
    /// Since when (Unix ms) its posts fail; `None` while they go through.
    pub failing_since_unix_ms: Option<u64>,
    /// Why the last failed post failed.
    pub last_error: Option<String>,
}

/// The hooks' health, shared with the admin page.
pub type Health = Arc<Mutex<Vec<HookHealth>>>;

#[cfg(test)]
mod tests;

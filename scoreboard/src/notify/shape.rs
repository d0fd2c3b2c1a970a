//! Each receiver's own message shape: Slack's and Mattermost's `text`, Discord's `content`
//! (with mentions off, so an announcement cannot ping `@everyone`), or plain JSON.

use serde_json::json;

use super::{HookKind, Message};

/// The JSON body a hook of `kind` gets for `m`.
pub fn body(kind: HookKind, m: &Message) -> Vec<u8> {
    let line = format!("{}: {}", m.game, m.text);
    let value = match kind {
        HookKind::Slack => json!({ "text": slack_escape(&line) }),
        HookKind::Mattermost => json!({ "text": line, "username": "gameday" }),
        HookKind::Discord => json!({
            "content": line,
            "username": "gameday",
            "allowed_mentions": { "parse": [] },
        }),
        HookKind::Json => json!({
            "game": m.game,
            "event": m.moment.name(),
            "at": m.at.to_string(),
            "at_ms": m.at.0,
            "text": m.text,
        }),
    };
    serde_json::to_vec(&value).unwrap_or_default()
}

/// Slack reads `&`, `<` and `>` as markup (links, mentions): escaped, they read as written.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

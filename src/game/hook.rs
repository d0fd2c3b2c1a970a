//! A hook of the scenario's timeline, run by the shell when the core says it is due: a shell
//! command with a time limit, and what it did, for the report.

use std::time::Duration;

use scoreboard_domain::GameTime;
use serde::Serialize;

/// A hook's run, as recorded in the report.
#[derive(Clone, Debug, Serialize)]
pub struct HookRun {
    /// Game time it started, in milliseconds.
    pub at_ms: u64,
    pub command: String,
    /// Its exit code; `None` when it was killed at its time limit or could not start.
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    /// The start of what it wrote on stdout and stderr.
    pub output: String,
}

/// Output kept from a hook.
const HOOK_OUTPUT: usize = 2048;

/// The game's secrets in its environment, which a hook (an organizer's script, whose output
/// goes into the report) does not get: the ledger's URL with its password, the admin token.
pub const SECRETS: [&str; 2] = ["GAMEDAY_LEDGER", "GAMEDAY_ADMIN_TOKEN"];

/// `sh -c command`, without the game's [`SECRETS`], killed when dropped.
fn hook_command(command: &str) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    for secret in SECRETS {
        cmd.env_remove(secret);
    }
    cmd
}

/// Runs `command` with `sh -c`, killing it at `timeout`.
pub async fn run_hook(command: String, timeout: Duration, at: GameTime) -> HookRun {
    let mut cmd = hook_command(&command);
    let result = tokio::time::timeout(timeout, cmd.output()).await;
    let (exit_code, timed_out, output) = match result {
        Err(_) => (
            None,
            true,
            format!("killed after {}", humantime::format_duration(timeout)),
        ),
        Ok(Err(e)) => (None, false, format!("could not start: {e}")),
        Ok(Ok(out)) => {
            let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&out.stderr));
            if text.len() > HOOK_OUTPUT {
                let mut cut = HOOK_OUTPUT;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
                text.push('…');
            }
            (out.status.code(), false, text)
        }
    };
    HookRun {
        at_ms: at.0,
        command,
        exit_code,
        timed_out,
        output,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hook_does_not_get_the_games_secrets() {
        let cmd = hook_command("env");
        let mut removed: Vec<_> = cmd
            .as_std()
            .get_envs()
            .filter(|(_, value)| value.is_none())
            .map(|(name, _)| name.to_string_lossy().into_owned())
            .collect();
        removed.sort();
        let mut secrets = SECRETS.to_vec();
        secrets.sort();
        assert_eq!(removed, secrets);
    }

    fn run(command: &str, timeout: Duration) -> HookRun {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(run_hook(command.to_owned(), timeout, GameTime(4_000)))
    }

    #[test]
    fn a_hook_keeps_its_exit_code_and_output() {
        let hook = run(
            "echo to stdout; echo to stderr >&2; exit 3",
            Duration::from_secs(10),
        );
        assert_eq!(hook.exit_code, Some(3));
        assert!(!hook.timed_out);
        assert_eq!(hook.output, "to stdout\nto stderr\n");
        assert_eq!(
            (hook.at_ms, hook.command.as_str()),
            (4_000, "echo to stdout; echo to stderr >&2; exit 3")
        );
    }

    #[test]
    fn a_hook_past_its_timeout_is_killed_and_says_so() {
        let started = std::time::Instant::now();
        let hook = run("sleep 30", Duration::from_millis(300));
        assert!(started.elapsed() < Duration::from_secs(10), "not killed");
        assert_eq!(hook.exit_code, None);
        assert!(hook.timed_out);
        assert_eq!(hook.output, "killed after 300ms");
    }

    #[test]
    fn a_long_output_is_cut_on_a_character_boundary() {
        let hook = run("printf 'é%.0s' $(seq 1 3000)", Duration::from_secs(10));
        assert_eq!(hook.exit_code, Some(0));
        assert!(hook.output.ends_with('…'));
        assert!(hook.output.len() <= HOOK_OUTPUT + '…'.len_utf8());
    }
}

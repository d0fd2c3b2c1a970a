//! The running `gameday play` in a real terminal: tmux runs it, keys go in with
//! `send-keys`, the screen comes back with `capture-pane`. Needs tmux (CI installs it).

use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux is installed (apt-get install tmux; .ci/run does)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "game"])
    }

    /// Waits up to 60 s for the screen to show `needle`.
    fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if screen.contains(needle) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "no {needle:?} on screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

#[test]
fn the_cockpit_shows_teams_events_and_pauses() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("game.db");
    let done = dir.path().join("exit-code");
    let tmux = Tmux {
        socket: format!("gameday-test-{}", std::process::id()),
    };
    let command = format!(
        "cd {} && GAMEDAY_CACHE_DIR={} {} play scenarios/ci/fault-recovery.toml --db {} --no-web; echo $? > {}; sleep 60",
        env!("CARGO_MANIFEST_DIR"),
        dir.path().display(),
        env!("CARGO_BIN_EXE_gameday"),
        db.display(),
        done.display(),
    );
    tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "game",
        "-x",
        "120",
        "-y",
        "36",
        &command,
    ]);
    let screen = tmux.wait_for("correct answers");
    for team in ["calm", "sluggish", "phoenix"] {
        assert!(screen.contains(team), "{team}:\n{screen}");
    }
    assert!(screen.contains("ci fault and recovery"), "{screen}");
    assert!(!screen.contains("PAUSED"), "{screen}");
    tmux.run(&["send-keys", "-t", "game", "p"]);
    let paused = tmux.wait_for("PAUSED");
    // The clock stands still while paused.
    let clock = |s: &str| s.lines().next().unwrap_or("").to_owned();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(clock(&tmux.screen()), clock(&paused));
    tmux.run(&["send-keys", "-t", "game", "q"]);
    tmux.wait_for("End the game for everyone?");
    tmux.run(&["send-keys", "-t", "game", "y"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done.exists() {
        assert!(
            Instant::now() < deadline,
            "gameday did not end:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(std::fs::read_to_string(&done).unwrap().trim(), "0");
    let screen = tmux.screen();
    assert!(screen.contains("rank  team"), "{screen}");
    assert!(screen.contains("to resume: gameday play"), "{screen}");
}

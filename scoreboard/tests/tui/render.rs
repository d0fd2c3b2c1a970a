//! Each panel and the whole screen, drawn from a hand-built snapshot.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use scoreboard::live::{Snapshot, TeamRow};
use scoreboard::tui::{App, Board, EventList, Footer, Header, InputMode, LossPanel, ScoreChart};

use crate::util::{
    assert_snapshot, char_key, contains, draw, find, game, key, lines, shared, widget,
};
use ratatui::crossterm::event::KeyCode;

/// Whether the row of the board that names `team` is drawn reversed (the selection).
fn row_highlighted(buffer: &Buffer, team: &str) -> bool {
    let (x, y) = find(buffer, team).unwrap_or_else(|| panic!("{team} is not on the board"));
    buffer[(x, y)].modifier.contains(Modifier::REVERSED)
}

fn leader(snapshot: &Snapshot) -> &TeamRow {
    &snapshot.teams[0]
}

#[test]
fn header_shows_clock_phase_state_and_latest_announcement() {
    let game = game();
    let buffer = widget(80, 3, Header::new(&game));
    assert_snapshot("header_80", &buffer);
    assert!(contains(
        &buffer,
        "spring-gameday  12:34 / 45:00  (32:26 left)"
    ));
    assert!(contains(
        &buffer,
        "phase 2 of 4 (ramp to 20 req/s) · offered 8.0 req/s"
    ));
    assert!(contains(&buffer, "Round 2: prices must be in dollars"));
    assert!(
        !contains(&buffer, "Welcome"),
        "only the latest announcement shows"
    );
    let (x, y) = find(&buffer, "PAUSED").unwrap();
    assert_eq!(buffer[(x, y)].bg, Color::Yellow);
    assert!(contains(&buffer, "FROZEN"));
    assert!(!contains(&buffer, "GAME OVER"));
}

#[test]
fn header_of_a_running_game_has_no_badges() {
    let game = Snapshot {
        paused: false,
        frozen: None,
        announcements: vec![],
        ..game()
    };
    let buffer = widget(80, 3, Header::new(&game));
    assert!(!contains(&buffer, "PAUSED") && !contains(&buffer, "FROZEN"));
    assert!(contains(&buffer, "no announcements yet"));
}

#[test]
fn board_at_80_columns_drops_p50_and_instances() {
    let game = game();
    let buffer = widget(80, 7, Board::new(&game.teams, Some(1)));
    assert_snapshot("board_80", &buffer);
    for team in &game.teams {
        assert!(contains(&buffer, &team.team), "{} missing", team.team);
    }
    assert!(!contains(&buffer, "p50") && !contains(&buffer, "inst"));
    assert!(contains(&buffer, "p99") && contains(&buffer, "$12.50"));
    assert!(row_highlighted(&buffer, "null-pointers"));
    assert!(!row_highlighted(&buffer, "tortoise-and-hare"));
}

#[test]
fn board_at_160_columns_shows_every_column() {
    let game = game();
    let buffer = widget(160, 7, Board::new(&game.teams, Some(0)));
    assert_snapshot("board_160", &buffer);
    for title in [
        "#", "team", "score", "5 min", "ok/s", "err%", "p50", "p99", "inst", "spent",
    ] {
        assert!(contains(&buffer, title), "column {title} missing");
    }
    assert!(contains(&buffer, "+412.5") && contains(&buffer, "1.45s"));
    assert!(row_highlighted(&buffer, "tortoise-and-hare"));
}

#[test]
fn events_wrap_long_reasons_and_scroll() {
    let game = game();
    let buffer = widget(80, 12, EventList::new(Some(leader(&game)), 0));
    assert_snapshot("events_80", &buffer);
    assert!(contains(&buffer, "Events · tortoise-and-hare"));
    // The whole reason shows, over several lines.
    assert!(contains(
        &buffer,
        "12 answers were wrong: GET /price?sku=A-1042"
    ));
    assert!(contains(
        &buffer,
        "expected 19.99 but the service answered 1999 (a"
    ));
    assert!(contains(
        &buffer,
        "price in cents where dollars were asked)"
    ));
    // The fifth event shows its first line: the count says it is in view.
    assert!(contains(&buffer, "1–5 of 6"));

    let scrolled = widget(80, 12, EventList::new(Some(leader(&game)), 3));
    assert_snapshot("events_80_scrolled", &scrolled);
    assert!(!contains(&scrolled, "77 correct answers"));
    assert!(contains(&scrolled, "bonus for fixing the cache"));
    assert!(contains(&scrolled, "4–6 of 6"));
}

#[test]
fn events_without_a_team_or_events_say_so() {
    let buffer = widget(60, 5, EventList::new(None, 0));
    assert!(contains(&buffer, "no team selected"));
    let quiet = TeamRow {
        team: "quiet".into(),
        ..TeamRow::default()
    };
    let buffer = widget(60, 5, EventList::new(Some(&quiet), 0));
    assert!(contains(&buffer, "no score events yet"));
}

#[test]
fn chart_is_two_sparklines_sharing_lines_when_short() {
    let game = game();
    let buffer = widget(80, 4, ScoreChart::new(Some(leader(&game))));
    assert_snapshot("chart_80x4", &buffer);
    assert!(contains(&buffer, "score +412.5"));
    assert!(contains(&buffer, "p99 180ms"));
}

#[test]
fn chart_puts_labels_above_taller_sparklines() {
    let game = game();
    let buffer = widget(60, 12, ScoreChart::new(Some(leader(&game))));
    assert_snapshot("chart_60x12", &buffer);
    let (_, score_row) = find(&buffer, "score +412.5").unwrap();
    let (_, p99_row) = find(&buffer, "p99 180ms").unwrap();
    assert!(
        p99_row > score_row + 2,
        "each sparkline has rows of its own"
    );
}

#[test]
fn footer_shows_keys_prompt_and_question() {
    let game = game();
    let keys = widget(80, 1, Footer::new(&game, &InputMode::Normal, false));
    assert_snapshot("footer_keys", &keys);
    // Paused and frozen: the keys offer the way back.
    assert!(contains(&keys, "p resume") && contains(&keys, "f unfreeze"));

    let typing = InputMode::Announce("Round 3 in five minutes".into());
    let prompt = widget(80, 1, Footer::new(&game, &typing, false));
    assert_snapshot("footer_announce", &prompt);

    let confirm = widget(80, 1, Footer::new(&game, &InputMode::ConfirmQuit, false));
    assert_snapshot("footer_confirm", &confirm);

    let over = widget(80, 1, Footer::new(&game, &InputMode::Normal, true));
    assert_eq!(lines(&over), ["the game is gone — press any key"]);
    let ended = Snapshot { over: true, ..game };
    let over = widget(80, 1, Footer::new(&ended, &InputMode::Normal, true));
    assert_eq!(lines(&over), ["game over — press any key"]);
}

#[test]
fn long_announcements_keep_their_end_and_the_cursor_in_view() {
    let game = game();
    let typing = InputMode::Announce("x".repeat(100) + "END");
    let footer = Footer::new(&game, &typing, false);
    let area = ratatui::layout::Rect::new(0, 0, 80, 1);
    let cursor = footer.cursor(area).unwrap();
    let buffer = widget(80, 1, footer);
    assert!(lines(&buffer)[0].ends_with("END"));
    assert!(cursor.x < 80 && cursor.x >= 78);
}

/// The cockpit on `game`, with the second team selected.
fn cockpit(game: Snapshot) -> App {
    let mut app = App::new(shared(game));
    app.handle_key(key(KeyCode::Down));
    app
}

#[test]
fn whole_screen_at_80x24() {
    let app = cockpit(game());
    let buffer = draw(80, 24, |frame| app.render(frame));
    assert_snapshot("screen_80x24", &buffer);
    assert!(contains(&buffer, "PAUSED") && contains(&buffer, "FROZEN"));
    for team in &app.snapshot().teams {
        assert!(contains(&buffer, &team.team), "{} missing", team.team);
    }
    assert!(row_highlighted(&buffer, "null-pointers"));
    assert!(!row_highlighted(&buffer, "cache-me-outside"));
    assert!(contains(&buffer, "Events · null-pointers"));
    assert!(contains(&buffer, "12 answers were wrong"));
    assert!(contains(&buffer, "score +388.5"));
    assert!(contains(&buffer, "q quit"));
    // With little room, what costs the team points takes a line a kind, with its hint.
    assert!(contains(
        &buffer,
        "-21 42 × 503 Service Unavailable  → Your queue is full"
    ));
    assert!(contains(&buffer, "1 more kind on the team page"));
}

#[test]
fn whole_screen_at_160x48_uses_the_room() {
    let app = cockpit(game());
    let buffer = draw(160, 48, |frame| app.render(frame));
    assert_snapshot("screen_160x48", &buffer);
    assert!(contains(&buffer, "p50") && contains(&buffer, "inst"));
    assert!(row_highlighted(&buffer, "null-pointers"));
    // What costs the team points, then every event, side by side with the charts.
    assert!(contains(&buffer, "1–6 of 6"));
    let (losses_x, losses_y) = find(&buffer, "Costing points · last 5 minutes").unwrap();
    let (events_x, events_y) = find(&buffer, "Events · null-pointers").unwrap();
    let (chart_x, chart_y) = find(&buffer, "null-pointers · score and p99").unwrap();
    assert_eq!((losses_y, losses_x), (chart_y, events_x));
    assert!(events_y > losses_y + 3);
    assert!(chart_x > events_x + 80);
    // With room, each kind has its latest reason and its whole hint under it.
    assert!(contains(
        &buffer,
        "7 × 503 Service Unavailable (your queue is full)"
    ));
    assert!(contains(
        &buffer,
        "(more servers behind the load balancer) or cache answers"
    ));
}

#[test]
fn losses_show_each_kind_its_reason_and_hint_or_say_nothing_was_lost() {
    let game = game();
    let losing = &game.teams[1];
    let buffer = widget(100, 12, LossPanel::new(Some(losing)));
    assert_snapshot("losses_100", &buffer);
    assert!(contains(&buffer, "-21 42 × 503 Service Unavailable"));
    assert!(contains(&buffer, "→ Your queue is full"));
    assert!(contains(&buffer, "-12 12 × wrong answers"));
    assert!(contains(&buffer, "check the salt and the iterations"));
    // Three kinds at most: the fourth is on the team page.
    assert!(!contains(&buffer, "timeouts"));
    assert!(contains(&buffer, "1 more kind on the team page"));
    let (x, y) = find(&buffer, "-21").unwrap();
    assert_eq!(buffer[(x, y)].fg, Color::Red);

    let fine = widget(60, 3, LossPanel::new(Some(&game.teams[0])));
    assert!(contains(&fine, "nothing lost in the last 5 minutes"));
    assert_eq!(LossPanel::height(Some(&game.teams[0]), 20, 60), 3);
    // Three kinds, their hints of two, three and two lines, and the borders; at most half
    // the room.
    assert_eq!(LossPanel::height(Some(losing), 40, 100), 3 + 4 + 3 + 2);
    assert_eq!(LossPanel::height(Some(losing), 10, 100), 5);
    assert!(contains(
        &widget(60, 3, LossPanel::new(None)),
        "no team selected"
    ));
}

#[test]
fn whole_screen_while_typing_an_announcement() {
    let mut app = cockpit(game());
    app.handle_key(char_key('a'));
    for c in "Round 3 soon".chars() {
        app.handle_key(char_key(c));
    }
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    terminal.draw(|frame| app.render(frame)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    assert_eq!(
        lines(&buffer)[23],
        "announce (Enter sends, Esc cancels): Round 3 soon"
    );
    let cursor = terminal.get_cursor_position().unwrap();
    assert_eq!((cursor.x, cursor.y), (49, 23));
}

#[test]
fn a_game_over_says_so_in_header_and_footer() {
    let app = App::new(shared(Snapshot {
        over: true,
        paused: false,
        ..game()
    }));
    let buffer = draw(80, 24, |frame| app.render(frame));
    assert!(contains(&buffer, "GAME OVER"));
    assert_eq!(lines(&buffer)[23], "game over — press any key");
}

#[test]
fn an_empty_game_draws() {
    let app = App::new(shared(Snapshot::default()));
    let buffer = draw(80, 24, |frame| app.render(frame));
    assert!(contains(&buffer, "no team selected"));
    let tiny = draw(20, 6, |frame| app.render(frame));
    assert_eq!(tiny.area.width, 20);
}

#[test]
fn a_team_waiting_for_its_endpoint_says_so_on_the_board_and_over_its_events() {
    let mut game = game();
    let waiting = &mut game.teams[1];
    waiting.endpoint = scoreboard_domain::projection::EndpointStatus {
        registers: true,
        ..Default::default()
    };
    let name = waiting.team.clone();
    let board = widget(160, 8, Board::new(&game.teams, None));
    let (_, row) = find(&board, &name).unwrap();
    let line = &lines(&board)[usize::from(row)];
    assert!(line.contains("waiting"), "{line}");
    let events = widget(100, 6, EventList::new(Some(&game.teams[1]), 0));
    assert!(contains(&events, "waiting for its endpoint since 00:00"));
    // A team with an endpoint shows its rates, and no such title.
    let (_, row) = find(&board, &game.teams[0].team).unwrap();
    assert!(!lines(&board)[usize::from(row)].contains("waiting"));
}

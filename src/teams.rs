//! A game's teams from the terminal: one found by its id or the public name it chose, and
//! new tokens for their web pages (or the admin's), handed out once: the ledger keeps only
//! their digests, so issuing again replaces them.

use std::path::{Path, PathBuf};

use scoreboard::slips::{self, BoardUrl, Slip, SlipError};
use scoreboard_domain::ScoreError;
use scoreboard_domain::tokens::{ADMIN, generate};
use scoreboard_ledger::{Ledger, LedgerError};

/// Why a team cannot be found or its tokens issued.
#[derive(Debug, thiserror::Error)]
pub enum TeamsError {
    #[error("this ledger holds no game yet: start it with gameday play --db FILE")]
    NoGame,
    /// No team of the game has this id or public name: the game's teams, to choose from.
    #[error("no team {given:?} in game {game:?}: its teams are {teams}")]
    NoTeam {
        given: String,
        game: String,
        teams: String,
    },
    #[error("game {0:?} lists no teams in its ledger")]
    NoTeams(String),
    #[error(transparent)]
    Slips(#[from] SlipError),
    #[error("writing {}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Token(#[from] ScoreError),
}

/// The id of the team `given` names: an id of the game, or a team's public name.
pub fn team_id(ledger: &dyn Ledger, given: &str) -> Result<String, TeamsError> {
    let meta = ledger.meta()?.ok_or(TeamsError::NoGame)?;
    if meta.teams.iter().any(|t| t == given) {
        return Ok(given.to_owned());
    }
    let names = ledger.team_names()?;
    if let Some(named) = names.iter().find(|n| n.name == given) {
        return Ok(named.team.clone());
    }
    let teams: Vec<String> = meta
        .teams
        .iter()
        .map(|t| match names.iter().find(|n| &n.team == t) {
            Some(n) => format!("{t} ({:?})", n.name),
            None => t.clone(),
        })
        .collect();
    Err(TeamsError::NoTeam {
        given: given.to_owned(),
        game: meta.name,
        teams: teams.join(", "),
    })
}

/// Whose tokens to issue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owners {
    /// Every team of the game.
    Teams,
    /// One team, by its id (the others' tokens stay valid).
    Team(String),
    /// The organizers' admin token.
    Admin,
}

/// A token issued, to show once: its owner (a team's id, or [`ADMIN`]) and the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issued {
    pub owner: String,
    pub token: String,
}

/// Issues new tokens to `owners` and stores their digests in `ledger`. With `slips`, a
/// printable page of slips (one card per token, with a QR code that signs in at the board's
/// address) is written first: a page that cannot be written leaves the tokens already
/// handed out working.
pub fn issue_tokens(
    ledger: &mut dyn Ledger,
    owners: &Owners,
    slips: Option<(&Path, &BoardUrl)>,
) -> Result<Vec<Issued>, TeamsError> {
    let meta = ledger.meta()?.ok_or(TeamsError::NoGame)?;
    let owners: Vec<String> = match owners {
        Owners::Admin => vec![ADMIN.to_owned()],
        Owners::Team(team) if meta.teams.contains(team) => vec![team.clone()],
        Owners::Team(team) => {
            return Err(TeamsError::NoTeam {
                given: team.clone(),
                game: meta.name,
                teams: meta.teams.join(", "),
            });
        }
        Owners::Teams => meta.teams.clone(),
    };
    if owners.is_empty() {
        return Err(TeamsError::NoTeams(meta.name));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let mut issued = Vec::with_capacity(owners.len());
    for owner in owners {
        let (token, hash) = generate()?;
        issued.push((owner, token, hash));
    }
    if let Some((file, board)) = slips {
        let names = ledger.team_names()?;
        let slips: Vec<Slip> = issued
            .iter()
            .map(|(team, token, _)| Slip {
                team: team.clone(),
                name: names
                    .iter()
                    .find(|n| &n.team == team)
                    .map(|n| n.name.clone()),
                token: token.clone(),
            })
            .collect();
        let page = slips::page(&meta.name, board, &slips)?;
        std::fs::write(file, page).map_err(|source| TeamsError::Write {
            path: file.to_owned(),
            source,
        })?;
    }
    for (owner, _, hash) in &issued {
        ledger.store_token(owner, hash, now)?;
    }
    Ok(issued
        .into_iter()
        .map(|(owner, token, _)| Issued { owner, token })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use scoreboard_domain::tokens::TokenHash;
    use scoreboard_ledger::LedgerAt;

    fn ledger() -> (tempfile::TempDir, Box<dyn Ledger + Send>) {
        let dir = tempfile::tempdir().unwrap();
        let at = LedgerAt::File(dir.path().join("game.db"));
        crate::test_ledger::small_game(at.file().unwrap());
        let ledger = at.open_existing().unwrap();
        (dir, ledger)
    }

    #[test]
    fn a_team_is_found_by_its_id_or_its_public_name() {
        let (_dir, mut ledger) = ledger();
        let name = scoreboard_domain::names::TeamName {
            team: "bravo".into(),
            name: "Red Pandas".into(),
            by_team: true,
        };
        ledger.store_team_name(&name).unwrap();
        assert_eq!(team_id(&*ledger, "alpha").unwrap(), "alpha");
        assert_eq!(team_id(&*ledger, "Red Pandas").unwrap(), "bravo");
        let err = team_id(&*ledger, "nosuch").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"no team "nosuch" in game "small": its teams are alpha, bravo ("Red Pandas")"#
        );
    }

    #[test]
    fn tokens_are_shown_once_and_only_their_digests_kept() {
        let (dir, mut ledger) = ledger();
        let issued = issue_tokens(&mut *ledger, &Owners::Teams, None).unwrap();
        let owners: Vec<&str> = issued.iter().map(|i| i.owner.as_str()).collect();
        assert_eq!(owners, ["alpha", "bravo"]);
        let stored = ledger.token_hashes().unwrap();
        for i in &issued {
            assert!(stored.contains(&(i.owner.clone(), TokenHash::of(&i.token))));
        }
        let admin = issue_tokens(&mut *ledger, &Owners::Admin, None).unwrap();
        assert_eq!(admin[0].owner, ADMIN);
        let err = issue_tokens(&mut *ledger, &Owners::Team("zulu".into()), None).unwrap_err();
        assert!(
            err.to_string().contains("its teams are alpha, bravo"),
            "{err}"
        );
        // The slips are written before the digests change: none written, none replaced.
        let board: BoardUrl = "https://board.example".parse().unwrap();
        let nowhere = dir.path().join("no/slips.html");
        let before = ledger.token_hashes().unwrap();
        let err = issue_tokens(&mut *ledger, &Owners::Teams, Some((&nowhere, &board)));
        assert!(matches!(err, Err(TeamsError::Write { .. })), "{err:?}");
        assert_eq!(ledger.token_hashes().unwrap(), before);
        let page = dir.path().join("slips.html");
        let issued = issue_tokens(&mut *ledger, &Owners::Teams, Some((&page, &board))).unwrap();
        let html = std::fs::read_to_string(&page).unwrap();
        assert!(issued.iter().all(|i| html.contains(&i.token)));
    }
}

//! Teams' public names: a team names itself once, the organizer may rename any team; the ids
//! stay as they are. A name is 1 to 40 characters once trimmed, has no control characters,
//! and no other team has it (or has it as its id), whatever the case.

use std::collections::BTreeMap;

/// The longest name, in characters.
pub const LONGEST: usize = 40;

/// A team's public name as the ledger keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamName {
    pub team: String,
    pub name: String,
    /// The team has used its one change (a rename by the organizer does not use it).
    pub by_team: bool,
}

/// Who asks for a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Namer {
    /// The team itself, once.
    Team,
    /// The organizer, any time.
    Organizer,
}

/// Why a name was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("a name is 1 to {LONGEST} characters (after trimming spaces)")]
    Length,
    #[error("a name may not hold control characters (line breaks, tabs…)")]
    Control,
    #[error("another team is already called {0:?}")]
    Taken(String),
    #[error(
        "your team has already chosen its name ({0:?}): a team names itself once; ask the organizers to change it"
    )]
    AlreadyNamed(String),
    #[error("no team is called {0:?}")]
    NoTeam(String),
}

/// Checks that `team` (one of `teams`, the ids) may take `asked`, given the names the teams
/// have; gives the name to keep.
pub fn check(
    team: &str,
    asked: &str,
    namer: Namer,
    teams: &[String],
    names: &[TeamName],
) -> Result<TeamName, NameError> {
    if !teams.iter().any(|t| t == team) {
        return Err(NameError::NoTeam(team.to_owned()));
    }
    let current = names.iter().find(|n| n.team == team);
    let used = current.is_some_and(|n| n.by_team);
    if namer == Namer::Team
        && let Some(n) = current.filter(|n| n.by_team)
    {
        return Err(NameError::AlreadyNamed(n.name.clone()));
    }
    let name = asked.trim();
    let length = name.chars().count();
    if length == 0 || length > LONGEST {
        return Err(NameError::Length);
    }
    if name.chars().any(char::is_control) {
        return Err(NameError::Control);
    }
    let folded = name.to_lowercase();
    let public = public_names(teams, names);
    let taken = teams
        .iter()
        .filter(|t| *t != team)
        .any(|t| t.to_lowercase() == folded || public[t.as_str()].to_lowercase() == folded);
    if taken {
        return Err(NameError::Taken(name.to_owned()));
    }
    Ok(TeamName {
        team: team.to_owned(),
        name: name.to_owned(),
        by_team: used || namer == Namer::Team,
    })
}

/// Each team's public name: its chosen one, else its id.
pub fn public_names<'a>(teams: &'a [String], names: &'a [TeamName]) -> BTreeMap<&'a str, &'a str> {
    let mut out: BTreeMap<&str, &str> = teams.iter().map(|t| (t.as_str(), t.as_str())).collect();
    for n in names {
        if let Some(slot) = out.get_mut(n.team.as_str()) {
            *slot = &n.name;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn teams() -> Vec<String> {
        ["team-1", "team-2", "team-3"].map(String::from).to_vec()
    }

    #[test]
    fn a_name_is_trimmed_bounded_free_of_control_characters_and_unique() {
        let names = vec![TeamName {
            team: "team-2".into(),
            name: "Blue Whales".into(),
            by_team: true,
        }];
        let ok = check("team-1", "  Red <Pandas>  ", Namer::Team, &teams(), &names).unwrap();
        assert_eq!((ok.name.as_str(), ok.by_team), ("Red <Pandas>", true));
        let forty = "é".repeat(40);
        assert!(check("team-1", &forty, Namer::Team, &teams(), &names).is_ok());
        for (asked, error) in [
            ("   ", NameError::Length),
            (&*"é".repeat(41), NameError::Length),
            ("tab\there", NameError::Control),
            ("new\nline", NameError::Control),
            ("blue WHALES", NameError::Taken("blue WHALES".into())),
            ("TEAM-3", NameError::Taken("TEAM-3".into())),
        ] {
            assert_eq!(
                check("team-1", asked, Namer::Team, &teams(), &names),
                Err(error),
                "{asked:?}"
            );
        }
        // Its own id, or its own name in another case, is fine.
        assert!(check("team-2", "blue whales", Namer::Organizer, &teams(), &names).is_ok());
        assert!(matches!(
            check("team-9", "x", Namer::Organizer, &teams(), &names),
            Err(NameError::NoTeam(_))
        ));
    }

    #[test]
    fn a_team_names_itself_once_and_the_organizer_any_time() {
        let mut names = Vec::new();
        let renamed = check("team-1", "Owls", Namer::Organizer, &teams(), &names).unwrap();
        assert!(
            !renamed.by_team,
            "an organizer's rename leaves the team its change"
        );
        names.push(renamed);
        let own = check("team-1", "Night Owls", Namer::Team, &teams(), &names).unwrap();
        assert!(own.by_team);
        names[0] = own;
        assert_eq!(
            check("team-1", "Day Owls", Namer::Team, &teams(), &names),
            Err(NameError::AlreadyNamed("Night Owls".into()))
        );
        let again = check("team-1", "Day Owls", Namer::Organizer, &teams(), &names).unwrap();
        assert!(again.by_team, "the team's change stays used");
    }
}

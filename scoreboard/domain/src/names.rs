//! Teams' public names: a team names itself once, the organizer may rename any team; the ids
//! stay as they are. A name is 1 to 40 characters once trimmed, has no control characters
//! and no invisible formatting characters (Unicode's Cf: direction overrides, zero-width
//! spaces), and no other team has it or one that looks the same (or has it as its id):
//! names are compared by their confusable skeleton (Unicode TS #39), whatever the case.

use std::collections::BTreeMap;

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

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

impl TeamName {
    /// The note that gives the team this name, under `id`: what a projection applies (at
    /// game time 0: a name is not a moment of the game).
    pub fn note(&self, id: String) -> crate::Note {
        crate::Note {
            id,
            at: crate::GameTime(0),
            kind: crate::NoteKind::TeamName,
            team: Some(self.team.clone()),
            text: self.name.clone(),
        }
    }
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
    /// A Unicode format character (General_Category Cf), which changes how the name shows.
    #[error(
        "a name may not hold invisible characters, and this one holds {} (U+{:04X}), which \
         changes how it shows on the board: type the name again by hand rather than pasting it",
        invisible_kind(*.0),
        u32::from(*.0)
    )]
    Invisible(char),
    /// Another team has this name, or one that reads the same (`like`, its name or id).
    #[error(
        "another team is already called {like:?}{}: choose another name",
        look_alike(asked, like)
    )]
    Taken { asked: String, like: String },
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
    if let Some(c) = name
        .chars()
        .find(|c| c.general_category() == GeneralCategory::Format)
    {
        return Err(NameError::Invisible(c));
    }
    let folded = look(name);
    let public = public_names(teams, names);
    let taken = teams
        .iter()
        .filter(|t| *t != team)
        .flat_map(|t| [t.as_str(), public[t.as_str()]])
        .find(|other| {
            let other = look(other);
            other[0] == folded[0] || other[1] == folded[1]
        });
    if let Some(like) = taken {
        return Err(NameError::Taken {
            asked: name.to_owned(),
            like: like.to_owned(),
        });
    }
    Ok(TeamName {
        team: team.to_owned(),
        name: name.to_owned(),
        by_team: used || namer == Namer::Team,
    })
}

/// What a name looks like on the board, whatever the case, as two keys: two names that look
/// alike share one. The confusable skeleton (Unicode TS #39) is case-sensitive (`I` is `l`,
/// but `i` is not), so one key folds the case first (`IMG` is `img`), the other after the
/// skeleton (Cyrillic `В` is `B`, then `b`; its lower case `в` is no `b`).
fn look(name: &str) -> [String; 2] {
    use unicode_security::skeleton;
    let case_first = skeleton(&name.to_lowercase()).collect();
    let skeleton_first = skeleton(name).collect::<String>().to_lowercase();
    [case_first, skeleton(&skeleton_first).collect()]
}

/// A format character in a team's words.
fn invisible_kind(c: char) -> &'static str {
    match c {
        '\u{061C}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}' => "a text-direction control",
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => "a zero-width character",
        '\u{00AD}' => "a soft hyphen",
        _ => "an invisible formatting character",
    }
}

/// `" (…which looks the same as …)"` when the name asked differs from the one it is like by
/// more than case.
fn look_alike(asked: &str, like: &str) -> String {
    if asked.to_lowercase() == like.to_lowercase() {
        String::new()
    } else {
        format!(", and {asked:?} looks the same on the board")
    }
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

    fn taken(asked: &str, like: &str) -> NameError {
        NameError::Taken {
            asked: asked.into(),
            like: like.into(),
        }
    }

    fn whales() -> Vec<TeamName> {
        vec![TeamName {
            team: "team-2".into(),
            name: "Blue Whales".into(),
            by_team: true,
        }]
    }

    #[test]
    fn invisible_formatting_characters_are_refused_in_words() {
        for (asked, c, kind) in [
            ("Blue\u{202E}selahW", '\u{202E}', "a text-direction control"),
            (
                "\u{2066}Owls\u{2069}",
                '\u{2066}',
                "a text-direction control",
            ),
            ("Blue\u{200B} Whales", '\u{200B}', "a zero-width character"),
            ("\u{FEFF}Owls", '\u{FEFF}', "a zero-width character"),
            ("Ow\u{00AD}ls", '\u{00AD}', "a soft hyphen"),
            (
                "Owls\u{E0041}",
                '\u{E0041}',
                "an invisible formatting character",
            ),
        ] {
            let refused = check("team-1", asked, Namer::Team, &teams(), &whales());
            assert_eq!(refused, Err(NameError::Invisible(c)), "{asked:?}");
            let words = refused.unwrap_err().to_string();
            assert!(
                words.contains(kind)
                    && words.contains(&format!("U+{:04X}", u32::from(c)))
                    && words.contains("type the name again"),
                "{words}"
            );
        }
        // An emoji is a symbol, not a format character (the joiner inside some sequences is).
        assert!(check("team-1", "Owls 🦉", Namer::Team, &teams(), &whales()).is_ok());
    }

    #[test]
    fn a_look_alike_of_another_teams_name_or_id_is_taken() {
        // Cyrillic а, е, В, Greek Τ, digit 1 for l, capital I for l, ｆｕｌｌｗｉｄｔｈ letters.
        for (asked, like) in [
            ("Blue Whаles", "Blue Whales"),
            ("ВLUE WHALES", "Blue Whales"),
            ("B1ue Whales", "Blue Whales"),
            ("BIue Whales", "Blue Whales"),
            ("Ｂｌｕｅ Ｗｈａｌｅｓ", "Blue Whales"),
            ("tеam-3", "team-3"),
            ("ΤEAM-3", "team-3"),
        ] {
            let refused = check("team-1", asked, Namer::Team, &teams(), &whales());
            assert_eq!(refused, Err(taken(asked, like)), "{asked:?}");
            let words = refused.unwrap_err().to_string();
            assert!(
                words.contains("already called") && words.contains("looks the same"),
                "{words}"
            );
        }
        // Names that only share letters are still free, and a team may keep its own look.
        assert!(check("team-1", "Blue Wales", Namer::Team, &teams(), &whales()).is_ok());
        assert!(check("team-1", "Grey Whales", Namer::Team, &teams(), &whales()).is_ok());
        assert!(
            check(
                "team-2",
                "Blue Whаles",
                Namer::Organizer,
                &teams(),
                &whales()
            )
            .is_ok()
        );
        assert!(check("team-3", "tеam-3", Namer::Team, &teams(), &whales()).is_ok());
    }

    #[test]
    fn a_refused_name_leaves_the_team_its_change() {
        let mut names = whales();
        for asked in ["Blue Whаles", "Owls\u{200B}", "", "tab\there"] {
            assert!(check("team-1", asked, Namer::Team, &teams(), &names).is_err());
        }
        let own = check("team-1", "Night Owls", Namer::Team, &teams(), &names).unwrap();
        assert!(own.by_team);
        names.push(own);
        assert_eq!(
            check("team-1", "Day Owls", Namer::Team, &teams(), &names),
            Err(NameError::AlreadyNamed("Night Owls".into()))
        );
    }

    #[test]
    fn a_name_is_trimmed_bounded_free_of_control_characters_and_unique() {
        let mut names = whales();
        let ok = check("team-1", "  Red <Pandas>  ", Namer::Team, &teams(), &names).unwrap();
        names.push(TeamName {
            team: "team-3".into(),
            name: "<img src=x> & co".into(),
            by_team: false,
        });
        assert_eq!((ok.name.as_str(), ok.by_team), ("Red <Pandas>", true));
        let forty = "é".repeat(40);
        assert!(check("team-1", &forty, Namer::Team, &teams(), &names).is_ok());
        for (asked, error) in [
            ("   ", NameError::Length),
            (&*"é".repeat(41), NameError::Length),
            ("tab\there", NameError::Control),
            ("new\nline", NameError::Control),
            ("blue WHALES", taken("blue WHALES", "Blue Whales")),
            ("TEAM-3", taken("TEAM-3", "team-3")),
            (
                "<IMG SRC=X> & CO",
                taken("<IMG SRC=X> & CO", "<img src=x> & co"),
            ),
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

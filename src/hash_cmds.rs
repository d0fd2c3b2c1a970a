//! `gameday hash`, `keys` and `answers`: the unicorn hash, a game's keyset and its table
//! of expected answers, from the terminal.

use std::io::Write;

use hashref::{HashParams, Key, Keyset, TableOrigin};

#[derive(clap::Args, Debug)]
pub struct HashArgs {
    /// PBKDF2 salt of the unicorn hash.
    #[arg(long, default_value_t = HashParams::default().salt, value_name = "S")]
    pub salt: String,
    /// PBKDF2 iterations of the unicorn hash.
    #[arg(long, default_value_t = HashParams::default().iterations, value_name = "N")]
    pub iterations: u32,
}

#[derive(clap::Args, Debug)]
pub struct KeysetArgs {
    /// The game seed the keyset is drawn from.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// How many keys.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub count: usize,
}

/// `gameday hash`: the answer a team server must give for `key`.
pub fn hash(key: &str, hash: HashArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let key = Key::parse(key)?;
    let params = HashParams::new(hash.salt, hash.iterations)?;
    writeln!(out, "{}", params.answer(key.as_str()))?;
    Ok(())
}

/// `gameday keys`: the keyset, one key a line.
pub fn keys(keyset: KeysetArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let keyset = Keyset::generate(keyset.seed, keyset.count)?;
    for key in keyset.keys() {
        writeln!(out, "{key}")?;
    }
    Ok(())
}

/// `gameday answers`: builds (and caches) the table of expected answers, and says how long
/// it took.
pub fn answers(
    keyset: KeysetArgs,
    hash: HashArgs,
    no_cache: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let params = HashParams::new(hash.salt, hash.iterations)?;
    let keys = (keyset.seed, keyset.count);
    let (table, report) = gameday::game::build_answer_table(keys, &params, !no_cache)?;
    let origin = match &report.origin {
        TableOrigin::Computed if no_cache => "computed, not cached".to_owned(),
        TableOrigin::Computed => "computed".to_owned(),
        TableOrigin::Cached(path) => format!("read from {}", path.display()),
    };
    writeln!(
        out,
        "{} answers ({} iterations) in {:.3} s: {origin}",
        table.len(),
        params.iterations,
        report.elapsed.as_secs_f64()
    )?;
    Ok(())
}

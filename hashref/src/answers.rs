//! The expected-answer table: every key's answer computed once, in parallel, cached on disk.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::{Answer, HashParams, HashrefError, Key, Keyset};

const CACHE_MAGIC: &str = "gameday answer table v1";

/// Where the answer table may be cached between runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AnswerCache {
    /// Never read or write a cache.
    Off,
    /// `$GAMEDAY_CACHE_DIR`, else the user's cache directory (`~/.cache/gameday` on Linux).
    #[default]
    Default,
    /// This directory.
    Dir(PathBuf),
}

impl AnswerCache {
    /// The directory this policy names, if any.
    pub fn dir(&self) -> Result<Option<PathBuf>, HashrefError> {
        match self {
            AnswerCache::Off => Ok(None),
            AnswerCache::Dir(dir) => Ok(Some(dir.clone())),
            AnswerCache::Default => match std::env::var_os("GAMEDAY_CACHE_DIR") {
                Some(dir) if !dir.is_empty() => Ok(Some(PathBuf::from(dir))),
                _ => dirs::cache_dir()
                    .map(|d| Some(d.join("gameday")))
                    .ok_or(HashrefError::NoCacheDir),
            },
        }
    }
}

/// Called with (answers done, answers in all) while the table is computed, from any thread.
pub type ProgressFn = dyn Fn(usize, usize) + Send + Sync;

/// How to build an answer table.
#[derive(Clone, Default)]
pub struct BuildOptions {
    /// Where to look for, and store, a cached table.
    pub cache: AnswerCache,
    /// Progress reports while computing (not called when the cache answers).
    pub progress: Option<Arc<ProgressFn>>,
}

/// Where a built table came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TableOrigin {
    /// Computed now (and written to the cache if one was configured).
    Computed,
    /// Read from this cache file.
    Cached(PathBuf),
}

/// What building a table did.
#[derive(Debug)]
pub struct BuildReport {
    /// Computed or read from the cache.
    pub origin: TableOrigin,
    /// Wall time of the build.
    pub elapsed: Duration,
    /// A cache that could not be read or written. The table is still right; the next build
    /// will just not be instant.
    pub cache_warning: Option<HashrefError>,
}

/// Every key's expected answer, computed once. Checking an answer is a lookup and a compare.
#[derive(Clone, Debug)]
pub struct AnswerTable {
    params: HashParams,
    seed: u64,
    keys: Vec<Key>,
    answers: Vec<Answer>,
    index: HashMap<Key, u32>,
}

impl AnswerTable {
    /// Builds the table for `keyset` under `params`, using the default cache, silently.
    pub fn build(keyset: &Keyset, params: &HashParams) -> Result<AnswerTable, HashrefError> {
        Self::build_with(keyset, params, &BuildOptions::default()).map(|(table, _)| table)
    }

    /// Builds the table with explicit cache and progress options.
    pub fn build_with(
        keyset: &Keyset,
        params: &HashParams,
        options: &BuildOptions,
    ) -> Result<(AnswerTable, BuildReport), HashrefError> {
        params.validate()?;
        let started = Instant::now();
        let mut cache_warning = None;
        let path = match options.cache.dir() {
            Ok(dir) => dir.map(|d| d.join(cache_file_name(keyset, params))),
            Err(e) => {
                cache_warning = Some(e);
                None
            }
        };
        if let Some(path) = &path {
            match read_cache(path, keyset, params) {
                Ok(Some(answers)) => {
                    let table = Self::from_parts(keyset, params, answers);
                    let report = BuildReport {
                        origin: TableOrigin::Cached(path.clone()),
                        elapsed: started.elapsed(),
                        cache_warning,
                    };
                    return Ok((table, report));
                }
                Ok(None) => {}
                Err(e) => cache_warning = Some(e),
            }
        }
        let answers = compute(keyset, params, options.progress.as_deref());
        if let Some(path) = &path
            && let Err(e) = write_cache(path, keyset, params, &answers)
        {
            cache_warning = Some(e);
        }
        let report = BuildReport {
            origin: TableOrigin::Computed,
            elapsed: started.elapsed(),
            cache_warning,
        };
        Ok((Self::from_parts(keyset, params, answers), report))
    }

    fn from_parts(keyset: &Keyset, params: &HashParams, answers: Vec<Answer>) -> AnswerTable {
        let keys = keyset.keys().to_vec();
        let index = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (*k, i as u32))
            .collect();
        AnswerTable {
            params: params.clone(),
            seed: keyset.seed(),
            keys,
            answers,
            index,
        }
    }

    /// The hash parameters the answers were computed under.
    pub fn params(&self) -> &HashParams {
        &self.params
    }

    /// The seed of the keyset the table covers.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Number of answers (equal to the keyset's size).
    pub fn len(&self) -> usize {
        self.answers.len()
    }

    /// Always false: a keyset holds at least one key.
    pub fn is_empty(&self) -> bool {
        self.answers.is_empty()
    }

    /// The keys, in keyset order.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// The expected answer for the key at `index` of the keyset.
    pub fn answer(&self, index: usize) -> Answer {
        self.answers[index]
    }

    /// The expected answer for `key`, if the key belongs to the keyset.
    pub fn get(&self, key: &Key) -> Option<Answer> {
        self.index.get(key).map(|&i| self.answers[i as usize])
    }

    /// Whether `body` is the right answer for the key at `index`: a byte compare after
    /// trimming trailing whitespace (servers may end with a newline).
    pub fn is_correct(&self, index: usize, body: &[u8]) -> bool {
        body.trim_ascii_end() == self.answers[index].as_bytes()
    }
}

fn compute(keyset: &Keyset, params: &HashParams, progress: Option<&ProgressFn>) -> Vec<Answer> {
    let total = keyset.len();
    let done = AtomicUsize::new(0);
    keyset
        .keys()
        .par_iter()
        .map(|key| {
            let answer = params.answer(key.as_str());
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if let Some(report) = progress {
                report(n, total);
            }
            answer
        })
        .collect()
}

fn cache_header(keyset: &Keyset, params: &HashParams) -> String {
    let mut header = String::new();
    let _ = writeln!(header, "{CACHE_MAGIC}");
    let _ = writeln!(header, "salt-hex {}", hex(params.salt.as_bytes()));
    let _ = writeln!(header, "iterations {}", params.iterations);
    let _ = writeln!(header, "seed {}", keyset.seed());
    let _ = writeln!(header, "count {}", keyset.len());
    header
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// One file per (salt, iterations, seed, count); the salt enters through a digest so any
/// salt makes a valid file name.
fn cache_file_name(keyset: &Keyset, params: &HashParams) -> String {
    let salt_tag = hex(&Sha256::digest(params.salt.as_bytes())[..8]);
    format!(
        "answers-i{}-s{}-n{}-{salt_tag}.txt",
        params.iterations,
        keyset.seed(),
        keyset.len()
    )
}

/// Reads a cached table. `Ok(None)` when there is no usable cache (missing, stale, or not
/// matching): the caller recomputes and overwrites it.
fn read_cache(
    path: &Path,
    keyset: &Keyset,
    params: &HashParams,
) -> Result<Option<Vec<Answer>>, HashrefError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(HashrefError::Cache {
                path: path.to_owned(),
                source,
            });
        }
    };
    // The last line is a digest of everything before it: a torn or edited file is not used.
    let Some((content, digest_line)) = text.trim_end_matches('\n').rsplit_once('\n') else {
        return Ok(None);
    };
    if digest_line.strip_prefix("sha256 ") != Some(hex(&Sha256::digest(content)).as_str()) {
        return Ok(None);
    }
    let Some(body) = content.strip_prefix(&cache_header(keyset, params)) else {
        return Ok(None);
    };
    let mut answers = Vec::with_capacity(keyset.len());
    let mut lines = body.lines();
    for key in keyset.keys() {
        let parsed = lines.next().and_then(|line| {
            let (k, a) = line.split_once(' ')?;
            (k == key.as_str()).then_some(())?;
            Answer::from_text(a)
        });
        match parsed {
            Some(answer) => answers.push(answer),
            None => return Ok(None),
        }
    }
    // One recomputed answer guards against a file written by a different implementation.
    let check = keyset.len() / 2;
    if lines.next().is_some() || params.answer(keyset.keys()[check].as_str()) != answers[check] {
        return Ok(None);
    }
    Ok(Some(answers))
}

/// Writes the table next to its final path and renames it into place, so a reader never
/// sees half a file, even if we crash mid-write.
fn write_cache(
    path: &Path,
    keyset: &Keyset,
    params: &HashParams,
    answers: &[Answer],
) -> Result<(), HashrefError> {
    let cache_err = |source| HashrefError::Cache {
        path: path.to_owned(),
        source,
    };
    let dir = path.parent().expect("cache file has a directory");
    std::fs::create_dir_all(dir).map_err(cache_err)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(cache_err)?;
    let mut content = cache_header(keyset, params);
    content.reserve(keyset.len() * 60);
    for (key, answer) in keyset.keys().iter().zip(answers) {
        let _ = writeln!(content, "{key} {answer}");
    }
    let digest = hex(&Sha256::digest(content.trim_end_matches('\n')));
    let _ = writeln!(content, "sha256 {digest}");
    tmp.write_all(content.as_bytes()).map_err(cache_err)?;
    tmp.as_file().sync_all().map_err(cache_err)?;
    tmp.persist(path).map_err(|e| cache_err(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> HashParams {
        HashParams::new("unicorn.rentals", 50).unwrap()
    }

    #[test]
    fn table_holds_each_keys_answer() {
        let ks = Keyset::generate(3, 64).unwrap();
        let options = BuildOptions {
            cache: AnswerCache::Off,
            progress: None,
        };
        let (table, report) = AnswerTable::build_with(&ks, &cheap(), &options).unwrap();
        assert_eq!(report.origin, TableOrigin::Computed);
        assert_eq!(table.len(), 64);
        for (i, key) in ks.keys().iter().enumerate() {
            let expected = cheap().answer(key.as_str());
            assert_eq!(table.answer(i), expected);
            assert_eq!(table.get(key), Some(expected));
        }
        assert_eq!(table.get(&Key::parse("0000-0000-0000").unwrap()), None);
    }

    #[test]
    fn is_correct_trims_only_trailing_whitespace() {
        let ks = Keyset::generate(3, 2).unwrap();
        let options = BuildOptions {
            cache: AnswerCache::Off,
            progress: None,
        };
        let (table, _) = AnswerTable::build_with(&ks, &cheap(), &options).unwrap();
        let right = table.answer(0).as_str().to_owned();
        assert!(table.is_correct(0, right.as_bytes()));
        assert!(table.is_correct(0, format!("{right}\r\n").as_bytes()));
        assert!(!table.is_correct(0, format!(" {right}").as_bytes()));
        assert!(!table.is_correct(1, right.as_bytes()));
        assert!(!table.is_correct(0, &right.as_bytes()[..43]));
    }

    #[test]
    fn progress_reaches_the_total() {
        let ks = Keyset::generate(8, 100).unwrap();
        let seen = Arc::new(AtomicUsize::new(0));
        let max = seen.clone();
        let options = BuildOptions {
            cache: AnswerCache::Off,
            progress: Some(Arc::new(move |done, total| {
                assert_eq!(total, 100);
                max.fetch_max(done, Ordering::Relaxed);
            })),
        };
        AnswerTable::build_with(&ks, &cheap(), &options).unwrap();
        assert_eq!(seen.load(Ordering::Relaxed), 100);
    }

    #[test]
    fn second_build_reads_the_cache_and_stale_files_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let ks = Keyset::generate(21, 40).unwrap();
        let options = BuildOptions {
            cache: AnswerCache::Dir(dir.path().to_owned()),
            progress: None,
        };
        let (first, r1) = AnswerTable::build_with(&ks, &cheap(), &options).unwrap();
        assert_eq!(r1.origin, TableOrigin::Computed);
        assert!(r1.cache_warning.is_none());
        let (second, r2) = AnswerTable::build_with(&ks, &cheap(), &options).unwrap();
        let TableOrigin::Cached(path) = r2.origin else {
            panic!("second build should be cached")
        };
        assert_eq!(first.answers, second.answers);

        // A corrupted cache is not trusted: the table is recomputed and the file mended.
        let text = std::fs::read_to_string(&path).unwrap();
        // Swap in another valid answer, so only the digest can tell.
        let edited = text.replacen(first.answer(0).as_str(), first.answer(1).as_str(), 1);
        std::fs::write(&path, edited).unwrap();
        let (third, r3) = AnswerTable::build_with(&ks, &cheap(), &options).unwrap();
        assert_eq!(r3.origin, TableOrigin::Computed);
        assert_eq!(third.answers, first.answers);
        let (_, r4) = AnswerTable::build_with(&ks, &cheap(), &options).unwrap();
        assert!(matches!(r4.origin, TableOrigin::Cached(_)));
    }

    #[test]
    fn cache_files_differ_by_every_parameter() {
        let ks = Keyset::generate(1, 10).unwrap();
        let base = cache_file_name(&ks, &cheap());
        let other_salt = HashParams::new("other", 50).unwrap();
        let other_iter = HashParams::new("unicorn.rentals", 51).unwrap();
        assert_ne!(base, cache_file_name(&ks, &other_salt));
        assert_ne!(base, cache_file_name(&ks, &other_iter));
        assert_ne!(
            base,
            cache_file_name(&Keyset::generate(2, 10).unwrap(), &cheap())
        );
        assert_ne!(
            base,
            cache_file_name(&Keyset::generate(1, 11).unwrap(), &cheap())
        );
    }

    #[test]
    fn an_unwritable_cache_warns_but_still_builds() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let ks = Keyset::generate(1, 5).unwrap();
        let options = BuildOptions {
            // A file where a directory should be.
            cache: AnswerCache::Dir(file.path().join("sub")),
            progress: None,
        };
        let (table, report) = AnswerTable::build_with(&ks, &cheap(), &options).unwrap();
        assert_eq!(table.len(), 5);
        assert!(matches!(
            report.cache_warning,
            Some(HashrefError::Cache { .. })
        ));
    }
}

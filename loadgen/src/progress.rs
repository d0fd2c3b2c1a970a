//! Building the expected answers with a progress bar, for the command-line tools.

use std::sync::Arc;

use hashref::{
    AnswerCache, AnswerTable, BuildOptions, BuildReport, HashParams, HashrefError, Keyset,
};
use indicatif::{ProgressBar, ProgressStyle};

/// Builds the answer table with a progress bar on stderr (hidden when stderr is not a
/// terminal), and warns there about a cache that could not be used.
pub fn build_answers(
    keyset: &Keyset,
    params: &HashParams,
    cache: AnswerCache,
) -> Result<(AnswerTable, BuildReport), HashrefError> {
    let bar = ProgressBar::new(keyset.len() as u64).with_style(
        ProgressStyle::with_template(
            "expected answers {bar:30} {pos}/{len} ({per_sec}, {eta} left)",
        )
        .expect("valid template"),
    );
    let progress_bar = bar.clone();
    let options = BuildOptions {
        cache,
        progress: Some(Arc::new(move |done, _| {
            progress_bar.set_position(done as u64)
        })),
    };
    let built = AnswerTable::build_with(keyset, params, &options);
    bar.finish_and_clear();
    let (table, report) = built?;
    if let Some(warning) = &report.cache_warning {
        eprintln!("warning: {warning} (the answers are right; the next start will not be instant)");
    }
    Ok((table, report))
}

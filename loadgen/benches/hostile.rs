//! The hardening figures, one hostile behaviour at a time: for each, the healthy team's p99
//! alone and beside it (medians of alternated rounds), the change, and the engine's peak
//! resident memory. `cargo bench -p loadgen --bench hostile`.

#[path = "../tests/util/mod.rs"]
mod util;

use util::hostile::{Beside, cases, peak_rss_mib, reset_peak_rss, round};

const ROUNDS: usize = 3;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let names: Vec<&'static str> = cases(String::new()).iter().map(|c| c.name).collect();
    let mut rows = Vec::new();
    for which in names.iter().map(|&n| Beside::One(n)).chain([Beside::All]) {
        let (mut solo, mut beside) = (Vec::new(), Vec::new());
        let mut peak: f64 = 0.0;
        for _ in 0..ROUNDS {
            solo.push(round(Beside::Nothing).await);
            reset_peak_rss();
            beside.push(round(which).await);
            peak = peak.max(peak_rss_mib());
        }
        let (solo, beside, change) = util::median_change(&solo, &beside);
        let change = change * 100.0;
        let name = match which {
            Beside::One(n) => n,
            _ => "all twelve at once",
        };
        rows.push(format!(
            "{name:<20} {:>9.2} {:>9.2} {change:>+8.1} % {peak:>9.1}",
            solo.as_secs_f64() * 1e3,
            beside.as_secs_f64() * 1e3,
        ));
    }
    println!(
        "\n{:<20} {:>9} {:>9} {:>10} {:>9}",
        "beside", "solo p99", "p99", "change", "peak RSS"
    );
    println!("{:<20} {:>9} {:>9} {:>10} {:>9}", "", "ms", "ms", "", "MiB");
    for row in rows {
        println!("{row}");
    }
}

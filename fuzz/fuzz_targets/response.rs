//! Fuzzes response classification: whatever bytes a team's server sends back (status line,
//! headers, body), the engine ends with one outcome and never panics or hangs.
#![no_main]

use libfuzzer_sys::fuzz_target;

const ANSWER: &[u8] = b"rmtLqR0bAQHNAW7CNBVRNIDB2NSH34ZAANDGrHkJy1g=";

fuzz_target!(|data: &[u8]| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let outcome = runtime.block_on(async {
        tokio::time::timeout(
            std::time::Duration::from_secs(5),
            loadgen::fuzzing::classify_response(data, ANSWER, 4096),
        )
        .await
    });
    let outcome = outcome.expect("classification never hangs on a closed connection");
    // A correct answer needs a success status and the answer itself in the body.
    if outcome == loadgen::Outcome::Correct {
        assert!(data.windows(ANSWER.len()).any(|w| w == ANSWER));
    }
});

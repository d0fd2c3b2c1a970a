//! Fuzzes the scenario loader: any text is a scenario or an error with a place, never a
//! panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Err(e) = gameday::scenario::parse(text, std::path::Path::new("fuzz.toml"))
    {
        // Every error names the file it came from.
        assert!(e.to_string().contains("fuzz.toml"), "{e}");
    }
});

//! Test vectors: our unicorn hash against an independent implementation, Python's hashlib.

use std::io::Write;
use std::process::{Command, Stdio};

use hashref::{Keyset, unicorn_hash};

#[test]
fn hashes_match_python_hashlib() {
    let mut cases: Vec<(String, String, u32)> = vec![
        ("3615-7184-2117".into(), "unicorn.rentals".into(), 10_000),
        ("0000-0000-0000".into(), "unicorn.rentals".into(), 10_000),
        ("9999-9999-9999".into(), "unicorn.rentals".into(), 1),
        ("1234-5678-9012".into(), "".into(), 1),
        ("1234-5678-9012".into(), "sél de Guérande ✓".into(), 3),
        (
            "1234-5678-9012".into(),
            "a much longer salt than anyone would pick, 64+ bytes long........".into(),
            2,
        ),
    ];
    for key in Keyset::generate(2024, 10).unwrap().keys() {
        cases.push((key.to_string(), "unicorn.rentals".into(), 1000));
    }
    let script = r#"
import sys, hashlib, base64
for line in sys.stdin.read().splitlines():
    key, salt, n = line.split("\t")
    dk = hashlib.pbkdf2_hmac("sha256", key.encode(), salt.encode(), int(n), 32)
    print(base64.b64encode(dk).decode())
"#;
    let mut python = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is needed for the independent test vectors");
    let input: String = cases
        .iter()
        .map(|(k, s, n)| format!("{k}\t{s}\t{n}\n"))
        .collect();
    python
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = python.wait_with_output().unwrap();
    assert!(out.status.success(), "python3 failed");
    let theirs: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(theirs.len(), cases.len());
    for ((key, salt, n), expected) in cases.iter().zip(&theirs) {
        let ours = unicorn_hash(key, salt, *n);
        assert_eq!(
            ours.as_str(),
            expected,
            "key {key} salt {salt:?} iterations {n}"
        );
    }
}

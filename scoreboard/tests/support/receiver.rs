//! A webhook receiver on a real socket, for the webhook tests (scoreboard's and gameday's):
//! it answers by a script (fail, hang, or 200) and keeps every JSON body it read.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the receiver does with its n-th request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Answer {
    Fail,
    Hang,
    Ok,
}

/// A webhook receiver on 127.0.0.1: answers by its script (then `Ok` forever, or the last
/// entry forever when `repeat_last`), and keeps every JSON body it read.
pub struct Receiver {
    pub url: String,
    pub bodies: Arc<Mutex<Vec<serde_json::Value>>>,
}

pub fn receiver(script: Vec<Answer>, repeat_last: bool) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/hooks/secret-path",
        listener.local_addr().unwrap()
    );
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&bodies);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (seen, script) = (Arc::clone(&seen), script.clone());
            std::thread::spawn(move || serve(stream, &seen, &script, repeat_last));
        }
    });
    Receiver { url, bodies }
}

fn serve(stream: TcpStream, seen: &Mutex<Vec<serde_json::Value>>, script: &[Answer], repeat: bool) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    loop {
        let mut length = 0;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let n = {
            let mut seen = seen.lock().unwrap();
            seen.push(serde_json::from_slice(&body).unwrap());
            seen.len() - 1
        };
        let answer = match script.get(n) {
            Some(a) => *a,
            None if repeat => *script.last().unwrap(),
            None => Answer::Ok,
        };
        let status = match answer {
            Answer::Hang => {
                std::thread::sleep(Duration::from_secs(30));
                return;
            }
            Answer::Fail => "500 Internal Server Error",
            Answer::Ok => "200 OK",
        };
        let head = format!("HTTP/1.1 {status}\r\ncontent-length: 2\r\n\r\nok");
        if stream.write_all(head.as_bytes()).is_err() {
            return;
        }
    }
}

impl Receiver {
    /// Each body's `field`, in the order received.
    pub fn field(&self, field: &str) -> Vec<String> {
        let bodies = self.bodies.lock().unwrap();
        bodies
            .iter()
            .map(|b| b[field].as_str().unwrap_or("").to_owned())
            .collect()
    }
}

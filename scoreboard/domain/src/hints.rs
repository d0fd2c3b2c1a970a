//! The one table of hints: for each kind of score event, one thing a team under pressure
//! can try. The panel "What is costing you points" (team page, cockpit, debrief) shows it
//! beside each kind of loss, and an endpoint check words its findings with it.

use std::borrow::Cow;
use std::time::Duration;

use loadgen_outcome::OutcomeKind;

use crate::EventKind;

/// What a team can do about events of `kind`, in its words. `sla` is the game's latency SLA
/// (from its rules), named where speed is the cause.
pub fn hint(kind: EventKind, sla: Duration) -> Cow<'static, str> {
    let sla = secs(sla);
    Cow::Borrowed(match kind {
        EventKind::Correct => "Right and in time: keep it that way as the load grows.",
        EventKind::CorrectSlow => {
            return Cow::Owned(format!(
                "Right, but slower than the {sla} SLA: add servers behind the load balancer, \
                 or cache answers in front so they come at once."
            ));
        }
        EventKind::WrongAnswer => {
            "Your answers are not the hash we expect: check the salt and the iterations your \
             servers hash with, and that your cache keys on the whole URL with its query string \
             (a cache keyed on the path answers every key with the first key's hash)."
        }
        EventKind::Status(code) => status_hint(code),
        EventKind::Failure(kind) => return failure_hint(kind, &sla),
        EventKind::Billing => {
            "Each instance costs money for every block it runs: stop the instances the load \
             does not need, and let a cache carry the load instead of more servers."
        }
        EventKind::Organizer => {
            "Points the organizers gave or took: the reason says why; ask them if it is not clear."
        }
        EventKind::Void => {
            "Our load generator fell behind: those requests were not counted, nothing to do."
        }
        EventKind::Unknown => "Read the example: it says what happened and what to check.",
    })
}

fn status_hint(code: u16) -> &'static str {
    match code {
        503 => {
            "Your queue is full: every worker is busy and no room is left to wait. Scale out \
             (more servers behind the load balancer) or cache answers in front of them."
        }
        500 => {
            "Your server failed while answering: read its log. The v1 server has a known bug \
             (deploy v2); v3 fails when it cannot reach its memcached."
        }
        502 | 504 => {
            "Your load balancer got no answer from a server: are the servers behind it up, \
             healthy and registered in its target group?"
        }
        404 => {
            "Nothing answers GET /calc?input=KEY at your URL: check the path your server \
             serves and the URL you registered."
        }
        301 | 302 | 307 | 308 => {
            "We do not follow redirects: register the URL that answers itself (the https:// \
             one if http:// redirects there)."
        }
        429 => "You are rate-limiting us: raise the limit, or scale out instead of refusing.",
        _ if (400..500).contains(&code) => {
            "Your server refused the request: it must answer GET /calc?input=KEY with no \
             login, key or header of ours."
        }
        _ if (500..600).contains(&code) => {
            "Your server or its load balancer answered an error: read their logs."
        }
        _ => "Only a 200 with the hash counts: make /calc answer 200 with the hash as text.",
    }
}

fn failure_hint(kind: OutcomeKind, sla: &str) -> Cow<'static, str> {
    use OutcomeKind as K;
    Cow::Borrowed(match kind {
        K::Timeout => {
            return Cow::Owned(format!(
                "No full answer in time: your servers are slower than the load needs (the SLA \
                 is {sla}). Add servers, or cache answers in front."
            ));
        }
        K::ConnectRefused => {
            "Nothing listens at your URL's address and port: is the instance up, the server \
             running on that port, and the security group open to us?"
        }
        K::ConnectTimeout => {
            "Our connections got no answer at all: a security group or network ACL drops \
             them, or the instance is down."
        }
        K::Reset => {
            "Connections were cut before the answer was complete: did a server crash or \
             restart, or does the load balancer close connections too soon?"
        }
        K::DnsError => {
            "The host name in your URL does not resolve: check the DNS record, or register \
             the load balancer's own name."
        }
        K::TooLarge => {
            "Your answers are far bigger than a hash (44 bytes): are you sending an error page \
             or the wrong body?"
        }
        K::Malformed => {
            "What came back is not HTTP: is something other than your web server listening \
             on that port?"
        }
        K::Dropped => {
            "Requests piled up: you already had our cap of requests in flight, because your \
             answers were too slow. Answer faster: more servers, or a cache."
        }
        K::TlsUntrusted => {
            "Your certificate is not from a public CA we trust (self-signed?): use one from \
             ACM or Let's Encrypt, served with its whole chain."
        }
        K::TlsExpired => "Your certificate has expired (or is not valid yet): renew it.",
        K::TlsWrongHost => {
            "Your certificate is for another name than the host in your URL: get one for that \
             name, or register the URL with the name it has."
        }
        K::TlsHandshakeTimeout => {
            "TLS handshakes did not finish in time: is that port really TLS, and is whatever \
             ends TLS overloaded?"
        }
        K::TlsRefused => {
            "Your server refused or broke off the TLS handshake: check its TLS settings \
             (protocols, ciphers) and that it does not demand a client certificate."
        }
        K::PlainHttpOnTlsPort => {
            "That port speaks TLS but your URL says http://: register the https:// URL."
        }
        K::TlsOnPlainPort => {
            "That port speaks plain HTTP but your URL says https://: register the http:// \
             URL, or put TLS in front."
        }
        K::Correct | K::WrongAnswer | K::HttpStatus => {
            return hint(EventKind::of_outcome_kind(kind), Duration::ZERO);
        }
    })
}

/// `5 s`, `1.5 s`, `800 ms`: the SLA as a team reads it.
fn secs(d: Duration) -> String {
    if d.as_millis() >= 1000 {
        let tenths = d.as_millis() / 100;
        if tenths.is_multiple_of(10) {
            format!("{} s", tenths / 10)
        } else {
            format!("{}.{} s", tenths / 10, tenths % 10)
        }
    } else {
        format!("{} ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind a score event can have, statuses by a few codes.
    fn every_kind() -> Vec<EventKind> {
        let mut kinds = vec![
            EventKind::Correct,
            EventKind::CorrectSlow,
            EventKind::WrongAnswer,
            EventKind::Billing,
            EventKind::Organizer,
            EventKind::Void,
            EventKind::Unknown,
        ];
        kinds.extend(EventKind::FAILURES.map(EventKind::Failure));
        kinds.extend([200, 301, 404, 429, 418, 500, 502, 503, 504, 599].map(EventKind::Status));
        kinds
    }

    #[test]
    fn every_failure_kind_has_a_hint_of_its_own() {
        let sla = Duration::from_secs(5);
        let hints: Vec<Cow<str>> = EventKind::FAILURES
            .iter()
            .map(|k| hint(EventKind::Failure(*k), sla))
            .collect();
        for (i, h) in hints.iter().enumerate() {
            assert!(h.len() > 30, "{:?}: {h}", EventKind::FAILURES[i]);
            assert_eq!(
                hints.iter().filter(|x| *x == h).count(),
                1,
                "{:?} shares its hint: {h}",
                EventKind::FAILURES[i]
            );
        }
        for kind in every_kind() {
            let h = hint(kind, sla);
            assert!(h.ends_with('.') || h.ends_with('?'), "{kind}: {h}");
        }
    }

    #[test]
    fn hints_say_what_to_try() {
        let sla = Duration::from_millis(1500);
        let h = |k| hint(k, sla).into_owned();
        assert!(h(EventKind::Status(503)).contains("queue is full"));
        assert!(h(EventKind::Status(503)).contains("cache"));
        assert_ne!(h(EventKind::Status(503)), h(EventKind::Status(500)));
        assert!(h(EventKind::WrongAnswer).contains("salt"));
        assert!(h(EventKind::WrongAnswer).contains("query string"));
        assert!(h(EventKind::Failure(OutcomeKind::Timeout)).contains("1.5 s"));
        assert!(h(EventKind::CorrectSlow).contains("1.5 s SLA"));
        assert!(h(EventKind::Failure(OutcomeKind::ConnectRefused)).contains("security group"));
        assert!(h(EventKind::Failure(OutcomeKind::ConnectTimeout)).contains("ACL"));
        assert!(h(EventKind::Failure(OutcomeKind::Dropped)).contains("too slow"));
        assert!(h(EventKind::Failure(OutcomeKind::TlsUntrusted)).contains("public CA"));
        assert!(h(EventKind::Billing).contains("instances"));
    }

    #[test]
    fn the_sla_reads_as_people_write_it() {
        assert_eq!(secs(Duration::from_secs(5)), "5 s");
        assert_eq!(secs(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(secs(Duration::from_millis(800)), "800 ms");
    }
}

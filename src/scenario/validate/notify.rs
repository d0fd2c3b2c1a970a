//! `[[notify]]`: each webhook's URL (written, or read from the environment variable it
//! names, since a webhook's URL is a secret), its kind and its audience.

use scoreboard::notify::{Hook, HookKind};
use toml::Spanned;

use super::super::check::Checker;
use super::super::raw::RawNotify;
use super::ScenarioError;

/// The hooks of `raw`, reading `url_env` names with `env`. Errors name the variable, never
/// a URL.
pub(super) fn hooks(
    c: &Checker<'_>,
    raw: &[Spanned<RawNotify>],
    env: impl Fn(&str) -> Option<String>,
) -> Result<Vec<Hook>, ScenarioError> {
    raw.iter()
        .enumerate()
        .map(|(i, entry)| {
            let field = format!("notify[{i}]");
            let n = entry.get_ref();
            let url = match (&n.url, &n.url_env) {
                (Some(url), None) => {
                    check_url(url.get_ref())
                        .map_err(|why| c.error(url.span(), &format!("{field}.url"), why))?;
                    url.get_ref().clone()
                }
                (None, Some(name)) => {
                    let field = format!("{field}.url_env");
                    let url = env(name.get_ref())
                        .filter(|u| !u.is_empty())
                        .ok_or_else(|| {
                            let message = format!(
                                "{} is not set: export the webhook's URL in it before the game \
                             starts",
                                name.get_ref()
                            );
                            c.error(name.span(), &field, message)
                        })?;
                    check_url(&url).map_err(|why| {
                        let message = format!("the URL in {}: {why}", name.get_ref());
                        c.error(name.span(), &field, message)
                    })?;
                    url
                }
                _ => {
                    let message = "expected either url = \"https://…\" or url_env = \"VARIABLE\" \
                                   (the URL is a secret: the environment keeps it out of the file)";
                    return Err(c.error(entry.span(), &field, message));
                }
            };
            Ok(Hook {
                kind: n.kind.unwrap_or_else(|| HookKind::of_url(&url)),
                url,
                audience: n.audience.unwrap_or_default(),
            })
        })
        .collect()
}

/// Why `url` cannot be posted to (never echoing it: it is a secret).
pub(crate) fn check_url(url: &str) -> Result<(), &'static str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("expected an http:// or https:// URL")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() {
        return Err("expected a host after http(s)://");
    }
    if url.parse::<axum::http::Uri>().is_err() {
        return Err("not a valid URL (a space or another character URLs do not allow?)");
    }
    Ok(())
}

//! Purpose: the bot's configuration, read from the environment in one place.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::ops::journal::{DEFAULT_STATE_PATH, STATE_PATH_VAR};

/// The bot token; its `Debug` never shows it, it has no `Display`, and its memory is wiped
/// when it is dropped (`secrecy`).
#[derive(Clone)]
pub struct Token(SecretString);

impl Token {
    /// The secret itself, for building the bot and for scrubbing it from the logs.
    #[must_use]
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<hidden>)")
    }
}

/// A proxy for the Bot API (`TELOXIDE_PROXY`); its `Debug` shows no password.
#[derive(Clone)]
pub struct ProxyUrl(url::Url);

impl ProxyUrl {
    /// The URL itself, for building the HTTP client.
    #[must_use]
    pub fn url(&self) -> &url::Url {
        &self.0
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProxyUrl({}://{})", self.0.scheme(), self.0.host_str().unwrap_or(""))
    }
}

/// Everything the bot needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    pub token: Token,
    /// A local or self-hosted Bot API server instead of api.telegram.org.
    pub api_url: Option<url::Url>,
    /// A proxy for reaching the Bot API (`TELOXIDE_PROXY`, as teloxide names it).
    pub proxy: Option<ProxyUrl>,
    pub faq_path: PathBuf,
    /// Telegram user ids of operators (`ADMIN_IDS`): who may use `/reload` and `/stats`.
    pub admin_ids: Vec<u64>,
    /// The journal of updates not yet answered (`STATE_PATH`).
    pub state_path: PathBuf,
    /// How long a stop waits for replies still queued (`STOP_TIMEOUT`); those not sent by
    /// then are sent after the restart.
    pub stop_timeout: Duration,
}

/// A configuration problem, naming the variable (and never echoing a secret).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// How long a stop waits for queued replies when `STOP_TIMEOUT` is not set: within the 10 s
/// that Docker gives before it kills.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(8);

/// The default path of the FAQ file.
pub const DEFAULT_FAQ_PATH: &str = "faq.json";

/// The FAQ path from `FAQ_PATH`, else the default.
#[must_use]
pub fn faq_path(var: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    var("FAQ_PATH")
        .filter(|p| !p.trim().is_empty())
        .map_or_else(|| PathBuf::from(DEFAULT_FAQ_PATH), PathBuf::from)
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_vars(&|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `var` (the environment, or a map in tests).
    pub fn from_vars(var: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let token = var("TELOXIDE_TOKEN").map(|t| t.trim().to_string()).unwrap_or_default();
        if token.is_empty() {
            return Err(ConfigError(
                "TELOXIDE_TOKEN is not set: put the token that @BotFather gave you in the environment or in .env \
                 (see .env.example)"
                    .into(),
            ));
        }
        let well_formed = token.split_once(':').is_some_and(|(id, secret)| {
            !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && !secret.is_empty()
        });
        if !well_formed {
            return Err(ConfigError(
                "TELOXIDE_TOKEN does not look like a bot token (expected digits, a colon, then the secret, as \
                 @BotFather gives it)"
                    .into(),
            ));
        }
        let api_url = match var("TELOXIDE_API_URL").filter(|u| !u.trim().is_empty()) {
            None => None,
            Some(raw) => Some(url::Url::parse(raw.trim()).map_err(|e| {
                ConfigError(format!("TELOXIDE_API_URL is not a valid URL ({e}): {raw}"))
            })?),
        };
        let proxy = match var("TELOXIDE_PROXY").filter(|u| !u.trim().is_empty()) {
            None => None,
            Some(raw) => Some(ProxyUrl(url::Url::parse(raw.trim()).map_err(|e| {
                ConfigError(format!(
                    "TELOXIDE_PROXY is not a valid proxy URL ({e}); expected e.g. http://host:port"
                ))
            })?)),
        };
        let admin_ids = admin_ids(var("ADMIN_IDS").as_deref().unwrap_or_default())?;
        let state_path = var(STATE_PATH_VAR)
            .filter(|p| !p.trim().is_empty())
            .map_or_else(|| PathBuf::from(DEFAULT_STATE_PATH), |p| PathBuf::from(p.trim()));
        let stop_timeout = match var("STOP_TIMEOUT").filter(|v| !v.trim().is_empty()) {
            None => DEFAULT_STOP_TIMEOUT,
            Some(raw) => raw
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && (0.0..=3600.0).contains(s))
                .map(Duration::from_secs_f64)
                .ok_or_else(|| {
                    ConfigError(format!(
                        "STOP_TIMEOUT must be a number of seconds between 0 and 3600 (e.g. 8 or 2.5), not `{raw}`"
                    ))
                })?,
        };
        Ok(Config {
            token: Token(SecretString::from(token)),
            api_url,
            proxy,
            faq_path: faq_path(var),
            admin_ids,
            state_path,
            stop_timeout,
        })
    }
}

/// Reads `ADMIN_IDS`: Telegram user ids separated by commas (spaces and an empty value
/// allowed). Anything else is an error naming the variable and the bad part, so a typo never
/// silently locks the operators out or lets the wrong person in.
pub fn admin_ids(raw: &str) -> Result<Vec<u64>, ConfigError> {
    let mut ids = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.parse::<u64>() {
            Ok(id) if id > 0 => {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            _ => {
                return Err(ConfigError(format!(
                    "ADMIN_IDS must be numeric Telegram user ids separated by commas \
                     (e.g. ADMIN_IDS=123456789,987654321); `{part}` is not one"
                )))
            }
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn missing_token_names_the_variable() {
        let err = Config::from_vars(&vars(&[])).unwrap_err();
        assert!(err.0.contains("TELOXIDE_TOKEN is not set"), "{err}");
    }

    #[test]
    fn malformed_token_is_rejected_without_echoing_it() {
        let err = Config::from_vars(&vars(&[("TELOXIDE_TOKEN", "secret-value")])).unwrap_err();
        assert!(err.0.contains("TELOXIDE_TOKEN") && !err.0.contains("secret-value"), "{err}");
    }

    #[test]
    fn reads_all_variables_and_hides_the_token() {
        let c = Config::from_vars(&vars(&[
            ("TELOXIDE_TOKEN", "123:abc"),
            ("TELOXIDE_API_URL", "http://127.0.0.1:8081/"),
            ("FAQ_PATH", "/etc/faq.json"),
        ]))
        .unwrap();
        assert_eq!(c.token.expose(), "123:abc");
        assert_eq!(c.api_url.unwrap().as_str(), "http://127.0.0.1:8081/");
        assert_eq!(c.faq_path, PathBuf::from("/etc/faq.json"));
        assert!(!format!("{:?}", c.token).contains("abc"));
    }

    #[test]
    fn bad_api_url_is_reported() {
        let err = Config::from_vars(&vars(&[
            ("TELOXIDE_TOKEN", "1:a"),
            ("TELOXIDE_API_URL", "not a url"),
        ]))
        .unwrap_err();
        assert!(err.0.starts_with("TELOXIDE_API_URL"), "{err}");
    }

    #[test]
    fn proxy_is_read_and_a_bad_one_is_named_without_echoing_it() {
        let c = Config::from_vars(&vars(&[
            ("TELOXIDE_TOKEN", "1:a"),
            ("TELOXIDE_PROXY", "http://user:pa55word@10.0.0.1:3128"),
        ]))
        .unwrap();
        let proxy = c.proxy.unwrap();
        assert_eq!(proxy.url().host_str(), Some("10.0.0.1"));
        assert!(!format!("{proxy:?}").contains("pa55word"), "{proxy:?}");
        let err = Config::from_vars(&vars(&[
            ("TELOXIDE_TOKEN", "1:a"),
            ("TELOXIDE_PROXY", "pa55word at host"),
        ]))
        .unwrap_err();
        assert!(err.0.starts_with("TELOXIDE_PROXY") && !err.0.contains("pa55word"), "{err}");
        let c = Config::from_vars(&vars(&[("TELOXIDE_TOKEN", "1:a")])).unwrap();
        assert!(c.proxy.is_none());
    }

    #[test]
    fn admin_ids_are_read_and_a_malformed_one_is_named() {
        let c = Config::from_vars(&vars(&[("TELOXIDE_TOKEN", "1:a")])).unwrap();
        assert!(c.admin_ids.is_empty());
        let c =
            Config::from_vars(&vars(&[("TELOXIDE_TOKEN", "1:a"), ("ADMIN_IDS", " 12, 34,,12 ")]))
                .unwrap();
        assert_eq!(c.admin_ids, [12, 34]);
        for bad in ["12;34", "@someone", "-5", "0", "12 34"] {
            let err = Config::from_vars(&vars(&[("TELOXIDE_TOKEN", "1:a"), ("ADMIN_IDS", bad)]))
                .unwrap_err();
            assert!(err.0.starts_with("ADMIN_IDS must be numeric"), "{bad}: {err}");
        }
        let err = admin_ids("123,abc").unwrap_err();
        assert!(err.0.contains("`abc`"), "{err}");
    }

    #[test]
    fn faq_path_defaults() {
        let c = Config::from_vars(&vars(&[("TELOXIDE_TOKEN", "1:a")])).unwrap();
        assert_eq!(c.faq_path, PathBuf::from("faq.json"));
    }

    #[test]
    fn state_path_and_stop_timeout_default_and_a_bad_timeout_is_named() {
        let c = Config::from_vars(&vars(&[("TELOXIDE_TOKEN", "1:a")])).unwrap();
        assert_eq!(c.state_path, PathBuf::from("faqbot-state.db"));
        assert_eq!(c.stop_timeout, Duration::from_secs(8));
        let c = Config::from_vars(&vars(&[
            ("TELOXIDE_TOKEN", "1:a"),
            ("STATE_PATH", " /var/lib/faqbot/state.db "),
            ("STOP_TIMEOUT", "2.5"),
        ]))
        .unwrap();
        assert_eq!(c.state_path, PathBuf::from("/var/lib/faqbot/state.db"));
        assert_eq!(c.stop_timeout, Duration::from_millis(2500));
        for bad in ["8s", "-1", "NaN", "1e9"] {
            let err = Config::from_vars(&vars(&[("TELOXIDE_TOKEN", "1:a"), ("STOP_TIMEOUT", bad)]))
                .unwrap_err();
            assert!(err.0.starts_with("STOP_TIMEOUT must be"), "{bad}: {err}");
        }
    }
}

//! Purpose: the bot's configuration, read from the environment in one place.

use std::fmt;
use std::net::SocketAddr;
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

impl Token {
    /// The bot's id: the digits before the token's colon (public; the part after it is the
    /// secret).
    #[must_use]
    pub fn bot_id(&self) -> &str {
        self.expose().split_once(':').map_or("", |(id, _)| id)
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

/// The shared store of several replicas (`REDIS_URL`); its `Debug` shows no password.
#[derive(Clone)]
pub struct RedisUrl(url::Url);

impl RedisUrl {
    /// The URL itself, for connecting.
    #[must_use]
    pub fn url(&self) -> &url::Url {
        &self.0
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedisUrl({}://{})", self.0.scheme(), self.0.host_str().unwrap_or(""))
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
    /// Webhook mode (`WEBHOOK_URL` set); long polling when `None`.
    pub webhook: Option<Webhook>,
    /// Where `/metrics` and `/healthz` are served (`METRICS_LISTEN`); nowhere when `None`.
    pub metrics_listen: Option<SocketAddr>,
    /// Several replicas serving one bot, sharing this Redis (`REDIS_URL`); one process with
    /// the journal at `state_path` when `None`.
    pub redis: Option<RedisUrl>,
}

/// Webhook mode: where Telegram posts updates, and how they are told from forgeries.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// The public HTTPS URL Telegram posts to (`WEBHOOK_URL`); its path is served.
    pub url: url::Url,
    /// The address the bot listens on (`WEBHOOK_LISTEN`), behind a TLS-terminating proxy.
    pub listen: SocketAddr,
    /// What Telegram sends in `X-Telegram-Bot-Api-Secret-Token` (`WEBHOOK_SECRET`).
    pub secret: Token,
    /// Whether the secret was generated at start (`WEBHOOK_SECRET` unset).
    pub secret_generated: bool,
}

/// The default of `WEBHOOK_LISTEN`.
pub const DEFAULT_WEBHOOK_LISTEN: &str = "0.0.0.0:8443";
/// The ports Telegram posts webhooks to.
pub const WEBHOOK_PORTS: [u16; 4] = [443, 80, 88, 8443];

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
        let metrics_listen = match set(var, "METRICS_LISTEN") {
            None => None,
            Some(raw) => Some(socket_addr("METRICS_LISTEN", &raw, "127.0.0.1:9090")?),
        };
        let webhook = webhook(var)?;
        let redis = redis_url(var, webhook.as_ref())?;
        Ok(Config {
            token: Token(SecretString::from(token)),
            api_url,
            proxy,
            faq_path: faq_path(var),
            admin_ids,
            state_path,
            stop_timeout,
            webhook,
            metrics_listen,
            redis,
        })
    }
}

/// A variable's value, trimmed, when it is set and not empty.
fn set(var: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    var(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

fn socket_addr(name: &str, raw: &str, example: &str) -> Result<SocketAddr, ConfigError> {
    raw.parse().map_err(|_| {
        ConfigError(format!(
            "{name} must be an IP address and a port (e.g. {name}={example}); `{raw}` is not one"
        ))
    })
}

/// Reads webhook mode: `WEBHOOK_URL` (none: long polling), `WEBHOOK_LISTEN`, `WEBHOOK_SECRET`
/// (generated when unset). A setting given without `WEBHOOK_URL` is an error rather than
/// silently ignored.
fn webhook(var: &dyn Fn(&str) -> Option<String>) -> Result<Option<Webhook>, ConfigError> {
    let Some(raw) = set(var, "WEBHOOK_URL") else {
        for name in ["WEBHOOK_LISTEN", "WEBHOOK_SECRET"] {
            if set(var, name).is_some() {
                return Err(ConfigError(format!(
                    "{name} is set but WEBHOOK_URL is not: set WEBHOOK_URL for webhook mode, or \
                     unset {name} for long polling"
                )));
            }
        }
        return Ok(None);
    };
    let url = url::Url::parse(&raw).map_err(|e| {
        ConfigError(format!(
            "WEBHOOK_URL is not a valid URL ({e}); expected e.g. https://bot.example.org/telegram"
        ))
    })?;
    if url.scheme() != "https" || url.host_str().is_none() {
        return Err(ConfigError(format!(
            "WEBHOOK_URL must be an https:// URL with a host (Telegram posts over HTTPS only); `{raw}` is not one"
        )));
    }
    let port = url.port_or_known_default().unwrap_or(443);
    if !WEBHOOK_PORTS.contains(&port) {
        return Err(ConfigError(format!(
            "WEBHOOK_URL uses port {port}; Telegram posts only to ports 443, 80, 88 or 8443"
        )));
    }
    if url.path().contains(['{', '}', '*']) {
        return Err(ConfigError("WEBHOOK_URL: the path may not contain `{`, `}` or `*`".into()));
    }
    let listen = socket_addr(
        "WEBHOOK_LISTEN",
        &set(var, "WEBHOOK_LISTEN").unwrap_or_else(|| DEFAULT_WEBHOOK_LISTEN.to_string()),
        DEFAULT_WEBHOOK_LISTEN,
    )?;
    let (secret, secret_generated) = match var("WEBHOOK_SECRET").map(|s| s.trim().to_string()) {
        Some(secret) if !secret.is_empty() => {
            let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
            if secret.len() > 256 || !secret.chars().all(allowed) {
                return Err(ConfigError(
                    "WEBHOOK_SECRET must be 1 to 256 characters, each A-Z, a-z, 0-9, `_` or `-`"
                        .into(),
                ));
            }
            (secret, false)
        }
        _ => (generate_secret()?, true),
    };
    Ok(Some(Webhook { url, listen, secret: Token(SecretString::from(secret)), secret_generated }))
}

/// Reads `REDIS_URL`: a `redis://` URL. Replicas take their updates from Telegram's posts (several
/// pollers would take each other's updates), all with the same secret, so webhook mode with a
/// set `WEBHOOK_SECRET` is required. Errors never echo the URL (it may hold a password).
fn redis_url(
    var: &dyn Fn(&str) -> Option<String>,
    webhook: Option<&Webhook>,
) -> Result<Option<RedisUrl>, ConfigError> {
    let Some(raw) = set(var, "REDIS_URL") else { return Ok(None) };
    let url = url::Url::parse(&raw).map_err(|e| {
        ConfigError(format!(
            "REDIS_URL is not a valid URL ({e}); expected e.g. redis://127.0.0.1:6379/0"
        ))
    })?;
    match url.scheme() {
        "redis" if url.host_str().is_some_and(|h| !h.is_empty()) => {}
        "rediss" => {
            return Err(ConfigError(
                "REDIS_URL: rediss:// (TLS) is not built in; reach Redis over a private network \
                 or a TLS tunnel, with a redis:// URL"
                    .into(),
            ))
        }
        _ => {
            return Err(ConfigError(
                "REDIS_URL must be a redis:// URL with a host, e.g. redis://127.0.0.1:6379/0"
                    .into(),
            ))
        }
    }
    match webhook {
        None => Err(ConfigError(
            "REDIS_URL is set but WEBHOOK_URL is not: replicas sharing Redis must run in webhook \
             mode (several pollers would take each other's updates); set WEBHOOK_URL, or unset \
             REDIS_URL for one process"
                .into(),
        )),
        Some(w) if w.secret_generated => Err(ConfigError(
            "REDIS_URL is set but WEBHOOK_SECRET is not: every replica must register the same \
             secret with Telegram; set WEBHOOK_SECRET"
                .into(),
        )),
        Some(_) => Ok(Some(RedisUrl(url))),
    }
}

/// 64 random hexadecimal digits (256 bits) from the operating system.
fn generate_secret() -> Result<String, ConfigError> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| {
        ConfigError(format!("WEBHOOK_SECRET is unset and cannot be generated ({e}): set it"))
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
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
    fn webhook_mode_is_read_and_defaults_to_polling() {
        let c = Config::from_vars(&vars(&[("TELOXIDE_TOKEN", "1:a")])).unwrap();
        assert!(c.webhook.is_none() && c.metrics_listen.is_none());
        let c = Config::from_vars(&vars(&[
            ("TELOXIDE_TOKEN", "1:a"),
            ("WEBHOOK_URL", "https://bot.example.org/tg/hook"),
            ("WEBHOOK_SECRET", "s3cret_-X"),
            ("WEBHOOK_LISTEN", "127.0.0.1:8080"),
            ("METRICS_LISTEN", "127.0.0.1:9090"),
        ]))
        .unwrap();
        let w = c.webhook.unwrap();
        assert_eq!(w.url.path(), "/tg/hook");
        assert_eq!(w.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(w.secret.expose(), "s3cret_-X");
        assert!(!w.secret_generated);
        assert!(!format!("{w:?}").contains("s3cret"));
        assert_eq!(c.metrics_listen.unwrap().port(), 9090);
    }

    #[test]
    fn webhook_secret_is_generated_when_unset() {
        let read = || {
            Config::from_vars(&vars(&[
                ("TELOXIDE_TOKEN", "1:a"),
                ("WEBHOOK_URL", "https://bot.example.org/"),
            ]))
            .unwrap()
            .webhook
            .unwrap()
        };
        let (a, b) = (read(), read());
        assert!(a.secret_generated);
        assert_eq!(a.listen.to_string(), DEFAULT_WEBHOOK_LISTEN);
        assert_eq!(a.secret.expose().len(), 64);
        assert!(a.secret.expose().chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.secret.expose(), b.secret.expose());
    }

    #[test]
    fn bad_webhook_and_metrics_settings_name_their_variable() {
        let long = "a".repeat(257);
        for (name, value, extra) in [
            ("WEBHOOK_URL", "not a url", None),
            ("WEBHOOK_URL", "http://bot.example.org/hook", None),
            ("WEBHOOK_URL", "https://bot.example.org:9000/hook", None),
            ("WEBHOOK_LISTEN", "localhost", Some(("WEBHOOK_URL", "https://b.example.org/"))),
            ("WEBHOOK_SECRET", "has space", Some(("WEBHOOK_URL", "https://b.example.org/"))),
            ("WEBHOOK_SECRET", "semi;colon", Some(("WEBHOOK_URL", "https://b.example.org/"))),
            ("WEBHOOK_SECRET", long.as_str(), Some(("WEBHOOK_URL", "https://b.example.org/"))),
            ("WEBHOOK_SECRET", "fine", None),
            ("METRICS_LISTEN", "9090", None),
        ] {
            let mut pairs = vec![("TELOXIDE_TOKEN", "1:a"), (name, value)];
            pairs.extend(extra);
            let err = Config::from_vars(&vars(&pairs)).unwrap_err();
            assert!(err.0.starts_with(name), "{name}={value}: {err}");
            if name == "WEBHOOK_SECRET" {
                assert!(!err.0.contains(value), "{err}");
            }
        }
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

    #[test]
    fn redis_needs_a_webhook_with_a_set_secret_and_a_redis_url() {
        let base = [
            ("TELOXIDE_TOKEN", "4242:secret-part"),
            ("WEBHOOK_URL", "https://bot.example.org/hook"),
            ("WEBHOOK_SECRET", "s3cret"),
        ];
        let with = |extra: &[(&'static str, &'static str)], drop: &[&str]| {
            let mut all: Vec<(&str, &str)> =
                base.iter().copied().filter(|(k, _)| !drop.contains(k)).collect();
            all.extend_from_slice(extra);
            Config::from_vars(&vars(&all))
        };
        let c = with(&[("REDIS_URL", "redis://:pw@10.0.0.5:6379/0")], &[]).unwrap();
        assert_eq!(c.redis.as_ref().unwrap().url().port(), Some(6379));
        assert!(!format!("{c:?}").contains("pw"), "the password shows in Debug");
        assert_eq!(c.token.bot_id(), "4242");
        assert!(with(&[], &[]).unwrap().redis.is_none());

        let err = with(&[("REDIS_URL", "redis://10.0.0.5")], &["WEBHOOK_URL", "WEBHOOK_SECRET"])
            .unwrap_err();
        assert!(err.0.starts_with("REDIS_URL is set but WEBHOOK_URL is not"), "{err}");
        let err = with(&[("REDIS_URL", "redis://10.0.0.5")], &["WEBHOOK_SECRET"]).unwrap_err();
        assert!(err.0.starts_with("REDIS_URL is set but WEBHOOK_SECRET is not"), "{err}");
        for bad in ["10.0.0.5:6379", "http://10.0.0.5", "rediss://:pw@10.0.0.5"] {
            let err = with(&[("REDIS_URL", bad)], &[]).unwrap_err();
            assert!(err.0.starts_with("REDIS_URL"), "{bad}: {err}");
            assert!(!err.0.contains("pw@"), "{err}");
        }
    }
}

//! Purpose: what monitoring reads: counts in the Prometheus text format (`GET /metrics`), and
//! whether the bot is serving (`GET /healthz`), on the listener of `METRICS_LISTEN`.
//!
//! Counts only: the labels are outcomes, topic ids of faq.json, results and the version, never
//! a text, a name or an id of anyone. The counters live in one process-wide registry
//! ([`metrics`]), so that the places which already log an outcome count it with one line.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::http::{header, StatusCode};
use axum::routing::get;
use axum::Router;
use prometheus::{IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};
use teloxide::prelude::Requester;
use teloxide::RequestError;

use crate::faq::Faq;
use crate::matcher::Outcome;

/// The counters and gauges of `/metrics`.
pub struct Metrics {
    registry: Registry,
    /// `faqbot_questions_total{outcome}`: answer, suggest, small-talk, fallback, empty.
    pub questions: IntCounterVec,
    /// `faqbot_answers_total{topic}`: questions answered outright, per topic id.
    pub answers: IntCounterVec,
    pub button_taps: IntCounter,
    /// Messages Telegram accepted (a long reply is several).
    pub replies_sent: IntCounter,
    /// Replies given up after their retries.
    pub replies_failed: IntCounter,
    /// 429 answers of Telegram (`retry_after`).
    pub telegram_429: IntCounter,
    /// Sends tried again, after a 429, a server or a network error.
    pub send_retries: IntCounter,
    /// Replies handed to the outbox and not yet sent or given up.
    pub replies_waiting: IntGauge,
    /// Updates in the durable journal (0 until there is one).
    pub journal_updates: IntGauge,
    /// `faqbot_reloads_total{result}`: ok, failed.
    pub reloads: IntCounterVec,
    /// `faqbot_webhook_posts_total{result}`: accepted, unauthorized, malformed, unavailable.
    pub webhook_posts: IntCounterVec,
}

/// The outcomes of a question, as `faqbot ask --json` names them.
pub const OUTCOMES: [&str; 5] = ["answer", "suggest", "small-talk", "fallback", "empty"];

/// The name of an outcome, for the `outcome` label.
#[must_use]
pub fn outcome_label(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Answer { .. } => "answer",
        Outcome::Suggest(_) => "suggest",
        Outcome::SmallTalk(_) => "small-talk",
        Outcome::Fallback => "fallback",
        Outcome::Empty => "empty",
    }
}

fn counter(registry: &Registry, name: &str, help: &str) -> IntCounter {
    let c = IntCounter::new(name, help).expect("a valid metric");
    registry.register(Box::new(c.clone())).expect("registered once");
    c
}

fn counter_vec(registry: &Registry, name: &str, help: &str, label: &str) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), &[label]).expect("a valid metric");
    registry.register(Box::new(c.clone())).expect("registered once");
    c
}

fn gauge(registry: &Registry, name: &str, help: &str) -> IntGauge {
    let g = IntGauge::new(name, help).expect("a valid metric");
    registry.register(Box::new(g.clone())).expect("registered once");
    g
}

impl Metrics {
    fn new() -> Metrics {
        let r = Registry::new();
        let m = Metrics {
            registry: r.clone(),
            questions: counter_vec(
                &r,
                "faqbot_questions_total",
                "Questions, by outcome.",
                "outcome",
            ),
            answers: counter_vec(
                &r,
                "faqbot_answers_total",
                "Questions answered outright, by topic id.",
                "topic",
            ),
            button_taps: counter(&r, "faqbot_button_taps_total", "Topic buttons tapped."),
            replies_sent: counter(&r, "faqbot_replies_sent_total", "Messages Telegram accepted."),
            replies_failed: counter(
                &r,
                "faqbot_replies_failed_total",
                "Replies given up after their retries.",
            ),
            telegram_429: counter(
                &r,
                "faqbot_telegram_429_total",
                "Telegram's 429 (retry after) answers to sends.",
            ),
            send_retries: counter(&r, "faqbot_send_retries_total", "Sends tried again."),
            replies_waiting: gauge(
                &r,
                "faqbot_replies_waiting",
                "Replies waiting for their chat's turn.",
            ),
            journal_updates: gauge(
                &r,
                "faqbot_journal_updates",
                "Updates in the durable journal, not yet handled.",
            ),
            reloads: counter_vec(&r, "faqbot_reloads_total", "FAQ reloads, by result.", "result"),
            webhook_posts: counter_vec(
                &r,
                "faqbot_webhook_posts_total",
                "Posts to the webhook, by result.",
                "result",
            ),
        };
        // Every known label value from the start, so that a graph or an alert on a count that
        // is still zero has a series to read.
        for outcome in OUTCOMES {
            m.questions.with_label_values(&[outcome]);
        }
        for result in ["ok", "failed"] {
            m.reloads.with_label_values(&[result]);
        }
        for result in ["accepted", "unauthorized", "malformed", "unavailable"] {
            m.webhook_posts.with_label_values(&[result]);
        }
        let build = IntGaugeVec::new(
            Opts::new("faqbot_build_info", "The running build: always 1, by version."),
            &["version"],
        )
        .expect("a valid metric");
        m.registry.register(Box::new(build.clone())).expect("registered once");
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        m
    }

    /// Counts a question's outcome, and the topic of an answer (`faq` names it).
    pub fn count_question(&self, outcome: &Outcome, faq: &Faq) {
        self.questions.with_label_values(&[outcome_label(outcome)]).inc();
        if let Outcome::Answer { topic, .. } = outcome {
            if let Some(t) = faq.topics.get(*topic) {
                self.answers.with_label_values(&[t.id.as_str()]).inc();
            }
        }
    }

    /// Counts a reload's result.
    pub fn count_reload(&self, ok: bool) {
        self.reloads.with_label_values(&[if ok { "ok" } else { "failed" }]).inc();
    }

    /// Everything, in the Prometheus text format.
    #[must_use]
    pub fn render(&self) -> String {
        TextEncoder::new().encode_to_string(&self.registry.gather()).unwrap_or_default()
    }
}

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// How recently Telegram must have answered for the bot to count as serving.
pub const REACHED_WITHIN: Duration = Duration::from_secs(60);
/// How long a failure to receive updates keeps the bot unhealthy: above the polling listener's
/// longest back-off (30 s), so that a listener failing again and again never looks healthy
/// between two failures.
pub const FAILED_WITHIN: Duration = Duration::from_secs(45);

/// Whether the bot is serving: Telegram answered recently, and receiving updates does not
/// fail. Times are kept as milliseconds since the start, plus one (0: never).
pub struct Health {
    start: Instant,
    reached: AtomicU64,
    receive_failed: AtomicU64,
    /// Why the last request or receipt failed (an error kind, never a URL or a text).
    last_error: Mutex<String>,
    stopping: AtomicBool,
    /// Why the shared store (Redis, `REDIS_URL`) last failed, while it fails.
    store_failing: Mutex<Option<String>>,
}

impl Health {
    fn new() -> Health {
        Health {
            start: Instant::now(),
            reached: AtomicU64::new(0),
            receive_failed: AtomicU64::new(0),
            last_error: Mutex::new(String::new()),
            stopping: AtomicBool::new(false),
            store_failing: Mutex::new(None),
        }
    }

    fn stamp(&self, now: Instant) -> u64 {
        u64::try_from(now.saturating_duration_since(self.start).as_millis()).unwrap_or(u64::MAX) + 1
    }

    fn age(&self, stamp: u64, now: Instant) -> Option<Duration> {
        (stamp > 0).then(|| Duration::from_millis(self.stamp(now).saturating_sub(stamp)))
    }

    /// Telegram answered a request (getMe, getUpdates, sendMessage, setWebhook) or posted an
    /// update to the webhook.
    pub fn reached(&self) {
        self.reached.store(self.stamp(Instant::now()), Ordering::Relaxed);
    }

    /// A request to Telegram failed, for `reason` (without URLs: see `send::redact`).
    pub fn request_failed(&self, reason: &str) {
        *self.last_error.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
            reason.to_string();
    }

    /// Receiving updates failed (a failed `getUpdates`), for `reason`.
    pub fn receive_failed(&self, reason: &str) {
        self.request_failed(reason);
        self.receive_failed.store(self.stamp(Instant::now()), Ordering::Relaxed);
    }

    /// The shared store (Redis) answered.
    pub fn store_reached(&self) {
        let mut failing =
            self.store_failing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if failing.is_some() {
            *failing = None;
        }
    }

    /// The shared store (Redis) could not be reached, for `reason`: unhealthy until it answers.
    pub fn store_failed(&self, reason: &str) {
        *self.store_failing.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some(reason.to_string());
    }

    /// The bot is stopping: no longer serving.
    pub fn stopping(&self) {
        self.stopping.store(true, Ordering::Relaxed);
    }

    /// Whether Telegram was reached within the last `within`.
    #[must_use]
    pub fn reached_within(&self, within: Duration) -> bool {
        self.age(self.reached.load(Ordering::Relaxed), Instant::now()).is_some_and(|a| a < within)
    }

    /// Ok while serving; else why not, in one line.
    pub fn check(&self) -> Result<(), String> {
        self.check_at(Instant::now())
    }

    fn check_at(&self, now: Instant) -> Result<(), String> {
        let last_error = self.last_error.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let because = if last_error.is_empty() {
            String::new()
        } else {
            format!(" (last error: {last_error})")
        };
        if self.stopping.load(Ordering::Relaxed) {
            return Err("stopping".into());
        }
        if let Some(why) = self.store_failing.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            return Err(format!("the shared store is unreachable (REDIS_URL): {why}"));
        }
        if let Some(age) = self.age(self.receive_failed.load(Ordering::Relaxed), now) {
            if age < FAILED_WITHIN {
                return Err(format!("receiving updates failed {}s ago{because}", age.as_secs()));
            }
        }
        match self.age(self.reached.load(Ordering::Relaxed), now) {
            None => Err(format!("Telegram not reached yet{because}")),
            Some(age) if age >= REACHED_WITHIN => {
                Err(format!("Telegram not reached for {}s{because}", age.as_secs()))
            }
            Some(_) => Ok(()),
        }
    }
}

/// The process's health.
pub fn health() -> &'static Health {
    static HEALTH: OnceLock<Health> = OnceLock::new();
    HEALTH.get_or_init(Health::new)
}

/// How often the probe looks whether Telegram was reached lately.
const PROBE_EVERY: Duration = Duration::from_secs(15);
/// The probe asks `getMe` only when nothing else reached Telegram for this long: a busy bot is
/// not probed at all.
const PROBE_WHEN_QUIET: Duration = Duration::from_secs(30);

/// Keeps [`Health`] current while the bot is quiet: a long poll that brings nothing, or a
/// webhook that nobody writes to, reaches Telegram without anyone noticing, so every
/// [`PROBE_EVERY`] a quiet bot asks `getMe`.
pub fn spawn_probe<R>(bot: R)
where
    R: Requester<Err = RequestError> + Send + Sync + 'static,
    R::GetMe: Send,
{
    tokio::spawn(async move {
        let mut every = tokio::time::interval(PROBE_EVERY);
        loop {
            every.tick().await;
            if health().reached_within(PROBE_WHEN_QUIET) {
                continue;
            }
            match bot.get_me().await {
                Ok(_) => health().reached(),
                Err(e) => health().request_failed(&crate::telegram::send::redact(&e)),
            }
        }
    });
}

/// The `/metrics` and `/healthz` router.
pub fn router() -> Router {
    Router::new()
        .route(
            "/metrics",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
                    metrics().render(),
                )
            }),
        )
        .route(
            "/healthz",
            get(|| async {
                match health().check() {
                    Ok(()) => (StatusCode::OK, "ok\n".to_string()),
                    Err(reason) => (StatusCode::SERVICE_UNAVAILABLE, format!("{reason}\n")),
                }
            }),
        )
}

/// Binds `METRICS_LISTEN`; an error names the variable.
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, String> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("METRICS_LISTEN: cannot listen on {addr}: {e}"))
}

/// Serves `/metrics` and `/healthz` on `listener` until the process ends: while stopping,
/// `/healthz` says so.
pub fn serve(listener: tokio::net::TcpListener) {
    let addr = listener.local_addr().map_or_else(|_| "?".to_string(), |a| a.to_string());
    log::info!("serving /metrics and /healthz on {addr}");
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router()).await {
            log::error!("the metrics listener failed: {e}");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_is_there_from_the_start_and_counts_rise() {
        let m = Metrics::new();
        let text = m.render();
        for name in [
            "faqbot_questions_total{outcome=\"answer\"} 0",
            "faqbot_questions_total{outcome=\"small-talk\"} 0",
            "faqbot_button_taps_total 0",
            "faqbot_replies_sent_total 0",
            "faqbot_replies_failed_total 0",
            "faqbot_telegram_429_total 0",
            "faqbot_send_retries_total 0",
            "faqbot_replies_waiting 0",
            "faqbot_journal_updates 0",
            "faqbot_reloads_total{result=\"failed\"} 0",
            "faqbot_build_info{version=\"",
        ] {
            assert!(text.contains(name), "{name} missing from:\n{text}");
        }
        m.count_reload(true);
        m.questions.with_label_values(&["fallback"]).inc();
        let text = m.render();
        assert!(text.contains("faqbot_reloads_total{result=\"ok\"} 1"), "{text}");
        assert!(text.contains("faqbot_questions_total{outcome=\"fallback\"} 1"), "{text}");
    }

    #[test]
    fn health_needs_a_recent_contact_and_no_recent_receive_failure() {
        let h = Health::new();
        let now = Instant::now();
        assert!(h.check_at(now).unwrap_err().starts_with("Telegram not reached yet"));
        h.reached();
        assert!(h.check_at(Instant::now()).is_ok());
        let later = Instant::now() + REACHED_WITHIN + Duration::from_secs(1);
        let err = h.check_at(later).unwrap_err();
        assert!(err.starts_with("Telegram not reached for 6"), "{err}");
        h.receive_failed("network error (timeout)");
        let err = h.check_at(Instant::now()).unwrap_err();
        assert!(err.contains("receiving updates failed") && err.contains("timeout"), "{err}");
        assert!(!err.contains('\n'));
        h.stopping();
        assert_eq!(h.check_at(Instant::now()).unwrap_err(), "stopping");
    }
}

//! Purpose: what the handlers share: the engine (replaced on reload), chosen languages, limits,
//! the outbox, operators, the gaps file and the `/stats` counts.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use teloxide::types::UserId;

use super::outbox::Outbox;
use super::pacing::{ChatLimit, IncomingLimiter, OutgoingGate, SendLimits};
use crate::faq::TELEGRAM_TEXT_LIMIT;
use crate::matcher::{Match, Outcome};
use crate::ops::gaps::{Day, GapLog};
use crate::ops::stats::Stats;
use crate::reply::{telegram_len, Block, Engine, Reply};

use tokio_util::task::TaskTracker;

use super::pacing::unix_now;
use crate::ops::store::Store;

/// What operators set up: who they are, the FAQ file to reload, and whether unanswered
/// questions are kept. Everything is off by default.
#[derive(Default)]
pub struct Operators {
    /// Telegram user ids allowed to use the [`OperatorCommand`]s (`ADMIN_IDS`).
    pub admin_ids: Vec<u64>,
    /// The FAQ file that `/reload` and SIGHUP read again; without it, reloading reports that
    /// it is not available.
    pub faq_path: Option<PathBuf>,
    /// Where questions that ended in a suggestion or the fallback are kept (`GAPS_PATH`).
    pub gaps: Option<GapLog>,
}

/// How long a person's language is remembered after they last set it (by writing in it or
/// choosing it): a week.
const LANGUAGE_MEMORY_SECS: i64 = 7 * 24 * 3600;

/// State shared by all handlers: the engine (replaceable on reload), each person's chosen
/// language, and, for a few seconds, when each chat wrote and was written to (for the rate
/// limits). Besides that only counts of outcomes (for `/stats`) and, when an operator turns it
/// on, masked questions without any id (in the gaps file). Nothing else is kept about anyone.
pub struct Shared {
    engine: RwLock<Arc<Engine>>,
    /// Each person's language (chosen with /language, or last written in), with when it was
    /// last set (Unix seconds): forgotten after [`LANGUAGE_MEMORY_SECS`] without news.
    chosen: Mutex<HashMap<UserId, (String, i64)>>,
    /// Flood limits per person: messages, and (far more generous) button taps.
    pub(super) incoming: IncomingLimiter,
    pub(super) taps: IncomingLimiter,
    /// Paces the replies within Telegram's flood limits (one bot, one gate).
    pub(super) gate: OutgoingGate,
    /// Whether question texts may be logged at debug level (`LOG_MESSAGE_TEXT=1`).
    pub(super) log_text: AtomicBool,
    /// Replies waiting for their chat's turn: handlers hand their reply over and return.
    pub(super) outbox: Outbox<super::send::Outgoing>,
    /// The tasks sending the outbox's replies, so that a stopping bot can wait for them.
    pub(crate) senders: TaskTracker,
    admins: HashSet<UserId>,
    faq_path: Option<PathBuf>,
    gaps: Option<Arc<GapLog>>,
    stats: Mutex<Stats>,
    /// Held while a reload runs, so that two reloads (SIGHUP and /reload) never race and
    /// leave the older file in service.
    reloading: Mutex<()>,
    /// What several replicas share (`REDIS_URL`): languages, flood limits, pacing, counts.
    /// The fields above stand in while it fails.
    store: Option<Store>,
}

impl Shared {
    /// Wraps an engine, with no operators, no reloading and no gaps file.
    #[must_use]
    pub fn new(engine: Engine) -> Arc<Shared> {
        Shared::with_operators(engine, Operators::default())
    }

    /// Wraps an engine, with what operators set up.
    #[must_use]
    pub fn with_operators(engine: Engine, operators: Operators) -> Arc<Shared> {
        Shared::with_store(engine, operators, None)
    }

    /// Wraps an engine, with what operators set up, sharing what a person chose, the limits
    /// and the counts with other replicas through `store`, if any.
    #[must_use]
    pub fn with_store(engine: Engine, operators: Operators, store: Option<Store>) -> Arc<Shared> {
        Arc::new(Shared {
            engine: RwLock::new(Arc::new(engine)),
            chosen: Mutex::new(HashMap::new()),
            incoming: IncomingLimiter::new(ChatLimit::MESSAGES),
            taps: IncomingLimiter::new(ChatLimit::TAPS),
            gate: OutgoingGate::shared(SendLimits::default(), store.clone()),
            log_text: AtomicBool::new(false),
            outbox: Outbox::default(),
            senders: TaskTracker::new(),
            admins: operators.admin_ids.into_iter().map(UserId).collect(),
            faq_path: operators.faq_path,
            gaps: operators.gaps.map(Arc::new),
            stats: Mutex::new(Stats::new(Day::today())),
            reloading: Mutex::new(()),
            store,
        })
    }

    /// The store shared with other replicas, if any.
    #[must_use]
    pub fn store(&self) -> Option<&Store> {
        self.store.as_ref()
    }

    /// Forgets the chats the rate limits no longer need (quiet for their window): called
    /// every few seconds, so that chat ids are kept for seconds, not until the next restart.
    pub fn forget_idle_chats(&self) {
        let now = unix_now();
        self.chosen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|_, (_, set)| now - *set < LANGUAGE_MEMORY_SECS);
        self.incoming.forget_idle(unix_now());
        self.taps.forget_idle(unix_now());
        self.gate.forget_idle(tokio::time::Instant::now());
    }

    /// Whether `user` is an operator (listed in `ADMIN_IDS`).
    #[must_use]
    pub fn is_operator(&self, user: Option<&teloxide::types::User>) -> bool {
        user.is_some_and(|u| !u.is_bot && self.admins.contains(&u.id))
    }

    /// The counts, as `/stats` shows them: since the start, or of all replicas with a shared
    /// store (this replica's alone, and said so, while the store fails).
    pub async fn stats_text(&self) -> String {
        let engine = self.engine();
        let shared = match &self.store {
            Some(store) => Some(store.counts().await.map_err(|_| ())),
            None => None,
        };
        let mut text = match shared {
            Some(Ok((since, counts))) => {
                let mut stats = Stats::new(since.unwrap_or_else(Day::today));
                for (name, n) in counts {
                    stats.add(&name, n);
                }
                stats.render(&engine.faq) + "\nCounted by all replicas together."
            }
            other => {
                let text = self
                    .stats
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .render(&engine.faq);
                if other.is_some() {
                    text + "\nRedis is unreachable: these counts are this replica's alone."
                } else {
                    text
                }
            }
        };
        if let Some(gaps) = &self.gaps {
            let _ = std::fmt::Write::write_fmt(
                &mut text,
                format_args!(
                    "\nUnanswered questions are kept for {} days: see `faqbot gaps`.",
                    gaps.retention_days()
                ),
            );
        }
        text
    }

    /// Reads the FAQ file again and, if it is valid, puts it in service; if not, the engine in
    /// service stays. Returns an operator-facing summary, or the errors (`PATH:LINE:COL: ...`).
    /// Blocking (reads the file and builds the index): see [`reload`] for async callers.
    pub fn reload(&self) -> Result<String, String> {
        let Some(path) = &self.faq_path else {
            return Err("Reloading is not available: no FAQ file is configured.".to_string());
        };
        let _one_at_a_time =
            self.reloading.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match crate::faq::load(path) {
            Ok(loaded) => {
                let warnings = loaded.warnings.len();
                let engine = Engine::new(loaded.faq).with_keeping(self.engine().keeping);
                let summary = format!(
                    "Reloaded {}: {} topics in {} languages{}.",
                    path.display(),
                    engine.faq.topics.len(),
                    engine.faq.languages.len(),
                    if warnings > 0 {
                        format!("; {warnings} warning(s), see `faqbot check`")
                    } else {
                        String::new()
                    }
                );
                self.replace_engine(engine);
                Ok(summary)
            }
            Err(e) => Err(format!("Reload failed; still serving the previous FAQ.\n{e}")),
        }
    }

    /// Allows logging question texts at debug level (an operator's explicit choice).
    pub fn set_log_text(&self, on: bool) {
        self.log_text.store(on, Ordering::Relaxed);
    }

    /// The engine now in service.
    #[must_use]
    pub fn engine(&self) -> Arc<Engine> {
        self.engine.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Puts a new engine in service (after a reload).
    pub fn replace_engine(&self, engine: Engine) {
        *self.engine.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(engine);
    }

    pub(super) async fn chosen_language(&self, user: Option<UserId>) -> Option<String> {
        let user = user?;
        if let Some(store) = self.store.as_ref().filter(|s| !s.is_down()) {
            // Redis knows unless it was chosen here while Redis was unreachable.
            if let Ok(Some(language)) = store.language(user.0).await {
                return Some(language);
            }
        }
        let chosen = self.chosen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        chosen.get(&user).map(|(lang, _)| lang.clone())
    }

    pub(super) async fn choose_language(&self, user: UserId, lang: String) {
        if let Some(store) = self.store.as_ref().filter(|s| !s.is_down()) {
            let keep = std::time::Duration::from_secs(LANGUAGE_MEMORY_SECS.unsigned_abs());
            if let Err(e) = store.set_language(user.0, &lang, keep).await {
                log::warn!("sharing a chosen language failed: {}", crate::ops::store::why(&e));
            }
        }
        let mut chosen = self.chosen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        chosen.insert(user, (lang, unix_now()));
    }

    pub(super) fn record_outcome(&self, outcome: &Outcome, engine: &Engine) {
        self.stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .record(outcome, &engine.faq);
        self.count_shared(Stats::count_name(outcome, &engine.faq));
    }

    pub(super) fn record_tap(&self, topic: &str) {
        self.stats.lock().unwrap_or_else(std::sync::PoisonError::into_inner).record_tap(topic);
        self.count_shared(Stats::tap_name(topic));
    }

    /// Adds to a shared count, without holding up the reply.
    fn count_shared(&self, name: String) {
        if let Some(store) = self.store.clone().filter(|s| !s.is_down()) {
            tokio::spawn(async move {
                if let Err(e) = store.count(&name).await {
                    log::debug!("a shared count was not added: {}", crate::ops::store::why(&e));
                }
            });
        }
    }

    /// Keeps a question that ended in a suggestion or the fallback, if keeping is on. The
    /// write runs on tokio's blocking pool and is not awaited: appending a line is quick, but
    /// the first write of a day also drops expired entries (rewriting the file), and neither
    /// may hold up an async worker or the reply. Failures are logged without the text.
    pub(super) fn keep_gap(&self, engine: &Arc<Engine>, question: &str, m: &Match, language: &str) {
        let Some(gaps) = &self.gaps else { return };
        if !matches!(m.outcome, Outcome::Suggest(_) | Outcome::Fallback) {
            return;
        }
        let (gaps, engine) = (gaps.clone(), engine.clone());
        let (question, m, language) = (question.to_string(), m.clone(), language.to_string());
        tokio::task::spawn_blocking(move || {
            if let Err(e) = gaps.record(&question, &m, &language, &engine.faq) {
                log::warn!("keeping an unanswered question failed: {e}");
            }
        });
    }
}

/// Reloads the FAQ off the async workers ([`Shared::reload`] reads a file and builds the
/// index), and logs the outcome: `trigger` says what asked for it (`SIGHUP`, `/reload`).
pub async fn reload(shared: Arc<Shared>, trigger: &str) -> Result<String, String> {
    let result = tokio::task::spawn_blocking(move || shared.reload()).await.unwrap_or_else(|_| {
        Err("Reload failed (internal error); still serving the previous FAQ.".into())
    });
    crate::ops::metrics::metrics().count_reload(result.is_ok());
    match &result {
        Ok(summary) => log::info!("{trigger}: {summary}"),
        Err(errors) => log::error!("{trigger}: {errors}"),
    }
    result
}

/// Leaves room for escaping and the closing note within one Telegram message.
const OPERATOR_REPLY_LIMIT: usize = TELEGRAM_TEXT_LIMIT - 200;

/// An operator-facing reply (English: operators are staff) as one plain-text message: whole
/// lines up to Telegram's limit, then a count of the lines left out. It is sent as escaped
/// HTML like every reply, so `<` or `&` in an error message shows as typed.
#[must_use]
pub fn operator_reply(text: &str) -> Reply {
    let mut kept = String::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut shown = 0;
    for line in &lines {
        let line: String = line.chars().take(OPERATOR_REPLY_LIMIT / 2).collect();
        if telegram_len(&kept) + telegram_len(&line) + 1 > OPERATOR_REPLY_LIMIT {
            break;
        }
        if !kept.is_empty() {
            kept.push('\n');
        }
        kept.push_str(&line);
        shown += 1;
    }
    if shown < lines.len() {
        kept.push_str(&format!(
            "\n... and {} more line(s): run `faqbot check` to see them all.",
            lines.len() - shown
        ));
    }
    Reply { language: "en".to_string(), blocks: vec![Block::Text(kept)], buttons: Vec::new() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_operator_reply_fits_one_message_and_says_what_was_left_out() {
        let errors: Vec<String> = (1..=500)
            .map(|i| format!("/srv/faq.json:{i}:3: error: unknown field `<tag & {i}>`"))
            .collect();
        let reply = operator_reply(&format!("Reload failed.\n{}", errors.join("\n")));
        let chunks = reply.telegram_chunks();
        assert_eq!(chunks.len(), 1, "one message");
        // Escaped HTML: what Telegram shows is at most 4096 characters.
        let visible = reply.to_plain();
        assert!(telegram_len(&visible) <= TELEGRAM_TEXT_LIMIT, "{}", telegram_len(&visible));
        assert!(chunks[0].contains("&lt;tag &amp; 1&gt;"), "not escaped: {}", &chunks[0][..200]);
        let shown = visible.lines().filter(|l| l.starts_with("/srv/faq.json:")).count();
        assert!(shown > 10 && shown < 500, "{shown}");
        assert!(
            visible.ends_with(&format!(
                "... and {} more line(s): run `faqbot check` to see them all.",
                500 - shown
            )),
            "{visible}"
        );
        // A short one is whole.
        assert_eq!(operator_reply("Reloaded.\nok").to_plain(), "Reloaded.\nok");
    }
}

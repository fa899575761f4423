//! Purpose: webhook mode: Telegram posts each update to `WEBHOOK_URL` (behind a proxy that
//! terminates TLS) instead of the bot polling for it. The bot listens on `WEBHOOK_LISTEN`,
//! registers the URL and its secret with `setWebhook`, refuses posts without the secret (401)
//! and malformed ones (400), and answers 200 only once [`Accept::accept`] took the update.
//!
//! Why axum directly rather than teloxide's webhook helper: that one answers 200 to a
//! malformed body, and acknowledges an update before anything has kept it.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use teloxide::prelude::*;
use teloxide::stop::{mk_stop_token, StopToken};
use teloxide::types::Update;
use teloxide::update_listeners::{StatefulListener, UpdateListener};
use teloxide::RequestError;
use tokio::sync::{mpsc, Mutex};
use tokio_util::sync::CancellationToken;

use super::intake::Intake;
use super::run::RunError;
use super::send::redact;
use crate::ops::config::Webhook;
use crate::ops::journal::JournalHandle;
use crate::ops::metrics::{health, metrics};
use crate::ops::store::journal::RedisJournal;

/// The header in which Telegram sends the webhook's secret.
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";
/// Posted updates that may wait for the dispatcher; past that, a post waits (and Telegram,
/// which holds at most `max_connections` posts open, slows down).
const QUEUE: usize = 256;
/// Back-off of `setWebhook` at start, as for `getMe`.
const RETRY_FIRST: Duration = Duration::from_millis(500);
const RETRY_MAX: Duration = Duration::from_secs(30);

/// The update could not be taken: answered 503, so Telegram posts it again later.
#[derive(Debug, thiserror::Error)]
#[error("the bot is not taking updates now")]
pub struct NotAccepted;

/// Where a posted update goes before Telegram is told 200: once `accept` returns `Ok`, the
/// update must not be lost. [`Journaled`] writes it in the journal, then hands it to the
/// dispatcher's queue.
pub trait Accept: Send + Sync + 'static {
    fn accept(&self, update: Update) -> impl Future<Output = Result<(), NotAccepted>> + Send;
}

/// Keeps each posted update in the journal, then hands it to the dispatcher (through
/// [`Feed::listener`]). An update Telegram posts again (it did not hear our 200) is answered
/// 200 and not handled twice.
pub struct Journaled {
    journal: JournalHandle,
    queue: mpsc::Sender<Update>,
    /// The latest update ids taken, oldest first, to drop Telegram's repeats.
    recent: std::sync::Mutex<std::collections::VecDeque<u32>>,
}

/// How many of the latest update ids are remembered to drop repeats.
const RECENT: usize = 1024;

impl Journaled {
    fn is_repeat(&self, id: u32) -> bool {
        let mut recent = self.recent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if recent.contains(&id) {
            return true;
        }
        if recent.len() == RECENT {
            recent.pop_front();
        }
        recent.push_back(id);
        false
    }
}

impl Accept for Journaled {
    async fn accept(&self, update: Update) -> Result<(), NotAccepted> {
        if self.is_repeat(update.id.0) {
            return Ok(());
        }
        let json = serde_json::to_string(&update).map_err(|_| NotAccepted)?;
        if let Err(e) = self.journal.append(vec![(i64::from(update.id.0), json)]).await {
            log::error!(
                "keeping a posted update in the journal failed: {e}; Telegram will post it again"
            );
            self.recent
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .retain(|&id| id != update.id.0);
            return Err(NotAccepted);
        }
        // Once kept, it is handled: now, or after a restart if the bot stops first.
        let _ = self.queue.send(update).await;
        Ok(())
    }
}

/// Keeps each posted update in the journal shared by the replicas (Redis), from which one of
/// them takes it (see `ops::store::journal`). An update posted again is kept once.
pub struct SharedJournaled {
    journal: Arc<RedisJournal>,
    /// Whether the last post could not be kept: while Redis is away, one warning, not one per
    /// post.
    failing: std::sync::atomic::AtomicBool,
}

impl Accept for SharedJournaled {
    async fn accept(&self, update: Update) -> Result<(), NotAccepted> {
        use std::sync::atomic::Ordering;
        let json = serde_json::to_string(&update).map_err(|_| NotAccepted)?;
        match self.journal.accept(i64::from(update.id.0), &json).await {
            Ok(()) => {
                if self.failing.swap(false, Ordering::Relaxed) {
                    log::info!("Redis answers again: posted updates are kept");
                }
                Ok(())
            }
            Err(e) => {
                let why = crate::ops::store::why(&e);
                if self.failing.swap(true, Ordering::Relaxed) {
                    log::debug!("keeping a posted update in Redis failed: {why}");
                } else {
                    log::warn!(
                        "keeping a posted update in Redis failed: {why}; posts are answered 503 \
                         (Telegram posts them again) until Redis answers"
                    );
                }
                Err(NotAccepted)
            }
        }
    }
}

struct App<A> {
    secret: String,
    accept: A,
}

/// Whether `given` equals `secret`, in a time that does not tell how much of it matched.
fn same_secret(given: &[u8], secret: &[u8]) -> bool {
    given.len() == secret.len() && given.iter().zip(secret).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0
}

async fn on_post<A: Accept>(
    State(app): State<Arc<App<A>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let posts = &metrics().webhook_posts;
    let given = headers.get(SECRET_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
    if !same_secret(given, app.secret.as_bytes()) {
        posts.with_label_values(&["unauthorized"]).inc();
        log::warn!("webhook: a post without the right secret was refused (401)");
        return StatusCode::UNAUTHORIZED;
    }
    health().reached();
    let update: Update = match serde_json::from_slice(&body) {
        Ok(update) => update,
        Err(e) => {
            posts.with_label_values(&["malformed"]).inc();
            // Where, not what: the body may quote someone.
            log::warn!(
                "webhook: a malformed update was refused (400): {:?} error at line {} column {}",
                e.classify(),
                e.line(),
                e.column()
            );
            return StatusCode::BAD_REQUEST;
        }
    };
    match app.accept.accept(update).await {
        Ok(()) => {
            posts.with_label_values(&["accepted"]).inc();
            StatusCode::OK
        }
        Err(NotAccepted) => {
            posts.with_label_values(&["unavailable"]).inc();
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

/// The webhook's router: POST on `path`, everything else 404 (or 405).
pub fn router<A: Accept>(path: &str, secret: &str, accept: A) -> Router {
    let app = Arc::new(App { secret: secret.to_string(), accept });
    let path = if path.is_empty() { "/" } else { path };
    Router::new().route(path, post(on_post::<A>)).with_state(app)
}

/// A webhook listener's state: the posted updates, its stop token, the replay, the slots.
type ListenerState = (Arc<Mutex<mpsc::Receiver<Update>>>, StopToken, Vec<Update>, Intake);

/// The updates posted to the webhook, for the dispatcher.
pub struct Feed {
    updates: Arc<Mutex<mpsc::Receiver<Update>>>,
    /// Whether the replay is still to be handed over (to the first listener only).
    replay: std::sync::Mutex<bool>,
}

impl Feed {
    /// A listener over the posted updates. It ends once the webhook's server has stopped and
    /// every update it accepted was taken, so that a clean stop loses none. One at a time:
    /// after a failed start of the dispatcher, the next listener goes on where it left off.
    ///
    /// `replay` (updates an earlier run kept but did not answer, oldest first) comes first, once.
    /// Each update is handed over only once `intake` has a slot for it.
    pub fn listener(
        &self,
        replay: Vec<Update>,
        intake: Intake,
    ) -> impl UpdateListener<Err = Infallible> + Send {
        let (stop, _flag) = mk_stop_token();
        let first = std::mem::take(
            &mut *self.replay.lock().unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let replay = if first { replay } else { Vec::new() };
        StatefulListener::new(
            (self.updates.clone(), stop, replay, intake),
            |(updates, _, replay, intake): &mut ListenerState| {
                let first = futures_util::stream::iter(std::mem::take(replay));
                let posted = futures_util::stream::unfold(updates.clone(), |updates| async move {
                    let next = updates.lock().await.recv().await?;
                    Some((next, updates))
                });
                let updates = intake.admit(futures_util::StreamExt::chain(first, posted));
                futures_util::StreamExt::map(updates, Ok)
            },
            |(_, stop, _, _): &mut ListenerState| stop.clone(),
        )
    }
}

/// Starts webhook mode: listens on `WEBHOOK_LISTEN`, then registers `WEBHOOK_URL` and the
/// secret with `setWebhook` (retried while Telegram cannot be reached). The server stops
/// taking posts at `stop`. With `shared` (several replicas), posted updates go to the shared
/// journal, and the feed takes what this replica reads from it.
pub async fn start(
    bot: &Bot,
    config: &Webhook,
    journal: JournalHandle,
    shared: Option<Arc<RedisJournal>>,
    stop: CancellationToken,
) -> Result<Feed, RunError> {
    let listener = tokio::net::TcpListener::bind(config.listen).await.map_err(|e| {
        RunError::Setup(format!("WEBHOOK_LISTEN: cannot listen on {}: {e}", config.listen))
    })?;
    let (tx, rx) = mpsc::channel(QUEUE);
    let path = config.url.path();
    let app = match shared {
        None => {
            let accept = Journaled { journal, queue: tx, recent: Default::default() };
            router(path, config.secret.expose(), accept)
        }
        Some(shared) => {
            Arc::clone(&shared).consume(tx, stop.clone());
            let accept = SharedJournaled { journal: shared, failing: Default::default() };
            router(path, config.secret.expose(), accept)
        }
    };
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop.cancelled().await });
        if let Err(e) = served.await {
            log::error!("the webhook listener failed: {e}");
        }
    });
    if config.secret_generated {
        log::info!(
            "WEBHOOK_SECRET is unset: a secret was generated for this run (set WEBHOOK_SECRET \
             when several replicas serve one bot)"
        );
    }
    set_webhook(bot, config).await?;
    watch_delivery(bot.clone(), config.url.clone());
    log::info!(
        "webhook mode: Telegram posts to {}, served on {}; not polling",
        config.url,
        config.listen
    );
    Ok(Feed { updates: Arc::new(Mutex::new(rx)), replay: std::sync::Mutex::new(true) })
}

/// How often Telegram is asked how delivery to the webhook goes.
const WATCH_EVERY: Duration = Duration::from_secs(15);

/// Asks Telegram every [`WATCH_EVERY`] how delivery to the webhook goes (`getWebhookInfo`):
/// whether it failed since the webhook was set, and whether the webhook is still `url` (not
/// deleted, or replaced by another instance). Either makes `/healthz` unhealthy, and is logged
/// once per new error: a bot whose proxy is down gets no posts, and would otherwise look idle.
fn watch_delivery(bot: Bot, url: url::Url) {
    let since = crate::telegram::pacing::unix_now();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(WATCH_EVERY);
        let mut logged = None;
        loop {
            every.tick().await;
            let info = match bot.get_webhook_info().await {
                Ok(info) => info,
                Err(e) => {
                    health().request_failed(&redact(&e));
                    continue;
                }
            };
            health().reached();
            if info.url.as_ref() != Some(&url) {
                let why =
                    "the webhook is no longer WEBHOOK_URL (deleted, or set by another instance)";
                health().receive_failed(why);
                if logged != Some(0) {
                    log::warn!("{why}");
                    logged = Some(0);
                }
                continue;
            }
            let Some(date) = info.last_error_date.map(|d| d.timestamp()) else { continue };
            let now = crate::telegram::pacing::unix_now();
            if date >= since && now - date < 60 {
                let message = info.last_error_message.as_deref().unwrap_or("no reason given");
                let why = format!("Telegram cannot deliver to the webhook: {message}");
                health().receive_failed(&why);
                if logged != Some(date) {
                    log::warn!("{why}");
                    logged = Some(date);
                }
            }
        }
    });
}

/// `setWebhook` with the URL and the secret, retried with back-off while Telegram cannot be
/// reached; a refusal (a URL Telegram will not post to) is a start-up error.
async fn set_webhook(bot: &Bot, config: &Webhook) -> Result<(), RunError> {
    let mut delay = RETRY_FIRST;
    let mut attempt = 1u32;
    loop {
        let request =
            bot.set_webhook(config.url.clone()).secret_token(config.secret.expose().to_string());
        match request.await {
            Ok(_) => {
                health().reached();
                return Ok(());
            }
            Err(RequestError::Api(teloxide::ApiError::InvalidToken)) => {
                return Err(RunError::InvalidToken)
            }
            Err(RequestError::Api(e)) if !matches!(e, teloxide::ApiError::Unknown(_)) => {
                return Err(RunError::Setup(format!(
                    "WEBHOOK_URL: Telegram refused the webhook: {e}"
                )));
            }
            Err(e) => {
                let why = redact(&e);
                health().request_failed(&why);
                log::warn!(
                    "setting the webhook failed (attempt {attempt}): {why}; retrying in {delay:?}"
                );
                let wait = match &e {
                    RequestError::RetryAfter(s) => s.duration(),
                    _ => delay,
                };
                tokio::time::sleep(wait).await;
                delay = (delay * 2).min(RETRY_MAX);
                attempt += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abd", b"abc"));
        assert!(!same_secret(b"ab", b"abc"));
        assert!(!same_secret(b"", b"abc"));
    }
}

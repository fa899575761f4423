//! Purpose: run the Telegram bot: build the client from the configuration, register the
//! command menus, and dispatch updates until SIGINT or SIGTERM, riding out Telegram's faults;
//! reload the FAQ file on SIGHUP.

use std::sync::Arc;
use std::time::Duration;

use teloxide::dispatching::Dispatcher;
use teloxide::error_handlers::ErrorHandler;
use teloxide::prelude::*;
use teloxide::RequestError;
use tokio_util::sync::CancellationToken;

use super::intake::Intake;
use super::listener::{replayed, JournaledPolling};
use super::menus::register_commands;
use super::send::redact;
use super::state::reload;
use super::{handler_tree, HandlerError, Operators, Shared};
use crate::ops::config::Config;
use crate::ops::gaps::GapLog;
use crate::ops::journal::{JournalHandle, SharedJournal, SqliteJournal};
use crate::ops::store::journal::RedisJournal;
use crate::ops::store::Store;
use crate::reply::Engine;

/// Why the bot could not run; `main` turns it into an exit code.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("Telegram rejected TELOXIDE_TOKEN (invalid token); check the token from @BotFather")]
    InvalidToken,
    #[error("cannot set up the HTTP client: {0}")]
    HttpClient(&'static str),
    #[error("cannot use the journal at STATE_PATH: {0}")]
    Journal(String),
    #[error("cannot use the shared store: {0}")]
    Store(String),
    /// Stopped with updates unanswered: they stay in the journal for the next start.
    #[error("stopped with {0} update(s) unanswered after STOP_TIMEOUT; they are answered after the restart")]
    Unfinished(usize),
    /// A listener or the webhook could not be set up; the text names the variable.
    #[error("{0}")]
    Setup(String),
}

impl RunError {
    /// The process's exit code: 2 for what an operator must fix (token, settings), 3 for a
    /// stop that left replies to send after the restart.
    #[must_use]
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::Unfinished(_) => 3,
            _ => 2,
        }
    }
}

/// How often the rate limits forget chats that went quiet.
const FORGET_EVERY: Duration = Duration::from_secs(5);
/// Updates that may wait for one chat's worker. Handlers return as soon as their reply is
/// queued (see [`crate::outbox`]), so a worker's queue empties quickly; still, one person's
/// burst must never fill it, as a full queue would hold up the updates of everyone else.
const WORKER_QUEUE: usize = 64;
/// How often a stop signal that came while the bot was still connecting is passed on.
const DRAIN_POLL: Duration = Duration::from_millis(20);

/// Replaces the default panic message, which could quote what someone wrote (a failed slice
/// prints the string) and is written past the token-scrubbing logger, by a log line with the
/// place of the panic only. Handlers' panics are then caught in `handlers::guarded`. `main`
/// installs it before the bot starts.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let place = info.location().map_or_else(
            || "an unknown place".to_string(),
            |l| format!("{}:{}", l.file(), l.line()),
        );
        log::error!("panic at {place} (its message is not logged: it may quote a message)");
    }));
}

/// Logs handler and listener errors without the token or any message content.
struct QuietErrors(&'static str);

impl<E> ErrorHandler<E> for QuietErrors
where
    E: std::fmt::Debug + Send + 'static,
{
    fn handle_error(self: Arc<Self>, error: E) -> futures_util::future::BoxFuture<'static, ()> {
        // Our handlers' errors are `RequestError`s, described without URLs; anything else is
        // described by its type only.
        let text = format!("{error:?}");
        let kind = text.split(['(', ' ', '{']).next().unwrap_or("error").to_string();
        let what = self.0;
        crate::ops::metrics::health().receive_failed(&kind);
        Box::pin(async move {
            log::warn!("{what}: {kind}");
        })
    }
}

/// Logs a handler error (a boxed `RequestError` or other) safely.
fn describe(error: &HandlerError) -> String {
    match error.downcast_ref::<RequestError>() {
        Some(e) => redact(e),
        None => "internal error".to_string(),
    }
}

struct HandlerErrors;

impl ErrorHandler<HandlerError> for HandlerErrors {
    fn handle_error(
        self: Arc<Self>,
        error: HandlerError,
    ) -> futures_util::future::BoxFuture<'static, ()> {
        let text = describe(&error);
        Box::pin(async move {
            log::error!("handling an update failed: {text}");
        })
    }
}

/// Asks Telegram who the bot is, retrying with back-off (teloxide's own start-up panics when
/// this first request fails).
async fn wait_for_telegram<R>(bot: &R) -> Result<(), RunError>
where
    R: Requester<Err = RequestError>,
{
    let mut delay = Duration::from_millis(500);
    let mut attempt = 1u32;
    loop {
        match bot.get_me().await {
            Ok(_) => {
                crate::ops::metrics::health().reached();
                return Ok(());
            }
            Err(RequestError::Api(teloxide::ApiError::InvalidToken)) => {
                return Err(RunError::InvalidToken)
            }
            Err(e) => {
                log::warn!("cannot reach the Telegram Bot API (attempt {attempt}): {}; retrying in {delay:?}", redact(&e));
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(30));
                attempt += 1;
            }
        }
    }
}

/// teloxide's HTTP client settings (timeouts, no Nagle), with rustls whatever other TLS
/// backends the build has, and the proxy of `TELOXIDE_PROXY` (an error, not a panic, when
/// unusable).
fn http_client(config: &Config) -> Result<reqwest::Client, RunError> {
    let mut builder = teloxide::net::default_reqwest_settings().use_rustls_tls();
    if let Some(proxy) = &config.proxy {
        let proxy = reqwest::Proxy::all(proxy.url().as_str()).map_err(|_| {
            RunError::HttpClient("TELOXIDE_PROXY is not a proxy URL reqwest can use")
        })?;
        builder = builder.proxy(proxy);
    }
    // Errors here name no URL: the proxy's may hold a password.
    builder.build().map_err(|_| RunError::HttpClient("the TLS or proxy settings were refused"))
}

/// Runs the bot until it is asked to stop (SIGINT or SIGTERM); `gaps` keeps unanswered
/// questions, if set. Updates are kept in the journal at `config.state_path` until answered;
/// those left by an earlier run are answered first. A stop waits for the replies already
/// queued, up to `config.stop_timeout`; what is not sent by then stays in the journal, and
/// the result says how much.
///
/// With `REDIS_URL`, the journal, the pacing and what people chose are shared with the other
/// replicas in Redis (see `ops::store`), and `STATE_PATH` is not used.
pub async fn run(config: Config, engine: Engine, gaps: Option<GapLog>) -> Result<(), RunError> {
    let replicated = config.redis.is_some();
    let (journal, shared) = match &config.redis {
        None => (open_journal(&config).await?, None),
        Some(url) => {
            let store =
                Store::open(url.url().as_str(), config.token.bot_id()).map_err(RunError::Store)?;
            log::info!(
                "sharing the journal, pacing and people's choices in Redis at {}; this replica is {}",
                url.url().host_str().unwrap_or("?"),
                store.replica()
            );
            let redis = RedisJournal::start(store.clone());
            let shared: Arc<dyn SharedJournal> = redis.clone();
            (JournalHandle::shared(shared), Some((store, redis)))
        }
    };
    // The journal's size, for `/metrics`: updates received and not yet answered.
    tokio::spawn({
        let journal = journal.clone();
        async move {
            let mut every = tokio::time::interval(Duration::from_secs(1));
            loop {
                every.tick().await;
                let unfinished = i64::try_from(journal.unfinished()).unwrap_or(i64::MAX);
                crate::ops::metrics::metrics().journal_updates.set(unfinished);
            }
        }
    });
    let stop = CancellationToken::new();
    tokio::spawn({
        let stop = stop.clone();
        async move {
            wait_for_stop_signal().await;
            log::info!("stop signal received; finishing the updates in progress");
            crate::ops::metrics::health().stopping();
            stop.cancel();
        }
    });
    // Service managers wait a few seconds before killing: stop within them, whatever an
    // in-flight request does.
    let stop_timeout = config.stop_timeout;
    let deadline = async {
        stop.cancelled().await;
        tokio::time::sleep(stop_timeout).await;
    };
    let left = tokio::select! {
        result = serve(config, engine, gaps, journal.clone(), shared, stop.clone()) => {
            result?;
            journal.unfinished()
        }
        // From here on nothing is forgotten: what is not finished is answered after the restart.
        () = deadline => journal.hold(),
    };
    journal.flush().await;
    if left > 0 {
        let after = if replicated {
            "left in Redis, another replica answers them"
        } else {
            "kept in the journal, answered after the restart"
        };
        log::warn!("{left} update(s) not answered within STOP_TIMEOUT ({stop_timeout:?}): {after}");
        return Err(RunError::Unfinished(left));
    }
    log::info!("stopped");
    Ok(())
}

/// The journal in the SQLite file at `STATE_PATH`, on its own thread.
async fn open_journal(config: &Config) -> Result<JournalHandle, RunError> {
    let path = config.state_path.clone();
    let store = tokio::task::spawn_blocking(move || SqliteJournal::open(&path))
        .await
        .map_err(|_| RunError::Journal("opening it failed".into()))?
        .map_err(|e| RunError::Journal(e.to_string()))?;
    JournalHandle::spawn(Box::new(store))
        .map_err(|e| RunError::Journal(format!("cannot start its thread: {e}")))
}

async fn serve(
    config: Config,
    engine: Engine,
    gaps: Option<GapLog>,
    journal: JournalHandle,
    shared_store: Option<(Store, Arc<RedisJournal>)>,
    stop: CancellationToken,
) -> Result<(), RunError> {
    // Before anything that can take time: SIGHUP's default action ends the process, and an
    // operator may send it while the bot is still connecting. Once listened for, a SIGHUP
    // that arrives early is kept and handled when the bot is up.
    #[cfg(unix)]
    let hangups = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(s) => Some(s),
        Err(e) => {
            log::warn!("cannot listen for SIGHUP ({e}); reload with /reload instead");
            None
        }
    };
    let client = http_client(&config)?;
    let mut bot = Bot::with_client(config.token.expose(), client);
    if let Some(url) = config.api_url.clone() {
        bot = bot.set_api_url(url);
    }
    if let Some(addr) = config.metrics_listen {
        crate::ops::metrics::serve(crate::ops::metrics::bind(addr).await.map_err(RunError::Setup)?);
        crate::ops::metrics::spawn_probe(bot.clone());
    }
    tokio::select! {
        result = wait_for_telegram(&bot) => result?,
        // Not dispatching yet (still connecting): nothing to finish.
        () = stop.cancelled() => return Ok(()),
    }
    log::info!(
        "connected to the Bot API; serving {} topics in {} languages",
        engine.faq.topics.len(),
        engine.faq.languages.len()
    );
    // No `Throttle`: it retries a 429 without limit and freezes the whole bot meanwhile.
    // `send::send_paced` paces messages itself and retries with caps.
    register_commands(&bot, &engine).await;

    log::info!(
        "{} operator(s) in ADMIN_IDS; keeping unanswered questions: {}",
        config.admin_ids.len(),
        gaps.as_ref()
            .map_or_else(|| "off".to_string(), |g| format!("on, for {} days", g.retention_days()))
    );
    let operators =
        Operators { admin_ids: config.admin_ids.clone(), faq_path: Some(config.faq_path), gaps };
    let (store, redis) = shared_store.unzip();
    let shared = Shared::with_store(engine, operators, store.clone());
    if let Some(store) = &store {
        // `/reload` sent to another replica.
        let shared = shared.clone();
        store.on_reload(stop.clone(), move || {
            let shared = shared.clone();
            async move {
                let _ = reload(shared, "/reload (sent to another replica)").await;
            }
        });
    }
    {
        let shared = shared.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(FORGET_EVERY);
            loop {
                every.tick().await;
                shared.forget_idle_chats();
                // What a burst, a reload or the start left free goes back to the system.
                crate::ops::memory::release_free_memory();
            }
        });
    }
    #[cfg(unix)]
    if let Some(mut hangups) = hangups {
        let (shared, bot) = (shared.clone(), bot.clone());
        tokio::spawn(async move {
            while hangups.recv().await.is_some() {
                if reload(shared.clone(), "SIGHUP").await.is_ok() {
                    register_commands(&bot, &shared.engine()).await;
                }
            }
        });
    }
    let log_text = crate::ops::log_text_from_env();
    if log_text {
        log::warn!("LOG_MESSAGE_TEXT=1: question texts are logged at debug level");
    }
    shared.set_log_text(log_text);
    let intake = Intake::new(journal.clone());
    let mut dispatcher = Dispatcher::builder(bot.clone(), handler_tree::<Bot>())
        .dependencies(dptree::deps![shared.clone(), intake.clone()])
        // Edited messages, channel posts, group chatter not meant for the bot: left quietly.
        .default_handler(|_| async {})
        .error_handler(Arc::new(HandlerErrors))
        .worker_queue_size(WORKER_QUEUE)
        .build();

    // Webhook mode when WEBHOOK_URL is set: Telegram posts the updates, nothing polls.
    let webhook = match &config.webhook {
        None => None,
        Some(w) => tokio::select! {
            feed = super::webhook::start(&bot, w, journal.clone(), redis, stop.clone()) => Some(feed?),
            () = stop.cancelled() => return Ok(()),
        },
    };
    let token = dispatcher.shutdown_token();
    tokio::spawn(async move {
        stop.cancelled().await;
        // Until the dispatcher runs, shutting it down fails: try again shortly.
        loop {
            match token.shutdown() {
                Ok(done) => break done.await,
                Err(_not_yet) => tokio::time::sleep(DRAIN_POLL).await,
            }
        }
    });

    // What an earlier run left unanswered comes first.
    let replay = replayed(&journal).await;
    // That run may have used these chats' bursts just before it stopped: pace their replies
    // from the first one on, as Telegram still counts what it sent.
    let now = tokio::time::Instant::now();
    for chat in replay.iter().filter_map(Update::chat) {
        shared.gate.hold(chat.id.0, now);
    }
    // The dispatcher asks `getMe` again before listening; should Telegram fail just then, wait
    // and start listening again rather than stop.
    loop {
        if let Some(feed) = &webhook {
            let errors = Arc::new(QuietErrors("receiving posted updates failed"));
            match dispatcher
                .try_dispatch_with_listener(feed.listener(replay.clone(), intake.clone()), errors)
                .await
            {
                Ok(()) => break,
                Err(e) => {
                    log::warn!("starting to listen failed: {}; retrying", redact(&e));
                    wait_for_telegram(&bot).await?;
                    continue;
                }
            }
        }
        let listener = JournaledPolling::new(bot.clone(), intake.clone(), replay.clone());
        let errors = Arc::new(QuietErrors("getting updates failed"));
        match dispatcher.try_dispatch_with_listener(listener, errors).await {
            Ok(()) => break,
            Err(e) => {
                log::warn!("starting to listen failed: {}; retrying", redact(&e));
                wait_for_telegram(&bot).await?;
            }
        }
    }
    // The handlers are done; their replies may still wait for their turn (STOP_TIMEOUT holds).
    shared.senders.close();
    shared.senders.wait().await;
    Ok(())
}

/// Waits for SIGINT (Ctrl-C) or SIGTERM (what service managers send).
async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

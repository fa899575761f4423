//! Purpose: run the Telegram bot: build the client from the configuration, register the
//! command menus, and dispatch updates until SIGINT or SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use teloxide::adaptors::throttle::Limits;
use teloxide::dispatching::Dispatcher;
use teloxide::error_handlers::ErrorHandler;
use teloxide::prelude::*;
use teloxide::RequestError;

use crate::config::Config;
use crate::reply::Engine;
use crate::telegram::{self, redact, HandlerError, Shared};

/// How long a stop may take before the process exits regardless.
const STOP_DEADLINE: Duration = Duration::from_millis(4500);

/// Logs handler and listener errors without the token or any message content.
struct QuietErrors(&'static str);

impl<E> ErrorHandler<E> for QuietErrors
where
    E: std::fmt::Debug + Send + 'static,
{
    fn handle_error(self: Arc<Self>, error: E) -> futures::future::BoxFuture<'static, ()> {
        // Our handlers' errors are `RequestError`s, described without URLs; anything else is
        // described by its type only.
        let text = format!("{error:?}");
        let kind = text.split(['(', ' ', '{']).next().unwrap_or("error").to_string();
        let what = self.0;
        Box::pin(async move {
            log::error!("{what}: {kind}");
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
    ) -> futures::future::BoxFuture<'static, ()> {
        let text = describe(&error);
        Box::pin(async move {
            log::error!("handling an update failed: {text}");
        })
    }
}

/// Asks Telegram who the bot is, retrying with back-off (teloxide's own start-up panics when
/// this first request fails).
async fn wait_for_telegram<R>(bot: &R)
where
    R: Requester<Err = RequestError>,
{
    let mut delay = Duration::from_millis(500);
    let mut attempt = 1u32;
    loop {
        match bot.get_me().await {
            Ok(_) => return,
            Err(RequestError::Api(teloxide::ApiError::InvalidToken)) => {
                log::error!("Telegram rejected TELOXIDE_TOKEN (invalid token); check the token from @BotFather");
                std::process::exit(2);
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

/// Runs the bot until it is asked to stop.
pub async fn run(config: Config, engine: Engine) {
    let client = teloxide::net::client_from_env();
    let mut bot = Bot::with_client(config.token.expose(), client);
    if let Some(url) = config.api_url.clone() {
        bot = bot.set_api_url(url);
    }
    wait_for_telegram(&bot).await;
    log::info!(
        "connected to the Bot API; serving {} topics in {} languages",
        engine.faq.topics.len(),
        engine.faq.languages.len()
    );
    let bot = bot.throttle(Limits::default());
    telegram::register_commands(&bot, &engine).await;

    let shared = Shared::new(engine);
    let log_text = std::env::var("LOG_MESSAGE_TEXT").is_ok_and(|v| v.trim() == "1");
    if log_text {
        log::warn!("LOG_MESSAGE_TEXT=1: question texts are logged at debug level");
    }
    shared.set_log_text(log_text);
    let mut dispatcher = Dispatcher::builder(
        bot.clone(),
        telegram::handler_tree::<teloxide::adaptors::Throttle<Bot>>(),
    )
    .dependencies(dptree::deps![shared.clone()])
    .default_handler(|_| async {})
    .error_handler(Arc::new(HandlerErrors))
    .build();

    let token = dispatcher.shutdown_token();
    tokio::spawn(async move {
        wait_for_stop_signal().await;
        log::info!("stop signal received; finishing the updates in progress");
        // Service managers wait a few seconds before killing: stop within them, whatever an
        // in-flight request does.
        tokio::spawn(async {
            tokio::time::sleep(STOP_DEADLINE).await;
            log::warn!("updates still in progress after {STOP_DEADLINE:?}; exiting");
            std::process::exit(0);
        });
        match token.shutdown() {
            Ok(done) => done.await,
            // Not dispatching yet (still connecting): nothing to finish.
            Err(_) => std::process::exit(0),
        }
    });

    // The dispatcher asks `getMe` again before listening; should Telegram fail just then, wait
    // and start listening again rather than stop.
    loop {
        let listener = teloxide::update_listeners::polling_default(bot.clone()).await;
        let errors = Arc::new(QuietErrors("getting updates failed"));
        match dispatcher.try_dispatch_with_listener(listener, errors).await {
            Ok(()) => break,
            Err(e) => {
                log::warn!("starting to listen failed: {}; retrying", redact(&e));
                wait_for_telegram(&bot).await;
            }
        }
    }
    log::info!("stopped");
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

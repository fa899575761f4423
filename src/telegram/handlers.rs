//! Purpose: the endpoints of the handler tree: commands, questions, button taps and operator
//! commands, each guarded against panics and floods.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use futures_util::FutureExt;

use teloxide::prelude::*;
use teloxide::types::{ChatId, MaybeInaccessibleMessage, Me};

use super::pacing::Verdict;
use crate::reply::{Action, Engine, LangHints};

use super::address::without_mention;
use super::commands::{Command, OperatorCommand};
use super::menus::register_commands;
use super::pacing::unix_now;
use super::send::{chat_tag, deliver, redact};
use super::state::{operator_reply, reload, Shared};
use super::*;

/// The language to use for a person when their message does not tell.
async fn hinted_language(
    engine: &Engine,
    shared: &Shared,
    user: Option<&teloxide::types::User>,
) -> String {
    let chosen = shared.chosen_language(user.map(|u| u.id)).await;
    let client = user.and_then(|u| u.language_code.as_deref());
    engine.fallback_language(LangHints { chosen: chosen.as_deref(), client })
}

/// Runs a handler's work, catching a panic in it: the person gets the apology from faq.json,
/// and the chat's worker lives on to serve the next message (an uncaught panic would take the
/// dispatcher down, teloxide issue #1435). The panic's message is not logged: it may quote
/// what someone wrote (see the panic hook in `bot.rs`).
async fn guarded<R, F>(
    bot: &R,
    shared: &Arc<Shared>,
    chat: Option<ChatId>,
    user: Option<&teloxide::types::User>,
    work: F,
) -> HandlerResult
where
    R: TelegramApi,
    F: Future<Output = HandlerResult> + Send,
{
    match AssertUnwindSafe(work).catch_unwind().await {
        Ok(result) => result,
        Err(_) => {
            let Some(chat) = chat else {
                log::error!("handling an update panicked");
                return Ok(());
            };
            log::error!("handling an update of chat {} panicked; apologising", chat_tag(chat));
            let engine = shared.engine();
            let lang = hinted_language(&engine, shared, user).await;
            deliver(bot, shared, chat, engine.error(&lang));
            Ok(())
        }
    }
}

/// Which flood limit an update counts toward.
#[derive(Clone, Copy)]
enum Flow {
    /// Messages and commands.
    Messages,
    /// Button taps: a person reading through the topics taps quickly, so they have a limit of
    /// their own, far above human pace.
    Taps,
}

/// Applies the per-person flood limit to an update received at `date` (Unix seconds): whether
/// to answer it. The limit is per person, also in groups, so one member's flood never mutes
/// the bot for the others. The first update over the limit gets the calm notice of faq.json
/// (`too_many`), later ones nothing until the person slows down.
async fn within_limit<R>(
    bot: &R,
    shared: &Arc<Shared>,
    chat: ChatId,
    user: Option<&teloxide::types::User>,
    date: i64,
    flow: Flow,
) -> bool
where
    R: TelegramApi,
{
    let (limiter, kind) = match flow {
        Flow::Messages => (&shared.incoming, "msg"),
        Flow::Taps => (&shared.taps, "tap"),
    };
    // A user id when there is one (the same as the chat id in a private chat).
    let person = user.and_then(|u| i64::try_from(u.id.0).ok()).unwrap_or(chat.0);
    match limiter.check_shared(shared.store(), kind, person, date).await {
        Verdict::Answer => true,
        Verdict::Notice => {
            log::info!("chat {} is over the flood limit: notice sent", chat_tag(chat));
            let engine = shared.engine();
            let lang = hinted_language(&engine, shared, user).await;
            deliver(bot, shared, chat, engine.too_many(&lang));
            false
        }
        Verdict::Ignore => {
            log::info!("chat {} is over the flood limit: left unanswered", chat_tag(chat));
            false
        }
    }
}

/// The per-person flood limit on messages and commands, a filter of the handler tree in front
/// of every message handler (see `schema.rs`): false when the message is over the limit, after
/// the one calm notice.
pub(super) async fn message_within_limit<R>(bot: R, msg: Message, shared: Arc<Shared>) -> bool
where
    R: TelegramApi,
{
    let (chat, user, date) = (msg.chat.id, msg.from.as_ref(), msg.date.timestamp());
    within_limit(&bot, &shared, chat, user, date, Flow::Messages).await
}

/// Test hook, compiled into debug builds only (what `cargo test` runs), never into a release
/// build: when `FAQBOT_TEST_PANIC_ON` is set and a message's text equals it, the handler
/// panics, quoting the text as a careless slice or `unwrap` would. `tests/resilience.rs` uses it
/// to check that a panic is caught, answered with an apology, and kept out of the logs.
#[cfg(debug_assertions)]
fn test_hook_panic(text: &str) {
    static TRIGGER: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let trigger = TRIGGER
        .get_or_init(|| std::env::var("FAQBOT_TEST_PANIC_ON").ok().filter(|t| !t.is_empty()));
    if trigger.as_deref() == Some(text) {
        panic!("test hook FAQBOT_TEST_PANIC_ON: panicking on {text:?}");
    }
}

pub(super) async fn on_command<R>(
    bot: R,
    msg: Message,
    cmd: Command,
    shared: Arc<Shared>,
) -> HandlerResult
where
    R: TelegramApi,
{
    let work = async {
        let engine = shared.engine();
        let lang = hinted_language(&engine, &shared, msg.from.as_ref()).await;
        log::info!(
            "chat {}: command /{}",
            chat_tag(msg.chat.id),
            format!("{cmd:?}").to_lowercase()
        );
        let reply = engine.command(cmd.into(), &lang);
        deliver(&bot, &shared, msg.chat.id, reply);
        Ok(())
    };
    guarded(&bot, &shared, Some(msg.chat.id), msg.from.as_ref(), work).await
}

pub(super) async fn on_message<R>(
    bot: R,
    msg: Message,
    me: Me,
    shared: Arc<Shared>,
) -> HandlerResult
where
    R: TelegramApi,
{
    let work = async {
        let engine = shared.engine();
        let hinted = hinted_language(&engine, &shared, msg.from.as_ref()).await;
        let tag = chat_tag(msg.chat.id);
        let reply = match msg.text() {
            Some(text) if text.trim_start().starts_with('/') => {
                log::info!("chat {tag}: unknown command");
                engine.unknown_command(&hinted)
            }
            Some(text) => {
                #[cfg(debug_assertions)]
                test_hook_panic(text);
                let text = if msg.chat.is_private() {
                    text.to_string()
                } else {
                    without_mention(text, msg.entities().unwrap_or_default(), &me)
                };
                let chosen = shared.chosen_language(msg.from.as_ref().map(|u| u.id)).await;
                let client = msg.from.as_ref().and_then(|u| u.language_code.clone());
                // Off the runtime thread: no message, however costly, holds up anyone else.
                let (reply, m) =
                    super::offload::ask(&engine, &text, chosen.clone(), client).await?;
                // The language someone writes in sticks: their commands and taps that follow
                // are answered in it too, until they write in another or choose with /language.
                if let (Some(user), Some(written)) = (msg.from.as_ref(), &m.language) {
                    if chosen.as_ref() != Some(written) {
                        shared.choose_language(user.id, written.clone()).await;
                    }
                }
                shared.record_outcome(&m.outcome, &engine);
                crate::ops::metrics::metrics().count_question(&m.outcome, &engine.faq);
                shared.keep_gap(&engine, &text, &m, &reply.language);
                log::info!(
                    "chat {tag}: question: language {}, outcome {}, score {:.2}",
                    reply.language,
                    m.outcome.name(&engine.faq),
                    m.score()
                );
                if shared.log_text.load(Ordering::Relaxed) {
                    log::debug!("question text: {text:?}");
                }
                reply
            }
            None => {
                log::info!("chat {tag}: non-text message");
                engine.not_text(&hinted)
            }
        };
        deliver(&bot, &shared, msg.chat.id, reply);
        Ok(())
    };
    guarded(&bot, &shared, Some(msg.chat.id), msg.from.as_ref(), work).await
}

/// An operator command: carried out for an operator in a private chat; anyone else, or any
/// group, gets the unknown-command reply, exactly as for a command that does not exist.
pub(super) async fn on_operator_command<R>(
    bot: R,
    msg: Message,
    cmd: OperatorCommand,
    shared: Arc<Shared>,
) -> HandlerResult
where
    R: TelegramApi,
{
    let work = async {
        let tag = chat_tag(msg.chat.id);
        let name = format!("{cmd:?}").to_lowercase();
        // Private chats only: the replies name files on the server, not for a group to read.
        if !msg.chat.is_private() || !shared.is_operator(msg.from.as_ref()) {
            log::info!("chat {tag}: operator command /{name} refused: not an operator");
            let engine = shared.engine();
            let lang = hinted_language(&engine, &shared, msg.from.as_ref()).await;
            deliver(&bot, &shared, msg.chat.id, engine.unknown_command(&lang));
            return Ok(());
        }
        log::info!("chat {tag}: operator command /{name}");
        let text = match cmd {
            OperatorCommand::Stats => shared.stats_text().await,
            OperatorCommand::Reload => match reload_everywhere(&shared).await {
                Ok(summary) => {
                    // The command menus' descriptions come from faq.json too.
                    register_commands(&bot, &shared.engine()).await;
                    summary
                }
                Err(errors) => errors,
            },
        };
        deliver(&bot, &shared, msg.chat.id, operator_reply(&text));
        Ok(())
    };
    guarded(&bot, &shared, Some(msg.chat.id), msg.from.as_ref(), work).await
}

/// `/reload`: reloads here, and asks the other replicas (if any) to reload too; each keeps
/// its FAQ if the file is invalid.
async fn reload_everywhere(shared: &Arc<Shared>) -> Result<String, String> {
    let result = reload(shared.clone(), "/reload").await;
    let Some(store) = shared.store() else { return result };
    let note = match store.publish_reload().await {
        Ok(()) => "\nThe other replicas were asked to reload too.".to_string(),
        Err(e) => format!(
            "\nThe other replicas could not be asked to reload ({}): send them SIGHUP.",
            crate::ops::store::why(&e)
        ),
    };
    match result {
        Ok(summary) => Ok(summary + &note),
        Err(errors) => Err(errors + &note),
    }
}

pub(super) async fn on_callback<R>(bot: R, q: CallbackQuery, shared: Arc<Shared>) -> HandlerResult
where
    R: TelegramApi,
{
    let chat = match &q.message {
        Some(MaybeInaccessibleMessage::Regular(m)) => Some(m.chat.id),
        Some(MaybeInaccessibleMessage::Inaccessible(m)) => Some(m.chat.id),
        None => None,
    };
    let work = async {
        let engine = shared.engine();
        let lang = hinted_language(&engine, &shared, Some(&q.from)).await;
        let result = engine.callback(q.data.as_deref(), &lang);
        if let Some(code) = &result.chosen_language {
            shared.choose_language(q.from.id, code.clone()).await;
        }
        if result.reply.is_some() {
            if let Some(Action::Topic(id)) = q.data.as_deref().and_then(Action::decode) {
                if engine.faq.topic(&id).is_some() {
                    shared.record_tap(&id);
                }
            }
        }
        crate::ops::metrics::metrics().button_taps.inc();
        log::info!(
            "button tap: {}",
            if result.notice.is_some() && result.chosen_language.is_none() {
                "stale"
            } else {
                "ok"
            }
        );
        // Always answer the query, so the client stops its spinner, whatever else fails.
        let mut answer = bot.answer_callback_query(q.id.clone());
        if let Some(notice) = &result.notice {
            answer = answer
                .text(notice.chars().take(crate::faq::CALLBACK_ANSWER_LIMIT).collect::<String>());
        }
        if let Err(e) = answer.await {
            log::warn!("answering a button tap failed: {}", redact(&e));
        }
        if let (Some(chat), Some(reply)) = (chat, result.reply) {
            if within_limit(&bot, &shared, chat, Some(&q.from), unix_now(), Flow::Taps).await {
                deliver(&bot, &shared, chat, reply);
            }
        }
        Ok(())
    };
    guarded(&bot, &shared, chat, Some(&q.from), work).await
}

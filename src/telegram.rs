//! Purpose: the Telegram adapter: the handler tree that turns updates into calls of the core
//! ([`Engine`]) and sends its replies, within Telegram's limits and without logging anyone's
//! words or identity.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::types::{
    BotCommand, ChatId, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions,
    MaybeInaccessibleMessage, Me, MessageEntityKind, ParseMode, UserId,
};
use teloxide::utils::command::BotCommands;
use teloxide::RequestError;

use crate::reply::{Engine, LangHints, Reply};

/// The error type of handlers.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync + 'static>;
type HandlerResult = Result<(), HandlerError>;

/// The bot's commands. Descriptions shown to users come from faq.json (per language); these
/// doc comments are for developers.
#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// Greeting and topics.
    Start,
    /// How to use the bot.
    Help,
    /// The list of topics.
    Topics,
    /// Who can help.
    Contacts,
    /// Choose the language.
    Language,
}

/// State shared by all handlers: the engine (replaceable on reload) and each person's chosen
/// language, the only thing the bot keeps about anyone.
pub struct Shared {
    engine: RwLock<Arc<Engine>>,
    chosen: Mutex<HashMap<UserId, String>>,
    /// Whether question texts may be logged at debug level (`LOG_MESSAGE_TEXT=1`).
    log_text: AtomicBool,
}

impl Shared {
    /// Wraps an engine.
    #[must_use]
    pub fn new(engine: Engine) -> Arc<Shared> {
        Arc::new(Shared {
            engine: RwLock::new(Arc::new(engine)),
            chosen: Mutex::new(HashMap::new()),
            log_text: AtomicBool::new(false),
        })
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

    fn chosen_language(&self, user: Option<UserId>) -> Option<String> {
        let user = user?;
        self.chosen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&user).cloned()
    }

    fn choose_language(&self, user: UserId, lang: String) {
        self.chosen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(user, lang);
    }
}

/// The language to use for a person when their message does not tell.
fn hinted_language(
    engine: &Engine,
    shared: &Shared,
    user: Option<&teloxide::types::User>,
) -> String {
    let chosen = shared.chosen_language(user.map(|u| u.id));
    let client = user.and_then(|u| u.language_code.as_deref());
    engine.fallback_language(LangHints { chosen: chosen.as_deref(), client })
}

/// Builds the inline keyboard of a reply.
#[must_use]
pub fn keyboard(reply: &Reply) -> Option<InlineKeyboardMarkup> {
    if reply.buttons.is_empty() {
        return None;
    }
    let rows = reply
        .buttons
        .iter()
        .map(|row| {
            row.iter()
                .map(|b| InlineKeyboardButton::callback(b.label.clone(), b.action.encode()))
                .collect()
        })
        .collect::<Vec<Vec<_>>>();
    Some(InlineKeyboardMarkup::new(rows))
}

/// How often a failed send is tried again, and the longest wait Telegram may ask for.
const SEND_ATTEMPTS: u32 = 5;
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Whether an error is worth another attempt, and after how long.
fn retry_delay(error: &RequestError, attempt: u32) -> Option<Duration> {
    match error {
        RequestError::RetryAfter(secs) => Some(secs.duration().min(MAX_RETRY_AFTER)),
        RequestError::Network(_) | RequestError::Io(_) => {
            Some(Duration::from_millis(500 << attempt.min(5)))
        }
        RequestError::Api(teloxide::ApiError::Unknown(_)) => {
            Some(Duration::from_millis(500 << attempt.min(5)))
        }
        _ => None,
    }
}

/// Sends a reply (split within Telegram's length limit), retrying failures with bounded
/// back-off. Errors are logged without the chat or text.
pub async fn send_reply<R>(bot: &R, chat: ChatId, reply: &Reply) -> Result<(), RequestError>
where
    R: Requester<Err = RequestError>,
    R::SendMessage: Send,
    R::AnswerCallbackQuery: Send,
    R::SetMyCommands: Send,
{
    let chunks = reply.telegram_chunks();
    let last = chunks.len().saturating_sub(1);
    for (i, chunk) in chunks.iter().enumerate() {
        let mut attempt = 0;
        loop {
            let mut request = bot
                .send_message(chat, chunk.clone())
                .parse_mode(ParseMode::Html)
                .link_preview_options(LinkPreviewOptions {
                    is_disabled: true,
                    url: None,
                    prefer_small_media: false,
                    prefer_large_media: false,
                    show_above_text: false,
                });
            if i == last {
                if let Some(markup) = keyboard(reply) {
                    request = request.reply_markup(markup);
                }
            }
            match request.await {
                Ok(_) => break,
                Err(e) => {
                    attempt += 1;
                    match retry_delay(&e, attempt) {
                        Some(delay) if attempt < SEND_ATTEMPTS => {
                            log::warn!(
                                "sending a reply failed (attempt {attempt}): {}; retrying",
                                redact(&e)
                            );
                            tokio::time::sleep(delay).await;
                        }
                        _ => {
                            log::error!(
                                "a reply could not be delivered after {attempt} attempt(s): {}",
                                redact(&e)
                            );
                            return Err(e);
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// Describes an error without anything that could carry the bot token (URLs of network
/// errors contain it).
#[must_use]
pub fn redact(e: &RequestError) -> String {
    match e {
        RequestError::Network(inner) => {
            let kind = if inner.is_timeout() {
                "timeout"
            } else if inner.is_connect() {
                "connection failed"
            } else {
                "network error"
            };
            format!("network error ({kind})")
        }
        RequestError::Io(inner) => format!("I/O error ({})", inner.kind()),
        RequestError::Api(api) => format!("Telegram API error: {api}"),
        RequestError::RetryAfter(s) => format!("rate limited, retry after {}s", s.seconds()),
        RequestError::MigrateToChatId(_) => "chat migrated to a supergroup".to_string(),
        RequestError::InvalidJson { .. } => "invalid JSON in Telegram's answer".to_string(),
    }
}

/// Whether a message is meant for the bot: any private message; in groups, commands, messages
/// that mention the bot, and replies to the bot's messages.
fn is_addressed(msg: &Message, me: &Me) -> bool {
    if msg.chat.is_private() {
        return true;
    }
    let username = me.user.username.as_deref().unwrap_or_default();
    if let Some(reply) = msg.reply_to_message() {
        if reply.from.as_ref().is_some_and(|u| u.id == me.user.id) {
            return true;
        }
    }
    // A command for this bot: `/help@this_bot`, or one of our commands without a name
    // (`/help`); not `/help@other_bot`, and not another bot's unnamed command.
    if let Some(command) = msg.text().and_then(|t| t.strip_prefix('/')) {
        let word = command.split_whitespace().next().unwrap_or_default();
        return match word.split_once('@') {
            Some((_, name)) => name.eq_ignore_ascii_case(username),
            None => Command::parse(&format!("/{word}"), username).is_ok(),
        };
    }
    let Some(entities) = msg.parse_entities().or_else(|| msg.parse_caption_entities()) else {
        return false;
    };
    entities.iter().any(|e| match e.kind() {
        MessageEntityKind::Mention => {
            e.text().trim_start_matches('@').eq_ignore_ascii_case(username)
        }
        MessageEntityKind::TextMention { user } => user.id == me.user.id,
        _ => false,
    })
}

/// Removes the bot's @mention from a group message.
fn without_mention(text: &str, me: &Me) -> String {
    match me.user.username.as_deref() {
        Some(name) => {
            let mention = format!("@{name}");
            let lower = text.to_lowercase();
            match lower.find(&mention.to_lowercase()) {
                Some(i) if lower.len() == text.len() => {
                    format!("{}{}", &text[..i], &text[i + mention.len()..])
                }
                _ => text.to_string(),
            }
        }
        None => text.to_string(),
    }
}

/// The whole handler tree. Generic over the requester so that the production bot (with
/// `Throttle`) and tests (a plain `Bot` against a fake server) run the same tree.
#[must_use]
pub fn handler_tree<R>() -> UpdateHandler<HandlerError>
where
    R: Requester<Err = RequestError> + Clone + Send + Sync + 'static,
    R::SendMessage: Send,
    R::AnswerCallbackQuery: Send,
    R::SetMyCommands: Send,
{
    let messages = Update::filter_message()
        .filter(|msg: Message, me: Me| is_addressed(&msg, &me))
        .branch(
            dptree::filter_map(|msg: Message, me: Me| {
                let name = me.user.username.clone().unwrap_or_default();
                msg.text().and_then(|t| Command::parse(t, &name).ok())
            })
            .endpoint(on_command::<R>),
        )
        .endpoint(on_message::<R>);
    let callbacks = Update::filter_callback_query().endpoint(on_callback::<R>);
    dptree::entry().branch(messages).branch(callbacks)
}

async fn on_command<R>(bot: R, msg: Message, cmd: Command, shared: Arc<Shared>) -> HandlerResult
where
    R: Requester<Err = RequestError>,
    R::SendMessage: Send,
    R::AnswerCallbackQuery: Send,
    R::SetMyCommands: Send,
{
    let engine = shared.engine();
    let lang = hinted_language(&engine, &shared, msg.from.as_ref());
    log::info!("command /{}", format!("{cmd:?}").to_lowercase());
    let reply = match cmd {
        Command::Start => engine.start(&lang),
        Command::Help => engine.help(&lang),
        Command::Topics => engine.topics(&lang),
        Command::Contacts => engine.contacts(&lang),
        Command::Language => engine.language_menu(&lang),
    };
    send_reply(&bot, msg.chat.id, &reply).await?;
    Ok(())
}

async fn on_message<R>(bot: R, msg: Message, me: Me, shared: Arc<Shared>) -> HandlerResult
where
    R: Requester<Err = RequestError>,
    R::SendMessage: Send,
    R::AnswerCallbackQuery: Send,
    R::SetMyCommands: Send,
{
    let engine = shared.engine();
    let hinted = hinted_language(&engine, &shared, msg.from.as_ref());
    let reply = match msg.text() {
        Some(text) if text.trim_start().starts_with('/') => {
            log::info!("unknown command");
            engine.unknown_command(&hinted)
        }
        Some(text) => {
            let text =
                if msg.chat.is_private() { text.to_string() } else { without_mention(text, &me) };
            let chosen = shared.chosen_language(msg.from.as_ref().map(|u| u.id));
            let client = msg.from.as_ref().and_then(|u| u.language_code.as_deref());
            let (reply, m) = engine.ask(&text, LangHints { chosen: chosen.as_deref(), client });
            log::info!(
                "question: language {}, outcome {}, score {:.2}",
                reply.language,
                crate::outcome_name(&m.outcome, &engine.faq),
                m.score()
            );
            if shared.log_text.load(Ordering::Relaxed) {
                log::debug!("question text: {text:?}");
            }
            reply
        }
        None => {
            log::info!("non-text message");
            engine.not_text(&hinted)
        }
    };
    send_reply(&bot, msg.chat.id, &reply).await?;
    Ok(())
}

async fn on_callback<R>(bot: R, q: CallbackQuery, shared: Arc<Shared>) -> HandlerResult
where
    R: Requester<Err = RequestError>,
    R::SendMessage: Send,
    R::AnswerCallbackQuery: Send,
    R::SetMyCommands: Send,
{
    let engine = shared.engine();
    let lang = hinted_language(&engine, &shared, Some(&q.from));
    let result = engine.callback(q.data.as_deref(), &lang);
    if let Some(code) = &result.chosen_language {
        shared.choose_language(q.from.id, code.clone());
    }
    log::info!(
        "button tap: {}",
        if result.notice.is_some() && result.chosen_language.is_none() { "stale" } else { "ok" }
    );
    // Always answer the query, so the client stops its spinner, whatever else fails.
    let mut answer = bot.answer_callback_query(q.id.clone());
    if let Some(notice) = &result.notice {
        answer =
            answer.text(notice.chars().take(crate::faq::CALLBACK_ANSWER_LIMIT).collect::<String>());
    }
    if let Err(e) = answer.await {
        log::warn!("answering a button tap failed: {}", redact(&e));
    }
    let chat = match &q.message {
        Some(MaybeInaccessibleMessage::Regular(m)) => Some(m.chat.id),
        Some(MaybeInaccessibleMessage::Inaccessible(m)) => Some(m.chat.id),
        None => None,
    };
    if let (Some(chat), Some(reply)) = (chat, &result.reply) {
        send_reply(&bot, chat, reply).await?;
    }
    Ok(())
}

/// The command menus (`setMyCommands`), one per language, descriptions from faq.json.
#[must_use]
pub fn command_menus(engine: &Engine) -> Vec<(Option<String>, Vec<BotCommand>)> {
    let faq = &engine.faq;
    faq.languages
        .iter()
        .enumerate()
        .map(|(i, lang)| {
            let commands = faq
                .commands
                .all()
                .iter()
                .map(|(name, desc)| BotCommand::new(*name, faq.pick(desc, lang)))
                .collect();
            // The default language's menu is also the one for every other client language.
            (if i == 0 { None } else { Some(lang.clone()) }, commands)
        })
        .collect()
}

/// Registers the command menus with Telegram; failures are logged, not fatal.
pub async fn register_commands<R>(bot: &R, engine: &Engine)
where
    R: Requester<Err = RequestError>,
    R::SendMessage: Send,
    R::AnswerCallbackQuery: Send,
    R::SetMyCommands: Send,
{
    for (lang, commands) in command_menus(engine) {
        let mut request = bot.set_my_commands(commands);
        if let Some(lang) = &lang {
            request = request.language_code(lang.clone());
        }
        if let Err(e) = request.await {
            log::warn!(
                "setting the command menu ({}) failed: {}",
                lang.as_deref().unwrap_or("default"),
                redact(&e)
            );
        }
    }
}

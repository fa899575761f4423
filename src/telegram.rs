//! Purpose: the Telegram adapter: the handler tree that turns updates into calls of the core
//! ([`Engine`]) and sends its replies, within Telegram's limits and without logging anyone's
//! words or identity.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::hash::BuildHasher;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use futures::FutureExt;

use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::types::{
    BotCommand, ChatId, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions,
    MaybeInaccessibleMessage, Me, MessageEntityKind, ParseMode, UserId,
};
use teloxide::utils::command::BotCommands;
use teloxide::RequestError;

use crate::faq::TELEGRAM_TEXT_LIMIT;
use crate::gaps::{Day, GapLog, Stats};
use crate::matcher::{Match, Outcome};
use crate::outbox::Outbox;
use crate::ratelimit::{IncomingLimiter, OutgoingGate, SendLimits, Verdict};
use crate::reply::{telegram_len, Action, Block, Engine, LangHints, Reply};

/// What the handlers need of a requester: teloxide's `Bot` when running, the mock bot of
/// teloxide_tests in tests.
pub trait TelegramApi:
    Requester<Err = RequestError, SendMessage: Send, AnswerCallbackQuery: Send, SetMyCommands: Send>
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<R> TelegramApi for R where
    R: Requester<
            Err = RequestError,
            SendMessage: Send,
            AnswerCallbackQuery: Send,
            SetMyCommands: Send,
        > + Clone
        + Send
        + Sync
        + 'static
{
}

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

/// Operator commands: honoured only in a private chat with a user listed in `ADMIN_IDS`;
/// anyone else gets the same reply as for any unknown command. They are never registered
/// with `setMyCommands`, so families never see them in the command menu.
#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum OperatorCommand {
    /// Reload the FAQ file; if it is invalid, keep serving the old one and show the errors.
    Reload,
    /// Counts of questions per topic, suggestions and fallbacks since the start.
    Stats,
}

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

/// State shared by all handlers: the engine (replaceable on reload), each person's chosen
/// language, and, for a few seconds, when each chat wrote and was written to (for the rate
/// limits). Besides that only counts of outcomes (for `/stats`) and, when an operator turns it
/// on, masked questions without any id (in the gaps file). Nothing else is kept about anyone.
pub struct Shared {
    engine: RwLock<Arc<Engine>>,
    chosen: Mutex<HashMap<UserId, String>>,
    incoming: IncomingLimiter,
    /// Paces the replies within Telegram's flood limits (one bot, one gate).
    gate: OutgoingGate,
    /// Whether question texts may be logged at debug level (`LOG_MESSAGE_TEXT=1`).
    log_text: AtomicBool,
    /// Whether handlers hand their replies to `outbox` and return (the running bot), rather
    /// than send them before returning (tests that inspect what a handler sent).
    background: AtomicBool,
    /// Replies waiting for their chat's turn, when `background` is on.
    outbox: Outbox<Reply>,
    admins: HashSet<UserId>,
    faq_path: Option<PathBuf>,
    gaps: Option<Arc<GapLog>>,
    stats: Mutex<Stats>,
    /// Held while a reload runs, so that two reloads (SIGHUP and /reload) never race and
    /// leave the older file in service.
    reloading: Mutex<()>,
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
        Arc::new(Shared {
            engine: RwLock::new(Arc::new(engine)),
            chosen: Mutex::new(HashMap::new()),
            incoming: IncomingLimiter::default(),
            gate: OutgoingGate::new(SendLimits::default()),
            log_text: AtomicBool::new(false),
            background: AtomicBool::new(false),
            outbox: Outbox::default(),
            admins: operators.admin_ids.into_iter().map(UserId).collect(),
            faq_path: operators.faq_path,
            gaps: operators.gaps.map(Arc::new),
            stats: Mutex::new(Stats::new(Day::today())),
            reloading: Mutex::new(()),
        })
    }

    /// Forgets the chats the rate limits no longer need (quiet for their window): called
    /// every few seconds, so that chat ids are kept for seconds, not until the next restart.
    pub fn forget_idle_chats(&self) {
        self.incoming.forget_idle(unix_now());
        self.gate.forget_idle(tokio::time::Instant::now());
    }

    /// Whether `user` is an operator (listed in `ADMIN_IDS`).
    #[must_use]
    pub fn is_operator(&self, user: Option<&teloxide::types::User>) -> bool {
        user.is_some_and(|u| !u.is_bot && self.admins.contains(&u.id))
    }

    /// The counts since the start, as `/stats` shows them.
    #[must_use]
    pub fn stats_text(&self) -> String {
        let engine = self.engine();
        let mut text = self
            .stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .render(&engine.faq);
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
                let engine = Engine::new(loaded.faq);
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

    /// Makes handlers hand their replies over to be sent in the background, in order per chat,
    /// and return at once: what the running bot does (see [`crate::outbox`]). Off by default,
    /// so that a handler has sent its reply when it returns.
    pub fn send_in_background(&self, on: bool) {
        self.background.store(on, Ordering::Relaxed);
    }

    /// How many chats have replies being sent or waiting (background sending only).
    #[must_use]
    pub fn chats_with_replies_pending(&self) -> usize {
        self.outbox.busy_chats()
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

    fn record_outcome(&self, outcome: &Outcome, engine: &Engine) {
        self.stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .record(outcome, &engine.faq);
    }

    fn record_tap(&self, topic: &str) {
        self.stats.lock().unwrap_or_else(std::sync::PoisonError::into_inner).record_tap(topic);
    }

    /// Keeps a question that ended in a suggestion or the fallback, if keeping is on. The
    /// write runs on tokio's blocking pool and is not awaited: appending a line is quick, but
    /// the first write of a day also drops expired entries (rewriting the file), and neither
    /// may hold up an async worker or the reply. Failures are logged without the text.
    fn keep_gap(&self, engine: &Arc<Engine>, question: &str, m: &Match, language: &str) {
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

/// How often a send is tried in all before it is given up (and logged).
const SEND_ATTEMPTS: u32 = 10;
/// The longest wait honoured when Telegram answers 429: a longer `retry_after` is cut to this,
/// and the send tried again (it counts as an attempt), so a chat never hangs for an hour.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(20);
/// Back-off after a server or network error: doubling from the first, up to the last.
const BACKOFF_FIRST: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(4);

/// Whether an error is worth another attempt, and after how long.
fn retry_delay(error: &RequestError, attempt: u32) -> Option<Duration> {
    let backoff = || (BACKOFF_FIRST * 2u32.pow(attempt.saturating_sub(1).min(8))).min(BACKOFF_MAX);
    match error {
        RequestError::RetryAfter(secs) => Some(secs.duration().min(MAX_RETRY_AFTER)),
        // Network failures, and 5xx answers (teloxide reports them as unknown API errors, or
        // as invalid JSON when a proxy answered with a page of its own).
        RequestError::Network(_)
        | RequestError::Io(_)
        | RequestError::InvalidJson { .. }
        | RequestError::Api(teloxide::ApiError::Unknown(_)) => Some(backoff()),
        // Telegram refused the message itself (blocked by the user, chat gone, bad request):
        // trying again cannot help.
        _ => None,
    }
}

/// A short tag of a chat for correlating log lines: a hash salted with a random key made
/// at start-up, so it cannot be turned back into the chat id, and differs between runs.
#[must_use]
pub fn chat_tag(chat: ChatId) -> String {
    static SALT: OnceLock<std::collections::hash_map::RandomState> = OnceLock::new();
    let hash = SALT.get_or_init(std::collections::hash_map::RandomState::new).hash_one(chat.0);
    format!("{:08x}", hash as u32)
}

/// Sends a reply outside the handler tree, paced by the process's own gate
/// ([`crate::ratelimit::outgoing`]); see [`send_paced`].
pub async fn send_reply<R>(bot: &R, chat: ChatId, reply: &Reply) -> Result<(), RequestError>
where
    R: TelegramApi,
{
    send_paced(bot, crate::ratelimit::outgoing(), chat, reply).await
}

/// Sends `reply` to `chat`: at once, or, when the bot sends in the background, after the
/// chat's earlier replies, by a task that lives while the chat has replies waiting. An error
/// is returned only when sending at once; in the background an undeliverable reply is logged
/// by [`send_paced`].
async fn deliver<R>(bot: &R, shared: &Arc<Shared>, chat: ChatId, reply: Reply) -> HandlerResult
where
    R: TelegramApi,
{
    if !shared.background.load(Ordering::Relaxed) {
        send_paced(bot, &shared.gate, chat, &reply).await?;
        return Ok(());
    }
    if shared.outbox.push(chat.0, reply) {
        let (bot, shared) = (bot.clone(), Arc::clone(shared));
        tokio::spawn(async move {
            while let Some(reply) = shared.outbox.next(chat.0) {
                // Failures are logged inside, without the chat or the text.
                let _ = send_paced(&bot, &shared.gate, chat, &reply).await;
            }
        });
    }
    Ok(())
}

/// Sends a reply (split within Telegram's length limit), each message waiting for its slot at
/// `gate` (Telegram's flood limits). A 429 is retried after its `retry_after` (at most
/// [`MAX_RETRY_AFTER`]); a server or network error after a bounded back-off; a reply that
/// still cannot be delivered is logged (without the chat or text) and its error returned.
pub async fn send_paced<R>(
    bot: &R,
    gate: &OutgoingGate,
    chat: ChatId,
    reply: &Reply,
) -> Result<(), RequestError>
where
    R: TelegramApi,
{
    let chunks = reply.telegram_chunks();
    let last = chunks.len().saturating_sub(1);
    for (i, chunk) in chunks.iter().enumerate() {
        let mut attempt = 0;
        loop {
            gate.wait(chat.0).await;
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
            let Err(e) = request.await else { break };
            attempt += 1;
            match retry_delay(&e, attempt) {
                Some(delay) if attempt < SEND_ATTEMPTS => {
                    log::warn!(
                        "sending a reply to chat {} failed (attempt {attempt} of {SEND_ATTEMPTS}): {}; retrying in {delay:?}",
                        chat_tag(chat),
                        redact(&e)
                    );
                    if matches!(e, RequestError::RetryAfter(_)) {
                        gate.hold(chat.0, tokio::time::Instant::now() + delay);
                    } else {
                        tokio::time::sleep(delay).await;
                    }
                }
                _ => {
                    log::error!(
                        "a reply to chat {} could not be delivered (part {} of {}), giving up after {attempt} attempt(s): {}",
                        chat_tag(chat),
                        i + 1,
                        chunks.len(),
                        redact(&e)
                    );
                    return Err(e);
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

/// The whole handler tree. Generic over the requester so that the production bot and tests
/// (teloxide_tests' mock bot) run the same tree. Every handler catches its own panics and
/// applies the per-chat message limit.
#[must_use]
pub fn handler_tree<R>() -> UpdateHandler<HandlerError>
where
    R: TelegramApi,
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
        .branch(
            dptree::filter_map(|msg: Message, me: Me| {
                let name = me.user.username.clone().unwrap_or_default();
                msg.text().and_then(|t| OperatorCommand::parse(t, &name).ok())
            })
            .endpoint(on_operator_command::<R>),
        )
        .endpoint(on_message::<R>);
    let callbacks = Update::filter_callback_query().endpoint(on_callback::<R>);
    dptree::entry().branch(messages).branch(callbacks)
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
            let lang = hinted_language(&engine, shared, user);
            deliver(bot, shared, chat, engine.error(&lang)).await?;
            Ok(())
        }
    }
}

/// Applies the per-chat message limit to a message received at `date` (Unix seconds): whether
/// to answer it. The first message over the limit gets the calm notice of faq.json
/// (`too_many`), later ones nothing until the chat slows down.
async fn within_limit<R>(
    bot: &R,
    shared: &Arc<Shared>,
    chat: ChatId,
    user: Option<&teloxide::types::User>,
    date: i64,
) -> Result<bool, HandlerError>
where
    R: TelegramApi,
{
    match shared.incoming.check(chat.0, date) {
        Verdict::Answer => Ok(true),
        Verdict::Notice => {
            log::info!("chat {} is over the message limit: notice sent", chat_tag(chat));
            let engine = shared.engine();
            let lang = hinted_language(&engine, shared, user);
            deliver(bot, shared, chat, engine.too_many(&lang)).await?;
            Ok(false)
        }
        Verdict::Ignore => {
            log::info!(
                "chat {} is over the message limit: message left unanswered",
                chat_tag(chat)
            );
            Ok(false)
        }
    }
}

/// Test hook, compiled into debug builds only (what `cargo test` runs), never into a release
/// build: when `FAQBOT_TEST_PANIC_ON` is set and a message's text equals it, the handler
/// panics, quoting the text as a careless slice or `unwrap` would. `tests/resilience.rs` uses it
/// to check that a panic is caught, answered with an apology, and kept out of the logs.
#[cfg(debug_assertions)]
fn test_hook_panic(text: &str) {
    static TRIGGER: OnceLock<Option<String>> = OnceLock::new();
    let trigger = TRIGGER
        .get_or_init(|| std::env::var("FAQBOT_TEST_PANIC_ON").ok().filter(|t| !t.is_empty()));
    if trigger.as_deref() == Some(text) {
        panic!("test hook FAQBOT_TEST_PANIC_ON: panicking on {text:?}");
    }
}

async fn on_command<R>(bot: R, msg: Message, cmd: Command, shared: Arc<Shared>) -> HandlerResult
where
    R: TelegramApi,
{
    let work = async {
        if !within_limit(&bot, &shared, msg.chat.id, msg.from.as_ref(), msg.date.timestamp())
            .await?
        {
            return Ok(());
        }
        let engine = shared.engine();
        let lang = hinted_language(&engine, &shared, msg.from.as_ref());
        log::info!(
            "chat {}: command /{}",
            chat_tag(msg.chat.id),
            format!("{cmd:?}").to_lowercase()
        );
        let reply = match cmd {
            Command::Start => engine.start(&lang),
            Command::Help => engine.help(&lang),
            Command::Topics => engine.topics(&lang),
            Command::Contacts => engine.contacts(&lang),
            Command::Language => engine.language_menu(&lang),
        };
        deliver(&bot, &shared, msg.chat.id, reply).await?;
        Ok(())
    };
    guarded(&bot, &shared, Some(msg.chat.id), msg.from.as_ref(), work).await
}

async fn on_message<R>(bot: R, msg: Message, me: Me, shared: Arc<Shared>) -> HandlerResult
where
    R: TelegramApi,
{
    let work = async {
        if !within_limit(&bot, &shared, msg.chat.id, msg.from.as_ref(), msg.date.timestamp())
            .await?
        {
            return Ok(());
        }
        let engine = shared.engine();
        let hinted = hinted_language(&engine, &shared, msg.from.as_ref());
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
                    without_mention(text, &me)
                };
                let chosen = shared.chosen_language(msg.from.as_ref().map(|u| u.id));
                let client = msg.from.as_ref().and_then(|u| u.language_code.as_deref());
                let (reply, m) = engine.ask(&text, LangHints { chosen: chosen.as_deref(), client });
                shared.record_outcome(&m.outcome, &engine);
                shared.keep_gap(&engine, &text, &m, &reply.language);
                log::info!(
                    "chat {tag}: question: language {}, outcome {}, score {:.2}",
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
                log::info!("chat {tag}: non-text message");
                engine.not_text(&hinted)
            }
        };
        deliver(&bot, &shared, msg.chat.id, reply).await?;
        Ok(())
    };
    guarded(&bot, &shared, Some(msg.chat.id), msg.from.as_ref(), work).await
}

/// An operator command: carried out for an operator in a private chat; anyone else, or any
/// group, gets the unknown-command reply, exactly as for a command that does not exist.
async fn on_operator_command<R>(
    bot: R,
    msg: Message,
    cmd: OperatorCommand,
    shared: Arc<Shared>,
) -> HandlerResult
where
    R: TelegramApi,
{
    let work = async {
        if !within_limit(&bot, &shared, msg.chat.id, msg.from.as_ref(), msg.date.timestamp())
            .await?
        {
            return Ok(());
        }
        let tag = chat_tag(msg.chat.id);
        let name = format!("{cmd:?}").to_lowercase();
        // Private chats only: the replies name files on the server, not for a group to read.
        if !msg.chat.is_private() || !shared.is_operator(msg.from.as_ref()) {
            log::info!("chat {tag}: operator command /{name} refused: not an operator");
            let engine = shared.engine();
            let lang = hinted_language(&engine, &shared, msg.from.as_ref());
            deliver(&bot, &shared, msg.chat.id, engine.unknown_command(&lang)).await?;
            return Ok(());
        }
        log::info!("chat {tag}: operator command /{name}");
        let text = match cmd {
            OperatorCommand::Stats => shared.stats_text(),
            OperatorCommand::Reload => match reload(shared.clone(), "/reload").await {
                Ok(summary) => {
                    // The command menus' descriptions come from faq.json too.
                    register_commands(&bot, &shared.engine()).await;
                    summary
                }
                Err(errors) => errors,
            },
        };
        deliver(&bot, &shared, msg.chat.id, operator_reply(&text)).await?;
        Ok(())
    };
    guarded(&bot, &shared, Some(msg.chat.id), msg.from.as_ref(), work).await
}

/// The current time in Unix seconds (button taps carry no date of their own).
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

async fn on_callback<R>(bot: R, q: CallbackQuery, shared: Arc<Shared>) -> HandlerResult
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
        let lang = hinted_language(&engine, &shared, Some(&q.from));
        let result = engine.callback(q.data.as_deref(), &lang);
        if let Some(code) = &result.chosen_language {
            shared.choose_language(q.from.id, code.clone());
        }
        if result.reply.is_some() {
            if let Some(Action::Topic(id)) = q.data.as_deref().and_then(Action::decode) {
                if engine.faq.topic(&id).is_some() {
                    shared.record_tap(&id);
                }
            }
        }
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
            if within_limit(&bot, &shared, chat, Some(&q.from), unix_now()).await? {
                deliver(&bot, &shared, chat, reply).await?;
            }
        }
        Ok(())
    };
    guarded(&bot, &shared, chat, Some(&q.from), work).await
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
    R: TelegramApi,
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

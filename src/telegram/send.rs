//! Purpose: delivering replies: the outbox hand-off, pacing within Telegram's limits, bounded
//! retries, and error descriptions that never carry the token.

use std::hash::BuildHasher;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use teloxide::prelude::*;
use teloxide::types::{
    ChatId, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, ParseMode,
};
use teloxide::RequestError;

use super::intake::current_ack;
use super::pacing::OutgoingGate;
use crate::ops::journal::Ack;
use crate::ops::metrics::{health, metrics};
use crate::reply::Reply;

use super::state::Shared;
use super::*;

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

/// A reply waiting in the outbox, with the ack of the update it answers (see
/// [`super::intake`]): dropped once the reply is sent, or given up.
pub struct Outgoing {
    reply: Reply,
    _ack: Option<Ack>,
}

/// Hands `reply` to `chat`'s queue and returns: it is sent after the chat's earlier replies,
/// by a task that lives while the chat has replies waiting. An undeliverable reply is logged by
/// [`send_paced`]. The reply carries the ack of the update being handled, so the journal keeps
/// that update until the reply is sent.
pub(super) fn deliver<R>(bot: &R, shared: &Arc<Shared>, chat: ChatId, reply: Reply)
where
    R: TelegramApi,
{
    metrics().replies_waiting.inc();
    let item = Outgoing { reply, _ack: current_ack() };
    if shared.outbox.push(chat.0, item) {
        spawn_sender(bot.clone(), Arc::clone(shared), chat);
    }
}

/// Starts the task that sends `chat`'s replies until its queue is empty.
fn spawn_sender<R>(bot: R, shared: Arc<Shared>, chat: ChatId)
where
    R: TelegramApi,
{
    shared.senders.clone().spawn(async move {
        let mut guard = SenderGuard { bot, shared, chat, finished: false };
        while let Some(item) = guard.shared.outbox.next(chat.0) {
            // Failures are logged inside, without the chat or the text.
            let _ = send_paced(&guard.bot, &guard.shared.gate, chat, &item.reply).await;
            metrics().replies_waiting.dec();
        }
        guard.finished = true;
    });
}

/// Keeps a chat from being wedged if its sender unwinds: the outbox would still count the chat
/// as served, and never start another sender for it. On a panic, the reply being sent is given
/// up (and its update forgotten), and a new sender takes the rest of the queue.
struct SenderGuard<R: TelegramApi> {
    bot: R,
    shared: Arc<Shared>,
    chat: ChatId,
    finished: bool,
}

impl<R: TelegramApi> Drop for SenderGuard<R> {
    fn drop(&mut self) {
        // Only on a panic: a task dropped because the runtime shuts down leaves its replies
        // in the journal, for the next start.
        if !self.finished && std::thread::panicking() {
            log::error!(
                "sending to chat {} panicked; that reply is given up, the next ones go on",
                chat_tag(self.chat)
            );
            spawn_sender(self.bot.clone(), Arc::clone(&self.shared), self.chat);
        }
    }
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
            let Err(e) = request.await else {
                metrics().replies_sent.inc();
                health().reached();
                break;
            };
            attempt += 1;
            if matches!(e, RequestError::RetryAfter(_)) {
                metrics().telegram_429.inc();
            }
            match retry_delay(&e, attempt) {
                Some(delay) if attempt < SEND_ATTEMPTS => {
                    metrics().send_retries.inc();
                    log::warn!(
                        "sending a reply to chat {} failed (attempt {attempt} of {SEND_ATTEMPTS}): {}; retrying in {delay:?}",
                        chat_tag(chat),
                        redact(&e)
                    );
                    if matches!(e, RequestError::RetryAfter(_)) {
                        gate.hold_for(chat.0, delay).await;
                    } else {
                        tokio::time::sleep(delay).await;
                    }
                }
                _ => {
                    metrics().replies_failed.inc();
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

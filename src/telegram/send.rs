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

use super::pacing::OutgoingGate;
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

/// Hands `reply` to `chat`'s queue and returns: it is sent after the chat's earlier replies,
/// by a task that lives while the chat has replies waiting. An undeliverable reply is logged by
/// [`send_paced`].
pub(super) fn deliver<R>(bot: &R, shared: &Arc<Shared>, chat: ChatId, reply: Reply)
where
    R: TelegramApi,
{
    metrics().replies_waiting.inc();
    if shared.outbox.push(chat.0, reply) {
        let (bot, shared) = (bot.clone(), Arc::clone(shared));
        shared.senders.clone().spawn(async move {
            while let Some(reply) = shared.outbox.next(chat.0) {
                // Failures are logged inside, without the chat or the text.
                let _ = send_paced(&bot, &shared.gate, chat, &reply).await;
                metrics().replies_waiting.dec();
            }
        });
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
                        gate.hold(chat.0, tokio::time::Instant::now() + delay);
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

//! Purpose: the update listener: long polling that keeps each update in the journal before
//! Telegram is told it was received, hands the updates still kept from an earlier run over
//! first, in order, and fetches only as much as the bot has room for.
//!
//! Why not teloxide's `Polling`: it confirms a batch (the next `getUpdates` offset) as soon as it
//! fetches the next one, whether or not the batch was handled, so a crash lost every update
//! fetched but not yet answered.

use std::collections::HashSet;
use std::convert::Infallible;
use std::time::Duration;

use futures_util::stream::{self, BoxStream, StreamExt};
use teloxide::prelude::*;
use teloxide::stop::{mk_stop_token, StopFlag, StopToken};
use teloxide::types::{AllowedUpdate, Update, UpdateKind};
use teloxide::update_listeners::{AsUpdateStream, UpdateListener};
use teloxide::RequestError;
use tokio::sync::mpsc;

use super::intake::Intake;
use super::send::redact;
use crate::ops::journal::{Entry, JournalHandle};
use crate::ops::metrics::health;

/// How long one `getUpdates` call waits for news; below the HTTP client's 17 s timeout.
pub const POLL_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause after the first failed `getUpdates`, doubling up to the second.
const BACKOFF_FIRST: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// Updates fetched but not yet taken by the dispatcher: one full `getUpdates` batch.
const BUFFER: usize = 100;
/// Starts after which an update still unanswered is given up: one that crashes the bot
/// every time must not keep it from serving everyone else.
pub const MAX_ATTEMPTS: u32 = 5;

/// Long polling through the journal. Build it with [`JournaledPolling::new`] after
/// [`replayed`] read what an earlier run left.
pub struct JournaledPolling<R> {
    bot: R,
    journal: JournalHandle,
    intake: Intake,
    replay: Vec<Update>,
    allowed: Option<Vec<AllowedUpdate>>,
    token: StopToken,
    flag: Option<StopFlag>,
}

impl<R> JournaledPolling<R>
where
    R: Requester<Err = RequestError> + Clone + Send + Sync + 'static,
    R::GetUpdates: Send,
    R::DeleteWebhook: Send,
{
    /// A listener that first hands over `replay` (updates kept from an earlier run, oldest
    /// first), then what Telegram sends, skipping updates already among `replay`; each only
    /// once `intake` has a slot for it.
    pub fn new(bot: R, intake: Intake, replay: Vec<Update>) -> Self {
        let (token, flag) = mk_stop_token();
        let journal = intake.journal.clone();
        JournaledPolling { bot, journal, intake, replay, allowed: None, token, flag: Some(flag) }
    }
}

impl<R> UpdateListener for JournaledPolling<R>
where
    R: Requester<Err = RequestError> + Clone + Send + Sync + 'static,
    R::GetUpdates: Send,
    R::DeleteWebhook: Send,
{
    type Err = Infallible;

    fn stop_token(&mut self) -> StopToken {
        self.token.clone()
    }

    fn hint_allowed_updates(&mut self, hint: &mut dyn Iterator<Item = AllowedUpdate>) {
        self.allowed = Some(hint.collect());
    }
}

impl<'a, R> AsUpdateStream<'a> for JournaledPolling<R>
where
    R: Requester<Err = RequestError> + Clone + Send + Sync + 'static,
    R::GetUpdates: Send,
    R::DeleteWebhook: Send,
{
    type StreamErr = Infallible;
    type Stream = BoxStream<'a, Result<Update, Infallible>>;

    fn as_stream(&'a mut self) -> Self::Stream {
        let flag = self.flag.take().unwrap_or_else(|| {
            // A second stream from one listener: give it a stop flag of its own.
            let (token, flag) = mk_stop_token();
            self.token = token;
            flag
        });
        let replay = std::mem::take(&mut self.replay);
        let skip: HashSet<_> = replay.iter().map(|u| u.id).collect();
        let (tx, rx) = mpsc::channel(BUFFER);
        tokio::spawn(fetch(
            self.bot.clone(),
            self.journal.clone(),
            tx,
            skip,
            self.allowed.clone(),
            flag.clone(),
        ));
        let fetched = stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|u| (u, rx)) });
        // Once stopping, nothing more is handed over: what was fetched but not taken stays in
        // the journal for the next start.
        self.intake.admit(stream::iter(replay).chain(fetched)).map(Ok).take_until(flag).boxed()
    }
}

/// Fetches updates while there is room for them, keeps each in the journal, and only then
/// hands it over; the next `getUpdates` (whose offset tells Telegram they were received)
/// comes after that.
async fn fetch<R>(
    bot: R,
    journal: JournalHandle,
    tx: mpsc::Sender<Update>,
    mut skip: HashSet<teloxide::types::UpdateId>,
    allowed: Option<Vec<AllowedUpdate>>,
    stop: StopFlag,
) where
    R: Requester<Err = RequestError> + Clone + Send + Sync + 'static,
    R::GetUpdates: Send,
    R::DeleteWebhook: Send,
{
    // Long polling and a webhook exclude each other.
    if let Err(e) = bot.delete_webhook().await {
        log::warn!("deleting a webhook failed: {}", redact(&e));
    }
    let mut offset: Option<i32> = None;
    let mut errors = 0u32;
    loop {
        // Wait for room: the dispatcher takes updates as fast as the bot can handle them, so
        // a saturated bot fetches less, and Telegram keeps the rest.
        tokio::select! {
            room = tx.reserve() => if room.is_err() { return },
            () = stop.clone() => return,
        }
        let limit = u8::try_from(tx.capacity().clamp(1, 100)).unwrap_or(100);
        let mut request = bot
            .get_updates()
            .timeout(u32::try_from(POLL_TIMEOUT.as_secs()).unwrap_or(10))
            .limit(limit);
        if let Some(offset) = offset {
            request = request.offset(offset);
        }
        if let Some(allowed) = &allowed {
            request = request.allowed_updates(allowed.clone());
        }
        let result = tokio::select! {
            result = request.send() => result,
            () = stop.clone() => return,
        };
        let updates = match result {
            Ok(updates) => {
                health().reached();
                updates
            }
            Err(e) => {
                health().receive_failed(&redact(&e));
                let delay = match &e {
                    RequestError::RetryAfter(secs) => secs.duration(),
                    _ => (BACKOFF_FIRST * 2u32.pow(errors.min(8))).min(BACKOFF_MAX),
                };
                errors = errors.saturating_add(1);
                log::warn!("getting updates failed: {}; retrying in {delay:?}", redact(&e));
                tokio::select! {
                    () = tokio::time::sleep(delay) => continue,
                    () = stop.clone() => return,
                }
            }
        };
        errors = 0;
        let Some(last) = updates.last() else { continue };
        let next_offset = last.id.as_offset();
        let mut fresh = Vec::with_capacity(updates.len());
        let mut kept = Vec::with_capacity(updates.len());
        for update in updates {
            if skip.remove(&update.id) {
                // Kept from an earlier run, and already handed over.
                continue;
            }
            if matches!(update.kind, UpdateKind::Error(_)) {
                // teloxide would log its whole content; nothing here can answer it anyway.
                log::warn!("an update of a kind this bot cannot read was skipped");
                continue;
            }
            match serde_json::to_string(&update) {
                Ok(body) => kept.push((i64::from(update.id.0), body)),
                Err(_) => log::error!("an update could not be written to the journal"),
            }
            fresh.push(update);
        }
        if let Err(e) = journal.append(kept).await {
            // Not answering anyone would be worse than answering without a safety net.
            log::error!(
                "the journal could not keep {} update(s) ({e}); handling them anyway",
                fresh.len()
            );
        }
        offset = Some(next_offset);
        for update in fresh {
            // Room was there before fetching, and only this task fills the channel.
            if tx.send(update).await.is_err() {
                return;
            }
        }
    }
}

/// The updates an earlier run left in the journal, oldest first, ready to be handled again.
/// Those attempted [`MAX_ATTEMPTS`] times already, or unreadable, are logged and forgotten.
pub async fn replayed(journal: &JournalHandle) -> Vec<Update> {
    let entries = match journal.replay().await {
        Ok(entries) => entries,
        Err(e) => {
            log::error!("cannot read the journal ({e}); starting without what it kept");
            return Vec::new();
        }
    };
    let mut updates = Vec::with_capacity(entries.len());
    let (mut dropped, mut unreadable) = (0, 0);
    for Entry { update_id, body, attempts } in entries {
        if attempts > MAX_ATTEMPTS {
            dropped += 1;
            journal.remove(update_id);
            continue;
        }
        match serde_json::from_str::<Update>(&body) {
            Ok(update) if !matches!(update.kind, UpdateKind::Error(_)) => updates.push(update),
            _ => {
                unreadable += 1;
                journal.remove(update_id);
            }
        }
    }
    if dropped > 0 {
        log::error!(
            "gave up {dropped} update(s) still unanswered after {MAX_ATTEMPTS} starts (did handling them crash the bot?)"
        );
    }
    if unreadable > 0 {
        log::error!("{unreadable} update(s) in the journal could not be read; forgotten");
    }
    if !updates.is_empty() {
        log::info!(
            "{} update(s) left unanswered by the previous run are handled again",
            updates.len()
        );
    }
    updates
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_survive_the_journal_unchanged() {
        let raw = serde_json::json!({
            "update_id": 42,
            "message": {
                "message_id": 7, "date": 1_700_000_000,
                "chat": { "id": 5, "type": "private", "first_name": "A", "username": "a" },
                "from": { "id": 5, "is_bot": false, "first_name": "A", "language_code": "hy" },
                "text": "@faq_bot İ where is my son? Ω",
                "entities": [{ "type": "mention", "offset": 0, "length": 8 }]
            }
        });
        let update: Update = serde_json::from_value(raw.clone()).unwrap();
        let body = serde_json::to_string(&update).unwrap();
        let again: Update = serde_json::from_str(&body).unwrap();
        assert_eq!(again, update);

        let tap = serde_json::json!({
            "update_id": 43,
            "callback_query": {
                "id": "cb-1", "chat_instance": "ci", "data": "t:closure",
                "from": { "id": 5, "is_bot": false, "first_name": "A" },
                "message": {
                    "message_id": 8, "date": 1_700_000_000,
                    "chat": { "id": 5, "type": "private", "first_name": "A" },
                    "from": { "id": 99, "is_bot": true, "first_name": "FAQ", "username": "faq_bot" },
                    "text": "Choose a topic"
                }
            }
        });
        let update: Update = serde_json::from_value(tap).unwrap();
        let again: Update = serde_json::from_str(&serde_json::to_string(&update).unwrap()).unwrap();
        assert_eq!(again, update);
    }
}

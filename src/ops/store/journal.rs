//! Purpose: the journal of updates in Redis, shared by the replicas: a stream
//! (`<prefix>updates`) read through one consumer group, so that each update goes to one
//! replica, and one that dies leaves its unfinished updates to the others.
//!
//! - The webhook keeps a posted update with one script, before Telegram hears 200: it marks the
//!   `update_id` as seen for a day (`SET NX EX`) and, if it is new, adds the update to the
//!   stream. Telegram posting an update twice, to either replica, adds it once.
//! - Each replica reads new entries as a consumer of its own (`XREADGROUP`), and hands them to
//!   its dispatcher. When the update's replies are sent, the entry is acknowledged and deleted
//!   (`XACK`, `XDEL`): no text stays.
//! - Every second a replica claims again the entries it is still working on (`XCLAIM ...
//!   JUSTID`, which resets their idle time), so only a dead replica's entries go idle; every
//!   few seconds each replica claims entries idle for longer than [`MIN_IDLE`]
//!   (`XAUTOCLAIM`), and handles them.
//! - The stream is never trimmed: an entry leaves it only once handled.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use redis::streams::{StreamAutoClaimReply, StreamId, StreamInfoConsumersReply, StreamReadReply};
use redis::RedisError;
use teloxide::types::Update;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{why, Backoff, Store, READ_BLOCK};
use crate::ops::journal::SharedJournal;

/// The consumer group of all replicas.
const GROUP: &str = "faqbot";
/// How long an `update_id` is remembered, to add an update Telegram posts again only once:
/// Telegram gives up on an update after a day.
const SEEN_SECS: u64 = 24 * 3600;
/// How long an entry claimed by a replica may go without news before another replica takes it
/// over (the claiming replica renews its claims every [`TOUCH_EVERY`]).
pub const MIN_IDLE: Duration = Duration::from_secs(5);
const TOUCH_EVERY: Duration = Duration::from_secs(1);
/// How often idle entries are looked for.
const CLAIM_EVERY: Duration = Duration::from_secs(2);
/// Entries read at once: small, so that the replicas share a burst.
const READ_COUNT: usize = 16;
/// Deliveries of an entry after which it is given up: each replica that took it died before
/// answering (an update that crashes the bot must not go round the replicas for ever).
const MAX_DELIVERIES: u64 = 5;
/// How often consumers of replicas gone for an hour, with nothing pending, are removed.
const CLEAN_EVERY: Duration = Duration::from_secs(60);
const GONE_AFTER_MS: usize = 3_600_000;
/// Attempts at acknowledging an entry before it is left for another replica to handle again.
const FORGET_ATTEMPTS: u32 = 6;

const ACCEPT: &str = r"
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[3]) then
  redis.call('XADD', KEYS[2], '*', 'id', ARGV[1], 'body', ARGV[2])
  return 1
end
return 0
";

enum Forget {
    Entries(Vec<String>),
    Flush(oneshot::Sender<()>),
}

/// The journal in Redis. Start it with [`RedisJournal::start`]; the webhook calls
/// [`RedisJournal::accept`], and [`RedisJournal::consume`] feeds the dispatcher.
pub struct RedisJournal {
    store: Store,
    stream: String,
    accept: redis::Script,
    /// The entries this replica works on: `update_id` to stream entry id.
    inflight: Mutex<HashMap<i64, String>>,
    forget: mpsc::UnboundedSender<Forget>,
    /// When Redis last failed here: idle entries are taken over only well after, since the
    /// other replicas could not renew their claims meanwhile either.
    last_failure: Mutex<Option<Instant>>,
}

impl RedisJournal {
    /// The journal in `store`, with its tasks that acknowledge handled entries and renew this
    /// replica's claims.
    pub fn start(store: Store) -> Arc<RedisJournal> {
        let (forget, requests) = mpsc::unbounded_channel();
        let journal = Arc::new(RedisJournal {
            stream: store.key("updates"),
            store,
            accept: redis::Script::new(ACCEPT),
            inflight: Mutex::new(HashMap::new()),
            forget,
            last_failure: Mutex::new(None),
        });
        tokio::spawn(acknowledge(Arc::clone(&journal), requests));
        tokio::spawn(touch(Arc::downgrade(&journal)));
        journal
    }

    /// Keeps a posted update (its id and JSON), unless it was kept before. Once this returns
    /// `Ok`, the update is in Redis and one replica will handle it.
    pub async fn accept(&self, update_id: i64, body: &str) -> Result<(), RedisError> {
        let seen = self.store.key(&format!("seen:{update_id}"));
        let mut invocation = self.accept.key(seen);
        invocation.key(&self.stream).arg(update_id).arg(body).arg(SEEN_SECS);
        let added: i64 = self.store.script(&invocation).await.inspect_err(|_| self.failed())?;
        if added == 0 {
            log::debug!("a repeated update was posted; it is handled once");
        }
        Ok(())
    }

    /// Reads the updates of the stream as this replica's consumer, and those other replicas
    /// left idle, and hands them to `queue`, until `stop`. Redis failing is retried with
    /// bounded back-off.
    pub fn consume(self: Arc<Self>, queue: mpsc::Sender<Update>, stop: CancellationToken) {
        tokio::spawn(async move {
            let mut state =
                Reading { group: false, claimed_at: None, cleaned_at: None, cursor: "0-0".into() };
            let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
            let mut failing = false;
            loop {
                let step = tokio::select! {
                    step = self.step(&mut state, &queue) => step,
                    () = stop.cancelled() => break,
                };
                match step {
                    Ok(true) => {
                        if failing {
                            log::info!("Redis answers again: reading the journal");
                            failing = false;
                        }
                        backoff.reset();
                    }
                    // The dispatcher is gone: stopping.
                    Ok(false) => break,
                    Err(e) => {
                        self.failed();
                        if e.code() == Some("NOGROUP") {
                            state.group = false;
                        }
                        let wait = backoff.next();
                        if !failing {
                            log::warn!(
                                "reading the journal in Redis failed: {}; retrying (every {:?} at most)",
                                why(&e),
                                Duration::from_secs(5)
                            );
                            failing = true;
                        }
                        tokio::select! {
                            () = tokio::time::sleep(wait) => {}
                            () = stop.cancelled() => break,
                        }
                    }
                }
            }
            // Dropping `queue` lets the dispatcher finish what it has.
        });
    }

    /// One round of reading: false once the dispatcher is gone.
    async fn step(
        &self,
        state: &mut Reading,
        queue: &mpsc::Sender<Update>,
    ) -> Result<bool, RedisError> {
        if !state.group {
            let created: Result<(), RedisError> = self
                .store
                .query(
                    redis::cmd("XGROUP")
                        .arg("CREATE")
                        .arg(&self.stream)
                        .arg(GROUP)
                        .arg("0")
                        .arg("MKSTREAM"),
                )
                .await;
            match created {
                Ok(()) => {}
                Err(e) if e.code() == Some("BUSYGROUP") => {}
                Err(e) => return Err(e),
            }
            state.group = true;
        }
        if state.claimed_at.is_none_or(|at| at.elapsed() >= CLAIM_EVERY) && self.calm() {
            state.claimed_at = Some(Instant::now());
            let reply: StreamAutoClaimReply = self
                .store
                .query(
                    redis::cmd("XAUTOCLAIM")
                        .arg(&self.stream)
                        .arg(GROUP)
                        .arg(self.store.replica())
                        .arg(u64::try_from(MIN_IDLE.as_millis()).unwrap_or(u64::MAX))
                        .arg(&state.cursor)
                        .arg("COUNT")
                        .arg(100),
                )
                .await?;
            state.cursor = reply.next_stream_id;
            if !reply.claimed.is_empty() {
                log::info!(
                    "took over {} update(s) another replica left unfinished",
                    reply.claimed.len()
                );
            }
            let claimed = self.without_poison(reply.claimed).await?;
            if !self.hand_over(claimed, queue).await {
                return Ok(false);
            }
        }
        if state.cleaned_at.is_none_or(|at| at.elapsed() >= CLEAN_EVERY) {
            state.cleaned_at = Some(Instant::now());
            self.remove_gone_consumers().await?;
        }
        let reply: Option<StreamReadReply> = self
            .store
            .query_blocking(
                redis::cmd("XREADGROUP")
                    .arg("GROUP")
                    .arg(GROUP)
                    .arg(self.store.replica())
                    .arg("COUNT")
                    .arg(READ_COUNT)
                    .arg("BLOCK")
                    .arg(u64::try_from(READ_BLOCK.as_millis()).unwrap_or(1000))
                    .arg("STREAMS")
                    .arg(&self.stream)
                    .arg(">"),
            )
            .await?;
        let entries = reply.into_iter().flat_map(|r| r.keys).flat_map(|k| k.ids).collect();
        Ok(self.hand_over(entries, queue).await)
    }

    /// Leaves out (and deletes) the entries delivered [`MAX_DELIVERIES`] times already.
    async fn without_poison(&self, entries: Vec<StreamId>) -> Result<Vec<StreamId>, RedisError> {
        if entries.is_empty() {
            return Ok(entries);
        }
        let mut pipe = redis::pipe();
        for entry in &entries {
            pipe.cmd("XPENDING").arg(&self.stream).arg(GROUP).arg(&entry.id).arg(&entry.id).arg(1);
        }
        let pending: Vec<Vec<(String, String, u64, u64)>> = self.store.pipe(&pipe).await?;
        let mut kept = Vec::new();
        for (entry, pending) in entries.into_iter().zip(pending) {
            if pending.first().is_some_and(|p| p.3 > MAX_DELIVERIES) {
                log::error!(
                    "an update was taken {MAX_DELIVERIES} times by replicas that stopped before answering it: given up"
                );
                let _ = self.forget.send(Forget::Entries(vec![entry.id]));
            } else {
                kept.push(entry);
            }
        }
        Ok(kept)
    }

    /// Removes from the group the consumers of replicas gone for an hour with nothing
    /// pending (each process is a consumer of its own, so they would pile up).
    async fn remove_gone_consumers(&self) -> Result<(), RedisError> {
        let info: StreamInfoConsumersReply = self
            .store
            .query(redis::cmd("XINFO").arg("CONSUMERS").arg(&self.stream).arg(GROUP))
            .await?;
        for consumer in info.consumers {
            if consumer.pending == 0
                && consumer.idle > GONE_AFTER_MS
                && consumer.name != self.store.replica()
            {
                let _: i64 = self
                    .store
                    .query(
                        redis::cmd("XGROUP")
                            .arg("DELCONSUMER")
                            .arg(&self.stream)
                            .arg(GROUP)
                            .arg(&consumer.name),
                    )
                    .await?;
            }
        }
        Ok(())
    }

    /// Hands entries to the dispatcher, each once in this replica; false once it is gone.
    async fn hand_over(&self, entries: Vec<StreamId>, queue: &mpsc::Sender<Update>) -> bool {
        for entry in entries {
            let update =
                entry.get::<String>("body").and_then(|b| serde_json::from_str::<Update>(&b).ok());
            let Some(update) = update else {
                log::warn!("an unreadable entry in the journal was dropped");
                let _ = self.forget.send(Forget::Entries(vec![entry.id]));
                continue;
            };
            let id = i64::from(update.id.0);
            {
                let mut inflight = self.inflight.lock().unwrap_or_else(PoisonError::into_inner);
                if inflight.contains_key(&id) {
                    continue;
                }
                inflight.insert(id, entry.id);
            }
            if queue.send(update).await.is_err() {
                return false;
            }
        }
        true
    }

    fn failed(&self) {
        *self.last_failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
    }

    /// Whether Redis has answered long enough for every live replica to have renewed its
    /// claims: only then is an idle entry a dead replica's.
    fn calm(&self) -> bool {
        self.last_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none_or(|at| at.elapsed() > MIN_IDLE + TOUCH_EVERY)
    }
}

struct Reading {
    /// Whether the consumer group is known to exist.
    group: bool,
    claimed_at: Option<Instant>,
    cleaned_at: Option<Instant>,
    /// Where the next `XAUTOCLAIM` goes on.
    cursor: String,
}

impl SharedJournal for RedisJournal {
    fn forget(&self, update_id: i64) {
        let entry = self.inflight.lock().unwrap_or_else(PoisonError::into_inner).remove(&update_id);
        if let Some(entry) = entry {
            let _ = self.forget.send(Forget::Entries(vec![entry]));
        }
    }

    fn flush(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            let (tx, rx) = oneshot::channel();
            if self.forget.send(Forget::Flush(tx)).is_ok() {
                let _ = rx.await;
            }
        })
    }
}

/// Acknowledges and deletes handled entries, those that come together in one round trip.
async fn acknowledge(journal: Arc<RedisJournal>, mut requests: mpsc::UnboundedReceiver<Forget>) {
    let (store, stream) = (journal.store.clone(), journal.stream.clone());
    // The task must not keep the journal alive for the sake of the other fields.
    drop(journal);
    while let Some(first) = requests.recv().await {
        let mut entries = Vec::new();
        let mut flushes = Vec::new();
        let mut next = Some(first);
        while let Some(request) = next.take() {
            match request {
                Forget::Entries(ids) => entries.extend(ids),
                Forget::Flush(done) => flushes.push(done),
            }
            next = requests.try_recv().ok();
        }
        if !entries.is_empty() {
            let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
            for attempt in 1..=FORGET_ATTEMPTS {
                let mut pipe = redis::pipe();
                pipe.cmd("XACK").arg(&stream).arg(GROUP).arg(&entries).ignore();
                pipe.cmd("XDEL").arg(&stream).arg(&entries).ignore();
                match store.pipe::<()>(&pipe).await {
                    Ok(()) => break,
                    Err(e) if attempt == FORGET_ATTEMPTS => log::error!(
                        "the journal in Redis could not forget {} answered update(s): {}; another replica may answer them again",
                        entries.len(),
                        why(&e)
                    ),
                    Err(_) => tokio::time::sleep(backoff.next()).await,
                }
            }
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

/// Renews this replica's claims on the entries it works on, every [`TOUCH_EVERY`], while the
/// journal lives.
async fn touch(journal: std::sync::Weak<RedisJournal>) {
    let mut every = tokio::time::interval(TOUCH_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let Some(journal) = journal.upgrade() else { return };
        let entries: Vec<String> = journal
            .inflight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        for chunk in entries.chunks(200) {
            let mut cmd = redis::cmd("XCLAIM");
            cmd.arg(&journal.stream).arg(GROUP).arg(journal.store.replica()).arg(0).arg(chunk);
            cmd.arg("JUSTID");
            if journal.store.query::<redis::Value>(&cmd).await.is_err() {
                journal.failed();
                break;
            }
        }
    }
}

//! Purpose: the store that several replicas of one bot share when `REDIS_URL` is set: the
//! journal of updates (a stream with a consumer group, see [`journal`]), Telegram's pacing for
//! the bot as a whole, each person's language and flood limits, the `/stats` counts, and
//! reloads (pub/sub).
//!
//! Every key starts with `faqbot:<bot id>:` (the digits of the token before its colon, never
//! its secret part). Nothing here holds a message text except the journal's pending updates;
//! keys about a person (language, flood limits) expire.
//!
//! Redis failing never stops the bot: calls made while a person waits fall back to this
//! replica's own state, the journal's loops retry with bounded back-off, and `/healthz` says
//! Redis is unreachable until it answers again.

pub mod journal;
mod shared;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::RedisError;

use crate::ops::metrics::health;

/// The variable naming the Redis server.
pub const REDIS_URL_VAR: &str = "REDIS_URL";

/// How long one command may take before it counts as failed.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long the journal's blocking read waits for news; its connection allows this much more.
pub(crate) const READ_BLOCK: Duration = Duration::from_secs(1);

/// A connection to the shared store, with the names of this bot's keys and of this replica.
/// Cheap to clone.
#[derive(Clone)]
pub struct Store {
    /// Short commands (multiplexed).
    conn: ConnectionManager,
    /// The journal's blocking reads, which would hold up every other command on a shared
    /// connection.
    reads: ConnectionManager,
    /// For the reload channel's subscription.
    client: redis::Client,
    prefix: Arc<str>,
    replica: Arc<str>,
    /// Whether the last command failed to reach Redis: calls made while someone waits then go
    /// straight to this replica's own state, until the journal's loops reach Redis again.
    down: Arc<AtomicBool>,
}

impl Store {
    /// A store at `url` for the bot whose token starts with `bot_id`. Connects lazily: an
    /// unreachable Redis is retried by each use, never an error here.
    pub fn open(url: &str, bot_id: &str) -> Result<Store, String> {
        let client = redis::Client::open(url).map_err(|e| format!("REDIS_URL: {}", why(&e)))?;
        let config = |timeout: Duration| {
            ConnectionManagerConfig::new()
                .set_connection_timeout(Some(Duration::from_secs(1)))
                .set_response_timeout(Some(timeout))
                .set_number_of_retries(2)
                .set_max_delay(Duration::from_secs(1))
        };
        let conn =
            ConnectionManager::new_lazy_with_config(client.clone(), config(RESPONSE_TIMEOUT))
                .map_err(|e| format!("REDIS_URL: {}", why(&e)))?;
        let reads = ConnectionManager::new_lazy_with_config(
            client.clone(),
            config(READ_BLOCK + RESPONSE_TIMEOUT),
        )
        .map_err(|e| format!("REDIS_URL: {}", why(&e)))?;
        Ok(Store {
            conn,
            reads,
            client,
            prefix: format!("faqbot:{bot_id}:").into(),
            replica: replica_name().into(),
            down: Arc::new(AtomicBool::new(false)),
        })
    }

    /// This bot's key named `name`.
    #[must_use]
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// This replica's name, unique per process: its consumer name in the journal's group.
    #[must_use]
    pub fn replica(&self) -> &str {
        &self.replica
    }

    /// Runs a command on the short-command connection, and keeps `/healthz` informed.
    pub async fn query<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, RedisError> {
        let mut conn = self.conn.clone();
        self.watched(cmd.query_async(&mut conn).await)
    }

    /// Runs a blocking command (`XREADGROUP ... BLOCK`) on the connection kept for it.
    pub(crate) async fn query_blocking<T: redis::FromRedisValue>(
        &self,
        cmd: &redis::Cmd,
    ) -> Result<T, RedisError> {
        let mut conn = self.reads.clone();
        self.watched(cmd.query_async(&mut conn).await)
    }

    /// Runs a pipeline on the short-command connection.
    pub async fn pipe<T: redis::FromRedisValue>(
        &self,
        pipe: &redis::Pipeline,
    ) -> Result<T, RedisError> {
        let mut conn = self.conn.clone();
        self.watched(pipe.query_async(&mut conn).await)
    }

    /// Runs a Lua script (loaded again by itself after Redis restarted).
    pub async fn script<T: redis::FromRedisValue>(
        &self,
        invocation: &redis::ScriptInvocation<'_>,
    ) -> Result<T, RedisError> {
        let mut conn = self.conn.clone();
        self.watched(invocation.invoke_async(&mut conn).await)
    }

    /// Whether Redis could not be reached at the last attempt.
    #[must_use]
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Relaxed)
    }

    /// Passes a result on, telling `/healthz` whether Redis answered. A server's error reply
    /// (a wrong command, a missing group) means Redis is up.
    fn watched<T>(&self, result: Result<T, RedisError>) -> Result<T, RedisError> {
        match &result {
            Err(e) if e.is_io_error() || e.is_timeout() || e.is_connection_dropped() => {
                self.down.store(true, Ordering::Relaxed);
                health().store_failed(&why(e));
            }
            _ => {
                self.down.store(false, Ordering::Relaxed);
                health().store_reached();
            }
        }
        result
    }
}

/// Describes a Redis error without anything of the URL (which may hold a password).
#[must_use]
pub fn why(e: &RedisError) -> String {
    if e.is_timeout() {
        "Redis timed out".into()
    } else if e.is_connection_refusal() {
        "Redis refused the connection".into()
    } else if e.is_io_error() || e.is_connection_dropped() {
        "Redis connection failed".into()
    } else {
        match e.code() {
            Some(code) => format!("Redis error {code}"),
            None => format!("Redis error ({:?})", e.kind()),
        }
    }
}

/// A name for this process among the replicas: the host's name, the process id and a random
/// part (a restarted process with the same id is another consumer).
fn replica_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect())
        .filter(|h: &String| !h.is_empty())
        .unwrap_or_else(|| "replica".to_string());
    let mut random = [0u8; 4];
    let _ = getrandom::getrandom(&mut random);
    let random: String = random.iter().map(|b| format!("{b:02x}")).collect();
    format!("{host}-{}-{random}", std::process::id())
}

/// Doubling back-off between attempts, from `first` up to `max`.
pub(crate) struct Backoff {
    next: Duration,
    first: Duration,
    max: Duration,
}

impl Backoff {
    pub(crate) fn new(first: Duration, max: Duration) -> Backoff {
        Backoff { next: first, first, max }
    }

    /// The wait before the next attempt.
    pub(crate) fn next(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(self.max);
        wait
    }

    pub(crate) fn reset(&mut self) {
        self.next = self.first;
    }
}

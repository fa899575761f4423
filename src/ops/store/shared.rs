//! Purpose: what the replicas share besides the journal: Telegram's pacing (schedules in Lua,
//! on Redis's clock), the per-person flood limits, chosen languages, the `/stats` counts, and
//! reloads. Ids of people and chats appear in key names only, and those keys expire.

use std::future::Future;
use std::sync::LazyLock;
use std::time::Duration;

use futures_util::StreamExt;
use redis::RedisError;
use tokio_util::sync::CancellationToken;

use super::{why, Backoff, Store};
use crate::ops::gaps::Day;

/// A GCRA schedule on Redis's clock. KEYS[1]: the schedule (the theoretical arrival time of the
/// next event, in ms). ARGV: the interval and the tolerance (interval x (burst - 1)) in ms, and
/// a hold in ms (0: reserve the next slot). Returns the ms until the reserved slot.
static SCHEDULE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval, tolerance, hold = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local at = now
if hold > 0 then
  tat = math.max(tat, now + hold + tolerance)
else
  at = math.max(tat - tolerance, now)
  tat = math.max(tat, at) + interval
end
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', string.format('%.0f', tat - now + 1000))
return at - now
",
    )
});

/// The flood limit of one person. KEYS[1]: the arrival dates (a list), KEYS[2]: whether the
/// notice went out. ARGV: the message's date, the most messages in the window, the window (s).
/// Returns 0 (answer), 1 (notice) or 2 (ignore).
static FLOOD: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local date, max, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('RPUSH', KEYS[1], date)
redis.call('LTRIM', KEYS[1], -(max + 1), -1)
while true do
  local first = redis.call('LINDEX', KEYS[1], 0)
  if first and tonumber(first) <= date - window then redis.call('LPOP', KEYS[1]) else break end
end
redis.call('EXPIRE', KEYS[1], window * 2)
if redis.call('LLEN', KEYS[1]) <= max then
  redis.call('DEL', KEYS[2])
  return 0
end
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', window * 2) then return 1 end
return 2
",
    )
});

/// How long the `/stats` counts are kept after the last one was added.
const COUNTS_SECS: u64 = 90 * 24 * 3600;

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Store {
    /// Reserves the next slot of the schedule `name` (one event per `interval`, bursts of
    /// `burst`) for the whole bot; returns how long to wait for it.
    pub async fn reserve(
        &self,
        name: &str,
        interval: Duration,
        burst: u32,
    ) -> Result<Duration, RedisError> {
        let tolerance = interval * burst.saturating_sub(1);
        let mut invocation = SCHEDULE.key(self.key(name));
        invocation.arg(millis(interval)).arg(millis(tolerance)).arg(0);
        let wait: i64 = self.script(&invocation).await?;
        Ok(Duration::from_millis(u64::try_from(wait).unwrap_or(0)))
    }

    /// Makes sure no slot of the schedule `name` comes within `hold` (Telegram answered 429),
    /// and marks it held (see [`Store::held`]) for as long.
    pub async fn hold(
        &self,
        name: &str,
        interval: Duration,
        burst: u32,
        hold: Duration,
    ) -> Result<(), RedisError> {
        let tolerance = interval * burst.saturating_sub(1);
        let mut invocation = SCHEDULE.key(self.key(name));
        invocation.arg(millis(interval)).arg(millis(tolerance)).arg(millis(hold).max(1));
        self.script::<i64>(&invocation).await?;
        let held = self.key(&format!("{name}:held"));
        self.query(redis::cmd("SET").arg(held).arg(1).arg("PX").arg(millis(hold).max(1))).await
    }

    /// How long the schedule `name` is still held by a 429, if it is: a slot reserved before
    /// the 429 came must wait too.
    pub async fn held(&self, name: &str) -> Result<Option<Duration>, RedisError> {
        let ms: i64 = self.query(redis::cmd("PTTL").arg(self.key(&format!("{name}:held")))).await?;
        Ok(u64::try_from(ms).ok().filter(|&ms| ms > 0).map(Duration::from_millis))
    }

    /// Judges a message of `person` (in the flow `kind`) dated `date` under the flood limit of
    /// `max` messages in `window_secs`: 0 answer, 1 notice, 2 ignore.
    pub async fn flood(
        &self,
        kind: &str,
        person: i64,
        date: i64,
        max: usize,
        window_secs: i64,
    ) -> Result<u8, RedisError> {
        let mut invocation = FLOOD.key(self.key(&format!("flood:{kind}:{person}")));
        invocation
            .key(self.key(&format!("flood:{kind}:{person}:noticed")))
            .arg(date)
            .arg(max)
            .arg(window_secs);
        self.script(&invocation).await
    }

    /// The language `user` chose or last wrote in, if remembered.
    pub async fn language(&self, user: u64) -> Result<Option<String>, RedisError> {
        self.query(redis::cmd("GET").arg(self.key(&format!("lang:{user}")))).await
    }

    /// Remembers `user`'s language for `keep`.
    pub async fn set_language(
        &self,
        user: u64,
        language: &str,
        keep: Duration,
    ) -> Result<(), RedisError> {
        let key = self.key(&format!("lang:{user}"));
        self.query(redis::cmd("SET").arg(key).arg(language).arg("EX").arg(keep.as_secs().max(1)))
            .await
    }

    /// Adds one to the `/stats` count `name`.
    pub async fn count(&self, name: &str) -> Result<(), RedisError> {
        let key = self.key("stats");
        let mut pipe = redis::pipe();
        pipe.cmd("HSETNX").arg(&key).arg("since").arg(Day::today().to_string()).ignore();
        pipe.cmd("HINCRBY").arg(&key).arg(name).arg(1).ignore();
        pipe.cmd("EXPIRE").arg(&key).arg(COUNTS_SECS).ignore();
        self.pipe(&pipe).await
    }

    /// The `/stats` counts of all replicas: since when, and each count by name.
    pub async fn counts(&self) -> Result<(Option<Day>, Vec<(String, u64)>), RedisError> {
        let all: Vec<(String, String)> =
            self.query(redis::cmd("HGETALL").arg(self.key("stats"))).await?;
        let mut since = None;
        let mut counts = Vec::new();
        for (name, value) in all {
            if name == "since" {
                since = Day::parse(&value);
            } else if let Ok(n) = value.parse() {
                counts.push((name, n));
            }
        }
        Ok((since, counts))
    }

    /// Asks every replica to reload its FAQ file.
    pub async fn publish_reload(&self) -> Result<(), RedisError> {
        let channel = self.key("reload");
        self.query(redis::cmd("PUBLISH").arg(channel).arg(self.replica())).await
    }

    /// Calls `reload` whenever another replica asks for a reload, until `stop`; the
    /// subscription is made again, with back-off, whenever Redis drops it.
    pub fn on_reload<F, Fut>(&self, stop: CancellationToken, reload: F)
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let store = self.clone();
        tokio::spawn(async move {
            let channel = store.key("reload");
            let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(5));
            loop {
                let subscribed = async {
                    let mut pubsub = store.client.get_async_pubsub().await?;
                    pubsub.subscribe(&channel).await?;
                    Ok::<_, RedisError>(pubsub)
                };
                let result = tokio::select! {
                    r = subscribed => r,
                    () = stop.cancelled() => return,
                };
                match result {
                    Ok(mut pubsub) => {
                        backoff.reset();
                        let mut messages = pubsub.on_message();
                        loop {
                            let message = tokio::select! {
                                m = messages.next() => m,
                                () = stop.cancelled() => return,
                            };
                            let Some(message) = message else { break };
                            let from: String = message.get_payload().unwrap_or_default();
                            if from != store.replica() {
                                reload().await;
                            }
                        }
                        log::warn!("the reload channel in Redis was closed; subscribing again");
                    }
                    Err(e) => {
                        log::debug!("subscribing to reloads failed: {}", why(&e));
                        tokio::select! {
                            () = tokio::time::sleep(backoff.next()) => {}
                            () = stop.cancelled() => return,
                        }
                    }
                }
            }
        });
    }
}

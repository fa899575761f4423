//! Purpose: rate limits: pacing what the bot sends within Telegram's flood limits (about 30
//! messages a second in all, about one a second per chat), and a calm limit on how many
//! messages of one chat are answered in a short time.
//!
//! Both keep only chat ids and times, in memory, for a few seconds: nothing of what is said.
//! The bot calls their `forget_idle` methods every few seconds (see `bot.rs`), so a chat's id
//! is gone soon after it stops writing, however quiet the bot is.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::ops::store::Store;

/// A "generic cell rate algorithm" schedule: one event per `interval`, with bursts of up to
/// `burst` events. Reserving a slot never fails; it tells when the slot comes.
#[derive(Debug, Clone)]
pub struct Gcra {
    interval: Duration,
    tolerance: Duration,
    /// The theoretical arrival time of the next event at the steady rate.
    tat: Option<Instant>,
    /// The latest time Telegram asked to wait until (after a 429).
    held: Option<Instant>,
}

impl Gcra {
    /// One event per `interval`, bursts of `burst` (at least 1).
    #[must_use]
    pub fn new(interval: Duration, burst: u32) -> Gcra {
        Gcra { interval, tolerance: interval * burst.saturating_sub(1), tat: None, held: None }
    }

    /// Reserves the next slot at or after `now` and returns its time.
    pub fn reserve(&mut self, now: Instant) -> Instant {
        let tat = self.tat.map_or(now, |t| t.max(now));
        let at = tat.checked_sub(self.tolerance).map_or(now, |earliest| earliest.max(now));
        self.tat = Some(tat.max(at) + self.interval);
        at
    }

    /// Makes sure no slot comes before `until` (after Telegram answered 429).
    pub fn hold_until(&mut self, until: Instant) {
        let tat = until + self.tolerance;
        self.tat = Some(self.tat.map_or(tat, |t| t.max(tat)));
        self.held = Some(self.held.map_or(until, |h| h.max(until)));
    }

    /// Until when Telegram asked to wait, if that is after `now`: a slot reserved before the
    /// hold must wait for it too.
    #[must_use]
    pub fn held_after(&self, now: Instant) -> Option<Instant> {
        self.held.filter(|&h| h > now)
    }

    /// Whether the schedule is back to idle at `now` (nothing reserved ahead).
    #[must_use]
    pub fn is_idle(&self, now: Instant) -> bool {
        self.tat.is_none_or(|t| t <= now)
    }
}

/// How fast the bot sends. Below Telegram's limits with a margin, so that jitter between the
/// bot and Telegram's clocks never provokes a 429.
#[derive(Debug, Clone, Copy)]
pub struct SendLimits {
    /// Messages a second, all chats together (Telegram: about 30).
    pub overall_per_sec: u32,
    /// Time between two messages to one chat at the steady rate (Telegram: about 1 s).
    pub chat_interval: Duration,
    /// Messages one chat may receive at once before the steady rate applies.
    pub chat_burst: u32,
}

impl Default for SendLimits {
    fn default() -> SendLimits {
        SendLimits {
            overall_per_sec: 25,
            chat_interval: Duration::from_millis(1100),
            chat_burst: 2,
        }
    }
}

/// Paces outgoing messages: every `sendMessage` waits here for its slot. With a shared store
/// (several replicas, `REDIS_URL`), the schedules live there, so the limits hold for the bot as
/// a whole; while the store fails, this replica's own schedules stand in.
pub struct OutgoingGate {
    limits: SendLimits,
    overall: Mutex<Gcra>,
    chats: Mutex<HashMap<i64, Gcra>>,
    shared: Option<Store>,
}

impl OutgoingGate {
    /// A gate with the given limits.
    #[must_use]
    pub fn new(limits: SendLimits) -> OutgoingGate {
        let per = Duration::from_secs(1) / limits.overall_per_sec.max(1);
        OutgoingGate {
            limits,
            overall: Mutex::new(Gcra::new(per, 1)),
            chats: Mutex::new(HashMap::new()),
            shared: None,
        }
    }

    /// A gate whose schedules are shared with the other replicas through `store`.
    #[must_use]
    pub fn shared(limits: SendLimits, store: Option<Store>) -> OutgoingGate {
        OutgoingGate { shared: store, ..OutgoingGate::new(limits) }
    }

    /// Waits until a message may be sent to `chat`.
    pub async fn wait(&self, chat: i64) {
        if let Some(store) = self.shared.as_ref().filter(|s| !s.is_down()) {
            if self.wait_shared(store, chat).await.is_ok() {
                return;
            }
        }
        self.wait_here(chat).await;
    }

    /// [`OutgoingGate::wait`] on the schedules shared by all replicas: the chat's slot, then
    /// the bot's, then, if Telegram asked meanwhile to hold the chat, again after the hold.
    async fn wait_shared(&self, store: &Store, chat: i64) -> Result<(), redis::RedisError> {
        let (interval, burst) = (self.limits.chat_interval, self.limits.chat_burst);
        let per = Duration::from_secs(1) / self.limits.overall_per_sec.max(1);
        let name = format!("pace:chat:{chat}");
        loop {
            tokio::time::sleep(store.reserve(&name, interval, burst).await?).await;
            tokio::time::sleep(store.reserve("pace:all", per, 1).await?).await;
            match store.held(&name).await? {
                None => return Ok(()),
                Some(hold) => tokio::time::sleep(hold).await,
            }
        }
    }

    /// [`OutgoingGate::wait`] on this replica's own schedules: the chat's slot, then the bot's,
    /// then, if Telegram asked meanwhile to hold the chat, again after the hold (as the shared
    /// schedules do).
    async fn wait_here(&self, chat: i64) {
        loop {
            let at = {
                let mut chats = self.chats.lock().unwrap_or_else(PoisonError::into_inner);
                let now = Instant::now();
                // Idle chats are forgotten by the task that calls `forget_idle` every few
                // seconds.
                chats
                    .entry(chat)
                    .or_insert_with(|| Gcra::new(self.limits.chat_interval, self.limits.chat_burst))
                    .reserve(now)
            };
            tokio::time::sleep_until(at).await;
            let at =
                self.overall.lock().unwrap_or_else(PoisonError::into_inner).reserve(Instant::now());
            tokio::time::sleep_until(at).await;
            let held = self
                .chats
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&chat)
                .and_then(|g| g.held_after(Instant::now()));
            match held {
                None => return,
                Some(until) => tokio::time::sleep_until(until).await,
            }
        }
    }

    /// Forgets every chat whose schedule is back to idle at `now`: nothing is then known of it.
    pub fn forget_idle(&self, now: Instant) {
        self.chats.lock().unwrap_or_else(PoisonError::into_inner).retain(|_, g| !g.is_idle(now));
    }

    /// How many chats the gate knows of now.
    #[must_use]
    pub fn chats_known(&self) -> usize {
        self.chats.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Holds back everything to `chat` for `hold` (Telegram asked to wait), in every replica.
    pub async fn hold_for(&self, chat: i64, hold: Duration) {
        self.hold(chat, Instant::now() + hold);
        if let Some(store) = &self.shared {
            let (interval, burst) = (self.limits.chat_interval, self.limits.chat_burst);
            let _ = store.hold(&format!("pace:chat:{chat}"), interval, burst, hold).await;
        }
    }

    /// Holds back everything to `chat` until `until` (Telegram asked to wait), here.
    pub fn hold(&self, chat: i64, until: Instant) {
        self.chats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(chat)
            .or_insert_with(|| Gcra::new(self.limits.chat_interval, self.limits.chat_burst))
            .hold_until(until);
    }
}

/// What to do with an incoming message under the per-chat limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Within the limit: answer it.
    Answer,
    /// The first message over the limit: tell the person, calmly, once.
    Notice,
    /// Further messages over the limit: leave them unanswered.
    Ignore,
}

/// How many messages one chat may have answered in a sliding window.
#[derive(Debug, Clone, Copy)]
pub struct ChatLimit {
    /// Messages answered within `window`; more are over the limit.
    pub max: usize,
    /// The window, in seconds (Telegram dates messages in whole seconds).
    pub window_secs: i64,
}

impl ChatLimit {
    /// Messages: someone typing several short lines in a row stays well within it; a script
    /// or a stuck key does not.
    pub const MESSAGES: ChatLimit = ChatLimit { max: 8, window_secs: 10 };
    /// Button taps: someone reading through every topic taps about once a second.
    pub const TAPS: ChatLimit = ChatLimit { max: 20, window_secs: 10 };
}

impl Default for ChatLimit {
    fn default() -> ChatLimit {
        ChatLimit::MESSAGES
    }
}

#[derive(Default)]
struct ChatState {
    /// The arrival times (Unix seconds) of the latest `max + 1` messages.
    arrivals: VecDeque<i64>,
    /// Whether this burst's notice went out already.
    noticed: bool,
    /// When the latest message was judged (Unix seconds, the bot's clock): a backlog of old
    /// messages being worked through keeps the chat known.
    judged: i64,
}

/// Counts each chat's messages by the time Telegram received them (the message date), so the
/// verdict does not depend on how fast the bot works through a backlog.
pub struct IncomingLimiter {
    limit: ChatLimit,
    chats: Mutex<HashMap<i64, ChatState>>,
}

impl IncomingLimiter {
    /// A limiter with the given limit.
    #[must_use]
    pub fn new(limit: ChatLimit) -> IncomingLimiter {
        IncomingLimiter { limit, chats: Mutex::new(HashMap::new()) }
    }

    /// Records a message of `chat` received at `date` (Unix seconds) and judges it. Every
    /// message counts, answered or not, so someone who keeps sending stays limited until they
    /// pause for the length of the window.
    pub fn check(&self, chat: i64, date: i64) -> Verdict {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        self.check_at(chat, date, now)
    }

    /// [`IncomingLimiter::check`] with the bot's clock given (for tests).
    pub fn check_at(&self, chat: i64, date: i64, now: i64) -> Verdict {
        let window = self.limit.window_secs;
        let mut chats = self.chats.lock().unwrap_or_else(PoisonError::into_inner);
        let state = chats.entry(chat).or_default();
        state.judged = now;
        state.arrivals.push_back(date);
        while state.arrivals.len() > self.limit.max + 1 {
            state.arrivals.pop_front();
        }
        while state.arrivals.front().is_some_and(|&first| first <= date - window) {
            state.arrivals.pop_front();
        }
        if state.arrivals.len() <= self.limit.max {
            state.noticed = false;
            Verdict::Answer
        } else if !state.noticed {
            state.noticed = true;
            Verdict::Notice
        } else {
            Verdict::Ignore
        }
    }
}

impl IncomingLimiter {
    /// [`IncomingLimiter::check`], shared by all replicas when `store` is given (`kind` names
    /// the flow: `msg`, `tap`); this replica's own count stands in while the store fails.
    pub async fn check_shared(
        &self,
        store: Option<&Store>,
        kind: &str,
        chat: i64,
        date: i64,
    ) -> Verdict {
        if let Some(store) = store.filter(|s| !s.is_down()) {
            let (max, window) = (self.limit.max, self.limit.window_secs);
            match store.flood(kind, chat, date, max, window).await {
                Ok(0) => return Verdict::Answer,
                Ok(1) => return Verdict::Notice,
                Ok(_) => return Verdict::Ignore,
                Err(_) => {}
            }
        }
        self.check(chat, date)
    }

    /// Forgets every chat with no message dated, nor judged, within the window before `now`
    /// (Unix seconds): its next message would be answered anyway, so nothing is lost.
    pub fn forget_idle(&self, now: i64) {
        let window = self.limit.window_secs;
        self.chats.lock().unwrap_or_else(PoisonError::into_inner).retain(|_, s| {
            s.judged > now - window || s.arrivals.back().is_some_and(|&last| last > now - window)
        });
    }

    /// How many chats the limiter knows of now.
    #[must_use]
    pub fn chats_known(&self) -> usize {
        self.chats.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

impl Default for IncomingLimiter {
    fn default() -> IncomingLimiter {
        IncomingLimiter::new(ChatLimit::default())
    }
}

/// The time now in Unix seconds, the clock of Telegram's message dates.
#[must_use]
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcra_allows_a_burst_then_paces() {
        let start = Instant::now();
        let mut g = Gcra::new(Duration::from_secs(1), 2);
        assert_eq!(g.reserve(start), start);
        assert_eq!(g.reserve(start), start);
        assert_eq!(g.reserve(start), start + Duration::from_secs(1));
        assert_eq!(g.reserve(start), start + Duration::from_secs(2));
        // After a long pause the burst is available again.
        let later = start + Duration::from_secs(10);
        assert_eq!(g.reserve(later), later);
        assert_eq!(g.reserve(later), later);
        g.hold_until(later + Duration::from_secs(5));
        assert!(g.reserve(later) >= later + Duration::from_secs(5));
    }

    #[test]
    fn a_burst_gets_one_notice_then_silence_then_answers_again() {
        let l = IncomingLimiter::new(ChatLimit { max: 3, window_secs: 10 });
        let verdicts: Vec<Verdict> = (0..6).map(|_| l.check(1, 100)).collect();
        use Verdict::*;
        assert_eq!(verdicts, [Answer, Answer, Answer, Notice, Ignore, Ignore]);
        // Another chat is not affected.
        assert_eq!(l.check(2, 100), Answer);
        // After a pause as long as the window, answers again.
        assert_eq!(l.check(1, 110), Answer);
        assert_eq!(l.check(1, 111), Answer);
    }

    #[test]
    fn idle_chats_are_forgotten() {
        let l = IncomingLimiter::new(ChatLimit { max: 3, window_secs: 10 });
        l.check_at(1, 100, 100);
        l.check_at(2, 105, 105);
        // A backlog: old messages judged now stay counted.
        l.check_at(3, 50, 110);
        l.forget_idle(104);
        assert_eq!(l.chats_known(), 3);
        l.forget_idle(111);
        assert_eq!(l.chats_known(), 2, "chat 1 is idle since 100");
        l.forget_idle(115);
        assert_eq!(l.chats_known(), 1, "chat 3 was judged at 110");
        l.forget_idle(120);
        assert_eq!(l.chats_known(), 0);

        let gate = OutgoingGate::new(SendLimits::default());
        let now = Instant::now();
        gate.hold(7, now + Duration::from_secs(3));
        gate.forget_idle(now);
        assert_eq!(gate.chats_known(), 1, "held: still needed");
        gate.forget_idle(now + Duration::from_secs(10));
        assert_eq!(gate.chats_known(), 0);
    }

    #[test]
    fn someone_who_keeps_sending_stays_limited() {
        let l = IncomingLimiter::new(ChatLimit { max: 5, window_secs: 10 });
        let answered = (0..50).filter(|i| l.check(7, 1000 + i / 5) == Verdict::Answer).count();
        assert_eq!(answered, 5);
    }
}

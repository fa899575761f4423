//! A fake Telegram Bot API server on 127.0.0.1, for running the real `faqbot` binary against.
//!
//! It speaks just enough HTTP/1.1 (keep-alive, `Content-Length` bodies) for teloxide's client,
//! serves `/bot<TOKEN>/<method>` with method names compared case-insensitively (teloxide sends
//! `SendMessage`), queues updates for long-polling `getUpdates` (honouring `offset`), records
//! every request, checks each against the Bot API's limits ([`limits`]), and injects faults
//! from a seeded random generator: 429 with `retry_after`, 500s, dropped connections, slow
//! answers, failing `getUpdates`, failing `getMe`, and Telegram's flood limits.
//!
//! Each delivered message is kept as Telegram would show it ([`Sent`]: the visible text, the
//! inline keyboard), so a test can tap its buttons; [`updates`] builds the updates to queue.

pub mod limits;
mod server;
pub mod updates;

pub use super::http::post_webhook;

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::Notify;

use updates::{bot_user, private_chat, user};

/// The token the bot is started with; it must never show in its logs.
pub const TOKEN: &str = "5566778899:AAH-fake-SECRET-token_for_resilience";
/// The secret half of the token (what would leak if only the id were scrubbed).
pub const TOKEN_SECRET: &str = "AAH-fake-SECRET-token_for_resilience";
/// The bot's id and username, as `getMe` tells them.
pub const BOT_ID: i64 = 5566778899;
pub const BOT_USERNAME: &str = "faq_fake_bot";

/// Faults to inject. Probabilities are per request of the kind named.
#[derive(Debug, Clone)]
pub struct Faults {
    pub seed: u64,
    /// `sendMessage` answered 429 with `retry_after`.
    pub send_429: f64,
    /// `sendMessage` answered 500.
    pub send_500: f64,
    /// `sendMessage` connection dropped without an answer (and the message not sent).
    pub send_drop: f64,
    /// The `retry_after` of injected 429s, in seconds.
    pub retry_after: u64,
    /// `getUpdates` failing (half dropped connections, half 500s).
    pub updates_fail: f64,
    /// Every `sendMessage` reaches the server this late (a slow Telegram): the message is
    /// delivered, and answered, only after it.
    pub send_delay: Duration,
    /// Requests answered late, by up to `slow_max`: the message is delivered at once, but the
    /// bot hears of it only after the delay.
    pub slow: f64,
    pub slow_max: Duration,
    /// The first this many `getMe` calls fail (dropped connections).
    pub get_me_failures: u32,
    /// The longest a `getUpdates` long poll is held, whatever the bot asks.
    pub poll_cap: Duration,
}

impl Default for Faults {
    fn default() -> Faults {
        Faults {
            seed: 1,
            send_429: 0.0,
            send_500: 0.0,
            send_drop: 0.0,
            retry_after: 1,
            updates_fail: 0.0,
            send_delay: Duration::ZERO,
            slow: 0.0,
            slow_max: Duration::ZERO,
            get_me_failures: 0,
            poll_cap: Duration::from_millis(1000),
        }
    }
}

/// A scripted answer to the next `sendMessage` to one chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scripted {
    TooMany {
        retry_after: u64,
    },
    ServerError,
    Drop,
    /// 403: the user blocked the bot. Final.
    Blocked,
}

/// What happened to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// An injected fault (`429`, `500`, `drop`, `403`).
    Fault(&'static str),
    /// Refused by the flood limits (429).
    Flood,
    /// Refused as Telegram would refuse it (400), with the reason.
    Refused(String),
}

/// One request the bot made.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method, lower-case.
    pub method: String,
    pub params: Value,
    /// Since the server started.
    pub at: Duration,
    pub outcome: Outcome,
}

/// A message the bot delivered.
#[derive(Debug, Clone)]
pub struct Sent {
    pub chat: i64,
    /// As sent (HTML).
    pub text: String,
    /// As Telegram shows it: the HTML parsed, its entities decoded.
    pub visible: String,
    /// The inline keyboard, row by row (empty without one).
    pub buttons: Vec<Vec<Button>>,
    pub at: Duration,
    /// The message as Telegram returned it to the bot (what a callback query points at).
    pub message: Value,
}

/// A button of an inline keyboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    pub text: String,
    pub callback_data: Option<String>,
    pub url: Option<String>,
}

impl Sent {
    /// Delivery time, seconds since the server started.
    pub fn secs(&self) -> f64 {
        self.at.as_secs_f64()
    }

    /// The `callback_data` of every button, row after row.
    pub fn callback_data(&self) -> Vec<String> {
        self.buttons.iter().flatten().filter_map(|b| b.callback_data.clone()).collect()
    }

    /// The labels of every button, row after row.
    pub fn button_texts(&self) -> Vec<String> {
        self.buttons.iter().flatten().map(|b| b.text.clone()).collect()
    }

    /// The id Telegram gave the message.
    pub fn message_id(&self) -> i64 {
        self.message["message_id"].as_i64().unwrap_or_default()
    }
}

/// Reads an inline keyboard (`reply_markup`) as rows of buttons.
fn buttons_of(markup: Option<&Value>) -> Vec<Vec<Button>> {
    let Some(rows) = markup.and_then(|m| m["inline_keyboard"].as_array()) else {
        return Vec::new();
    };
    let text = |v: &Value| v.as_str().map(str::to_string);
    rows.iter()
        .map(|row| {
            row.as_array()
                .into_iter()
                .flatten()
                .map(|b| Button {
                    text: text(&b["text"]).unwrap_or_default(),
                    callback_data: text(&b["callback_data"]),
                    url: text(&b["url"]),
                })
                .collect()
        })
        .collect()
}

/// Everything the server knows.
pub struct State {
    pub faults: Faults,
    rng: u64,
    next_update: i64,
    next_message: i64,
    queue: VecDeque<Value>,
    /// Updates with ids below this were confirmed by the bot (the `offset` it sent).
    pub confirmed: i64,
    pub requests: Vec<Request>,
    pub sent: Vec<Sent>,
    /// Requests Telegram would refuse, and protocol errors.
    pub violations: Vec<String>,
    /// 429s provoked by going over the flood limits.
    pub floods: usize,
    get_me_calls: u32,
    next_query: u64,
    chats: HashMap<i64, Value>,
    callbacks: HashSet<String>,
    answered: HashSet<String>,
    scripts: HashMap<i64, VecDeque<Scripted>>,
    always: HashMap<i64, Scripted>,
    window: VecDeque<Instant>,
    buckets: HashMap<i64, (f64, Instant)>,
    /// The webhook set by `setWebhook` (its parameters: `url`, `secret_token`...), until
    /// `deleteWebhook`.
    pub webhook: Option<Value>,
    /// What `getWebhookInfo` reports as the last delivery error: its Unix time and message.
    pub webhook_error: Option<(i64, String)>,
}

/// Telegram's flood limits as the fake enforces them: at most 30 messages in any second
/// overall; per chat a bucket of 3 refilled at 1 a second (bursts allowed, about 1/s beyond).
pub const FLOOD_OVERALL_PER_SEC: usize = 30;
const FLOOD_CHAT_BURST: f64 = 3.0;
const FLOOD_CHAT_PER_SEC: f64 = 1.0;

impl State {
    fn random(&mut self) -> f64 {
        // splitmix64: small, seeded, good enough to pick faults.
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Whether a message to `chat` now stays within the flood limits (and counts it if so).
    fn flood_allows(&mut self, chat: i64, now: Instant) -> bool {
        while self.window.front().is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            self.window.pop_front();
        }
        let (tokens, last) = self.buckets.entry(chat).or_insert((FLOOD_CHAT_BURST, now));
        let refilled = (*tokens + now.duration_since(*last).as_secs_f64() * FLOOD_CHAT_PER_SEC)
            .min(FLOOD_CHAT_BURST);
        *last = now;
        if self.window.len() >= FLOOD_OVERALL_PER_SEC || refilled < 1.0 {
            *tokens = refilled;
            return false;
        }
        *tokens = refilled - 1.0;
        self.window.push_back(now);
        true
    }

    /// Requests of one method (lower-case).
    pub fn calls(&self, method: &str) -> Vec<&Request> {
        self.requests.iter().filter(|r| r.method == method).collect()
    }

    /// `sendMessage` requests to one chat, whatever their outcome.
    pub fn send_attempts(&self, chat: i64) -> Vec<&Request> {
        self.requests
            .iter()
            .filter(|r| r.method == "sendmessage" && r.params["chat_id"].as_i64() == Some(chat))
            .collect()
    }

    /// Messages delivered to one chat.
    pub fn sent_to(&self, chat: i64) -> Vec<&Sent> {
        self.sent.iter().filter(|s| s.chat == chat).collect()
    }

    /// Injected faults of a kind, on a method.
    pub fn faults_of(&self, method: &str, kind: &str) -> usize {
        self.requests
            .iter()
            .filter(|r| r.method == method && matches!(r.outcome, Outcome::Fault(k) if k == kind))
            .count()
    }
}

struct Inner {
    state: Mutex<State>,
    news: Notify,
    started: Instant,
}

/// A running fake server. It stops with the test's runtime.
#[derive(Clone)]
pub struct FakeApi {
    addr: SocketAddr,
    inner: Arc<Inner>,
}

/// The current time in Unix seconds.
pub fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

impl FakeApi {
    /// Starts a server on a random port of 127.0.0.1.
    pub async fn start(faults: Faults) -> FakeApi {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
        let addr = listener.local_addr().unwrap();
        let state = State {
            rng: faults.seed,
            faults,
            next_update: 1,
            next_message: 1,
            queue: VecDeque::new(),
            confirmed: 0,
            requests: Vec::new(),
            sent: Vec::new(),
            violations: Vec::new(),
            floods: 0,
            get_me_calls: 0,
            next_query: 0,
            chats: HashMap::new(),
            callbacks: HashSet::new(),
            answered: HashSet::new(),
            scripts: HashMap::new(),
            always: HashMap::new(),
            window: VecDeque::new(),
            buckets: HashMap::new(),
            webhook: None,
            webhook_error: None,
        };
        let inner = Arc::new(Inner {
            state: Mutex::new(state),
            news: Notify::new(),
            started: Instant::now(),
        });
        let server = inner.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let _ = stream.set_nodelay(true);
                tokio::spawn(server::serve_connection(stream, server.clone()));
            }
        });
        FakeApi { addr, inner }
    }

    /// The base URL for `TELOXIDE_API_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server's state, to read or change.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Time since the server started (the clock of recorded requests).
    pub fn now(&self) -> Duration {
        self.inner.started.elapsed()
    }

    /// Scripts the answers to the next `sendMessage`s to a chat.
    pub fn script(&self, chat: i64, answers: &[Scripted]) {
        self.state().scripts.entry(chat).or_default().extend(answers.iter().copied());
    }

    /// Answers every `sendMessage` to a chat so.
    pub fn always(&self, chat: i64, answer: Scripted) {
        self.state().always.insert(chat, answer);
    }

    /// Queues an update (its kind and payload) for `getUpdates`; returns its id.
    pub fn push(&self, kind: &str, payload: Value) -> i64 {
        let update = self.update(kind, payload);
        let id = update["update_id"].as_i64().unwrap();
        self.state().queue.push_back(update);
        self.inner.news.notify_waiters();
        id
    }

    /// Makes an update (its kind and payload) as Telegram would deliver it, without queueing
    /// it: for posting to a webhook ([`FakeApi::post_to_webhook`]).
    pub fn update(&self, kind: &str, payload: Value) -> Value {
        let mut s = self.state();
        let id = s.next_update;
        s.next_update += 1;
        for chat in [&payload["chat"], &payload["message"]["chat"]] {
            if let Some(id) = chat["id"].as_i64() {
                s.chats.insert(id, chat.clone());
            }
        }
        if kind == "callback_query" {
            s.callbacks.insert(payload["id"].as_str().unwrap_or_default().to_string());
        }
        let mut update = json!({ "update_id": id });
        update[kind] = payload;
        update
    }

    /// A private text message from user `id`, as an update (not queued).
    pub fn text_update(&self, id: i64, text: &str) -> Value {
        let message = json!({
            "message_id": self.message_id(),
            "date": unix_now(),
            "chat": private_chat(id),
            "from": user(id),
            "text": text,
        });
        self.update("message", message)
    }

    /// Posts `update` to the bot's webhook, as Telegram does: to the path of the URL the bot
    /// set with `setWebhook`, at `listen` (the address behind the proxy), with the secret it
    /// set in `X-Telegram-Bot-Api-Secret-Token`. Returns the HTTP status.
    pub async fn post_to_webhook(&self, listen: SocketAddr, update: &Value) -> u16 {
        let webhook = self.state().webhook.clone().expect("a webhook set with setWebhook");
        let url = webhook["url"].as_str().expect("a webhook URL");
        let path = url.splitn(4, '/').nth(3).map_or("/".to_string(), |p| format!("/{p}"));
        let secret = webhook["secret_token"].as_str();
        let body = update.to_string();
        post_webhook(listen, &path, secret, body.as_bytes()).await.0
    }

    /// A new message id, for messages in updates.
    pub fn message_id(&self) -> i64 {
        let mut s = self.state();
        s.next_message += 1;
        s.next_message
    }

    /// Queues a message from `user` in `chat`, with `content` (e.g. `{"text": ...}`).
    pub fn push_message(&self, chat: &Value, user: &Value, content: Value) -> i64 {
        let mut message = json!({
            "message_id": self.message_id(),
            "date": unix_now(),
            "chat": chat,
            "from": user,
        });
        for (k, v) in content.as_object().expect("content is an object") {
            message[k] = v.clone();
        }
        self.push("message", message)
    }

    /// Queues a private text message from user `id`.
    pub fn push_text(&self, id: i64, text: &str) -> i64 {
        self.push_message(&private_chat(id), &user(id), json!({ "text": text }))
    }

    /// Queues a tap on a button: a callback query from `from` with `data`, on `message` (a
    /// message of the bot's, e.g. [`Sent::message`]; `None` for a message sent inline).
    /// Returns the query's id.
    pub fn push_tap(&self, from: &Value, message: Option<&Value>, data: Option<&str>) -> String {
        let query = {
            let mut s = self.state();
            s.next_query += 1;
            format!("cb-{}", s.next_query)
        };
        let mut payload = json!({ "id": query, "from": from, "chat_instance": "ci" });
        match message {
            Some(message) => payload["message"] = message.clone(),
            None => payload["inline_message_id"] = json!("im-1"),
        }
        if let Some(data) = data {
            payload["data"] = json!(data);
        }
        self.push("callback_query", payload);
        query
    }

    /// The `answerCallbackQuery` requests for one query, with their parameters.
    pub fn callback_answers(&self, query: &str) -> Vec<Value> {
        let s = self.state();
        s.calls("answercallbackquery")
            .into_iter()
            .filter(|r| r.params["callback_query_id"].as_str() == Some(query))
            .map(|r| r.params.clone())
            .collect()
    }

    /// Waits until `chat` has received at least `n` messages in all; returns them all.
    pub async fn wait_sent(&self, chat: i64, n: usize, timeout: Duration) -> Option<Vec<Sent>> {
        let got = self.wait_for(timeout, |s| s.sent_to(chat).len() >= n).await;
        got.then(|| self.state().sent_to(chat).into_iter().cloned().collect())
    }

    /// Waits until `done` holds or `timeout` passes; returns whether it held.
    pub async fn wait_for(&self, timeout: Duration, done: impl Fn(&State) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if done(&self.state()) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The parameters of the webhook set, if any.
    pub fn webhook(&self) -> Option<Value> {
        self.state().webhook.clone()
    }

    /// The violations recorded so far.
    pub fn violations(&self) -> Vec<String> {
        self.state().violations.clone()
    }
}

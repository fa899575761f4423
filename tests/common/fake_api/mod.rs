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
pub mod updates;

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
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
                tokio::spawn(serve_connection(stream, server.clone()));
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

    /// Queues an update (its kind and payload); returns its id.
    pub fn push(&self, kind: &str, payload: Value) -> i64 {
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
        s.queue.push_back(update);
        drop(s);
        self.inner.news.notify_waiters();
        id
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

    /// The violations recorded so far.
    pub fn violations(&self) -> Vec<String> {
        self.state().violations.clone()
    }
}

enum Answer {
    Json(u16, Value),
    Drop,
}

fn ok(result: Value) -> Answer {
    Answer::Json(200, json!({ "ok": true, "result": result }))
}

fn error(code: u16, description: &str) -> Answer {
    Answer::Json(code, json!({ "ok": false, "error_code": code, "description": description }))
}

fn too_many(retry_after: u64) -> Answer {
    Answer::Json(
        429,
        json!({
            "ok": false,
            "error_code": 429,
            "description": format!("Too Many Requests: retry after {retry_after}"),
            "parameters": { "retry_after": retry_after },
        }),
    )
}

async fn serve_connection(stream: TcpStream, inner: Arc<Inner>) {
    let mut stream = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        match stream.read_line(&mut request_line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        if stream.read_exact(&mut body).await.is_err() {
            return;
        }
        let path = request_line.split_whitespace().nth(1).unwrap_or_default().to_string();
        let answer = handle(&inner, &path, &body).await;
        let Answer::Json(status, value) = answer else {
            // Dropped: close the connection without a word.
            return;
        };
        let body = value.to_string();
        let reason = match status {
            200 => "OK",
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            429 => "Too Many Requests",
            _ => "Internal Server Error",
        };
        let head = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: keep-alive\r\n\r\n",
            body.len()
        );
        if stream.get_mut().write_all(head.as_bytes()).await.is_err()
            || stream.get_mut().write_all(body.as_bytes()).await.is_err()
        {
            return;
        }
    }
}

async fn handle(inner: &Inner, path: &str, body: &[u8]) -> Answer {
    let at = inner.started.elapsed();
    let Some((token, method)) = path.strip_prefix("/bot").and_then(|p| p.rsplit_once('/')) else {
        inner.state.lock().unwrap().violations.push("a request outside /bot<TOKEN>/".into());
        return error(404, "Not Found");
    };
    let method = method.to_ascii_lowercase();
    let params: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(_) => {
                inner.state.lock().unwrap().violations.push(format!("{method}: body is not JSON"));
                return error(400, "Bad Request: body is not JSON");
            }
        }
    };
    if token != TOKEN {
        inner.state.lock().unwrap().violations.push(format!("{method}: wrong token"));
        return error(401, "Unauthorized");
    }
    if method == "getupdates" {
        return get_updates(inner, params, at).await;
    }
    if method == "sendmessage" {
        let delay = inner.state.lock().unwrap().faults.send_delay;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
    let at = inner.started.elapsed();
    let (answer, outcome, delay) = {
        let mut s = inner.state.lock().unwrap();
        let delay = if s.faults.slow > 0.0 && s.random() < s.faults.slow {
            s.faults.slow_max.mul_f64(s.random())
        } else {
            Duration::ZERO
        };
        let (answer, outcome) = answer_method(&mut s, &method, &params, at);
        if let Outcome::Refused(reason) = &outcome {
            s.violations.push(format!("{method}: {reason}"));
        }
        (answer, outcome, delay)
    };
    inner.state.lock().unwrap().requests.push(Request { method, params, at, outcome });
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    answer
}

fn answer_method(s: &mut State, method: &str, params: &Value, at: Duration) -> (Answer, Outcome) {
    match method {
        "getme" => {
            s.get_me_calls += 1;
            if s.get_me_calls <= s.faults.get_me_failures {
                return (Answer::Drop, Outcome::Fault("drop"));
            }
            let mut me = bot_user();
            me["can_join_groups"] = json!(true);
            me["can_read_all_group_messages"] = json!(false);
            me["supports_inline_queries"] = json!(false);
            me["can_connect_to_business"] = json!(false);
            me["has_main_web_app"] = json!(false);
            (ok(me), Outcome::Ok)
        }
        "deletewebhook" | "setmycommands" | "deletemycommands" | "close" | "logout" => {
            if method == "setmycommands" {
                if let Err(e) = limits::check_commands(params) {
                    return (error(400, &format!("Bad Request: {e}")), Outcome::Refused(e));
                }
            }
            (ok(json!(true)), Outcome::Ok)
        }
        "getwebhookinfo" => (
            ok(json!({ "url": "", "has_custom_certificate": false, "pending_update_count": 0 })),
            Outcome::Ok,
        ),
        "answercallbackquery" => {
            let id = params["callback_query_id"].as_str().unwrap_or_default().to_string();
            if !s.callbacks.contains(&id) {
                let e = "query id is invalid".to_string();
                return (error(400, &format!("Bad Request: {e}")), Outcome::Refused(e));
            }
            if !s.answered.insert(id) {
                let e = "query is answered twice".to_string();
                return (error(400, &format!("Bad Request: {e}")), Outcome::Refused(e));
            }
            if let Err(e) = limits::check_answer_callback(params) {
                return (error(400, &format!("Bad Request: {e}")), Outcome::Refused(e));
            }
            (ok(json!(true)), Outcome::Ok)
        }
        "sendmessage" => send_message(s, params, at),
        other => {
            let e = format!("unknown method {other}");
            (error(404, "Not Found: method not found"), Outcome::Refused(e))
        }
    }
}

fn send_message(s: &mut State, params: &Value, at: Duration) -> (Answer, Outcome) {
    let Some(chat_id) = params["chat_id"].as_i64() else {
        let e = "chat_id is not a number".to_string();
        return (error(400, &format!("Bad Request: {e}")), Outcome::Refused(e));
    };
    let Some(chat) = s.chats.get(&chat_id).cloned() else {
        let e = "chat not found".to_string();
        return (error(400, &format!("Bad Request: {e}")), Outcome::Refused(e));
    };
    // Injected faults come first: the message is then not delivered.
    let scripted = match s.scripts.get_mut(&chat_id).and_then(VecDeque::pop_front) {
        Some(answer) => Some(answer),
        None => s.always.get(&chat_id).copied(),
    };
    let roll = s.random();
    let f = &s.faults;
    let fault = scripted.or(if roll < f.send_429 {
        Some(Scripted::TooMany { retry_after: f.retry_after })
    } else if roll < f.send_429 + f.send_500 {
        Some(Scripted::ServerError)
    } else if roll < f.send_429 + f.send_500 + f.send_drop {
        Some(Scripted::Drop)
    } else {
        None
    });
    match fault {
        Some(Scripted::TooMany { retry_after }) => {
            return (too_many(retry_after), Outcome::Fault("429"));
        }
        Some(Scripted::ServerError) => {
            return (error(500, "Internal Server Error"), Outcome::Fault("500"));
        }
        Some(Scripted::Drop) => return (Answer::Drop, Outcome::Fault("drop")),
        Some(Scripted::Blocked) => {
            return (error(403, "Forbidden: bot was blocked by the user"), Outcome::Fault("403"));
        }
        None => {}
    }
    let visible = match limits::check_send_message(params) {
        Ok(v) => v,
        Err(e) => return (error(400, &format!("Bad Request: {e}")), Outcome::Refused(e)),
    };
    if !s.flood_allows(chat_id, Instant::now()) {
        s.floods += 1;
        return (too_many(1), Outcome::Flood);
    }
    let id = s.next_message + 1;
    s.next_message = id;
    let text = params["text"].as_str().unwrap_or_default().to_string();
    let markup = params.get("reply_markup");
    let mut message = json!({
        "message_id": id,
        "date": unix_now(),
        "chat": chat,
        "from": bot_user(),
        "text": visible,
    });
    if let Some(markup) = markup {
        message["reply_markup"] = markup.clone();
    }
    s.sent.push(Sent {
        chat: chat_id,
        text,
        visible,
        buttons: buttons_of(markup),
        at,
        message: message.clone(),
    });
    (ok(message), Outcome::Ok)
}

async fn get_updates(inner: &Inner, params: Value, at: Duration) -> Answer {
    let offset = params["offset"].as_i64().unwrap_or(0);
    let limit = params["limit"].as_u64().unwrap_or(100).clamp(1, 100) as usize;
    let asked = Duration::from_secs(params["timeout"].as_u64().unwrap_or(0));
    let (fail, cap) = {
        let mut s = inner.state.lock().unwrap();
        let fail = s.faults.updates_fail > 0.0 && s.random() < s.faults.updates_fail;
        let drop = fail && s.random() < 0.5;
        let outcome = match (fail, drop) {
            (false, _) => Outcome::Ok,
            (true, true) => Outcome::Fault("drop"),
            (true, false) => Outcome::Fault("500"),
        };
        s.requests.push(Request {
            method: "getupdates".into(),
            params: params.clone(),
            at,
            outcome,
        });
        (fail.then_some(drop), s.faults.poll_cap)
    };
    match fail {
        Some(true) => return Answer::Drop,
        Some(false) => return error(500, "Internal Server Error"),
        None => {}
    }
    let deadline = tokio::time::Instant::now() + asked.min(cap);
    loop {
        let news = inner.news.notified();
        tokio::pin!(news);
        news.as_mut().enable();
        {
            let mut s = inner.state.lock().unwrap();
            if offset > 0 {
                s.queue.retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
                s.confirmed = s.confirmed.max(offset);
            }
            let ready: Vec<Value> = s.queue.iter().take(limit).cloned().collect();
            if !ready.is_empty() || tokio::time::Instant::now() >= deadline {
                return ok(Value::Array(ready));
            }
        }
        let _ = tokio::time::timeout_at(deadline, news).await;
    }
}

//! What the integration tests share: the fake Telegram Bot API ([`fake_api`]), the real
//! `faqbot` binary run against it ([`process`]), conversations with it that wait for replies
//! rather than sleep ([`Conversation`]), expected replies computed by the binary itself
//! ([`oracle`]), and the shipped faq.json read with serde_json ([`Faq`]), so that tests assert
//! against its texts rather than copies of them.
//!
//! Only the binary's interface is used here (environment, command line, replies), never the
//! library's module paths. Each test file takes it with `mod common;`, and uses part of it.

#![allow(dead_code)]

pub mod fake_api;
pub mod http;
pub mod oracle;
pub mod process;
pub mod replicas;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;

use fake_api::updates::{group_chat, private_chat};
use fake_api::{FakeApi, Faults, Sent, BOT_USERNAME, TOKEN, TOKEN_SECRET};
use process::BotProcess;

/// How long a reply may take before a test gives up on it (debug build, busy machine).
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------- files

/// The faq.json the bot ships with.
pub fn shipped_faq() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("faq.json")
}

/// A faq.json's source.
pub fn read_source(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A faq.json as JSON.
pub fn read_json(path: &Path) -> Value {
    serde_json::from_str(&read_source(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The shipped faq.json as JSON.
pub fn shipped_json() -> Value {
    read_json(&shipped_faq())
}

/// A fresh, empty directory for one test: `name` must be unique within the test file.
pub fn temp_dir(name: &str) -> PathBuf {
    let crate_name = env!("CARGO_CRATE_NAME");
    static SWEEP: std::sync::Once = std::sync::Once::new();
    SWEEP.call_once(|| sweep_temp_dirs(&format!("faqbot-{crate_name}-")));
    let dir =
        std::env::temp_dir().join(format!("faqbot-{crate_name}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Removes the directories earlier runs of this test crate left (`{prefix}{pid}-...`) whose
/// process has ended, so that repeated runs do not pile them up in the temporary directory.
/// Where there is no /proc to tell, nothing is removed.
fn sweep_temp_dirs(prefix: &str) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(prefix).and_then(|rest| rest.split('-').next()) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let path = entry.path();
            let _ = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
        }
    }
}

/// Writes `src` as `faq.json` in a fresh directory; returns its path.
pub fn write_faq(name: &str, src: &str) -> PathBuf {
    let path = temp_dir(name).join("faq.json");
    std::fs::write(&path, src).unwrap();
    path
}

/// A copy of the shipped faq.json in a fresh directory; returns its path.
pub fn faq_copy(name: &str) -> PathBuf {
    write_faq(name, &read_source(&shipped_faq()))
}

/// The question whose answer [`write_changed_faq`] changes.
pub const CLOSURE_QUESTION: &str = "When will the ICRC office in Azerbaijan close?";

/// Writes the shipped faq.json to `path` with the English answer of topic `closure` replaced
/// by `marker`.
pub fn write_changed_faq(path: &Path, marker: &str) {
    let mut faq = shipped_json();
    let topic = faq["topics"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|t| t["id"] == "closure")
        .expect("a topic `closure`");
    topic["answer"]["en"] = Value::String(marker.to_string());
    std::fs::write(path, serde_json::to_string_pretty(&faq).unwrap()).unwrap();
}

/// The line of the error in what [`write_broken_faq`] writes.
pub const BROKEN_LINE: usize = 3;

/// Writes a faq.json that is not even JSON: its error is on line [`BROKEN_LINE`].
pub fn write_broken_faq(path: &Path) {
    std::fs::write(path, "{\n  \"languages\": [\"en\",\n    oops\n}\n").unwrap();
}

/// Line (1-based) of the first occurrence of `needle` in `src`.
pub fn line_of(src: &str, needle: &str) -> usize {
    src[..src.find(needle).unwrap_or_else(|| panic!("{needle} in source"))].matches('\n').count()
        + 1
}

// ---------------------------------------------------------------- the FAQ's texts

/// A faq.json read with serde_json, for the texts the bot must show.
pub struct Faq {
    pub json: Value,
}

/// The first line of a text (enough to recognise it in a reply).
pub fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or_default()
}

impl Faq {
    /// The shipped faq.json.
    pub fn shipped() -> Faq {
        Faq { json: shipped_json() }
    }

    /// Any faq.json.
    pub fn load(path: &Path) -> Faq {
        Faq { json: read_json(path) }
    }

    /// The language codes, the default first.
    pub fn languages(&self) -> Vec<String> {
        strings(&self.json["languages"])
    }

    fn pick(&self, localized: &Value, lang: &str) -> String {
        let default = self.languages()[0].clone();
        localized[lang]
            .as_str()
            .or_else(|| localized[default.as_str()].as_str())
            .unwrap_or_default()
            .to_string()
    }

    /// A fixed text (`texts.KEY`) in a language, or in the default one where it is missing,
    /// as the bot picks it.
    pub fn text(&self, key: &str, lang: &str) -> String {
        let localized = &self.json["texts"][key];
        assert!(localized.is_object(), "faq.json has no text `{key}`");
        self.pick(localized, lang)
    }

    /// A fixed text in every language.
    pub fn text_in_every_language(&self, key: &str) -> Vec<String> {
        self.languages().iter().map(|l| self.text(key, l)).collect()
    }

    /// The commands of the menu, by name, and their descriptions in `lang`.
    pub fn commands(&self, lang: &str) -> Vec<(String, String)> {
        let commands = self.json["commands"].as_object().expect("commands");
        commands.iter().map(|(name, desc)| (name.clone(), self.pick(desc, lang))).collect()
    }

    /// Topic ids, in order.
    pub fn topic_ids(&self) -> Vec<String> {
        self.topics().iter().map(|t| t["id"].as_str().unwrap().to_string()).collect()
    }

    /// The `callback_data` of every topic's button, in order.
    pub fn topic_buttons(&self) -> Vec<String> {
        self.topic_ids().iter().map(|id| format!("t:{id}")).collect()
    }

    pub fn topics(&self) -> &Vec<Value> {
        self.json["topics"].as_array().expect("topics")
    }

    /// One topic.
    pub fn topic(&self, id: &str) -> &Value {
        self.topics().iter().find(|t| t["id"] == id).unwrap_or_else(|| panic!("topic {id}"))
    }

    /// A topic's title in a language.
    pub fn title(&self, id: &str, lang: &str) -> String {
        self.pick(&self.topic(id)["title"], lang)
    }

    /// A topic's answer in a language.
    pub fn answer(&self, id: &str, lang: &str) -> String {
        self.pick(&self.topic(id)["answer"], lang)
    }

    /// The ids of a topic's referral contacts.
    pub fn topic_contacts(&self, id: &str) -> Vec<String> {
        strings(&self.topic(id)["contacts"])
    }

    /// Every topic's phrasings in a language.
    pub fn phrasings(&self, lang: &str) -> Vec<String> {
        self.topics().iter().flat_map(|t| strings(&t["questions"][lang])).collect()
    }

    pub fn contacts(&self) -> &Vec<Value> {
        self.json["contacts"].as_array().expect("contacts")
    }

    /// A contact's name in a language.
    pub fn contact_name(&self, id: &str, lang: &str) -> String {
        let contact = self.contacts().iter().find(|c| c["id"] == id);
        self.pick(&contact.unwrap_or_else(|| panic!("contact {id}"))["name"], lang)
    }
}

fn strings(list: &Value) -> Vec<String> {
    list.as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_string)).collect()
}

// ---------------------------------------------------------------- the binary

/// `program` with none of the variables the bot reads, run in the temporary directory: the
/// developer's environment and `.env` must not change what is tested.
pub fn clean_command(program: impl AsRef<OsStr>) -> Command {
    let mut c = Command::new(program);
    c.current_dir(std::env::temp_dir());
    for var in [
        "TELOXIDE_TOKEN",
        "TELOXIDE_API_URL",
        "TELOXIDE_PROXY",
        "FAQ_PATH",
        "RUST_LOG",
        "LOG_MESSAGE_TEXT",
        "ADMIN_IDS",
        "GAPS_PATH",
        "GAPS_RETENTION_DAYS",
        "FAQBOT_TEST_PANIC_ON",
        "STATE_PATH",
        "STOP_TIMEOUT",
        "WEBHOOK_URL",
        "WEBHOOK_LISTEN",
        "WEBHOOK_SECRET",
        "METRICS_LISTEN",
    ] {
        c.env_remove(var);
    }
    c
}

/// The `faqbot` binary cargo built for the tests, in a clean environment.
pub fn faqbot() -> Command {
    clean_command(env!("CARGO_BIN_EXE_faqbot"))
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Starts a fake server and the bot (see [`BotProcess::start`] for `env`), and waits until the
/// bot polls for updates: by then it has also registered its command menus.
pub async fn start(faults: Faults, env: &[(&str, &str)]) -> (FakeApi, BotProcess) {
    let api = FakeApi::start(faults).await;
    let bot = BotProcess::start(&api, env);
    let polling =
        api.wait_for(Duration::from_secs(30), |s| !s.calls("getupdates").is_empty()).await;
    assert!(polling, "the bot never polled; its log:\n{}", bot.stderr());
    (api, bot)
}

// ---------------------------------------------------------------- assertions

/// Asserts that the bot sent nothing Telegram would refuse and stayed within its flood limits.
pub fn assert_no_violations(api: &FakeApi) {
    let s = api.state();
    assert!(s.violations.is_empty(), "requests Telegram would refuse: {:#?}", s.violations);
    assert_eq!(s.floods, 0, "the bot went over Telegram's flood limits");
}

/// Asserts the bot's log holds no message text, no user or chat id, no name or username, and
/// never the token.
pub fn assert_private(log: &str, texts: &[String], ids: &[i64]) {
    assert!(!log.contains(TOKEN) && !log.contains(TOKEN_SECRET), "the token is in the log:\n{log}");
    for id in ids {
        for secret in [id.to_string(), format!("username{id}"), format!("Firstname{id}")] {
            assert!(!log.contains(&secret), "{secret} is in the log:\n{log}");
        }
    }
    for text in texts.iter().filter(|t| t.trim().chars().count() >= 8) {
        // A line of the text is enough to give it away.
        let probe: String = text.trim().chars().take(40).collect();
        assert!(!log.contains(&probe), "message text {probe:?} is in the log:\n{log}");
    }
}

// ---------------------------------------------------------------- conversations

/// A bot serving the shipped faq.json (or `FAQ_PATH` of `env`) against its own fake server.
pub struct Harness {
    pub api: FakeApi,
    pub bot: BotProcess,
}

impl Harness {
    /// Starts the bot with `env` added, and waits until it polls.
    pub async fn start(env: &[(&str, &str)]) -> Harness {
        let (api, bot) = start(Faults::default(), env).await;
        Harness { api, bot }
    }

    /// Starts the bot serving the FAQ at `faq`, with `env` added, and waits until it polls.
    pub async fn serving(faq: &Path, env: &[(&str, &str)]) -> Harness {
        let faq = faq.to_str().expect("a UTF-8 path");
        let mut all = vec![("FAQ_PATH", faq)];
        all.extend_from_slice(env);
        Harness::start(&all).await
    }

    /// A private chat with `user` (see [`fake_api::updates::user`]).
    pub fn private(&self, user: Value) -> Conversation<'_> {
        let id = user["id"].as_i64().expect("a user id");
        Conversation::new(self, private_chat(id), user, "/contacts")
    }

    /// Group `group` (a negative id), where `member` writes.
    pub fn group(&self, group: i64, member: Value) -> Conversation<'_> {
        Conversation::new(self, group_chat(group), member, &format!("/contacts@{BOT_USERNAME}"))
    }

    /// The `setMyCommands` requests so far, in order.
    pub fn menus(&self) -> Vec<Value> {
        self.api.state().calls("setmycommands").iter().map(|r| r.params.clone()).collect()
    }

    /// Asserts that every request was one Telegram accepts, within its flood limits, and that
    /// the log names no one in `ids`.
    pub fn assert_clean(&self, ids: &[i64]) {
        assert_no_violations(&self.api);
        assert_private(&self.bot.stderr(), &[], ids);
    }
}

/// One chat with the bot, seen from one person: what they send, and the bot's messages to the
/// chat, taken in order. Waits are for conditions, never fixed sleeps.
pub struct Conversation<'a> {
    harness: &'a Harness,
    pub chat: Value,
    pub user: Value,
    /// Messages of this chat already taken.
    taken: usize,
    /// The command whose reply marks that everything before it was answered.
    fence: String,
    /// How the fence's reply starts, in any language.
    fence_reply: Vec<String>,
}

impl<'a> Conversation<'a> {
    fn new(harness: &'a Harness, chat: Value, user: Value, fence: &str) -> Conversation<'a> {
        let mut c = Conversation {
            harness,
            chat,
            user,
            taken: 0,
            fence: String::new(),
            fence_reply: vec![],
        };
        c.set_fence(fence);
        c
    }

    /// Settles with another command than `/contacts` (whose reply must be recognisable among
    /// the replies of the test): `/help` or `/contacts`, with `@bot` in groups.
    pub fn set_fence(&mut self, command: &str) {
        let key = match command.split('@').next() {
            Some("/contacts") => "contacts_intro",
            Some("/help") => "help",
            _ => panic!("no fence {command}"),
        };
        self.fence = command.to_string();
        self.fence_reply = Faq::shipped()
            .text_in_every_language(key)
            .iter()
            .map(|t| first_line(t).into())
            .collect();
    }

    /// The chat's id.
    pub fn id(&self) -> i64 {
        self.chat["id"].as_i64().unwrap()
    }

    /// The person's user id.
    pub fn user_id(&self) -> i64 {
        self.user["id"].as_i64().unwrap()
    }

    /// Sends a message with `content` (see [`fake_api::updates`]).
    pub fn send(&self, content: Value) {
        self.harness.api.push_message(&self.chat, &self.user, content);
    }

    /// Sends a text message.
    pub fn say(&self, text: &str) {
        self.send(fake_api::updates::text(text));
    }

    /// Taps a button with `data` on `message` (one of the bot's, or `None` for an inline
    /// message); returns the query's id.
    pub fn tap_data(&self, message: Option<&Value>, data: Option<&str>) -> String {
        self.harness.api.push_tap(&self.user, message, data)
    }

    /// Taps the button with `data` on a message the bot sent; returns the query's id.
    pub fn tap(&self, on: &Sent, data: &str) -> String {
        assert!(on.callback_data().iter().any(|d| d == data), "no button {data} on {on:#?}");
        self.tap_data(Some(&on.message), Some(data))
    }

    /// Waits for the next `n` messages of the bot to this chat, and takes them.
    pub async fn replies(&mut self, n: usize) -> Vec<Sent> {
        let want = self.taken + n;
        let api = &self.harness.api;
        let Some(sent) = api.wait_sent(self.id(), want, REPLY_TIMEOUT).await else {
            let got: Vec<Sent> = api.state().sent_to(self.id()).into_iter().cloned().collect();
            panic!(
                "chat {} got {} of {want} messages: {got:#?}\nlog:\n{}",
                self.id(),
                got.len(),
                self.harness.bot.stderr()
            );
        };
        self.taken = want;
        sent[want - n..want].to_vec()
    }

    /// Waits for the next message of the bot to this chat, and takes it.
    pub async fn reply(&mut self) -> Sent {
        self.replies(1).await.remove(0)
    }

    /// Asserts that the bot sent this chat nothing beyond what was taken, and answered every
    /// update sent so far: sends the fence command and expects its reply as the very next
    /// message (updates of a chat are handled, and its replies sent, in order).
    pub async fn settle(&mut self) {
        let fence = self.fence.clone();
        self.say(&fence);
        let next = self.reply().await;
        if !self.fence_reply.iter().any(|start| next.visible.starts_with(start.as_str())) {
            let all: Vec<Sent> =
                self.harness.api.state().sent_to(self.id()).into_iter().cloned().collect();
            panic!(
                "chat {}: unexpected message before the reply to {fence}: {next:#?}\nall: {all:#?}",
                self.id()
            );
        }
    }
}

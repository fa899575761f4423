//! Operators' side of the running bot, black-box: the real `faqbot` binary against the fake Bot
//! API server (`tests/fake_api/`). Reloading the FAQ by `/reload` and by SIGHUP, with a valid
//! and with a broken file, while others keep being answered; operator commands refused to
//! everyone else; and unanswered questions kept masked, without ids, when `GAPS_PATH` is set.
//! Expected replies are computed by the library's engine from the files the bot serves.

mod fake_api;

use std::path::{Path, PathBuf};
use std::time::Duration;

use fake_api::process::BotProcess;
use fake_api::{FakeApi, Faults, TOKEN, TOKEN_SECRET};
use faqbot::reply::{Engine, LangHints};
use serde_json::Value;

/// The question whose answer the tests change.
const QUESTION: &str = "When will the ICRC office in Azerbaijan close?";
/// A sentence the shipped faq.json does not contain.
const MARKER: &str = "RELOADED: the office closure answer as edited by an operator.";

fn hints() -> LangHints<'static> {
    LangHints { chosen: None, client: Some("en") }
}

fn engine_of(path: &Path) -> Engine {
    Engine::new(faqbot::faq::load(path).expect("the FAQ loads").faq)
}

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("faq.json")
}

/// A fresh directory for one test, holding a copy of the shipped faq.json.
fn workdir(name: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("faqbot-reload-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let faq = dir.join("faq.json");
    std::fs::copy(shipped(), &faq).unwrap();
    (dir, faq)
}

/// Rewrites the FAQ at `path` with the English answer of `closure` replaced by [`MARKER`].
fn write_changed(path: &Path) {
    let mut faq: Value =
        serde_json::from_str(&std::fs::read_to_string(shipped()).unwrap()).unwrap();
    let topic = faq["topics"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|t| t["id"] == "closure")
        .expect("a topic `closure`");
    topic["answer"]["en"] = Value::String(MARKER.to_string());
    std::fs::write(path, serde_json::to_string_pretty(&faq).unwrap()).unwrap();
}

/// A broken FAQ: its error is on line 3.
fn write_broken(path: &Path) {
    std::fs::write(path, "{\n  \"languages\": [\"en\",\n    oops\n}\n").unwrap();
}

async fn start(env: &[(&str, &str)]) -> (FakeApi, BotProcess) {
    let api = FakeApi::start(Faults::default()).await;
    let bot = BotProcess::start(&api, env);
    let polling =
        api.wait_for(Duration::from_secs(30), |s| !s.calls("getupdates").is_empty()).await;
    assert!(polling, "the bot never polled; its log:\n{}", bot.stderr());
    (api, bot)
}

/// Sends `text` from user `id` in their private chat and returns the messages it got back.
async fn ask(api: &FakeApi, bot: &BotProcess, id: i64, text: &str) -> Vec<String> {
    let before = api.state().sent_to(id).len();
    api.push_text(id, text);
    let answered = api.wait_for(Duration::from_secs(15), |s| s.sent_to(id).len() > before).await;
    assert!(answered, "{text:?} from {id} was not answered; log:\n{}", bot.stderr());
    // A reply may come in several messages: wait for the rest.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    api.state().sent_to(id)[before..].iter().map(|m| m.text.clone()).collect()
}

fn assert_clean(api: &FakeApi, log: &str, ids: &[i64]) {
    let s = api.state();
    assert!(s.violations.is_empty(), "requests Telegram would refuse: {:#?}", s.violations);
    assert_eq!(s.floods, 0, "the bot went over Telegram's flood limits");
    assert!(!log.contains(TOKEN) && !log.contains(TOKEN_SECRET), "the token is in the log");
    for id in ids {
        assert!(!log.contains(&id.to_string()), "user id {id} is in the log:\n{log}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_by_an_operator_serves_the_new_file_and_keeps_the_old_one_when_it_is_broken() {
    let (_dir, faq) = workdir("command");
    let operator = 7_201_000_001_i64;
    let stranger = 7_201_000_002_i64;
    let others: Vec<i64> = (10..20).map(|i| 7_201_000_000 + i).collect();
    let admins = format!("123, {operator}");
    let (api, mut bot) =
        start(&[("FAQ_PATH", faq.to_str().unwrap()), ("ADMIN_IDS", admins.as_str())]).await;
    let old = engine_of(&faq);
    let old_answer = old.ask(QUESTION, hints()).0.telegram_chunks();
    let unknown = old.unknown_command(&old.fallback_language(hints())).telegram_chunks();
    assert_eq!(ask(&api, &bot, others[0], QUESTION).await, old_answer);

    write_changed(&faq);
    let new_answer = engine_of(&faq).ask(QUESTION, hints()).0.telegram_chunks();
    assert_ne!(new_answer, old_answer);
    assert!(new_answer.concat().contains(MARKER));

    // Someone not in ADMIN_IDS: the unknown-command reply, and nothing reloaded.
    assert_eq!(ask(&api, &bot, stranger, "/reload").await, unknown, "/reload from a stranger");
    assert_eq!(ask(&api, &bot, stranger, "/stats").await, unknown, "/stats from a stranger");
    assert_eq!(ask(&api, &bot, others[1], QUESTION).await, old_answer, "reloaded for a stranger");

    // The operator reloads while others are asking.
    for &id in &others[2..6] {
        api.push_text(id, QUESTION);
    }
    let reply = ask(&api, &bot, operator, "/reload").await;
    assert_eq!(reply.len(), 1, "{reply:?}");
    assert!(reply[0].starts_with(&format!("Reloaded {}: ", faq.display())), "{reply:?}");
    let all = api
        .wait_for(Duration::from_secs(10), |s| {
            others[2..6].iter().all(|&id| !s.sent_to(id).is_empty())
        })
        .await;
    assert!(all, "others were not answered during the reload:\n{}", bot.stderr());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for &id in &others[2..6] {
        let got: Vec<String> = api.state().sent_to(id).iter().map(|m| m.text.clone()).collect();
        assert!(got == old_answer || got == new_answer, "{id} got {got:?}");
    }
    assert_eq!(ask(&api, &bot, others[6], QUESTION).await, new_answer, "after /reload");

    // A broken file: the error goes to the operator and the log; the last good FAQ stays.
    write_broken(&faq);
    let reply = ask(&api, &bot, operator, "/reload").await;
    assert_eq!(reply.len(), 1, "{reply:?}");
    assert!(reply[0].starts_with("Reload failed; still serving the previous FAQ."), "{reply:?}");
    let place = format!("{}:3:", faq.display());
    assert!(reply[0].contains(&place), "no {place}LINE:COL in {reply:?}");
    assert!(!bot.lines_with(&place).is_empty(), "the error is not logged:\n{}", bot.stderr());
    for &id in &others[7..10] {
        assert_eq!(ask(&api, &bot, id, QUESTION).await, new_answer, "after a failed reload");
    }
    // The operator's /stats works.
    let stats = ask(&api, &bot, operator, "/stats").await.concat();
    assert!(stats.starts_with("Since ") && stats.contains("  closure: "), "{stats}");

    assert!(bot.is_running());
    let mut ids = others.clone();
    ids.extend([operator, stranger]);
    assert_clean(&api, &bot.stderr(), &ids);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_and_a_broken_file_keeps_the_old_answers() {
    let (_dir, faq) = workdir("sighup");
    let (api, mut bot) = start(&[("FAQ_PATH", faq.to_str().unwrap())]).await;
    let users: Vec<i64> = (1..=4).map(|i| 7_202_000_000 + i).collect();
    let old_answer = engine_of(&faq).ask(QUESTION, hints()).0.telegram_chunks();
    assert_eq!(ask(&api, &bot, users[0], QUESTION).await, old_answer);

    write_changed(&faq);
    let new_answer = engine_of(&faq).ask(QUESTION, hints()).0.telegram_chunks();
    bot.signal(libc::SIGHUP);
    assert!(
        bot.wait_log("SIGHUP: Reloaded", Duration::from_secs(10)).await,
        "no reload logged:\n{}",
        bot.stderr()
    );
    assert_eq!(ask(&api, &bot, users[1], QUESTION).await, new_answer, "after SIGHUP");

    write_broken(&faq);
    bot.signal(libc::SIGHUP);
    assert!(
        bot.wait_log("SIGHUP: Reload failed", Duration::from_secs(10)).await,
        "no failure logged:\n{}",
        bot.stderr()
    );
    assert!(!bot.lines_with(&format!("{}:3:", faq.display())).is_empty(), "{}", bot.stderr());
    assert!(bot.is_running(), "a broken file stopped the bot:\n{}", bot.stderr());
    assert_eq!(ask(&api, &bot, users[2], QUESTION).await, new_answer, "after a failed SIGHUP");
    // The menus were registered again after the good reload only: once at start, once after.
    let menus = api.state().calls("setmycommands").len();
    let languages = engine_of(&shipped()).faq.languages.len();
    assert_eq!(menus, 2 * languages, "setMyCommands calls");
    assert_clean(&api, &bot.stderr(), &users);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unanswered_questions_are_kept_masked_and_without_ids_when_gaps_path_is_set() {
    let (dir, faq) = workdir("gaps");
    let gaps = dir.join("gaps.jsonl");
    let operator = 7_203_000_001_i64;
    let (asker, other) = (7_203_000_002_i64, 7_203_000_003_i64);
    let (api, bot) = start(&[
        ("FAQ_PATH", faq.to_str().unwrap()),
        ("GAPS_PATH", gaps.to_str().unwrap()),
        ("ADMIN_IDS", &operator.to_string()),
    ])
    .await;
    let engine = engine_of(&faq);
    let unanswered = "qwzx vbnm plkj, call me at +994 50 123 45 67 or write to ivan@mail.ru";
    let (_, m) = engine.ask(unanswered, hints());
    // Kept: a suggestion or the fallback (which one is the matcher's call).
    let (outcome, counted) = match m.outcome {
        faqbot::Outcome::Suggest(_) => ("suggest", "Suggestions offered: 1"),
        faqbot::Outcome::Fallback => ("fallback", "Fallbacks (nothing fitted): 1"),
        _ => panic!("the test needs a question the bot cannot answer outright"),
    };
    assert!(matches!(engine.ask(QUESTION, hints()).1.outcome, faqbot::Outcome::Answer { .. }));

    ask(&api, &bot, asker, unanswered).await;
    ask(&api, &bot, other, QUESTION).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !gaps.exists() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let kept = std::fs::read_to_string(&gaps).expect("the gaps file was written");
    let lines: Vec<&str> = kept.lines().collect();
    assert_eq!(lines.len(), 1, "only the unanswered question is kept: {kept}");
    let entry: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(entry["text"], faqbot::gaps::mask(unanswered).as_str(), "{kept}");
    assert_eq!(entry["text"], "qwzx vbnm plkj, call me at [number] or write to [email]");
    assert_eq!(entry["outcome"], outcome);
    assert_eq!(entry["language"], "en");
    let mut keys: Vec<&str> = entry.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["closest", "day", "language", "outcome", "score", "text"]);
    for id in [asker, other, operator] {
        assert!(!kept.contains(&id.to_string()), "user id {id} in the gaps file: {kept}");
    }
    assert!(!kept.contains("username") && !kept.contains("Firstname"), "{kept}");

    let stats = ask(&api, &bot, operator, "/stats").await.concat();
    assert!(stats.contains("2 question(s)"), "{stats}");
    assert!(stats.contains(counted), "{stats}");
    assert!(stats.contains("Unanswered questions are kept for 30 days"), "{stats}");
    let log = bot.stderr();
    assert!(!log.contains("qwzx") && !log.contains("mail.ru"), "question text in the log:\n{log}");
    assert_clean(&api, &log, &[asker, other, operator]);
}

//! Operators' side of the running bot, black-box: the real `faqbot` binary against the fake Bot
//! API server (`tests/common/fake_api/`). Reloading the FAQ by `/reload` and by SIGHUP, with a
//! valid and with a broken file, while others keep being answered; operator commands refused
//! to everyone else; and unanswered questions kept masked, without ids, when `GAPS_PATH` is set.
//! Expected replies are computed by the binary's own core (`faqbot chat`, `faqbot ask --json`)
//! from the files the bot serves.

mod common;

use std::path::Path;
use std::time::Duration;

use common::fake_api::updates::user;
use common::oracle;
use common::{Conversation, Faq, Harness, BROKEN_LINE, CLOSURE_QUESTION as QUESTION};
use serde_json::Value;

/// A sentence the shipped faq.json does not contain.
const MARKER: &str = "RELOADED: the office closure answer as edited by an operator.";

/// The messages the bot sends for `input` with the FAQ at `faq`, to someone whose Telegram is
/// in English (as [`user`]'s is).
fn expected(faq: &Path, input: &str) -> Vec<String> {
    oracle::reply(faq, Some("en"), input).messages()
}

/// Sends `text` and returns the `n` messages it got back.
async fn ask(chat: &mut Conversation<'_>, text: &str, n: usize) -> Vec<String> {
    chat.say(text);
    chat.replies(n).await.into_iter().map(|m| m.visible).collect()
}

/// Asserts that no chat got more than was taken, that every request was one Telegram accepts,
/// and that the log names no one.
async fn settle_and_check(h: &Harness, chats: &mut [Conversation<'_>]) {
    for chat in chats.iter_mut() {
        chat.settle().await;
    }
    let ids: Vec<i64> = chats.iter().map(Conversation::user_id).collect();
    h.assert_clean(&ids);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_by_an_operator_serves_the_new_file_and_keeps_the_old_one_when_it_is_broken() {
    let faq = common::faq_copy("command");
    let operator = 7_201_000_001_i64;
    let admins = format!("123, {operator}");
    let h = Harness::serving(&faq, &[("ADMIN_IDS", &admins)]).await;
    let mut op = h.private(user(operator));
    let mut stranger = h.private(user(7_201_000_002));
    let mut others: Vec<Conversation> =
        (10..20).map(|i| h.private(user(7_201_000_000 + i))).collect();
    let old_answer = expected(&faq, QUESTION);
    let unknown = expected(&faq, "/nosuchcommand");
    assert_eq!(ask(&mut others[0], QUESTION, 1).await, old_answer);

    common::write_changed_faq(&faq, MARKER);
    let new_answer = expected(&faq, QUESTION);
    assert_ne!(new_answer, old_answer);
    assert!(new_answer.concat().contains(MARKER));

    // Someone not in ADMIN_IDS: the unknown-command reply, and nothing reloaded.
    assert_eq!(ask(&mut stranger, "/reload", 1).await, unknown, "/reload from a stranger");
    assert_eq!(ask(&mut stranger, "/stats", 1).await, unknown, "/stats from a stranger");
    assert_eq!(ask(&mut others[1], QUESTION, 1).await, old_answer, "reloaded for a stranger");

    // The operator reloads while others are asking.
    for other in &others[2..6] {
        other.say(QUESTION);
    }
    let reply = ask(&mut op, "/reload", 1).await;
    assert!(reply[0].starts_with(&format!("Reloaded {}: ", faq.display())), "{reply:?}");
    for other in &mut others[2..6] {
        let got: Vec<String> = other.replies(1).await.into_iter().map(|m| m.visible).collect();
        assert!(got == old_answer || got == new_answer, "{} got {got:?}", other.user_id());
    }
    assert_eq!(ask(&mut others[6], QUESTION, 1).await, new_answer, "after /reload");

    // A broken file: the error goes to the operator and the log; the last good FAQ stays.
    common::write_broken_faq(&faq);
    let reply = ask(&mut op, "/reload", 1).await;
    assert!(reply[0].starts_with("Reload failed; still serving the previous FAQ."), "{reply:?}");
    let place = format!("{}:{BROKEN_LINE}:", faq.display());
    assert!(reply[0].contains(&place), "no {place}LINE:COL in {reply:?}");
    assert!(!h.bot.lines_with(&place).is_empty(), "the error is not logged:\n{}", h.bot.stderr());
    for other in &mut others[7..10] {
        assert_eq!(ask(other, QUESTION, 1).await, new_answer, "after a failed reload");
    }
    // The operator's /stats works.
    let stats = ask(&mut op, "/stats", 1).await.concat();
    assert!(stats.starts_with("Since ") && stats.contains("  closure: "), "{stats}");

    assert!(h.bot.is_running());
    others.extend([op, stranger]);
    settle_and_check(&h, &mut others).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_and_a_broken_file_keeps_the_old_answers() {
    let faq = common::faq_copy("sighup");
    let h = Harness::serving(&faq, &[]).await;
    let mut users: Vec<Conversation> =
        (1..=3).map(|i| h.private(user(7_202_000_000 + i))).collect();
    let old_answer = expected(&faq, QUESTION);
    assert_eq!(ask(&mut users[0], QUESTION, 1).await, old_answer);

    common::write_changed_faq(&faq, MARKER);
    let new_answer = expected(&faq, QUESTION);
    h.bot.signal(libc::SIGHUP);
    assert!(
        h.bot.wait_log("SIGHUP: Reloaded", Duration::from_secs(10)).await,
        "no reload logged:\n{}",
        h.bot.stderr()
    );
    assert_eq!(ask(&mut users[1], QUESTION, 1).await, new_answer, "after SIGHUP");

    common::write_broken_faq(&faq);
    h.bot.signal(libc::SIGHUP);
    assert!(
        h.bot.wait_log("SIGHUP: Reload failed", Duration::from_secs(10)).await,
        "no failure logged:\n{}",
        h.bot.stderr()
    );
    let place = format!("{}:{BROKEN_LINE}:", faq.display());
    assert!(!h.bot.lines_with(&place).is_empty(), "{}", h.bot.stderr());
    assert!(h.bot.is_running(), "a broken file stopped the bot:\n{}", h.bot.stderr());
    assert_eq!(ask(&mut users[2], QUESTION, 1).await, new_answer, "after a failed SIGHUP");
    // The menus were registered again after the good reload only: once at start, once after.
    let languages = Faq::shipped().languages().len();
    let menus = |s: &common::fake_api::State| s.calls("setmycommands").len();
    h.api.wait_for(Duration::from_secs(10), |s| menus(s) >= 2 * languages).await;
    assert_eq!(menus(&h.api.state()), 2 * languages, "setMyCommands calls");
    settle_and_check(&h, &mut users).await;
}

/// Waits until the gaps file holds `want` complete lines (it is appended on a blocking thread,
/// not before the reply), and returns its content.
async fn kept_lines(gaps: &Path, want: usize) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let kept = std::fs::read_to_string(gaps).unwrap_or_default();
        let complete = kept.lines().filter(|l| serde_json::from_str::<Value>(l).is_ok()).count();
        if (complete >= want && kept.ends_with('\n')) || std::time::Instant::now() >= deadline {
            return kept;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unanswered_questions_are_kept_masked_and_without_ids_when_gaps_path_is_set() {
    let faq = common::faq_copy("gaps");
    let gaps = faq.with_file_name("gaps.jsonl");
    let operator = 7_203_000_001_i64;
    let h = Harness::serving(
        &faq,
        &[("GAPS_PATH", gaps.to_str().unwrap()), ("ADMIN_IDS", &operator.to_string())],
    )
    .await;
    let mut op = h.private(user(operator));
    let mut asker = h.private(user(7_203_000_002));
    let mut other = h.private(user(7_203_000_003));
    let unanswered = "qwzx vbnm plkj, call me at +994 50 123 45 67 or write to ivan@mail.ru";
    let outcomes = oracle::classify(&faq, Some("en"), &[unanswered, QUESTION]);
    // Kept: a suggestion or the fallback (which one is the matcher's call).
    let (outcome, counted) = match outcomes[0]["outcome"].as_str() {
        Some("suggest") => ("suggest", "Suggestions offered: 1"),
        Some("fallback") => ("fallback", "Fallbacks (nothing fitted): 1"),
        _ => panic!("the test needs a question the bot cannot answer outright"),
    };
    assert_eq!(outcomes[1]["outcome"], "answer");

    ask(&mut asker, unanswered, 1).await;
    ask(&mut other, QUESTION, 1).await;
    let kept = kept_lines(&gaps, 1).await;
    let lines: Vec<&str> = kept.lines().collect();
    assert_eq!(lines.len(), 1, "only the unanswered question is kept: {kept:?}");
    let entry: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(entry["text"], "qwzx vbnm plkj, call me at [number] or write to [email]");
    assert_eq!(entry["outcome"], outcome);
    assert_eq!(entry["language"], "en");
    let mut keys: Vec<&str> = entry.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["closest", "day", "language", "outcome", "score", "text"]);
    for id in [asker.user_id(), other.user_id(), operator] {
        assert!(!kept.contains(&id.to_string()), "user id {id} in the gaps file: {kept}");
    }
    assert!(!kept.contains("username") && !kept.contains("Firstname"), "{kept}");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&gaps).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "the gaps file is readable by others");

    let stats = ask(&mut op, "/stats", 1).await.concat();
    assert!(stats.contains("2 question(s)"), "{stats}");
    assert!(stats.contains(counted), "{stats}");
    assert!(stats.contains("Unanswered questions are kept for 30 days"), "{stats}");
    let log = h.bot.stderr();
    assert!(!log.contains("qwzx") && !log.contains("mail.ru"), "question text in the log:\n{log}");
    settle_and_check(&h, &mut [op, asker, other]).await;
}

//! Black-box durability tests: the real `faqbot` binary against the fake Bot API, killed or
//! stopped while replies are still queued, then started again on the same journal
//! (`STATE_PATH`). No question may be lost; a few may be answered twice (those Telegram
//! delivered while the bot never heard back before it died).

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use common::fake_api::{FakeApi, Faults};
use common::process::{fresh_state_path, BotProcess};
use common::{assert_no_violations, assert_private, oracle, shipped_faq, start, Faq};

/// The language of the fake users' clients.
const LANG: &str = "en";

/// `n` different questions (English phrasings of the shipped faq.json), and the messages the
/// bot should send for each, as Telegram shows them.
fn questions(n: usize) -> Vec<(String, Vec<String>)> {
    static ALL: OnceLock<Vec<(String, Vec<String>)>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        let pool: Vec<String> = Faq::shipped().phrasings(LANG).into_iter().take(60).collect();
        let inputs: Vec<&str> = pool.iter().map(String::as_str).collect();
        let replies = oracle::replies(&shipped_faq(), Some(LANG), &inputs);
        pool.into_iter().zip(replies.iter().map(oracle::Expected::messages)).collect()
    });
    assert!(all.len() >= n, "the FAQ has {} English phrasings", all.len());
    all[..n].to_vec()
}

/// How each chat fared: every expected message exactly once, some twice, or some missing.
#[derive(Debug, Default)]
struct Tally {
    once: usize,
    twice: Vec<i64>,
    missing: Vec<i64>,
    other: Vec<String>,
}

fn tally(api: &FakeApi, expected: &HashMap<i64, Vec<String>>) -> Tally {
    let s = api.state();
    let mut t = Tally::default();
    for (chat, want) in expected {
        let mut counts: HashMap<&str, i64> = HashMap::new();
        for m in s.sent_to(*chat) {
            *counts.entry(m.visible.as_str()).or_default() += 1;
        }
        for w in want {
            *counts.entry(w.as_str()).or_default() -= 1;
        }
        if counts.keys().any(|m| !want.iter().any(|w| w == m)) {
            t.other.push(format!("chat {chat}: {counts:?}"));
        } else if counts.values().any(|&c| c < 0) {
            t.missing.push(*chat);
        } else if counts.values().any(|&c| c > 0) {
            t.twice.push(*chat);
        } else {
            t.once += 1;
        }
    }
    t
}

/// Waits until every chat got at least its expected messages.
async fn all_answered(
    api: &FakeApi,
    expected: &HashMap<i64, Vec<String>>,
    timeout: Duration,
) -> bool {
    api.wait_for(timeout, |s| {
        expected.iter().all(|(chat, want)| s.sent_to(*chat).len() >= want.len())
    })
    .await
}

fn state_env(path: &Path) -> Vec<(&'static str, String)> {
    vec![("STATE_PATH", path.to_str().unwrap().to_string())]
}

fn env_refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_with_40_questions_in_flight_loses_none() {
    // Telegram slows the bot down: three sends in ten are refused with a 429 (retry after 2 s),
    // each message reaches Telegram 40 ms after it is sent, and one answer in five comes back
    // up to 100 ms late (the message is delivered, the bot does not know it yet). A message on
    // the wire when the bot dies is delivered all the same: those are the ones that may be
    // answered twice.
    let faults = Faults {
        seed: 12,
        send_429: 0.3,
        retry_after: 2,
        send_delay: Duration::from_millis(40),
        slow: 0.2,
        slow_max: Duration::from_millis(100),
        ..Faults::default()
    };
    let state = fresh_state_path();
    let env = state_env(&state);
    let (api, bot) = start(faults, &env_refs(&env)).await;
    let asked = questions(40);
    let mut expected = HashMap::new();
    let mut texts = Vec::new();
    let ids: Vec<i64> = (0..40).map(|i| 7_201_000_000 + i).collect();
    for (id, (question, answer)) in ids.iter().zip(&asked) {
        api.push_text(*id, question);
        expected.insert(*id, answer.clone());
        texts.push(question.clone());
    }
    // Killed (the OOM killer, a power cut) once six answers are out.
    let six = api.wait_for(Duration::from_secs(30), |s| s.sent.len() >= 6).await;
    assert!(six, "no six answers:\n{}", bot.stderr());
    bot.signal(libc::SIGKILL);
    let (status, _) = bot.wait_exit(Duration::from_secs(5)).await.expect("killed");
    assert!(!status.success());
    let before = tally(&api, &expected);
    let log_before = bot.stderr();
    drop(bot);
    eprintln!(
        "killed with {} of 40 answered ({} messages delivered)",
        before.once + before.twice.len(),
        api.state().sent.len()
    );
    assert!(before.missing.len() >= 20, "the kill came too late to test anything: {before:?}");

    let (bot, after) = restart_until_all_answered(&api, &env, &expected, 60).await;
    assert!(after.twice.len() <= 4, "too many answered twice: {after:?}");
    assert!(bot.stderr().contains("handled again"), "{}", bot.stderr());
    finish(&api, &bot, &state, &texts, &ids, &log_before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_replies_still_queued_loses_none_across_the_restart() {
    // Eight people send five questions each: Telegram lets a bot send about one message a
    // second to a chat, so the replies queue up; the stop waits one second only, and leaves
    // most of them queued. Each message reaches Telegram 40 ms after it is sent.
    let faults = Faults { send_delay: Duration::from_millis(40), ..Faults::default() };
    let state = fresh_state_path();
    let mut env = state_env(&state);
    env.push(("STOP_TIMEOUT", "1".into()));
    let (api, bot) = start(faults, &env_refs(&env)).await;
    let asked = questions(40);
    let mut expected: HashMap<i64, Vec<String>> = HashMap::new();
    let mut texts = Vec::new();
    let ids: Vec<i64> = (0..8).map(|i| 7_202_000_000 + i).collect();
    for (n, (question, answer)) in asked.iter().enumerate() {
        let id = ids[n % ids.len()];
        api.push_text(id, question);
        expected.entry(id).or_default().extend(answer.clone());
        texts.push(question.clone());
    }
    // Stopped once Telegram confirmed receiving them all (they are in the journal).
    let fetched = api.wait_for(Duration::from_secs(20), |s| s.confirmed > 40).await;
    assert!(fetched, "updates not fetched:\n{}", bot.stderr());
    bot.signal(libc::SIGTERM);
    let (status, took) = bot.wait_exit(Duration::from_secs(5)).await.expect("stopped within 5 s");
    let log_before = bot.stderr();
    eprintln!("stopped in {took:?} with status {status}");
    assert_eq!(status.code(), Some(3), "replies left: exit 3\n{log_before}");
    assert!(log_before.contains("kept in the journal"), "{log_before}");
    let delivered = api.state().sent.len();
    eprintln!("{delivered} of 40 replies delivered before the stop");
    assert!(delivered <= 25, "the stop left too little to test");
    drop(bot);

    // A quick Telegram now.
    api.state().faults.send_delay = Duration::ZERO;
    let (bot, after) = restart_until_all_answered(&api, &env, &expected, 30).await;
    // Only a message on its way when the process ended can be sent twice.
    assert!(after.twice.len() <= 2, "answered twice: {after:?}");
    finish(&api, &bot, &state, &texts, &ids, &log_before).await;
}

/// Starts the bot again on the same journal, waits (up to `within_secs`) until every question
/// is answered, and a little more for anything sent twice; fails if one is lost or answered
/// wrongly.
async fn restart_until_all_answered(
    api: &FakeApi,
    env: &[(&'static str, String)],
    expected: &HashMap<i64, Vec<String>>,
    within_secs: u64,
) -> (BotProcess, Tally) {
    let bot = BotProcess::start(api, &env_refs(env));
    let done = all_answered(api, expected, Duration::from_secs(within_secs)).await;
    // Anything more would come now.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after = tally(api, expected);
    eprintln!(
        "after the restart: {} answered once, {} answered twice, {} unanswered",
        after.once,
        after.twice.len(),
        after.missing.len()
    );
    assert!(
        done && after.missing.is_empty() && after.other.is_empty(),
        "lost or wrong answers: {after:?}\nlog after the restart:\n{}",
        bot.stderr()
    );
    (bot, after)
}

/// The checks once everything is answered after a restart: Telegram's limits held, neither
/// log holds a question or a user id, and the journal, after a clean stop, holds nothing of
/// anyone.
async fn finish(
    api: &FakeApi,
    bot: &BotProcess,
    state: &Path,
    texts: &[String],
    ids: &[i64],
    log_before: &str,
) {
    assert_no_violations(api);
    assert_private(log_before, texts, ids);
    assert_private(&bot.stderr(), texts, ids);
    stop(bot).await;
    assert_holds_nothing(state, texts);
    let _ = std::fs::remove_file(state);
}

/// Stops the bot with SIGTERM and expects a clean exit (nothing left).
async fn stop(bot: &BotProcess) {
    bot.signal(libc::SIGTERM);
    let (status, _) = bot.wait_exit(Duration::from_secs(10)).await.expect("stopped");
    assert!(status.success(), "exit status {status}:\n{}", bot.stderr());
}

/// Asserts the journal file is private and holds none of `texts`.
fn assert_holds_nothing(state: &Path, texts: &[String]) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(state).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{}", state.display());
    let bytes = std::fs::read(state).unwrap();
    for text in texts {
        let found = bytes.windows(text.len()).any(|w| w == text.as_bytes());
        assert!(!found, "{text:?} is still in the journal");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bystander_is_answered_promptly_while_others_send_costly_messages() {
    let (api, bot) = start(Faults::default(), &[]).await;
    // Six people each send four messages that are one 1,500-letter word (Latin, Cyrillic,
    // Armenian): the costliest input for the matcher's typo search.
    let words = ["a".repeat(1500), "ж".repeat(1500), "ա".repeat(1500), "qz".repeat(750)];
    let senders: Vec<i64> = (0..6).map(|i| 7_203_000_000 + i).collect();
    for word in &words {
        for id in &senders {
            api.push_text(*id, word);
        }
    }
    // Once the bot is busy with them, someone asks an ordinary question.
    let busy = api.wait_for(Duration::from_secs(10), |s| s.confirmed > 24).await;
    assert!(busy, "the costly messages were not fetched:\n{}", bot.stderr());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let bystander = 7_203_000_100;
    let (question, answer) = questions(1).remove(0);
    let asked = api.now();
    api.push_text(bystander, &question);
    let answered =
        api.wait_for(Duration::from_secs(20), |s| !s.sent_to(bystander).is_empty()).await;
    assert!(answered, "the bystander was not answered:\n{}", bot.stderr());
    let s = api.state();
    let reply = s.sent_to(bystander)[0];
    let latency = reply.at - asked;
    let costly_answered = senders.iter().map(|id| s.sent_to(*id).len()).sum::<usize>();
    eprintln!(
        "bystander answered in {latency:?}, while {costly_answered} of 24 costly messages were answered"
    );
    assert_eq!(reply.visible, answer[0]);
    assert!(latency < Duration::from_secs(2), "the bystander waited {latency:?}");
}

//! Black-box resilience tests: the real `faqbot` binary against a fake Telegram Bot API server
//! (`tests/common/fake_api/`) that injects faults and checks every request against Telegram's
//! limits. Expected replies are computed by the binary's own core (`faqbot chat`) from the
//! shipped faq.json, so the tests compare exact texts (as Telegram shows them), never copied
//! literals.
//!
//! The sustained sending rate under Telegram's flood limits is printed by
//! `three_hundred_users_at_once_within_the_flood_limits`, and, for a longer run, by
//! `cargo test --test resilience -- --ignored --nocapture sustained_rate`, which also prints
//! the bot's resident memory. The tests run the debug build; to measure the binary that ships,
//! build it first and name it in `FAQBOT_BIN`: `cargo build --release && cp
//! target/release/faqbot /tmp/faqbot && FAQBOT_BIN=/tmp/faqbot cargo test --release --test
//! resilience -- --ignored --nocapture sustained_rate`.

mod common;

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use common::fake_api::updates::{
    earlier_bot_message, group_chat, inaccessible_message, mentioning_the_bot, non_text_contents,
    private_chat, user,
};
use common::fake_api::{
    unix_now, FakeApi, Faults, Scripted, State, BOT_USERNAME, TOKEN, TOKEN_SECRET,
};
use common::process::BotProcess;
use common::{assert_no_violations, assert_private, oracle, shipped_faq, start, Faq};
use serde_json::json;

/// The language of the fake users' clients (see [`user`]), which the shipped FAQ has.
const LANG: &str = "en";

fn faq() -> &'static Faq {
    static FAQ: OnceLock<Faq> = OnceLock::new();
    FAQ.get_or_init(Faq::shipped)
}

/// The messages the bot should send for a question (or a command `faqbot chat` knows), as
/// Telegram shows them. Computed by the binary, for all of [`questions`] at once.
fn answer_to(question: &str) -> Vec<String> {
    static ANSWERS: OnceLock<Mutex<HashMap<String, Vec<String>>>> = OnceLock::new();
    let answers = ANSWERS.get_or_init(|| {
        let pool = questions();
        let inputs: Vec<&str> = pool.iter().map(String::as_str).collect();
        let replies = oracle::replies(&shipped_faq(), Some(LANG), &inputs);
        let known = pool.into_iter().zip(replies.iter().map(oracle::Expected::messages));
        Mutex::new(known.collect())
    });
    let mut answers = answers.lock().unwrap();
    answers
        .entry(question.to_string())
        .or_insert_with(|| oracle::reply(&shipped_faq(), Some(LANG), question).messages())
        .clone()
}

/// A reply made of one text of faq.json (`texts.KEY`), as Telegram shows it.
fn text_reply(key: &str) -> Vec<String> {
    vec![faq().text(key, LANG)]
}

/// Many different questions: the English phrasings of faq.json.
fn questions() -> Vec<String> {
    faq().phrasings(LANG)
}

/// Waits until every chat got at least its expected messages, waits a little more for any
/// duplicate, then checks that each chat got exactly them (in any order across chats).
async fn expect_delivered(
    api: &FakeApi,
    bot: &BotProcess,
    expected: &HashMap<i64, Vec<String>>,
    timeout: Duration,
) {
    let all_there = api
        .wait_for(timeout, |s| {
            expected.iter().all(|(chat, want)| s.sent_to(*chat).len() >= want.len())
        })
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let s = api.state();
    let mut problems = Vec::new();
    for (chat, want) in expected {
        let mut got: Vec<&str> = s.sent_to(*chat).iter().map(|m| m.visible.as_str()).collect();
        let mut want: Vec<&str> = want.iter().map(String::as_str).collect();
        got.sort_unstable();
        want.sort_unstable();
        if got != want {
            problems.push(format!(
                "chat {chat}: got {} message(s), expected {}; attempts {}",
                got.len(),
                want.len(),
                s.send_attempts(*chat).len()
            ));
        }
    }
    assert!(
        all_there && problems.is_empty(),
        "not exactly the expected replies:\n{}\nlog:\n{}",
        problems.join("\n"),
        bot.stderr()
    );
}

/// Seconds between consecutive attempts to send to a chat.
fn gaps(s: &State, chat: i64) -> Vec<f64> {
    let times: Vec<f64> = s.send_attempts(chat).iter().map(|r| r.at.as_secs_f64()).collect();
    times.windows(2).map(|w| w[1] - w[0]).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_gets_exactly_one_answer_under_faults() {
    let faults = Faults {
        seed: 4,
        send_429: 0.15,
        send_500: 0.10,
        send_drop: 0.05,
        retry_after: 1,
        updates_fail: 0.10,
        slow: 0.10,
        slow_max: Duration::from_millis(400),
        ..Faults::default()
    };
    let (api, bot) = start(faults, &[]).await;
    let pool = questions();
    let users: Vec<i64> = (0..40).map(|i| 7_101_000_000 + i).collect();
    let mut expected: HashMap<i64, Vec<String>> = HashMap::new();
    let mut texts = Vec::new();
    // One message every 100 ms, round the users, until at least 60 were sent and every kind
    // of fault has happened (at most 200 messages).
    let covered = |s: &State| {
        ["429", "500", "drop"].iter().all(|k| s.faults_of("sendmessage", k) > 0)
            && (s.faults_of("getupdates", "drop") + s.faults_of("getupdates", "500")) > 0
    };
    let mut n = 0;
    while n < 60 || (n < 200 && !covered(&api.state())) {
        let id = users[n % users.len()];
        let question = &pool[n % pool.len()];
        api.push_text(id, question);
        expected.entry(id).or_default().extend(answer_to(question));
        texts.push(question.clone());
        n += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    expect_delivered(&api, &bot, &expected, Duration::from_secs(180)).await;
    {
        let s = api.state();
        assert!(covered(&s), "not every kind of fault happened");
        eprintln!(
            "{n} messages; sendMessage faults: {} x 429, {} x 500, {} dropped; getUpdates faults: {}",
            s.faults_of("sendmessage", "429"),
            s.faults_of("sendmessage", "500"),
            s.faults_of("sendmessage", "drop"),
            s.faults_of("getupdates", "drop") + s.faults_of("getupdates", "500"),
        );
    }
    assert_no_violations(&api);
    assert_private(&bot.stderr(), &texts, &users);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_server_errors_and_undeliverable_replies() {
    let (api, bot) = start(Faults::default(), &[]).await;
    let [short_wait, long_wait, drops, server_error, always_down, blocked, bystander] =
        [1, 2, 3, 4, 5, 6, 7].map(|i| 7_102_000_000 + i);
    api.script(short_wait, &[Scripted::TooMany { retry_after: 2 }]);
    api.script(long_wait, &[Scripted::TooMany { retry_after: 3600 }]);
    api.script(drops, &[Scripted::Drop; 4]);
    api.script(server_error, &[Scripted::ServerError]);
    api.always(always_down, Scripted::Drop);
    api.always(blocked, Scripted::Blocked);
    let question = "When does the ICRC office in Baku close?";
    let answer = answer_to(question);
    assert_eq!(answer.len(), 1, "the test assumes a one-message answer");
    let chats = [short_wait, long_wait, drops, server_error, always_down, blocked, bystander];
    for chat in chats {
        api.push_text(chat, question);
    }
    // Someone else is answered at once, whatever happens to the others.
    let pushed = api.now();
    assert!(api.wait_for(Duration::from_secs(5), |s| !s.sent_to(bystander).is_empty()).await);
    let latency = api.state().sent_to(bystander)[0].at - pushed;
    assert!(latency < Duration::from_secs(3), "bystander waited {latency:?}");

    let delivered: HashMap<i64, Vec<String>> =
        [short_wait, long_wait, drops, server_error].iter().map(|c| (*c, answer.clone())).collect();
    // The long wait is cut to the cap (20 s), and the undeliverable chat gives up after ~24 s.
    expect_delivered(&api, &bot, &delivered, Duration::from_secs(40)).await;
    let gave_up = |b: &BotProcess| b.lines_with("could not be delivered").len() >= 2;
    let deadline = std::time::Instant::now() + Duration::from_secs(40);
    while !gave_up(&bot) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gave_up(&bot), "undeliverable replies were not logged:\n{}", bot.stderr());

    let s = api.state();
    // 429: retried after its retry_after, the long one after the cap.
    let g = gaps(&s, short_wait);
    assert!(g.len() == 1 && (1.9..3.5).contains(&g[0]), "429 retry_after 2: gaps {g:?}");
    let g = gaps(&s, long_wait);
    assert!(g.len() == 1 && (19.5..24.0).contains(&g[0]), "429 retry_after 3600: gaps {g:?}");
    // Network errors: back-off that grows, and stays bounded.
    let g = gaps(&s, drops);
    assert_eq!(g.len(), 4, "four drops, then success: {g:?}");
    eprintln!("gaps between attempts after dropped connections: {g:.2?}");
    assert!(g.windows(2).all(|w| w[1] > w[0]) && g[3] >= 1.9, "back-off does not grow: {g:?}");
    // A 500 is retried (teloxide itself waits 10 s before reading a 5xx answer).
    assert_eq!(s.send_attempts(server_error).len(), 2);
    // Never delivered: a bounded number of attempts with bounded gaps, then a log line.
    let g = gaps(&s, always_down);
    eprintln!("gaps between attempts to a chat never reached: {g:.2?}");
    assert!((5..=15).contains(&g.len()), "attempts: {}", g.len() + 1);
    assert!(g.iter().all(|x| *x < 5.0), "back-off unbounded: {g:?}");
    // Blocked by the user: not retried.
    assert_eq!(s.send_attempts(blocked).len(), 1);
    drop(s);
    assert!(bot.is_running());
    assert!(!bot.lines_with("rate limited, retry after").is_empty(), "429s not logged");
    assert_no_violations(&api);
    assert_private(&bot.stderr(), &[question.to_string()], &chats);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_me_failing_at_start_up_is_retried() {
    let faults = Faults { get_me_failures: 3, ..Faults::default() };
    let (api, bot) = start(faults, &[]).await;
    let id = 7_103_000_001;
    let question = "Who can help me find my missing brother?";
    api.push_text(id, question);
    expect_delivered(
        &api,
        &bot,
        &HashMap::from([(id, answer_to(question))]),
        Duration::from_secs(20),
    )
    .await;
    assert!(api.state().calls("getme").len() >= 4);
    let log = bot.stderr();
    assert!(log.contains("cannot reach the Telegram Bot API"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
    assert!(bot.is_running());
    assert_private(&log, &[question.to_string()], &[id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(debug_assertions), ignore = "the panic hook for tests exists in debug builds only")]
async fn a_panicking_handler_is_caught_and_the_bot_keeps_serving() {
    let trigger = "please crash now, my private words 4242";
    let (api, bot) = start(Faults::default(), &[("FAQBOT_TEST_PANIC_ON", trigger)]).await;
    let (a, b) = (7_104_000_001, 7_104_000_002);
    let question = "When does the ICRC office in Baku close?";
    let apology = text_reply("error");
    api.push_text(a, trigger);
    assert!(api.wait_for(Duration::from_secs(10), |s| !s.sent_to(a).is_empty()).await);
    // The same chat again (teloxide #1435: the next update of a chat whose worker panicked
    // took the dispatcher down), and someone else.
    api.push_text(a, question);
    api.push_text(b, question);
    api.push_text(a, trigger);
    api.push_text(a, question);
    let mut for_a = apology.clone();
    for_a.extend(answer_to(question));
    for_a.extend(apology.clone());
    for_a.extend(answer_to(question));
    let expected = HashMap::from([(a, for_a), (b, answer_to(question))]);
    expect_delivered(&api, &bot, &expected, Duration::from_secs(20)).await;
    // In order, too.
    let s = api.state();
    let texts: Vec<&str> = s.sent_to(a).iter().map(|m| m.visible.as_str()).collect();
    assert_eq!(texts, expected[&a].iter().map(String::as_str).collect::<Vec<_>>());
    drop(s);
    assert!(bot.is_running());
    let log = bot.stderr();
    assert!(log.contains("panicked; apologising"), "{log}");
    assert_private(&log, &[trigger.to_string(), question.to_string()], &[a, b]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_and_sigint_stop_within_five_seconds_and_nothing_is_lost() {
    let (api, mut bot) = start(Faults::default(), &[]).await;
    let (x, y) = (7_105_000_001, 7_105_000_002);
    let q: Vec<String> = questions().into_iter().take(3).collect();
    api.push_text(x, &q[0]);
    expect_delivered(&api, &bot, &HashMap::from([(x, answer_to(&q[0]))]), Duration::from_secs(10))
        .await;

    for (signal, name) in [(libc::SIGTERM, "SIGTERM"), (libc::SIGINT, "SIGINT")] {
        bot.signal(signal);
        let (status, took) = bot
            .wait_exit(Duration::from_secs(5))
            .await
            .unwrap_or_else(|| panic!("still running 5 s after {name}:\n{}", bot.stderr()));
        assert!(status.success(), "{name}: exit status {status}");
        eprintln!("{name}: stopped in {took:?}");
        assert!(bot.stderr().contains("stopped"), "{}", bot.stderr());
        assert_private(&bot.stderr(), &q, &[x, y]);
        // Questions sent while the bot is down are answered after it starts again, once.
        let before_x = api.state().sent_to(x).len();
        let before_y = api.state().sent_to(y).len();
        api.push_text(x, &q[1]);
        api.push_text(y, &q[2]);
        bot = BotProcess::start(&api, &[]);
        let ok = api
            .wait_for(Duration::from_secs(20), |s| {
                s.sent_to(x).len() > before_x && s.sent_to(y).len() > before_y
            })
            .await;
        assert!(ok, "questions sent while down were not answered:\n{}", bot.stderr());
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let s = api.state();
        let new_x: Vec<&str> =
            s.sent_to(x)[before_x..].iter().map(|m| m.visible.as_str()).collect();
        let new_y: Vec<&str> =
            s.sent_to(y)[before_y..].iter().map(|m| m.visible.as_str()).collect();
        assert_eq!(new_x, answer_to(&q[1]), "after {name}: no loss, no duplicate");
        assert_eq!(new_y, answer_to(&q[2]), "after {name}: no loss, no duplicate");
    }
    assert_no_violations(&api);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_user_flooding_gets_a_calm_limited_response_and_slows_no_one() {
    let (api, bot) = start(Faults::default(), &[]).await;
    let spammer = 7_106_000_000;
    let others: Vec<i64> = (1..=5).map(|i| 7_106_000_000 + i).collect();
    let pool = questions();
    let mut latencies_of = Vec::new();
    let mut spam_expected = Vec::new();
    let mut texts = Vec::new();
    // 50 messages in 10 s from one person; meanwhile five others ask every 2 s. A person's
    // first 8 messages in 10 s are answered (the bot's limit for messages).
    const LIMIT: usize = 8;
    for k in 0..50 {
        let question = &pool[k % pool.len()];
        api.push_text(spammer, question);
        texts.push(question.clone());
        if k < LIMIT {
            spam_expected.extend(answer_to(question));
        }
        if k % 10 == 0 {
            for (i, other) in others.iter().enumerate() {
                let q = &pool[(k + i + 7) % pool.len()];
                let before = api.state().sent_to(*other).len();
                latencies_of.push((*other, before, api.now()));
                api.push_text(*other, q);
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    spam_expected.extend(text_reply("too_many"));
    expect_delivered(
        &api,
        &bot,
        &HashMap::from([(spammer, spam_expected)]),
        Duration::from_secs(20),
    )
    .await;
    // Nothing more comes later either.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let s = api.state();
    let too_many = text_reply("too_many");
    let notices = s.sent_to(spammer).iter().filter(|m| too_many.contains(&m.visible)).count();
    assert_eq!(notices, too_many.len(), "exactly one calm notice");
    assert_eq!(s.sent_to(spammer).len(), LIMIT + too_many.len());
    let mut worst = Duration::ZERO;
    for (other, before, pushed) in latencies_of {
        let reply = s.sent_to(other).get(before).map(|m| m.at);
        let reply = reply.unwrap_or_else(|| panic!("chat {other} was not answered"));
        worst = worst.max(reply - pushed);
    }
    eprintln!("others' worst latency while one user floods: {worst:?}");
    assert!(worst < Duration::from_millis(2500), "others were slowed down: {worst:?}");
    drop(s);
    assert_no_violations(&api);
    let mut ids = others.clone();
    ids.push(spammer);
    assert_private(&bot.stderr(), &texts, &ids);
}

/// A message as the bot sent it earlier, for a callback query to point at.
fn bot_message(api: &FakeApi, chat: i64) -> serde_json::Value {
    earlier_bot_message(api.message_id(), &private_chat(chat), "Choose a topic")
}

/// What a tap on a button the bot never made, or no longer has, gets: a notice that the
/// button is out of date, and the list of topics (its prompt, as Telegram shows it).
fn stale_tap() -> (Vec<String>, Option<String>) {
    (text_reply("topics_prompt"), Some(faq().text("stale_button", LANG)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_answered_calmly_or_ignored() {
    let (api, bot) = start(Faults::default(), &[]).await;
    let not_text = text_reply("not_text");
    let mut expected: HashMap<i64, Vec<String>> = HashMap::new();
    let mut silent: Vec<i64> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let mut ids: Vec<i64> = Vec::new();
    let mut next = 7_107_000_000;
    let mut new_id = || {
        next += 1;
        next
    };

    for (_, content) in non_text_contents() {
        let id = new_id();
        api.push_message(&private_chat(id), &user(id), content);
        expected.insert(id, not_text.clone());
        ids.push(id);
    }

    let long_text = "where can I find news about my son who is detained ".repeat(200);
    let questions = [
        long_text,
        "a".repeat(5000),
        "\u{200B}\u{200C}\u{200D}\u{FEFF}\u{2060}".to_string(),
        "\u{1}\u{7}\u{1b}\u{8}\u{7f}".to_string(),
        "😢🙏❤️🕊️".to_string(),
        "\u{202E}when does the office close\u{202C} \u{2067}office\u{2069}".to_string(),
        "<b>hello</b> & <script>alert(1)</script> &amp; &nbsp; </i>".to_string(),
        "_*[]()~`>#+-=|{}.! \\ *bold* __under__ ||spoiler||".to_string(),
    ];
    for q in questions {
        let id = new_id();
        api.push_text(id, &q);
        expected.insert(id, answer_to(&q));
        texts.push(q);
        ids.push(id);
    }
    let commands = [
        ("/foobar", answer_to("/foobar")),
        (&*format!("/help@{BOT_USERNAME}"), answer_to("/help")),
        ("/start@some_other_bot", answer_to("/foobar")),
    ];
    for (command, reply) in commands {
        let id = new_id();
        api.push_text(id, command);
        expected.insert(id, reply);
        ids.push(id);
    }

    // Button taps: forged, stale, empty data, on a message that is gone, with no message.
    let (stale_reply, stale_notice) = stale_tap();
    let mut callbacks = Vec::new();
    for data in ["t:../../etc/passwd", "t:no-such-topic", "l:xx", "", &"x".repeat(64), "\u{0}zz"] {
        let id = new_id();
        let query = api.push_tap(&user(id), Some(&bot_message(&api, id)), Some(data));
        expected.insert(id, stale_reply.clone());
        callbacks.push((query, stale_notice.clone()));
        ids.push(id);
    }
    let id = new_id();
    let gone = inaccessible_message(&private_chat(id));
    let query = api.push_tap(&user(id), Some(&gone), Some("t:no-such-topic"));
    expected.insert(id, stale_reply.clone());
    callbacks.push((query, stale_notice.clone()));
    ids.push(id);
    let id = new_id();
    // Sent inline: no chat to answer in, only the notice.
    let query = api.push_tap(&user(id), None, Some("t:no-such-topic"));
    callbacks.push((query, stale_notice.clone()));
    ids.push(id);

    // Edited messages, channel posts and group chatter: left alone.
    let id = new_id();
    let edited = json!({ "message_id": 5, "date": unix_now() - 60, "edit_date": unix_now(), "chat": private_chat(id), "from": user(id), "text": "edited: where is my father" });
    api.push("edited_message", edited);
    silent.push(id);
    let channel = -1_001_234_567_890;
    api.push(
        "channel_post",
        json!({ "message_id": 9, "date": unix_now(), "chat": { "id": channel, "type": "channel", "title": "News" }, "text": "channel: when does the office close" }),
    );
    silent.push(channel);
    let group = -4_107_000_001;
    let member = new_id();
    for text in ["chatter: where is my son", "/help@some_other_bot", "/unknown_cmd"] {
        api.push_message(&group_chat(group), &user(member), json!({ "text": text }));
    }
    // ... except what is addressed to the bot.
    let group2 = -4_107_000_002;
    let asked = "when does the ICRC office in Baku close?";
    api.push_message(&group_chat(group2), &user(new_id()), mentioning_the_bot(asked));
    expected.insert(group2, answer_to(asked));
    silent.push(group);
    ids.extend([member, group, group2]);
    texts.extend(["where is my father".into(), "where is my son".into()]);

    expect_delivered(&api, &bot, &expected, Duration::from_secs(30)).await;
    let s = api.state();
    for chat in &silent {
        assert!(s.sent_to(*chat).is_empty(), "chat {chat} should have been left alone");
    }
    let answers = s.calls("answercallbackquery");
    for (query, notice) in &callbacks {
        let mine: Vec<_> =
            answers.iter().filter(|r| r.params["callback_query_id"] == json!(query)).collect();
        assert_eq!(mine.len(), 1, "query {query} answered {} times", mine.len());
        assert_eq!(mine[0].params["text"].as_str(), notice.as_deref(), "notice of {query}");
    }
    drop(s);
    assert!(bot.is_running(), "the bot crashed:\n{}", bot.stderr());
    assert_no_violations(&api);
    assert!(!bot.stderr().contains("panic"), "{}", bot.stderr());
    assert_private(&bot.stderr(), &texts, &ids);
}

/// Sends `users` questions at once and returns the sustained rate (messages a second).
async fn flood_of_users(users: i64, base: i64) -> f64 {
    let (api, bot) = start(Faults::default(), &[]).await;
    let idle_kib = bot.resident_kib();
    let pool = questions();
    let mut expected = HashMap::new();
    let mut texts = Vec::new();
    let ids: Vec<i64> = (0..users).map(|i| base + i).collect();
    for (i, id) in ids.iter().enumerate() {
        let q = &pool[i % pool.len()];
        api.push_text(*id, q);
        expected.insert(*id, answer_to(q));
        texts.push(q.clone());
    }
    let timeout = Duration::from_secs(30 + users as u64 / 10);
    expect_delivered(&api, &bot, &expected, timeout).await;
    assert_no_violations(&api);
    assert_private(&bot.stderr(), &texts, &ids);
    let s = api.state();
    let first = s.sent.first().unwrap().at;
    let last = s.sent.last().unwrap().at;
    let rate = (s.sent.len() - 1) as f64 / (last - first).as_secs_f64();
    println!(
        "sustained rate: {rate:.1} messages/s ({} messages to {users} users in {:.1} s; Telegram's ceiling: 30/s)",
        s.sent.len(),
        (last - first).as_secs_f64()
    );
    if let (Some(idle), Some(kib)) = (idle_kib, bot.resident_kib()) {
        println!(
            "resident memory of the bot: {:.1} MB when polling, {:.1} MB after answering {users} questions",
            idle as f64 / 1024.0,
            kib as f64 / 1024.0
        );
        let mb = |field| bot.status_kib(field).map_or(f64::NAN, |k| k as f64 / 1024.0);
        println!(
            "  of which heap and stacks (RssAnon) {:.1} MB, code and libraries (RssFile) {:.1} MB; peak (VmHWM) {:.1} MB",
            mb("RssAnon"),
            mb("RssFile"),
            mb("VmHWM")
        );
        for (mapping, kib) in bot.resident_by_mapping().into_iter().take(8) {
            println!("  {:>6.1} MB  {mapping}", kib as f64 / 1024.0);
        }
    }
    rate
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_users_at_once_within_the_flood_limits() {
    let rate = flood_of_users(300, 7_108_000_000).await;
    assert!(rate > 15.0 && rate <= 30.0, "sustained rate {rate:.1}/s");
}

/// The benchmark for the closing note: `cargo test --test resilience -- --ignored --nocapture
/// sustained_rate`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark (about a minute): run with --ignored --nocapture"]
async fn sustained_rate_benchmark() {
    let rate = flood_of_users(1000, 7_109_000_000).await;
    assert!(rate <= 30.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_hold_no_text_ids_names_or_token_even_on_network_errors() {
    let faults = Faults {
        seed: 9,
        send_drop: 0.4,
        updates_fail: 0.4,
        get_me_failures: 2,
        ..Faults::default()
    };
    let pool = questions();
    // (RUST_LOG, LOG_MESSAGE_TEXT): the default level, info, debug, trace; then debug with the
    // operator's explicit switch, the only case where question texts may be logged.
    let runs = [
        (None, false),
        (Some("info"), false),
        (Some("debug"), false),
        (Some("trace"), false),
        (Some("debug"), true),
    ];
    // The five bots run side by side, each with its own fake Telegram (one after the other,
    // their retries made this the longest test of the suite).
    let pool = &pool;
    let faults = &faults;
    let run = |(level, log_text): (Option<&'static str>, bool)| async move {
        let mut env: Vec<(&str, &str)> = level.map(|l| vec![("RUST_LOG", l)]).unwrap_or_default();
        if log_text {
            env.push(("LOG_MESSAGE_TEXT", "1"));
        }
        let (api, bot) = start(faults.clone(), &env).await;
        let ids: Vec<i64> = (0..6).map(|i| 7_110_000_000 + i).collect();
        let mut expected = HashMap::new();
        let mut texts = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            let q = format!("{} (my name is Sona Petrosyan, born 1978)", pool[i]);
            api.push_text(*id, &q);
            expected.insert(*id, answer_to(&q));
            texts.push(q);
        }
        expect_delivered(&api, &bot, &expected, Duration::from_secs(60)).await;
        let log = bot.stderr();
        assert!(log.contains("network error"), "no network error was logged ({level:?}):\n{log}");
        assert!(
            !log.contains(TOKEN) && !log.contains(TOKEN_SECRET),
            "token in the log ({level:?})"
        );
        if log_text {
            assert!(log.contains("Sona Petrosyan"), "LOG_MESSAGE_TEXT=1 should log question texts");
        } else if level != Some("trace") {
            assert_private(&log, &texts, &ids);
            assert!(!log.contains("Sona Petrosyan"), "{log}");
        }
    };
    futures_util::future::join_all(runs.map(run)).await;
}

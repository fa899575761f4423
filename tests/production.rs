//! Running in production: webhook mode (Telegram posts updates to the bot, with its secret),
//! `/healthz` and `/metrics` on `METRICS_LISTEN`, start-up errors for bad settings, and the
//! systemd unit in `deploy/`. All through the real binary and the fake Bot API; every server
//! binds 127.0.0.1 on a free port.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use common::fake_api::{FakeApi, Faults, TOKEN};
use common::http::{free_addr, get, metric_value, post_webhook};
use common::process::BotProcess;
use common::{assert_no_violations, assert_private, faqbot, oracle, shipped_faq, stderr};
use common::{CLOSURE_QUESTION, REPLY_TIMEOUT};

/// The public URL the tests give the bot: Telegram would post to it through a proxy; the tests
/// post to `WEBHOOK_LISTEN` directly.
const PUBLIC_URL: &str = "https://bot.example.org/telegram/hook";
const PATH: &str = "/telegram/hook";
const SECRET: &str = "a-Secret_for-the-tests-0123";

/// What the bot should answer to `question` (an English client), as Telegram shows it.
fn answer_to(question: &str) -> Vec<String> {
    oracle::reply(&shipped_faq(), Some("en"), question).messages()
}

/// A bot in webhook mode listening on `listen`, with `env` added; waits until it has set its
/// webhook.
async fn start_webhook(listen: SocketAddr, env: &[(&str, &str)]) -> (FakeApi, BotProcess) {
    let api = FakeApi::start(Faults::default()).await;
    let listen = listen.to_string();
    let mut all = vec![("WEBHOOK_URL", PUBLIC_URL), ("WEBHOOK_LISTEN", listen.as_str())];
    all.extend_from_slice(env);
    let bot = BotProcess::start(&api, &all);
    let set = api.wait_for(Duration::from_secs(30), |s| s.webhook.is_some()).await;
    assert!(set, "the bot never set its webhook; its log:\n{}", bot.stderr());
    assert!(bot.wait_log("webhook mode", Duration::from_secs(10)).await, "{}", bot.stderr());
    (api, bot)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_mode_registers_its_secret_answers_posted_updates_and_never_polls() {
    let listen = free_addr();
    let (api, bot) = start_webhook(listen, &[("WEBHOOK_SECRET", SECRET)]).await;
    let webhook = api.webhook().unwrap();
    assert_eq!(webhook["url"], PUBLIC_URL);
    assert_eq!(webhook["secret_token"], SECRET);

    let update = api.text_update(1000701, CLOSURE_QUESTION);
    assert_eq!(api.post_to_webhook(listen, &update).await, 200);
    let sent =
        api.wait_sent(1000701, 1, REPLY_TIMEOUT).await.expect("a reply to the posted update");
    let visible: Vec<String> = sent.iter().map(|s| s.visible.clone()).collect();
    assert_eq!(visible, answer_to(CLOSURE_QUESTION));

    // A second person, and a command: each answered once.
    let update = api.text_update(1000702, "/contacts");
    assert_eq!(api.post_to_webhook(listen, &update).await, 200);
    api.wait_sent(1000702, 1, REPLY_TIMEOUT).await.expect("a reply to /contacts");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(api.state().sent_to(1000701).len(), answer_to(CLOSURE_QUESTION).len());

    let s = api.state();
    assert!(s.calls("getupdates").is_empty(), "the bot polled while its webhook was set");
    assert!(s.calls("deletewebhook").is_empty(), "the bot deleted its own webhook");
    drop(s);
    assert_no_violations(&api);
    let log = bot.stderr();
    assert!(!log.contains(SECRET), "the webhook's secret is in the log:\n{log}");
    assert_private(&log, &[CLOSURE_QUESTION.to_string()], &[1000701, 1000702]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_refuses_posts_without_the_secret_and_malformed_ones_and_keeps_serving() {
    let listen = free_addr();
    // No WEBHOOK_SECRET: one is generated, and logged as generated, never its value.
    let (api, bot) = start_webhook(listen, &[]).await;
    let secret = api.webhook().unwrap()["secret_token"].as_str().unwrap().to_string();
    assert!(secret.len() >= 32, "a generated secret: {secret:?}");
    assert!(bot.stderr().contains("a secret was generated"), "{}", bot.stderr());

    let forged = api.text_update(1000711, CLOSURE_QUESTION).to_string();
    let (none, _) = post_webhook(listen, PATH, None, forged.as_bytes()).await;
    let (wrong, _) = post_webhook(listen, PATH, Some("not-the-secret"), forged.as_bytes()).await;
    let (almost, _) =
        post_webhook(listen, PATH, Some(&secret[..secret.len() - 1]), forged.as_bytes()).await;
    assert_eq!((none, wrong, almost), (401, 401, 401));

    let right = Some(secret.as_str());
    for body in ["not json at all", "{\"message\": {\"text\": \"no update_id\"}}", ""] {
        let (status, _) = post_webhook(listen, PATH, right, body.as_bytes()).await;
        assert!((400..500).contains(&status), "{body:?} was answered {status}");
    }
    // Another path is not the webhook.
    let (status, _) = post_webhook(listen, "/elsewhere", right, forged.as_bytes()).await;
    assert_eq!(status, 404);

    // Still serving: a genuine post is answered, the forged ones never were.
    let update = api.text_update(1000712, CLOSURE_QUESTION);
    assert_eq!(api.post_to_webhook(listen, &update).await, 200);
    api.wait_sent(1000712, 1, REPLY_TIMEOUT).await.expect("a reply after the refused posts");
    assert!(api.state().send_attempts(1000711).is_empty(), "a refused post was answered");
    assert!(bot.is_running());
    assert!(api.state().calls("getupdates").is_empty());
    let log = bot.stderr();
    assert!(!log.contains(&secret), "the generated secret is in the log:\n{log}");
    assert_private(&log, &[CLOSURE_QUESTION.to_string()], &[1000711, 1000712]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_and_metrics_while_polling() {
    let metrics_at = free_addr();
    let addr = metrics_at.to_string();
    let (api, bot) = common::start(Faults::default(), &[("METRICS_LISTEN", &addr)]).await;

    let (status, body) = get(metrics_at, "/healthz").await;
    assert_eq!((status, body.trim()), (200, "ok"), "{}", bot.stderr());

    let (status, before) = get(metrics_at, "/metrics").await;
    assert_eq!(status, 200);
    for name in [
        "faqbot_questions_total",
        "faqbot_button_taps_total",
        "faqbot_replies_sent_total",
        "faqbot_replies_failed_total",
        "faqbot_telegram_429_total",
        "faqbot_send_retries_total",
        "faqbot_replies_waiting",
        "faqbot_journal_updates",
        "faqbot_reloads_total",
        "faqbot_build_info",
    ] {
        assert!(before.contains(&format!("# TYPE {name} ")), "{name} missing:\n{before}");
    }
    assert_eq!(metric_value(&before, "faqbot_questions_total{outcome=\"answer\"}"), 0.0);

    api.push_text(1000721, CLOSURE_QUESTION);
    api.push_text(
        1000722,
        "Здравствуйте, у меня вопрос про Firstname1000722 и телефон +994 50 123 45 67",
    );
    api.wait_sent(1000721, 1, REPLY_TIMEOUT).await.expect("an answer");
    api.wait_sent(1000722, 1, REPLY_TIMEOUT).await.expect("a reply");
    // The outbox hands replies over before they are counted: wait for the counts.
    let mut after = String::new();
    for _ in 0..100 {
        after = get(metrics_at, "/metrics").await.1;
        if metric_value(&after, "faqbot_replies_sent_total") >= 2.0
            && metric_value(&after, "faqbot_replies_waiting") == 0.0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(metric_value(&after, "faqbot_questions_total{outcome=\"answer\"}"), 1.0, "{after}");
    // Per topic: a series once the topic was answered.
    assert!(after.contains("# TYPE faqbot_answers_total counter"), "{after}");
    assert_eq!(metric_value(&after, "faqbot_answers_total{topic=\"closure\"}"), 1.0, "{after}");
    let questions: f64 = ["answer", "suggest", "small-talk", "fallback", "empty"]
        .iter()
        .map(|o| metric_value(&after, &format!("faqbot_questions_total{{outcome=\"{o}\"}}")))
        .sum();
    assert_eq!(questions, 2.0, "{after}");
    assert!(metric_value(&after, "faqbot_replies_sent_total") >= 2.0, "{after}");
    assert_eq!(metric_value(&after, "faqbot_replies_waiting"), 0.0, "{after}");
    assert_eq!(metric_value(&after, "faqbot_journal_updates"), 0.0, "{after}");
    // Counts only: no text, name, username or id of anyone.
    for secret in
        ["1000721", "1000722", "Firstname", "username", "Здравствуйте", "994", "ICRC office"]
    {
        assert!(!after.contains(secret), "{secret} is in /metrics:\n{after}");
    }
    assert!(!after.contains(TOKEN));

    // SIGHUP reloads; the count says how it went.
    bot.signal(libc::SIGHUP);
    assert!(bot.wait_log("SIGHUP: Reloaded", Duration::from_secs(20)).await, "{}", bot.stderr());
    let after = get(metrics_at, "/metrics").await.1;
    assert_eq!(metric_value(&after, "faqbot_reloads_total{result=\"ok\"}"), 1.0, "{after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_is_503_with_a_reason_until_telegram_answers() {
    let metrics_at = free_addr();
    let addr = metrics_at.to_string();
    // getMe fails for a long while: the bot keeps trying and is not serving.
    let faults = Faults { get_me_failures: 1000, ..Faults::default() };
    let api = FakeApi::start(faults).await;
    let bot = BotProcess::start(&api, &[("METRICS_LISTEN", &addr)]);
    let mut answer = (0, String::new());
    for _ in 0..200 {
        answer = get(metrics_at, "/healthz").await;
        if answer.0 != 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, body) = answer;
    assert_eq!(status, 503, "{body}\n{}", bot.stderr());
    assert!(body.starts_with("Telegram not reached yet"), "{body}");
    assert_eq!(body.trim_end().lines().count(), 1, "one line: {body:?}");
    assert!(!body.contains(TOKEN) && !body.contains("127.0.0.1"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_mode_serves_health_and_counts_posts() {
    let listen = free_addr();
    let metrics_at = free_addr();
    let addr = metrics_at.to_string();
    let (api, bot) =
        start_webhook(listen, &[("WEBHOOK_SECRET", SECRET), ("METRICS_LISTEN", &addr)]).await;
    let (status, body) = get(metrics_at, "/healthz").await;
    assert_eq!((status, body.trim()), (200, "ok"), "{}", bot.stderr());
    // Not on the public webhook port.
    assert_eq!(get(listen, "/metrics").await.0, 404);
    let update = api.text_update(1000731, CLOSURE_QUESTION);
    assert_eq!(api.post_to_webhook(listen, &update).await, 200);
    assert_eq!(post_webhook(listen, PATH, None, b"{}").await.0, 401);
    api.wait_sent(1000731, 1, REPLY_TIMEOUT).await.expect("an answer");
    let metrics = get(metrics_at, "/metrics").await.1;
    assert_eq!(metric_value(&metrics, "faqbot_webhook_posts_total{result=\"accepted\"}"), 1.0);
    assert_eq!(metric_value(&metrics, "faqbot_webhook_posts_total{result=\"unauthorized\"}"), 1.0);
    assert_eq!(metric_value(&metrics, "faqbot_questions_total{outcome=\"answer\"}"), 1.0);
}

#[test]
fn bad_webhook_or_metrics_settings_stop_the_start_naming_the_variable() {
    for (name, value, with_url) in [
        ("WEBHOOK_URL", "not a url", false),
        ("WEBHOOK_URL", "http://bot.example.org/hook", false),
        ("WEBHOOK_LISTEN", "everywhere:8443", true),
        ("WEBHOOK_SECRET", "no spaces allowed", true),
        ("WEBHOOK_SECRET", "a-secret", false),
        ("METRICS_LISTEN", "localhost:9090", false),
    ] {
        let mut command = faqbot();
        command.env("TELOXIDE_TOKEN", TOKEN).env("FAQ_PATH", shipped_faq()).env(name, value);
        if with_url {
            command.env("WEBHOOK_URL", PUBLIC_URL);
        }
        let o = command.output().unwrap();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{name}={value}: {err}");
        assert!(err.contains(name), "{name}={value}: {err}");
        assert!(!err.contains(TOKEN), "{err}");
    }
}

#[test]
fn the_systemd_unit_passes_systemd_analyze_verify() {
    let unit = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/faqbot.service");
    let text = std::fs::read_to_string(&unit).unwrap();
    for setting in [
        "DynamicUser=yes",
        "StateDirectory=faqbot",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "NoNewPrivileges=yes",
        "Restart=on-failure",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "EnvironmentFile=",
        "TimeoutStopSec=15s",
    ] {
        assert!(text.lines().any(|l| l.starts_with(setting)), "{setting} missing from the unit");
    }
    let Ok(which) = std::process::Command::new("systemd-analyze").arg("--version").output() else {
        println!("note: systemd-analyze is not installed; `systemd-analyze verify` not run");
        return;
    };
    assert!(which.status.success());
    // `verify` checks that the program exists: point ExecStart at the binary under test, and
    // keep every other line as shipped.
    let dir = common::temp_dir("unit");
    let copy = dir.join("faqbot.service");
    let binary = env!("CARGO_BIN_EXE_faqbot");
    let text = text.replace("ExecStart=/usr/local/bin/faqbot", &format!("ExecStart={binary}"));
    std::fs::write(&copy, text).unwrap();
    let o = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(&copy)
        .current_dir(&dir)
        .output()
        .unwrap();
    let all = format!("{}{}", common::stdout(&o), stderr(&o));
    assert!(o.status.success() && all.trim().is_empty(), "systemd-analyze verify:\n{all}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_mode_stops_on_sigterm_after_answering_what_it_accepted() {
    let listen = free_addr();
    let (api, bot) = start_webhook(listen, &[("WEBHOOK_SECRET", SECRET)]).await;
    let update = api.text_update(1000741, CLOSURE_QUESTION);
    assert_eq!(api.post_to_webhook(listen, &update).await, 200);
    bot.signal(libc::SIGTERM);
    let (status, took) = bot.wait_exit(Duration::from_secs(10)).await.expect("the bot exits");
    assert!(status.success(), "{status:?}\n{}", bot.stderr());
    assert!(took < Duration::from_secs(4), "stopping took {took:?}\n{}", bot.stderr());
    assert!(bot.stderr().contains("stopped"), "{}", bot.stderr());
    // Accepted with 200 before the signal: answered before the exit.
    assert_eq!(api.state().sent_to(1000741).len(), answer_to(CLOSURE_QUESTION).len());
    // The webhook stays set: Telegram keeps the updates for the next start.
    assert!(api.state().calls("deletewebhook").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_is_503_while_telegram_cannot_deliver_to_the_webhook() {
    let listen = free_addr();
    let metrics_at = free_addr();
    let addr = metrics_at.to_string();
    let (api, bot) =
        start_webhook(listen, &[("WEBHOOK_SECRET", SECRET), ("METRICS_LISTEN", &addr)]).await;
    assert_eq!(get(metrics_at, "/healthz").await.0, 200, "{}", bot.stderr());
    // The proxy in front is down: Telegram says so in getWebhookInfo.
    api.state().webhook_error =
        Some((common::fake_api::unix_now(), "Wrong response from the webhook: 502".into()));
    let mut answer = (0, String::new());
    for _ in 0..250 {
        answer = get(metrics_at, "/healthz").await;
        if answer.0 == 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(answer.0, 503, "{answer:?}\n{}", bot.stderr());
    assert!(answer.1.contains("cannot deliver to the webhook: Wrong response"), "{answer:?}");
    assert!(bot.stderr().contains("cannot deliver to the webhook"), "{}", bot.stderr());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_is_503_while_getting_updates_fails() {
    let metrics_at = free_addr();
    let addr = metrics_at.to_string();
    let faults = Faults { updates_fail: 1.0, ..Faults::default() };
    let (_api, bot) = common::start(faults, &[("METRICS_LISTEN", &addr)]).await;
    assert!(bot.wait_log("getting updates failed", Duration::from_secs(20)).await);
    let (status, body) = get(metrics_at, "/healthz").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.starts_with("receiving updates failed"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_posted_update_is_kept_before_the_200_so_a_crash_after_it_loses_nothing() {
    // Telegram is slow to take the reply: the bot is killed after answering the post 200 and
    // before its reply is out.
    let api =
        FakeApi::start(Faults { send_delay: Duration::from_secs(3), ..Faults::default() }).await;
    let state = common::temp_dir("webhook-journal").join("state.db");
    let listen = free_addr().to_string();
    let env = [
        ("WEBHOOK_URL", PUBLIC_URL),
        ("WEBHOOK_LISTEN", listen.as_str()),
        ("WEBHOOK_SECRET", SECRET),
        ("STATE_PATH", state.to_str().unwrap()),
    ];
    let bot = BotProcess::start(&api, &env);
    assert!(bot.wait_log("webhook mode", Duration::from_secs(30)).await, "{}", bot.stderr());
    let update = api.text_update(1000731, CLOSURE_QUESTION);
    let addr: SocketAddr = listen.parse().unwrap();
    assert_eq!(api.post_to_webhook(addr, &update).await, 200);
    // Telegram did not hear the 200 in time and posts it again: taken once.
    assert_eq!(api.post_to_webhook(addr, &update).await, 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    bot.signal(libc::SIGKILL);
    bot.wait_exit(Duration::from_secs(5)).await.expect("killed");
    drop(bot);
    assert!(api.state().sent_to(1000731).is_empty(), "the reply went out before the kill");

    // After the restart, the kept update is answered, once.
    api.state().faults.send_delay = Duration::ZERO;
    let bot = BotProcess::start(&api, &env);
    let sent = api.wait_sent(1000731, 1, REPLY_TIMEOUT).await;
    assert!(sent.is_some(), "not answered after the restart:\n{}", bot.stderr());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let visible: Vec<String> =
        api.state().sent_to(1000731).iter().map(|s| s.visible.clone()).collect();
    // Once: nothing had gone out before the kill, and the repeated post was not kept twice.
    assert_eq!(visible, answer_to(CLOSURE_QUESTION));
    assert_no_violations(&api);
}

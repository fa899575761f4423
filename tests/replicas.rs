//! Scaling out (`REDIS_URL`): two replicas of the real binary share a real Redis, behind a
//! round-robin load balancer to which the fake Bot API posts updates as Telegram would (and
//! posts again what was not answered 200). Telegram's flood limits hold for the bot as a
//! whole; a replica killed mid-flight, or Redis restarted, loses no question.
//!
//! The figures of a run are printed: `cargo test --test replicas -- --nocapture`.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::Value;

use common::fake_api::{FakeApi, Faults, Scripted, TOKEN};
use common::http::{free_addr, get, metric_value};
use common::process::BotProcess;
use common::replicas::{balancer, RedisServer};
use common::{assert_private, oracle, shipped_faq, CLOSURE_QUESTION};

const PUBLIC_URL: &str = "https://bot.example.org/telegram/hook";

/// The tests that run replicas take turns. Each runs a Redis, two bots, a balancer and the fake
/// Bot API, which judges Telegram's flood limits by when requests reach it: run side by side on
/// a machine of two cores, a starved test process read requests that the bots had spaced out
/// as bunched, and counted 429s that the bots had not provoked (one CI run in four: 36 in 150).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
const SECRET: &str = "replicas-Secret_0123456789";

/// One replica: its process, webhook and metrics addresses.
struct Replica {
    bot: BotProcess,
    metrics: SocketAddr,
}

/// Starts `n` replicas sharing `redis`, with `extra` in their environment, and waits until each
/// has set the webhook.
async fn replicas(
    api: &FakeApi,
    redis: &RedisServer,
    n: usize,
    extra: &[(&str, &str)],
) -> (Vec<Replica>, Vec<SocketAddr>) {
    let mut all = Vec::new();
    let mut hooks = Vec::new();
    for _ in 0..n {
        let (listen, metrics) = (free_addr(), free_addr());
        let (l, m, url) = (listen.to_string(), metrics.to_string(), redis.url());
        let mut env = vec![
            ("WEBHOOK_URL", PUBLIC_URL),
            ("WEBHOOK_LISTEN", l.as_str()),
            ("WEBHOOK_SECRET", SECRET),
            ("METRICS_LISTEN", m.as_str()),
            ("REDIS_URL", url.as_str()),
        ];
        env.extend_from_slice(extra);
        all.push(Replica { bot: BotProcess::start(api, &env), metrics });
        hooks.push(listen);
    }
    for r in &all {
        let up = r.bot.wait_log("webhook mode", Duration::from_secs(30)).await;
        assert!(up, "a replica did not start:\n{}", r.bot.stderr());
    }
    (all, hooks)
}

/// Posts `update` as Telegram does: again, after a pause, until it is answered 200.
async fn deliver(api: FakeApi, to: SocketAddr, update: Value) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while api.post_to_webhook(to, &update).await != 200 {
        assert!(Instant::now() < deadline, "an update was never taken");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// What the chats received, against the messages each should have received once.
#[derive(Debug, Default)]
struct Tally {
    answered: usize,
    twice: usize,
    missing: usize,
    messages: usize,
    floods: usize,
}

fn tally(api: &FakeApi, ids: &[i64], expected: &[String]) -> Tally {
    let s = api.state();
    let mut per: HashMap<i64, Vec<&str>> = HashMap::new();
    for sent in &s.sent {
        per.entry(sent.chat).or_default().push(&sent.visible);
    }
    let mut t = Tally { messages: s.sent.len(), floods: s.floods, ..Tally::default() };
    for id in ids {
        let got = per.get(id).map_or(&[][..], Vec::as_slice);
        if got.len() >= expected.len() {
            assert_eq!(got[..expected.len()], expected[..], "a wrong reply to {id}");
            t.answered += 1;
        } else {
            t.missing += 1;
        }
        if got.len() > expected.len() {
            t.twice += 1;
        }
    }
    t
}

/// Waits for every post to be taken and every person answered (up to a minute), then a little
/// more, as late duplicates would come within the reclaim time: whether all were answered in
/// time, how long since `started` that took, and the tally.
async fn settle(
    api: &FakeApi,
    posts: Vec<tokio::task::JoinHandle<()>>,
    ids: &[i64],
    expected: &[String],
    started: Instant,
) -> (bool, Duration, Tally) {
    for post in posts {
        post.await.unwrap();
    }
    let done = all_answered(api, ids, expected, Duration::from_secs(60)).await;
    let took = started.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    (done, took, tally(api, ids, expected))
}

async fn all_answered(api: &FakeApi, ids: &[i64], expected: &[String], timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if tally(api, ids, expected).missing == 0 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_answer_150_people_once_within_the_limits_even_when_one_is_killed() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let redis = RedisServer::start("killed");
    let api = FakeApi::start(Faults::default()).await;
    let (mut replicas, hooks) = replicas(&api, &redis, 2, &[]).await;
    let lb = balancer(hooks).await;
    let expected = oracle::reply(&shipped_faq(), Some("en"), CLOSURE_QUESTION).messages();
    let ids: Vec<i64> = (0..150).map(|i| 7_301_000_000 + i).collect();

    // 150 people write at once.
    let started = Instant::now();
    let posts: Vec<_> = ids
        .iter()
        .map(|id| tokio::spawn(deliver(api.clone(), lb, api.text_update(*id, CLOSURE_QUESTION))))
        .collect();
    // Mid-flight, one replica dies.
    let midway = api.wait_for(Duration::from_secs(30), |s| s.sent.len() >= 40).await;
    assert!(midway, "no replies:\n{}", replicas[0].bot.stderr());
    replicas[0].bot.signal(libc::SIGKILL);
    let killed_at = started.elapsed();
    let sent_before = api.state().sent.len();
    let (done, took, t) = settle(&api, posts, &ids, &expected, started).await;
    let survivor = &replicas[1];
    println!(
        "two replicas, one killed with SIGKILL at {killed_at:.1?} after {sent_before} replies: \
         {} of {} answered, {} answered twice, {} 429s in {} messages ({:.1}%), all answered in {took:.1?}",
        t.answered,
        ids.len(),
        t.twice,
        t.floods,
        t.messages,
        100.0 * t.floods as f64 / t.messages.max(1) as f64
    );
    assert!(
        done && t.missing == 0,
        "unanswered: {t:?}\nsurvivor's log:\n{}",
        survivor.bot.stderr()
    );
    assert!(t.twice <= 15, "too many answered twice: {t:?}");
    assert!(t.floods * 20 <= t.messages, "more than 5% 429s: {t:?}");
    assert!(survivor.bot.is_running());
    assert!(
        survivor.bot.stderr().contains("took over"),
        "the survivor never took over the dead replica's updates:\n{}",
        survivor.bot.stderr()
    );
    assert!(api.state().violations.is_empty(), "{:#?}", api.state().violations);
    for r in &replicas {
        assert_private(&r.bot.stderr(), &[CLOSURE_QUESTION.to_string()], &ids);
        assert_no_redis_errors(&r.bot);
    }
    // Once all are answered, Redis holds no text: the journal's stream is empty, and no key
    // holds the question.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_holds_no_text(&redis).await;
    let (status, why) = get(survivor.metrics, "/healthz").await;
    assert_eq!(status, 200, "{why}\n{}", survivor.bot.stderr());
    drop(replicas.remove(0));
}

/// Asserts a replica's log reports no failed Redis command (Redis was up all along).
fn assert_no_redis_errors(bot: &BotProcess) {
    let log = bot.stderr();
    for failure in ["Redis error", "Redis failed", "Redis timed out", "could not forget"] {
        assert!(!log.contains(failure), "{failure}:\n{log}");
    }
}

/// The keys of this bot's namespace.
fn key(name: &str) -> String {
    format!("faqbot:{}:{name}", TOKEN.split(':').next().unwrap())
}

/// Asserts the journal's stream is empty and no key holds the question.
async fn assert_holds_no_text(redis: &RedisServer) {
    let stream = redis.command(&["XLEN", &key("updates")]).await;
    assert_eq!(stream.trim(), ":0", "entries left in the stream");
    let keys = redis.command(&["KEYS", "*"]).await;
    assert!(!keys.contains(CLOSURE_QUESTION));
    for line in keys.lines().filter(|l| l.starts_with("faqbot:")) {
        let dump = redis.command(&["DUMP", line]).await;
        assert!(!dump.contains("ICRC office"), "{line} holds a text");
    }
    assert!(
        keys.lines().filter(|l| l.contains(':')).all(|l| l.starts_with(&key(""))),
        "keys outside the bot's namespace: {keys}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarting_mid_run_loses_nothing_and_crashes_nothing() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut redis = RedisServer::start("restart");
    let api = FakeApi::start(Faults::default()).await;
    let (replicas, hooks) = replicas(&api, &redis, 2, &[]).await;
    let lb = balancer(hooks).await;
    let expected = oracle::reply(&shipped_faq(), Some("en"), CLOSURE_QUESTION).messages();
    let ids: Vec<i64> = (0..60).map(|i| 7_302_000_000 + i).collect();
    let started = Instant::now();
    let mut posts = Vec::new();
    // Twenty before, twenty while Redis is down (answered 503, posted again), twenty after.
    for id in &ids[..20] {
        posts.push(tokio::spawn(deliver(api.clone(), lb, api.text_update(*id, CLOSURE_QUESTION))));
    }
    let some = api.wait_for(Duration::from_secs(30), |s| s.sent.len() >= 5).await;
    assert!(some, "no replies:\n{}", replicas[0].bot.stderr());
    redis.kill();
    for id in &ids[20..40] {
        posts.push(tokio::spawn(deliver(api.clone(), lb, api.text_update(*id, CLOSURE_QUESTION))));
    }
    // Unhealthy while Redis is away, and still running.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut unhealthy = false;
    while !unhealthy && Instant::now() < deadline {
        let (status, _) = get(replicas[0].metrics, "/healthz").await;
        unhealthy = status == 503;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(unhealthy, "/healthz stayed 200 without Redis:\n{}", replicas[0].bot.stderr());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    redis.restart();
    for id in &ids[40..] {
        posts.push(tokio::spawn(deliver(api.clone(), lb, api.text_update(*id, CLOSURE_QUESTION))));
    }
    let (done, took, t) = settle(&api, posts, &ids, &expected, started).await;
    println!(
        "Redis killed and restarted mid-run: {} of {} answered, {} answered twice, {} 429s in {} messages, all answered in {took:.1?}",
        t.answered,
        ids.len(),
        t.twice,
        t.floods,
        t.messages
    );
    assert!(
        done && t.missing == 0,
        "lost: {t:?}\n{}\n{}",
        replicas[0].bot.stderr(),
        replicas[1].bot.stderr()
    );
    assert!(t.twice <= 6, "too many answered twice: {t:?}");
    for r in &replicas {
        assert!(r.bot.is_running(), "a replica stopped:\n{}", r.bot.stderr());
        assert_private(&r.bot.stderr(), &[CLOSURE_QUESTION.to_string()], &ids);
    }
    // Posts that came while Redis was away were answered 503, and posted again.
    let mut refused = 0.0;
    for r in &replicas {
        let (_, metrics) = get(r.metrics, "/metrics").await;
        refused += metric_value(&metrics, "faqbot_webhook_posts_total{result=\"unavailable\"}");
    }
    println!("{refused} posts answered 503 while Redis was away");
    assert!(refused > 0.0, "no post met Redis away");

    // Healthy again once Redis answers.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut healthy = false;
    while !healthy && Instant::now() < deadline {
        healthy = get(replicas[0].metrics, "/healthz").await.0 == 200
            && get(replicas[1].metrics, "/healthz").await.0 == 200;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(healthy, "/healthz did not recover:\n{}", replicas[0].bot.stderr());
    assert_holds_no_text(&redis).await;
}

/// Posts `text` from `id` through the balancer, and waits for `n` more messages to `id`.
async fn ask(api: &FakeApi, lb: SocketAddr, id: i64, text: &str, n: usize) -> Vec<String> {
    let before = api.state().sent_to(id).len();
    deliver(api.clone(), lb, api.text_update(id, text)).await;
    let sent = api.wait_sent(id, before + n, common::REPLY_TIMEOUT).await;
    let sent = sent.unwrap_or_else(|| panic!("no reply to {text:?}"));
    sent[before..].iter().map(|s| s.visible.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_the_stats_and_what_a_person_chose_reach_every_replica() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let redis = RedisServer::start("shared");
    let api = FakeApi::start(Faults::default()).await;
    let faq = common::faq_copy("shared-faq");
    let operator = 7_303_000_001_i64;
    let (admins, path) = (operator.to_string(), faq.display().to_string());
    let env = [("ADMIN_IDS", admins.as_str()), ("FAQ_PATH", path.as_str())];
    let (replicas, hooks) = replicas(&api, &redis, 2, &env).await;
    let lb = balancer(hooks).await;
    let old = oracle::reply(&faq, Some("en"), CLOSURE_QUESTION).messages();

    // /reload sent to one replica reloads both: every question after it gets the new answer,
    // whichever replica takes it.
    common::write_changed_faq(&faq, "RELOADED everywhere: the closure answer, edited.");
    let new = oracle::reply(&faq, Some("en"), CLOSURE_QUESTION).messages();
    assert_ne!(old, new);
    let reply = ask(&api, lb, operator, "/reload", 1).await;
    assert!(reply[0].contains("The other replicas were asked to reload too."), "{reply:?}");
    for r in &replicas {
        let reloaded = r.bot.wait_log("Reloaded", Duration::from_secs(10)).await;
        assert!(reloaded, "a replica did not reload:\n{}", r.bot.stderr());
    }
    let ids: Vec<i64> = (10..16).map(|i| 7_303_000_000 + i).collect();
    for id in &ids {
        assert_eq!(ask(&api, lb, *id, CLOSURE_QUESTION, new.len()).await, new);
    }

    // Telegram posting an update again, to the other replica: handled once.
    let twice = 7_303_000_099;
    let update = api.text_update(twice, CLOSURE_QUESTION);
    deliver(api.clone(), lb, update.clone()).await;
    deliver(api.clone(), lb, update.clone()).await;
    deliver(api.clone(), lb, update).await;
    api.wait_sent(twice, new.len(), common::REPLY_TIMEOUT).await.expect("an answer");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        api.state().sent_to(twice).len(),
        new.len(),
        "an update posted thrice was answered more than once"
    );

    // A language written in is remembered for the person, in Redis, for every replica.
    let lang = redis.command(&["GET", &key(&format!("lang:{}", ids[0]))]).await;
    assert!(lang.contains("en"), "{lang}");
    let ttl = redis.command(&["TTL", &key(&format!("lang:{}", ids[0]))]).await;
    let ttl: i64 = ttl.trim().trim_start_matches(':').parse().unwrap();
    assert!(ttl > 0 && ttl <= 7 * 24 * 3600, "the language key does not expire: {ttl}");

    // One person writing six questions at once, taken by both replicas: their replies keep to
    // Telegram's pace for one chat (no 429), and a 429 that Telegram does send holds the chat
    // back in both replicas for its retry_after.
    let eager = 7_303_000_098;
    api.script(eager, &[Scripted::TooMany { retry_after: 2 }]);
    let posts: Vec<_> = (0..6)
        .map(|_| tokio::spawn(deliver(api.clone(), lb, api.text_update(eager, CLOSURE_QUESTION))))
        .collect();
    for post in posts {
        post.await.unwrap();
    }
    let all = api.wait_sent(eager, 6 * new.len(), Duration::from_secs(30)).await;
    assert!(all.is_some(), "not all six answered:\n{}", replicas[0].bot.stderr());
    let (floods, attempts) = {
        let s = api.state();
        let attempts: Vec<Duration> = s.send_attempts(eager).iter().map(|r| r.at).collect();
        (s.floods, attempts)
    };
    assert_eq!(floods, 0, "a chat was sent more than Telegram allows");
    assert!(
        attempts[1] - attempts[0] >= Duration::from_millis(1900),
        "sent again {:?} after a 429 with retry_after 2: {attempts:?}",
        attempts[1] - attempts[0]
    );

    // /stats counts what both replicas answered.
    let stats = ask(&api, lb, operator, "/stats", 1).await.concat();
    assert!(stats.contains(&format!(": {} question(s).", ids.len() + 7)), "{stats}");
    assert!(stats.contains("Counted by all replicas together."), "{stats}");
    for r in &replicas {
        assert_private(&r.bot.stderr(), &[CLOSURE_QUESTION.to_string()], &ids);
        assert_no_redis_errors(&r.bot);
    }
    // A replica with nothing left stops cleanly on SIGTERM; the other serves on.
    replicas[0].bot.signal(libc::SIGTERM);
    let (status, _) = replicas[0].bot.wait_exit(Duration::from_secs(15)).await.expect("stopped");
    assert!(status.success(), "exit status {status}:\n{}", replicas[0].bot.stderr());
    let after = 7_303_000_097;
    assert_eq!(ask(&api, lb, after, CLOSURE_QUESTION, new.len()).await, new);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_stopped_with_replies_queued_leaves_them_to_the_other() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let redis = RedisServer::start("stopped");
    // Telegram takes 40 ms per message: replies queue up.
    let faults = Faults { send_delay: Duration::from_millis(40), ..Faults::default() };
    let api = FakeApi::start(faults).await;
    // No time to finish on SIGTERM: what the replica took is left to the other.
    let (replicas, hooks) = replicas(&api, &redis, 2, &[("STOP_TIMEOUT", "0")]).await;
    let lb = balancer(hooks).await;
    let expected = oracle::reply(&shipped_faq(), Some("en"), CLOSURE_QUESTION).messages();
    let ids: Vec<i64> = (0..80).map(|i| 7_304_000_000 + i).collect();
    let posts: Vec<_> = ids
        .iter()
        .map(|id| tokio::spawn(deliver(api.clone(), lb, api.text_update(*id, CLOSURE_QUESTION))))
        .collect();
    for post in posts {
        post.await.unwrap();
    }
    let some = api.wait_for(Duration::from_secs(30), |s| s.sent.len() >= 5).await;
    assert!(some, "no replies:\n{}", replicas[0].bot.stderr());
    replicas[0].bot.signal(libc::SIGTERM);
    let (status, took) = replicas[0].bot.wait_exit(Duration::from_secs(10)).await.expect("stopped");
    let left = api.state().sent.len();
    println!("stopped in {took:.1?} with status {status}, {left} of 80 replies sent by then");
    assert_eq!(status.code(), Some(3), "replies left: exit 3\n{}", replicas[0].bot.stderr());
    assert!(replicas[0].bot.stderr().contains("another replica answers them"));
    let done = all_answered(&api, &ids, &expected, Duration::from_secs(60)).await;
    let t = tally(&api, &ids, &expected);
    println!("after the stop: {} of 80 answered, {} twice", t.answered, t.twice);
    assert!(done, "lost: {t:?}\n{}", replicas[1].bot.stderr());
    assert!(t.twice <= 2, "answered twice: {t:?}");
    assert!(replicas[1].bot.stderr().contains("took over"), "{}", replicas[1].bot.stderr());
}

#[test]
fn redis_without_a_webhook_and_its_secret_or_a_bad_url_stops_the_start_with_status_2() {
    let url = "redis://:hunter2-password@127.0.0.1:6379/0";
    for (env, needle) in [
        (vec![("REDIS_URL", url)], "WEBHOOK_URL is not"),
        (vec![("REDIS_URL", url), ("WEBHOOK_URL", PUBLIC_URL)], "WEBHOOK_SECRET is not"),
        (
            vec![
                ("REDIS_URL", "rediss://:hunter2-password@127.0.0.1"),
                ("WEBHOOK_URL", PUBLIC_URL),
                ("WEBHOOK_SECRET", SECRET),
            ],
            "rediss:// (TLS) is not built in",
        ),
    ] {
        let mut command = common::faqbot();
        command.env("TELOXIDE_TOKEN", TOKEN).env("FAQ_PATH", shipped_faq());
        for (k, v) in &env {
            command.env(k, v);
        }
        let o = command.output().unwrap();
        let err = common::stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{env:?}: {err}");
        assert!(err.contains("REDIS_URL") && err.contains(needle), "{env:?}: {err}");
        assert!(!err.contains("hunter2") && !err.contains(TOKEN), "{err}");
    }
}

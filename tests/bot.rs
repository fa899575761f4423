//! What people see of the bot, black-box: the real `faqbot` binary against the project's fake
//! Bot API server (`tests/common/fake_api`), so every reply goes through the same outbox and
//! pacing as in production. Each test starts its own bot and server. Expected texts are read
//! from the shipped faq.json, never copied here.

mod common;

use common::fake_api::updates::{
    earlier_bot_message, group_chat, inaccessible_message, mentioning_the_bot, non_text_contents,
    reply_to, user_with_language,
};
use common::fake_api::{Sent, BOT_USERNAME};
use common::{first_line, oracle, Faq, Harness, CLOSURE_QUESTION};
use serde_json::Value;

/// Someone whose Telegram client reports no language (the bot then answers in the default
/// language, English, unless the text shows its own).
fn person(id: i64) -> Value {
    user_with_language(id, None)
}

/// The visible texts of messages, joined.
fn joined(sent: &[Sent]) -> String {
    sent.iter().map(|m| m.visible.as_str()).collect::<Vec<_>>().join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_greets_and_offers_every_topic() {
    let faq = Faq::shipped();
    let h = Harness::start(&[]).await;
    let mut chat = h.private(person(7_301_000_001));
    chat.say("/start");
    let sent = chat.reply().await;
    chat.settle().await; // exactly one reply
    assert!(sent.visible.contains(first_line(&faq.text("greeting", "en"))), "{}", sent.visible);
    assert_eq!(sent.callback_data(), faq.topic_buttons());
    // Every button's data fits Telegram's 64 bytes.
    assert!(sent.callback_data().iter().all(|d| !d.is_empty() && d.len() <= 64));
    h.assert_clean(&[chat.user_id()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_lists_every_command() {
    let faq = Faq::shipped();
    let h = Harness::start(&[]).await;
    let mut chat = h.private(person(7_302_000_001));
    chat.say("/help");
    let text = chat.reply().await.visible;
    chat.settle().await;
    assert!(text.contains(first_line(&faq.text("help", "en"))), "{text}");
    for cmd in ["/start", "/help", "/topics", "/contacts", "/language"] {
        assert!(text.contains(cmd), "{cmd} missing from help: {text}");
    }
    h.assert_clean(&[chat.user_id()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_command_offers_topic_buttons() {
    let faq = Faq::shipped();
    let h = Harness::start(&[]).await;
    let mut chat = h.private(person(7_303_000_001));
    chat.say("/topics");
    let sent = chat.reply().await;
    chat.settle().await;
    assert_eq!(sent.callback_data(), faq.topic_buttons());
    h.assert_clean(&[chat.user_id()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contacts_command_shows_the_general_contacts_with_only_filled_fields() {
    let faq = Faq::shipped();
    let h = Harness::start(&[]).await;
    let mut chat = h.private(person(7_304_000_001));
    // The usual fence is `/contacts` itself.
    chat.set_fence("/help");
    chat.say("/contacts");
    let text = joined(&chat.replies(1).await);
    chat.settle().await;
    let general: Vec<&str> = faq.json["general_contacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    for c in faq.contacts() {
        let id = c["id"].as_str().unwrap();
        if !general.contains(&id) {
            // Not listed (say, no verified way to reach it): not shown either.
            assert!(!text.contains(&faq.contact_name(id, "en")), "{id} shown: {text}");
            continue;
        }
        assert!(text.contains(&faq.contact_name(id, "en")), "{id} missing");
        let url = c["url"].as_str().unwrap_or_default();
        if !url.is_empty() {
            assert!(text.contains(url), "{id} url missing");
        }
    }
    // Labels of empty fields are not shown when no contact has that field.
    if faq.contacts().iter().all(|c| c["phone"].as_str().unwrap_or_default().is_empty()) {
        assert!(!text.contains(&format!("{}:", faq.text("label_phone", "en"))), "{text}");
    }
    h.assert_clean(&[chat.user_id()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn language_command_offers_each_language_and_choice_sticks() {
    let faq = Faq::shipped();
    let h = Harness::start(&[]).await;
    let mut chat = h.private(person(7_305_000_001));
    chat.say("/language");
    let menu = chat.reply().await;
    let data = menu.callback_data();
    assert_eq!(data, faq.languages().iter().map(|l| format!("l:{l}")).collect::<Vec<_>>());

    let query = chat.tap(&menu, "l:ru");
    let chosen = chat.reply().await.visible;
    assert!(chosen.contains(&faq.text("language_set", "ru")), "{chosen}");

    // From now on, commands are answered in Russian.
    chat.say("/topics");
    let topics = chat.reply().await.visible;
    chat.settle().await;
    assert!(topics.contains(&faq.text("topics_prompt", "ru")), "{topics}");
    assert_eq!(h.api.callback_answers(&query).len(), 1, "the tap is answered once");
    h.assert_clean(&[chat.user_id()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tapping_a_topic_answers_it_and_answers_the_query() {
    let faq = Faq::shipped();
    let h = Harness::start(&[]).await;
    let mut chat = h.private(person(7_306_000_001));
    let earlier = earlier_bot_message(h.api.message_id(), &chat.chat, "Choose a topic");
    let query = chat.tap_data(Some(&earlier), Some("t:return"));
    let sent = chat.reply().await;
    chat.settle().await;
    assert_eq!(h.api.callback_answers(&query).len(), 1);
    assert!(sent.visible.contains(first_line(&faq.answer("return", "en"))), "{}", sent.visible);
    assert!(sent.visible.contains(&faq.title("return", "en")));
    assert_eq!(sent.callback_data(), vec!["topics".to_string()]);
    h.assert_clean(&[chat.user_id()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_forged_and_empty_callbacks_are_answered() {
    let faq = Faq::shipped();
    let h = Harness::start(&[]).await;
    let taps = [Some("t:no-such-topic"), Some("<forged>"), Some("l:xx"), None];
    let mut chats = Vec::new();
    for (i, data) in (0..).zip(taps) {
        let chat = h.private(person(7_307_000_001 + i));
        let earlier = earlier_bot_message(h.api.message_id(), &chat.chat, "Choose a topic");
        let query = chat.tap_data(Some(&earlier), data);
        chats.push((chat, query, data));
    }
    for (chat, query, data) in &mut chats {
        // The list of topics comes again; then nothing else.
        chat.reply().await;
        chat.settle().await;
        let answers = h.api.callback_answers(query);
        assert_eq!(answers.len(), 1, "{data:?}");
        let notice = answers[0]["text"].as_str().unwrap_or_default();
        assert_eq!(notice, faq.text("stale_button", "en"), "{data:?}");
        assert!(notice.chars().count() <= 200);
    }
    h.assert_clean(&chats.iter().map(|c| c.0.user_id()).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callback_on_an_inaccessible_message_is_still_answered() {
    let h = Harness::start(&[]).await;
    let mut chat = h.private(person(7_308_000_001));
    let query = chat.tap_data(Some(&inaccessible_message(&chat.chat)), Some("t:closure"));
    chat.reply().await;
    chat.settle().await;
    assert_eq!(h.api.callback_answers(&query).len(), 1);
    h.assert_clean(&[chat.user_id()]);
}

async fn assert_free_text(id: i64, question: &str, topic: &str, lang: &str) {
    let faq = Faq::shipped();
    let h = Harness::start(&[]).await;
    let mut chat = h.private(person(id));
    chat.say(question);
    let text = chat.reply().await.visible;
    chat.settle().await; // one reply
    assert!(
        text.contains(first_line(&faq.answer(topic, lang))),
        "{question:?} should be answered with {topic} in {lang}: {text}"
    );
    // The referral contacts of the topic are there.
    for contact in faq.topic_contacts(topic) {
        assert!(text.contains(&faq.contact_name(&contact, lang)), "contact {contact} missing");
    }
    h.assert_clean(&[id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_text_in_english() {
    assert_free_text(7_309_000_001, CLOSURE_QUESTION, "closure", "en").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_text_in_azerbaijani_without_its_letters() {
    let question = "hebsde olan oglumdan nece xeber ala bilerem";
    assert_free_text(7_310_000_001, question, "detainee-news", "az").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_text_in_russian() {
    let question = "Кто теперь ищет пропавших без вести?";
    assert_free_text(7_311_000_001, question, "missing-search", "ru").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_text_in_armenian() {
    assert_free_text(7_312_000_001, "Կարմիր Խաչը կվերադառնա՞ Ադրբեջան", "return", "hy").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_part_question_gets_one_answer_and_a_button_for_the_other_part() {
    let faq = Faq::shipped();
    let h = Harness::start(&[]).await;
    let mut chat = h.private(person(7_313_000_001));
    chat.say("When does the office close and why did the authorities decide it?");
    let sent = chat.reply().await;
    chat.settle().await;
    let answered: Vec<&str> = ["closure", "authorities-decision"]
        .into_iter()
        .filter(|id| sent.visible.contains(first_line(&faq.answer(id, "en"))))
        .collect();
    assert_eq!(answered.len(), 1, "one of the two answers: {}", sent.visible);
    let other = if answered[0] == "closure" { "authorities-decision" } else { "closure" };
    assert_eq!(sent.callback_data(), vec![format!("t:{other}"), "topics".to_string()]);
    h.assert_clean(&[chat.user_id()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unrelated_text_gets_the_honest_fallback() {
    let faq = Faq::shipped();
    let h = Harness::start(&[]).await;
    let mut chat = h.private(person(7_314_000_001));
    chat.say("what will the weather be like tomorrow");
    let sent = chat.reply().await;
    chat.settle().await;
    assert!(sent.visible.contains(first_line(&faq.text("fallback", "en"))), "{}", sent.visible);
    assert_eq!(sent.callback_data(), faq.topic_buttons());
    h.assert_clean(&[chat.user_id()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_text_messages_get_a_kind_reply() {
    let not_text = Faq::shipped().text("not_text", "en");
    let h = Harness::start(&[]).await;
    let mut chats = Vec::new();
    for (i, (name, content)) in (0..).zip(non_text_contents()) {
        let chat = h.private(person(7_315_000_001 + i));
        chat.send(content);
        chats.push((name, chat));
    }
    for (name, chat) in &mut chats {
        let text = chat.reply().await.visible;
        chat.settle().await;
        assert!(text.contains(&not_text), "{name}: {text}");
    }
    h.assert_clean(&chats.iter().map(|c| c.1.user_id()).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_command_is_explained() {
    let faq = Faq::shipped();
    let h = Harness::start(&[]).await;
    let mut chat = h.private(person(7_316_000_001));
    chat.say("/weather");
    let text = chat.reply().await.visible;
    chat.settle().await;
    assert!(text.contains(&faq.text("unknown_command", "en")), "{text}");
    h.assert_clean(&[chat.user_id()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_chatter_is_ignored() {
    let h = Harness::start(&[]).await;
    let mut group = h.group(-7_317_000_001, person(7_317_000_002));
    group.say("when will the ICRC office close?");
    group.say("/help@other_bot");
    // The reply to the fence comes first: nothing was said to the two messages before it.
    group.settle().await;
    h.assert_clean(&[group.id(), group.user_id()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_mentions_commands_and_replies_are_answered() {
    let faq = Faq::shipped();
    let h = Harness::start(&[]).await;
    let mut mention = h.group(-7_318_000_001, person(7_318_000_002));
    mention.send(mentioning_the_bot("when will the ICRC office close?"));
    let mut command = h.group(-7_318_000_003, person(7_318_000_004));
    command.say(&format!("/help@{BOT_USERNAME}"));
    let mut reply = h.group(-7_318_000_005, person(7_318_000_006));
    let earlier =
        earlier_bot_message(h.api.message_id(), &group_chat(reply.id()), "earlier answer");
    reply.send(reply_to(&earlier, "and will the ICRC come back?"));

    let text = mention.reply().await.visible;
    mention.settle().await;
    assert!(text.contains(first_line(&faq.answer("closure", "en"))), "{text}");
    command.reply().await;
    command.settle().await;
    reply.reply().await;
    reply.settle().await;
    let mut ids = Vec::new();
    for c in [&mention, &command, &reply] {
        ids.extend([c.id(), c.user_id()]);
    }
    h.assert_clean(&ids);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_use_the_telegram_language_when_the_text_does_not_tell() {
    let faq = Faq::shipped();
    let h = Harness::start(&[]).await;
    let mut chat = h.private(user_with_language(7_319_000_001, Some("hy")));
    chat.say("/start");
    let text = chat.reply().await.visible;
    chat.settle().await;
    assert!(text.contains(first_line(&faq.text("greeting", "hy"))), "{text}");
    h.assert_clean(&[chat.user_id()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_menus_cover_every_language_within_telegram_limits() {
    let languages = Faq::shipped().languages();
    let h = Harness::start(&[]).await;
    let menus = h.menus();
    assert_eq!(menus.len(), languages.len(), "{menus:#?}");
    assert_eq!(menus[0].get("language_code"), None, "the default language's menu is the default");
    for (menu, lang) in menus.iter().zip(&languages).skip(1) {
        assert_eq!(menu["language_code"].as_str(), Some(lang.as_str()));
    }
    for menu in &menus {
        let commands = menu["commands"].as_array().unwrap();
        assert_eq!(commands.len(), 5);
        for c in commands {
            let name = c["command"].as_str().unwrap();
            assert!(name.len() <= 32 && name.chars().all(|ch| ch.is_ascii_lowercase()), "{name}");
            let description = c["description"].as_str().unwrap();
            assert!((1..=256).contains(&description.chars().count()), "{description}");
        }
    }
    h.assert_clean(&[]);
}

// ---------------------------------------------------------------- operator commands

/// The operator's user id, in `ADMIN_IDS`.
const OPERATOR: i64 = 7_320_000_001;

/// Starts a bot serving a copy of the shipped faq.json, with [`OPERATOR`] in `ADMIN_IDS`.
async fn operated(name: &str) -> (Harness, std::path::PathBuf) {
    let path = common::faq_copy(name);
    let admins = format!("{OPERATOR}");
    let h = Harness::serving(&path, &[("ADMIN_IDS", &admins)]).await;
    (h, path)
}

/// Asks the question whose answer the tests change, as a new person; returns the reply.
async fn closure_answer(h: &Harness, id: i64) -> String {
    let mut chat = h.private(person(id));
    chat.say(CLOSURE_QUESTION);
    let text = chat.reply().await.visible;
    chat.settle().await;
    text
}

fn visible(sent: &[Sent]) -> Vec<String> {
    sent.iter().map(|m| m.visible.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_commands_are_refused_to_others_exactly_like_unknown_commands() {
    let (h, path) = operated("refused").await;
    // The file changes after the start: a reload would serve the change.
    let marker = "CHANGED ANSWER that a refused reload must not serve";
    common::write_changed_faq(&path, marker);

    let mut stranger = h.private(person(7_320_000_002));
    stranger.say("/nosuchcommand");
    let unknown = visible(&stranger.replies(1).await);
    for command in ["/reload", "/stats", &format!("/stats@{BOT_USERNAME}")] {
        stranger.say(command);
        assert_eq!(visible(&stranger.replies(1).await), unknown, "{command} from a non-operator");
    }
    stranger.settle().await;
    // A refused /reload changed nothing.
    let served = closure_answer(&h, 7_320_000_003).await;
    assert!(!served.contains(marker), "a non-operator's /reload reloaded the FAQ");

    // Nor does an operator's command work in a group, where others would read the reply.
    let mut group = h.group(-7_320_000_004, person(OPERATOR));
    group.say(&format!("/stats@{BOT_USERNAME}"));
    assert_eq!(visible(&group.replies(1).await), unknown, "an operator command in a group");
    group.settle().await;
    h.assert_clean(&[OPERATOR, 7_320_000_002, 7_320_000_003, -7_320_000_004]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_reload_serves_the_changed_file_and_keeps_the_old_one_when_invalid() {
    let (h, path) = operated("reload").await;
    let languages = Faq::shipped().languages().len();
    let marker = "CHANGED ANSWER served after /reload";
    common::write_changed_faq(&path, marker);
    let mut operator = h.private(person(OPERATOR));
    operator.say("/reload");
    let reply = visible(&operator.replies(1).await);
    assert!(
        reply[0].starts_with("Reloaded ")
            && reply[0].contains(&format!(" topics in {languages} languages")),
        "{reply:?}"
    );
    let served = closure_answer(&h, 7_321_000_002).await;
    assert!(served.contains(marker), "{served}");

    // Broken: the previous (changed) FAQ stays in service and the errors are shown.
    common::write_broken_faq(&path);
    operator.say("/reload");
    let reply = visible(&operator.replies(1).await).join("\n");
    operator.settle().await; // one reply to each /reload
    assert!(reply.starts_with("Reload failed; still serving the previous FAQ."), "{reply}");
    let place = format!("{}:{}:", path.display(), common::BROKEN_LINE);
    assert!(reply.contains(&place), "no PATH:LINE:COL: {reply}");
    let served = closure_answer(&h, 7_321_000_003).await;
    assert!(served.contains(marker), "{served}");
    h.assert_clean(&[OPERATOR, 7_321_000_002, 7_321_000_003]);
}

/// `Day::today()` as the bot writes it (UTC), `days` ago.
fn utc_date(days_ago: i64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let z = i64::try_from(now.as_secs() / 86_400).unwrap() - days_ago + 719_468;
    // Howard Hinnant's civil_from_days.
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// What `/stats` shows for these outcomes (`faqbot ask --json` lines) and taps on topics.
fn expected_stats(faq: &Faq, since: &str, outcomes: &[Value], taps: &[&str]) -> String {
    let count = |kind: &str| outcomes.iter().filter(|o| o["outcome"] == kind).count();
    let mut text = format!("Since {since}: {} question(s).\n", outcomes.len());
    text.push_str("Answered per topic (questions / button taps):\n");
    for id in faq.topic_ids() {
        let answered = outcomes.iter().filter(|o| o["topic"] == id.as_str()).count();
        let tapped = taps.iter().filter(|t| **t == id).count();
        text.push_str(&format!("  {id}: {answered} / {tapped}\n"));
    }
    text.push_str(&format!("Suggestions offered: {}\n", count("suggest")));
    text.push_str(&format!("Fallbacks (nothing fitted): {}\n", count("fallback")));
    text.push_str(&format!(
        "Greetings and thanks: {}; empty messages: {}",
        count("small-talk"),
        count("empty")
    ));
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_count_questions_taps_suggestions_and_fallbacks_for_an_operator() {
    let faq = Faq::shipped();
    let questions = [CLOSURE_QUESTION, "qwzx vbnm plkj"];
    // The outcomes as the bot's core decides them (the matcher's tuning may change), counted.
    let outcomes = oracle::classify(&common::shipped_faq(), Some("en"), &questions);
    let fallbacks = outcomes.iter().filter(|o| o["outcome"] == "fallback").count();
    assert_eq!(fallbacks, 1, "the nonsense question is expected to fall back: {outcomes:?}");

    let h = Harness::start(&[("ADMIN_IDS", &OPERATOR.to_string())]).await;
    let mut operator = h.private(person(OPERATOR));
    for q in questions {
        operator.say(q);
    }
    operator.replies(2).await;
    let earlier = earlier_bot_message(h.api.message_id(), &operator.chat, "Choose a topic");
    operator.tap_data(Some(&earlier), Some("t:closure"));
    operator.reply().await;
    operator.say("/stats");
    let text = visible(&operator.replies(1).await).join("\n");
    operator.settle().await;

    // The counts start on the day the bot started (UTC): today, or yesterday just after
    // midnight.
    let since = text.strip_prefix("Since ").and_then(|t| t.get(..10)).unwrap_or_default();
    assert!([utc_date(0), utc_date(1)].iter().any(|d| d == since), "{text}");
    assert_eq!(text, expected_stats(&faq, since, &outcomes, &["closure"]));
    assert!(text.contains("2 question(s)") && text.contains("Fallbacks (nothing fitted): 1"));
    h.assert_clean(&[OPERATOR]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_commands_are_not_in_any_command_menu() {
    let h = Harness::start(&[("ADMIN_IDS", &OPERATOR.to_string())]).await;
    for menu in h.menus() {
        let names: Vec<&str> = menu["commands"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["command"].as_str())
            .collect();
        assert!(!names.contains(&"reload") && !names.contains(&"stats"), "{names:?}");
    }
}

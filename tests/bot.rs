//! The Telegram handler tree, driven through teloxide_tests' fake Bot API server.
//! Expected texts are read from the shipped faq.json, never copied here.

use std::path::Path;
use std::sync::Arc;

use faqbot::reply::Engine;
use faqbot::telegram::{handler_tree, Shared};
use teloxide::dptree::deps;
use teloxide::types::{
    InlineKeyboardButtonKind, InlineKeyboardMarkup, Message, MessageEntity, MessageEntityKind,
};
use teloxide::Bot;
use teloxide_tests::{
    MockBot, MockCallbackQuery, MockGroupChat, MockMessageLocation, MockMessagePhoto,
    MockMessageSticker, MockMessageText, MockMessageVoice, MockUser,
};

fn engine() -> Engine {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("faq.json");
    Engine::new(faqbot::faq::load(&path).expect("shipped faq.json loads").faq)
}

fn faq() -> faqbot::Faq {
    engine().faq
}

/// Plain form of a faq text as Telegram shows it (first line is enough to identify it).
fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or_default()
}

type Mock = MockBot<faqbot::telegram::HandlerError, teloxide_tests::mock_bot::DistributionKey>;

fn mock(update: impl teloxide_tests::IntoUpdate) -> (Mock, Arc<Shared>) {
    let shared = Shared::new(engine());
    let mut bot = MockBot::new(update, handler_tree::<Bot>());
    bot.dependencies(deps![shared.clone()]);
    (bot, shared)
}

fn texts(bot: &Mock) -> Vec<String> {
    bot.get_responses()
        .sent_messages
        .iter()
        .map(|m| m.text().unwrap_or_default().to_string())
        .collect()
}

fn callback_data(markup: &InlineKeyboardMarkup) -> Vec<String> {
    markup
        .inline_keyboard
        .iter()
        .flatten()
        .filter_map(|b| match &b.kind {
            InlineKeyboardButtonKind::CallbackData(d) => Some(d.clone()),
            _ => None,
        })
        .collect()
}

fn last_markup(messages: &[Message]) -> InlineKeyboardMarkup {
    messages.last().and_then(|m| m.reply_markup().cloned()).expect("the reply has buttons")
}

fn all_topic_data() -> Vec<String> {
    faq().topics.iter().map(|t| format!("t:{}", t.id)).collect()
}

#[tokio::test]
async fn start_greets_and_offers_every_topic() {
    let (mut bot, _) = mock(MockMessageText::new().text("/start"));
    bot.dispatch().await;
    let sent = bot.get_responses().sent_messages;
    assert_eq!(sent.len(), 1, "exactly one reply");
    let text = sent[0].text().unwrap();
    assert!(text.contains(first_line(&faq().texts.greeting["en"])), "{text}");
    assert_eq!(callback_data(&last_markup(&sent)), all_topic_data());
    // Every button's data fits Telegram's 64 bytes.
    assert!(callback_data(&last_markup(&sent)).iter().all(|d| !d.is_empty() && d.len() <= 64));
}

#[tokio::test]
async fn help_lists_every_command() {
    let (mut bot, _) = mock(MockMessageText::new().text("/help"));
    bot.dispatch().await;
    let text = texts(&bot).join("\n");
    assert!(text.contains(first_line(&faq().texts.help["en"])), "{text}");
    for cmd in ["/start", "/help", "/topics", "/contacts", "/language"] {
        assert!(text.contains(cmd), "{cmd} missing from help: {text}");
    }
}

#[tokio::test]
async fn topics_command_offers_topic_buttons() {
    let (mut bot, _) = mock(MockMessageText::new().text("/topics"));
    bot.dispatch().await;
    let sent = bot.get_responses().sent_messages;
    assert_eq!(sent.len(), 1);
    assert_eq!(callback_data(&last_markup(&sent)), all_topic_data());
}

#[tokio::test]
async fn contacts_command_shows_the_general_contacts_with_only_filled_fields() {
    let (mut bot, _) = mock(MockMessageText::new().text("/contacts"));
    bot.dispatch().await;
    let text = texts(&bot).join("\n");
    let faq = faq();
    for c in &faq.contacts {
        assert!(text.contains(&c.name["en"]), "{} missing", c.id);
        if !c.url.is_empty() {
            assert!(text.contains(&c.url), "{} url missing", c.id);
        }
    }
    // Labels of empty fields are not shown when no contact has that field.
    if faq.contacts.iter().all(|c| c.phone.is_empty()) {
        assert!(!text.contains(&format!("{}:", faq.texts.label_phone["en"])), "{text}");
    }
}

#[tokio::test]
async fn language_command_offers_each_language_and_choice_sticks() {
    let (mut bot, _) = mock(MockMessageText::new().text("/language"));
    bot.dispatch().await;
    let sent = bot.get_responses().sent_messages;
    let data = callback_data(&last_markup(&sent));
    assert_eq!(data, faq().languages.iter().map(|l| format!("l:{l}")).collect::<Vec<_>>());

    bot.update(MockCallbackQuery::new().data("l:ru"));
    bot.dispatch().await;
    let responses = bot.get_responses();
    assert_eq!(responses.answered_callback_queries.len(), 1);
    assert!(texts(&bot).join("\n").contains(&faq().texts.language_set["ru"]));

    // From now on, commands are answered in Russian.
    bot.update(MockMessageText::new().text("/topics"));
    bot.dispatch().await;
    assert!(texts(&bot).join("\n").contains(&faq().texts.topics_prompt["ru"]));
}

#[tokio::test]
async fn tapping_a_topic_answers_it_and_answers_the_query() {
    let (mut bot, _) = mock(MockCallbackQuery::new().data("t:return"));
    bot.dispatch().await;
    let responses = bot.get_responses();
    assert_eq!(responses.answered_callback_queries.len(), 1);
    let text = texts(&bot).join("\n");
    let topic = faq().topic("return").unwrap().clone();
    assert!(text.contains(first_line(&topic.answer["en"])), "{text}");
    assert!(text.contains(&topic.title["en"]));
    assert_eq!(callback_data(&last_markup(&responses.sent_messages)), vec!["topics".to_string()]);
}

#[tokio::test]
async fn stale_forged_and_empty_callbacks_are_answered() {
    for data in [Some("t:no-such-topic"), Some("<forged>"), Some("l:xx"), None] {
        let mut q = MockCallbackQuery::new();
        if let Some(d) = data {
            q = q.data(d);
        }
        let (mut bot, _) = mock(q);
        bot.dispatch().await;
        let responses = bot.get_responses();
        drop(bot);
        assert_eq!(responses.answered_callback_queries.len(), 1, "{data:?}");
        let notice = responses.answered_callback_queries[0].text.clone().unwrap_or_default();
        assert_eq!(notice, faq().texts.stale_button["en"], "{data:?}");
        assert!(notice.chars().count() <= 200);
    }
}

#[tokio::test]
async fn callback_on_an_inaccessible_message_is_still_answered() {
    let (mut bot, _) = mock(MockCallbackQuery::new().data("t:closure").make_message_inaccessible());
    bot.dispatch().await;
    assert_eq!(bot.get_responses().answered_callback_queries.len(), 1);
}

async fn assert_free_text(question: &str, topic: &str, lang: &str) {
    let (mut bot, _) = mock(MockMessageText::new().text(question));
    bot.dispatch().await;
    let sent = bot.get_responses().sent_messages;
    assert_eq!(sent.len(), 1, "one reply to {question:?}");
    let text = sent[0].text().unwrap();
    let t = faq().topic(topic).unwrap().clone();
    assert!(
        text.contains(first_line(&t.answer[lang])),
        "{question:?} should be answered with {topic} in {lang}: {text}"
    );
    // The referral contacts of the topic are there.
    let faq = faq();
    for id in &t.contacts {
        let c = faq.contacts.iter().find(|c| &c.id == id).unwrap();
        assert!(text.contains(&c.name[lang]), "contact {id} missing");
    }
}

#[tokio::test]
async fn free_text_in_english() {
    assert_free_text("When will the ICRC office in Azerbaijan close?", "closure", "en").await;
}

#[tokio::test]
async fn free_text_in_azerbaijani_without_its_letters() {
    assert_free_text("hebsde olan oglumdan nece xeber ala bilerem", "detainee-news", "az").await;
}

#[tokio::test]
async fn free_text_in_russian() {
    assert_free_text("Кто теперь ищет пропавших без вести?", "missing-search", "ru").await;
}

#[tokio::test]
async fn free_text_in_armenian() {
    assert_free_text("Կարմիր Խաչը կվերադառնա՞ Ադրբեջան", "return", "hy").await;
}

#[tokio::test]
async fn a_two_part_question_gets_one_answer_and_a_button_for_the_other_part() {
    let question = "When does the office close and why did the authorities decide it?";
    let (mut bot, _) = mock(MockMessageText::new().text(question));
    bot.dispatch().await;
    let sent = bot.get_responses().sent_messages;
    assert_eq!(sent.len(), 1);
    let text = sent[0].text().unwrap();
    let faq = faq();
    let answered: Vec<&str> = ["closure", "authorities-decision"]
        .into_iter()
        .filter(|id| text.contains(first_line(&faq.topic(id).unwrap().answer["en"])))
        .collect();
    assert_eq!(answered.len(), 1, "one of the two answers: {text}");
    let other = if answered[0] == "closure" { "authorities-decision" } else { "closure" };
    let data = callback_data(&last_markup(&sent));
    assert_eq!(data, vec![format!("t:{other}"), "topics".to_string()]);
}

#[tokio::test]
async fn unrelated_text_gets_the_honest_fallback() {
    let (mut bot, _) = mock(MockMessageText::new().text("what will the weather be like tomorrow"));
    bot.dispatch().await;
    let sent = bot.get_responses().sent_messages;
    assert_eq!(sent.len(), 1);
    let text = sent[0].text().unwrap();
    assert!(text.contains(first_line(&faq().texts.fallback["en"])), "{text}");
    assert_eq!(callback_data(&last_markup(&sent)), all_topic_data());
}

#[tokio::test]
async fn non_text_messages_get_a_kind_reply() {
    let not_text = faq().texts.not_text["en"].clone();
    // One MockBot at a time: teloxide_tests holds a global lock per bot.
    async fn check(name: &str, mut bot: Mock, not_text: &str) {
        bot.dependencies(deps![Shared::new(engine())]);
        bot.dispatch().await;
        let t = texts(&bot);
        assert_eq!(t.len(), 1, "{name}");
        assert!(t[0].contains(not_text), "{name}: {t:?}");
    }
    check("sticker", MockBot::new(MockMessageSticker::new(), handler_tree::<Bot>()), &not_text)
        .await;
    check("photo", MockBot::new(MockMessagePhoto::new(), handler_tree::<Bot>()), &not_text).await;
    check("voice", MockBot::new(MockMessageVoice::new(), handler_tree::<Bot>()), &not_text).await;
    check("location", MockBot::new(MockMessageLocation::new(), handler_tree::<Bot>()), &not_text)
        .await;
}

#[tokio::test]
async fn unknown_command_is_explained() {
    let (mut bot, _) = mock(MockMessageText::new().text("/weather"));
    bot.dispatch().await;
    let t = texts(&bot);
    assert_eq!(t.len(), 1);
    assert!(t[0].contains(&faq().texts.unknown_command["en"]));
}

fn group_message(text: &str) -> MockMessageText {
    MockMessageText::new().text(text).chat(MockGroupChat::new().build())
}

#[tokio::test]
async fn group_chatter_is_ignored() {
    let (mut bot, _) = mock(group_message("when will the ICRC office close?"));
    bot.dispatch().await;
    assert!(bot.get_responses().sent_messages.is_empty());
    drop(bot);
    let (mut bot, _) = mock(group_message("/help@other_bot"));
    bot.dispatch().await;
    assert!(bot.get_responses().sent_messages.is_empty());
}

#[tokio::test]
async fn group_mentions_commands_and_replies_are_answered() {
    let text = "@test_bot when will the ICRC office close?";
    let mention =
        group_message(text).entities(vec![MessageEntity::new(MessageEntityKind::Mention, 0, 9)]);
    let (mut bot, _) = mock(mention);
    bot.dispatch().await;
    let t = texts(&bot);
    assert_eq!(t.len(), 1);
    assert!(t[0].contains(first_line(&faq().topic("closure").unwrap().answer["en"])), "{t:?}");
    drop(bot);

    let (mut bot, _) = mock(group_message("/help@test_bot"));
    bot.dispatch().await;
    assert_eq!(texts(&bot).len(), 1);
    drop(bot);

    let bot_user = MockUser::new().id(123456).is_bot(true).username("test_bot").build();
    let earlier = MockMessageText::new()
        .text("earlier answer")
        .from(bot_user)
        .chat(MockGroupChat::new().build())
        .build();
    let reply = group_message("and will the ICRC come back?").reply_to_message(Box::new(earlier));
    let (mut bot, _) = mock(reply);
    bot.dispatch().await;
    assert_eq!(texts(&bot).len(), 1);
}

#[tokio::test]
async fn replies_use_the_telegram_language_when_the_text_does_not_tell() {
    let user = MockUser::new().language_code("hy".to_string()).build();
    let (mut bot, _) = mock(MockMessageText::new().text("/start").from(user));
    bot.dispatch().await;
    assert!(texts(&bot)[0].contains(first_line(&faq().texts.greeting["hy"])));
}

#[test]
fn command_menus_cover_every_language_within_telegram_limits() {
    let menus = faqbot::telegram::command_menus(&engine());
    assert_eq!(menus.len(), faq().languages.len());
    assert_eq!(menus[0].0, None, "the default language's menu is the default menu");
    for (_, commands) in menus {
        assert_eq!(commands.len(), 5);
        for c in commands {
            assert!(c.command.len() <= 32 && c.command.chars().all(|ch| ch.is_ascii_lowercase()));
            assert!((1..=256).contains(&c.description.chars().count()));
        }
    }
}

// ---------------------------------------------------------------- operator commands

/// The default mock user's id (teloxide_tests' `MockUser::ID`).
const OPERATOR: u64 = MockUser::ID;

fn mock_operated(
    update: impl teloxide_tests::IntoUpdate,
    operators: faqbot::telegram::Operators,
) -> (Mock, Arc<Shared>) {
    let shared = Shared::with_operators(engine(), operators);
    let mut bot = MockBot::new(update, handler_tree::<Bot>());
    bot.dependencies(deps![shared.clone()]);
    (bot, shared)
}

/// A copy of faq.json in a fresh directory, with the English answer of `closure` changed.
fn changed_faq_copy(name: &str, marker: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("faqbot-bot-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("faq.json");
    let mut faq: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(shipped).unwrap()).unwrap();
    let topic =
        faq["topics"].as_array_mut().unwrap().iter_mut().find(|t| t["id"] == "closure").unwrap();
    topic["answer"]["en"] = serde_json::Value::String(marker.to_string());
    let path = dir.join("faq.json");
    std::fs::write(&path, serde_json::to_string_pretty(&faq).unwrap()).unwrap();
    path
}

#[tokio::test]
async fn operator_commands_are_refused_to_others_exactly_like_unknown_commands() {
    let stranger = || MockUser::new().id(777_000_111).build();
    let unknown = {
        let (mut bot, _) = mock(MockMessageText::new().text("/nosuchcommand").from(stranger()));
        bot.dispatch().await;
        texts(&bot)
    };
    assert_eq!(unknown.len(), 1);
    let marker = "CHANGED ANSWER that a refused reload must not serve";
    let path = changed_faq_copy("refused", marker);
    let operators = || faqbot::telegram::Operators {
        admin_ids: vec![OPERATOR],
        faq_path: Some(path.clone()),
        gaps: None,
    };
    for command in ["/reload", "/stats", "/stats@test_bot"] {
        let (mut bot, shared) =
            mock_operated(MockMessageText::new().text(command).from(stranger()), operators());
        bot.dispatch().await;
        assert_eq!(texts(&bot), unknown, "{command} from a non-operator");
        // A refused /reload changed nothing.
        let served = shared.engine().faq.topic("closure").unwrap().answer["en"].clone();
        assert_ne!(served, marker, "{command} reloaded the FAQ for a non-operator");
    }
    // Nor does an operator's command work in a group, where others would read the reply.
    let in_group =
        MockMessageText::new().text("/stats@test_bot").chat(MockGroupChat::new().build());
    let (mut bot, _) = mock_operated(in_group, operators());
    bot.dispatch().await;
    assert_eq!(texts(&bot), unknown, "an operator command in a group");
}

#[tokio::test]
async fn operator_reload_serves_the_changed_file_and_keeps_the_old_one_when_invalid() {
    let marker = "CHANGED ANSWER served after /reload";
    let path = changed_faq_copy("reload", marker);
    let operators = faqbot::telegram::Operators {
        admin_ids: vec![OPERATOR],
        faq_path: Some(path.clone()),
        gaps: None,
    };
    let (mut bot, shared) = mock_operated(MockMessageText::new().text("/reload"), operators);
    bot.dispatch().await;
    let reply = texts(&bot);
    assert_eq!(reply.len(), 1, "{reply:?}");
    assert!(
        reply[0].starts_with("Reloaded ") && reply[0].contains(" topics in 4 languages"),
        "{reply:?}"
    );
    assert_eq!(shared.engine().faq.topic("closure").unwrap().answer["en"], marker);
    bot.update(MockMessageText::new().text("When will the ICRC office in Azerbaijan close?"));
    bot.dispatch().await;
    assert!(texts(&bot).join("\n").contains(marker), "{:?}", texts(&bot));

    // Broken: the previous (changed) FAQ stays in service and the errors are shown.
    std::fs::write(&path, "{\n  \"languages\": [\"en\",\n  oops\n}\n").unwrap();
    bot.update(MockMessageText::new().text("/reload"));
    bot.dispatch().await;
    let reply = texts(&bot).join("\n");
    assert!(reply.starts_with("Reload failed; still serving the previous FAQ."), "{reply}");
    assert!(reply.contains(&format!("{}:3:", path.display())), "no PATH:LINE:COL: {reply}");
    assert_eq!(shared.engine().faq.topic("closure").unwrap().answer["en"], marker);
    bot.update(MockMessageText::new().text("When will the ICRC office in Azerbaijan close?"));
    bot.dispatch().await;
    assert!(texts(&bot).join("\n").contains(marker), "{:?}", texts(&bot));
}

#[tokio::test]
async fn stats_count_questions_taps_suggestions_and_fallbacks_for_an_operator() {
    let operators =
        faqbot::telegram::Operators { admin_ids: vec![OPERATOR], faq_path: None, gaps: None };
    let questions = ["When will the ICRC office in Azerbaijan close?", "qwzx vbnm plkj"];
    let (mut bot, _) = mock_operated(MockMessageText::new().text(questions[0]), operators);
    bot.dispatch().await;
    bot.update(MockMessageText::new().text(questions[1]));
    bot.dispatch().await;
    bot.update(MockCallbackQuery::new().data("t:closure"));
    bot.dispatch().await;
    bot.update(MockMessageText::new().text("/stats"));
    bot.dispatch().await;
    let text = texts(&bot).join("\n");
    // The outcomes as the engine decides them (the matcher's tuning may change), counted.
    let engine = engine();
    let mut expected = faqbot::gaps::Stats::new(faqbot::gaps::Day::today());
    for q in questions {
        let hints = faqbot::reply::LangHints { chosen: None, client: Some("en") };
        expected.record(&engine.ask(q, hints).1.outcome, &engine.faq);
    }
    expected.record_tap("closure");
    assert_eq!(expected.fallbacks, 1, "the nonsense question is expected to fall back");
    assert_eq!(text, expected.render(&engine.faq));
    assert!(text.contains("2 question(s)") && text.contains("Fallbacks (nothing fitted): 1"));
}

#[test]
fn operator_commands_are_not_in_any_command_menu() {
    for (_, commands) in faqbot::telegram::command_menus(&engine()) {
        let names: Vec<&str> = commands.iter().map(|c| c.command.as_str()).collect();
        assert!(!names.contains(&"reload") && !names.contains(&"stats"), "{names:?}");
    }
}

//! Operators' tools: every finding of `faqbot check` on small broken variants of the shipped
//! faq.json, `faqbot chat` through standard input, and the kept unanswered questions (masking,
//! expiry, grouping) with `faqbot gaps` and the `/stats` counts.

mod common;

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use common::{faqbot, line_of, shipped_faq, shipped_json as shipped, stdout, temp_dir, write_faq};
use faqbot::ops::gaps::{self, Day, Gap, GapLog};
use faqbot::reply::{Engine, LangHints};
use serde_json::{json, Value};

fn topic_index(faq: &Value, id: &str) -> usize {
    faq["topics"].as_array().unwrap().iter().position(|t| t["id"] == id).expect("topic id")
}

/// Runs `faqbot check [extra] PATH` on `faq` (pretty-printed) and returns the source and
/// the output.
fn check_value(name: &str, faq: &Value, extra: &[&str]) -> (PathBuf, String, Output) {
    let src = serde_json::to_string_pretty(faq).unwrap();
    let path = write_faq(name, &src);
    let o = faqbot().arg("check").args(extra).arg(&path).output().unwrap();
    (path, src, o)
}

/// Asserts that the output has a finding of `kind` at `line` whose message contains `what`.
fn assert_finding(out: &str, path: &Path, line: usize, kind: &str, what: &str) {
    let prefix = format!("{}:{line}:", path.display());
    assert!(
        out.lines().any(|l| l.starts_with(&prefix)
            && l.contains(&format!(": {kind}: "))
            && l.contains(what)),
        "want `{kind}` at line {line} containing `{what}` in:\n{out}"
    );
}

/// Line of the last `anchor` before `needle` (of `needle` itself without one), plus `offset`.
fn expected_line(src: &str, needle: &str, anchor: Option<&str>, offset: isize) -> usize {
    let at = src.find(needle).unwrap_or_else(|| panic!("{needle} in source"));
    let at = anchor.map_or(at, |a| src[..at].rfind(a).expect("anchor before needle"));
    let line = src[..at].matches('\n').count() + 1;
    line.checked_add_signed(offset).unwrap()
}

fn summary(out: &str) -> &str {
    out.lines().last().unwrap_or("")
}

// ---------------------------------------------------------------- check: errors

#[test]
fn check_reports_each_load_error_at_its_place() {
    // (name, how to break the FAQ, a unique text near the place, the text before it that
    // opens the reported value, the message)
    type Break = fn(&mut Value);
    let cases: Vec<(&str, Break, &str, Option<&str>, &str)> = vec![
        (
            "unknown-field",
            |f| f["topics"][0]["answr"] = json!("typo"),
            "\"answr\"",
            None,
            "unknown field `answr`",
        ),
        (
            "duplicate-contact",
            |f| {
                let first = f["contacts"][0]["id"].clone();
                f["contacts"][1]["id"] = first;
                f["contacts"][1]["name"]["en"] = json!("MARKER-DUP");
            },
            "MARKER-DUP",
            Some("\"id\""),
            "is used twice",
        ),
        (
            "duplicate-topic",
            |f| {
                let first = f["topics"][0]["id"].clone();
                f["topics"][1]["id"] = first;
                f["topics"][1]["title"]["en"] = json!("MARKER-TOPIC");
            },
            "MARKER-TOPIC",
            Some("\"id\""),
            "is used twice",
        ),
        (
            "unknown-contact",
            |f| f["topics"][2]["contacts"] = json!(["nobody-known"]),
            "\"nobody-known\"",
            None,
            "unknown contact `nobody-known`",
        ),
        (
            "unknown-general-contact",
            |f| f["general_contacts"] = json!(["ghost-org"]),
            "\"ghost-org\"",
            None,
            "unknown contact `ghost-org`",
        ),
        (
            "empty-answer",
            |f| f["topics"][3]["answer"]["ru"] = json!("   "),
            "\"ru\": \"   \"",
            None,
            "is empty in language `ru`",
        ),
        (
            "missing-title-language",
            |f| {
                f["topics"][1]["title"].as_object_mut().unwrap().remove("hy");
                f["topics"][1]["title"]["en"] = json!("MARKER-TITLE");
            },
            "MARKER-TITLE",
            Some("\"title\""),
            "is missing language `hy`",
        ),
        (
            "missing-questions-language",
            |f| {
                f["topics"][4]["questions"].as_object_mut().unwrap().remove("az");
                f["topics"][4]["questions"]["en"][0] = json!("MARKER-QUESTIONS");
            },
            "MARKER-QUESTIONS",
            Some("\"questions\""),
            "has no question phrasing in language `az`",
        ),
        (
            "unlisted-language",
            |f| f["texts"]["help"]["fr"] = json!("Aide"),
            "\"fr\"",
            None,
            "`fr` is not one of the `languages`",
        ),
        (
            "unknown-also-offer",
            |f| f["topics"][2]["also_offer"] = json!({"hy": ["no-such-topic"]}),
            "\"no-such-topic\"",
            None,
            "unknown topic `no-such-topic`",
        ),
        (
            "also-offer-itself",
            |f| {
                let id = f["topics"][1]["id"].clone();
                f["topics"][1]["also_offer"] = json!({ "en": [id] });
                f["topics"][1]["answer"]["az"] = json!("MARKER-SELF");
            },
            "MARKER-SELF",
            Some("\"icrc-work\""),
            "offers itself beside its own answer",
        ),
        (
            "also-offer-language",
            |f| f["topics"][3]["also_offer"] = json!({"fr": ["closure"]}),
            "\"fr\"",
            None,
            "`fr` is not one of the `languages`",
        ),
        (
            "bad-topic-id",
            |f| f["topics"][5]["id"] = json!("Case Files!"),
            "\"Case Files!\"",
            None,
            "must be lowercase letters, digits and `-`",
        ),
    ];
    for (name, damage, needle, anchor, message) in cases {
        let mut faq = shipped();
        damage(&mut faq);
        let (path, src, o) = check_value(name, &faq, &[]);
        let out = stdout(&o);
        assert_eq!(o.status.code(), Some(1), "{name}: {out}");
        assert_finding(&out, &path, expected_line(&src, needle, anchor, 0), "error", message);
        assert!(summary(&out).contains(": invalid: "), "{name}: {out}");
        assert!(!summary(&out).contains(" 0 error(s)"), "{name}: {out}");
    }
}

#[test]
fn check_reports_missing_fields_and_invalid_json() {
    let mut faq = shipped();
    faq["topics"][0].as_object_mut().unwrap().remove("answer");
    let (path, _, o) = check_value("missing-field", &faq, &[]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(out.contains(&format!("{}:", path.display())), "{out}");
    assert!(out.contains(": error: missing field `answer`"), "{out}");

    let src = serde_json::to_string_pretty(&shipped()).unwrap();
    let broken = src.replacen("\"languages\": [", "\"languages\": [,", 1);
    let path = write_faq("syntax", &broken);
    let o = faqbot().arg("check").arg(&path).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_finding(&stdout(&o), &path, line_of(&broken, "[,"), "error", "");
}

// ---------------------------------------------------------------- check: warnings

#[test]
fn check_warns_without_failing_and_strict_makes_warnings_fail() {
    type Break = fn(&mut Value);
    // (name, how to break the FAQ, a unique text near the place, the text before it that
    // opens the reported value, lines from there, the message)
    type Case = (&'static str, Break, &'static str, Option<&'static str>, isize, &'static str);
    let cases: Vec<Case> = vec![
        (
            "few-phrasings",
            |f| {
                f["topics"][0]["questions"]["en"] =
                    json!(["When does the office close?", "MARKER-FEW closing date"]);
            },
            "MARKER-FEW",
            Some("\"en\""),
            0,
            "has only 2 phrasing(s) in language `en`",
        ),
        (
            "unreachable-contact",
            |f| {
                let c = &mut f["contacts"][0];
                for k in ["url", "phone", "email", "address"] {
                    c[k] = json!("");
                }
                c["source"] = json!("MARKER-CONTACT");
            },
            // Reported at the contact object, which opens the line above its first key.
            "MARKER-CONTACT",
            Some("\"address\""),
            -1,
            "has no way to reach it",
        ),
        (
            "we-in-english",
            |f| {
                f["topics"][2]["answer"]["en"] =
                    json!("MARKERWE Our office has closed, and we will write to you.")
            },
            "MARKERWE",
            None,
            0,
            "speaks as \"Our\": the bot is not the ICRC",
        ),
        (
            "we-in-armenian",
            |f| f["topics"][3]["answer"]["hy"] = json!("MARKER-HY Մենք կշարունակենք աշխատանքը։"),
            "MARKER-HY",
            None,
            0,
            "(hy) speaks as \"Մենք\"",
        ),
        (
            "we-in-a-contact-note",
            |f| f["contacts"][1]["note"]["ru"] = json!("MARKER-RU Напишите нам."),
            "MARKER-RU",
            None,
            0,
            "(ru) speaks as \"нам\"",
        ),
        (
            "operator-empty",
            // Shipped empty; keys come sorted (az first) from the test's JSON writer.
            |f| f["texts"]["operator"]["az"] = json!(" "),
            "\"operator\"",
            None,
            1,
            "text `operator` is empty in language `az`",
        ),
        (
            "long-answer",
            |f| {
                f["topics"][1]["answer"]["en"] =
                    json!(format!("MARKER-LONG {}", "word ".repeat(800)))
            },
            "MARKER-LONG",
            None,
            0,
            "too long for one Telegram message",
        ),
        (
            "thresholds",
            |f| f["thresholds"]["answer"] = json!(1.5),
            "\"thresholds\"",
            None,
            0,
            "thresholds must lie between 0 and 1",
        ),
        (
            "unreviewed",
            |f| f["unreviewed_languages"] = json!(["hy"]),
            "\"unreviewed_languages\"",
            None,
            1,
            "texts in `hy` are not yet reviewed",
        ),
    ];
    for (name, damage, needle, anchor, offset, message) in cases {
        let mut faq = shipped();
        damage(&mut faq);
        let (path, src, o) = check_value(name, &faq, &["--quick"]);
        let out = stdout(&o);
        assert_eq!(o.status.code(), Some(0), "{name}: {out}");
        let line = expected_line(&src, needle, anchor, offset);
        assert_finding(&out, &path, line, "warning", message);
        assert!(summary(&out).contains(": valid: 0 error(s)"), "{name}: {out}");

        let strict = faqbot().args(["check", "--quick", "--strict"]).arg(&path).output().unwrap();
        assert_eq!(strict.status.code(), Some(1), "{name} --strict");
        assert!(summary(&stdout(&strict)).contains(": invalid: 0 error(s)"), "{name}");
    }
}

#[test]
fn a_fully_reviewed_faq_without_warnings_passes_strict() {
    let mut faq = shipped();
    faq["unreviewed_languages"] = json!([]);
    for lang in ["en", "az", "ru", "hy"] {
        faq["texts"]["operator"][lang] = json!("Run by a test team, not by the ICRC.");
    }
    for c in faq["contacts"].as_array_mut().unwrap() {
        if c["url"].as_str().unwrap_or("").is_empty() {
            c["url"] = json!("https://example.org/");
        }
    }
    let (_, _, o) = check_value("strict-clean", &faq, &["--quick", "--strict"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(summary(&stdout(&o)).contains(": valid: 0 error(s), 0 warning(s)"), "{}", stdout(&o));
}

#[test]
fn check_is_quiet_about_an_unlisted_contact_and_fills_in_no_operator() {
    let mut faq = shipped();
    for lang in ["en", "az", "ru", "hy"] {
        faq["texts"]["operator"][lang] = json!(format!("Run by a test team ({lang})."));
    }
    // The shipped file keeps a contact with no verified details, listed nowhere.
    let unlisted: Vec<String> = faq["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .filter(|id| {
            let listed = |v: &Value| v.as_array().unwrap().iter().any(|x| x == id.as_str());
            !listed(&faq["general_contacts"])
                && !faq["topics"].as_array().unwrap().iter().any(|t| listed(&t["contacts"]))
                && !faq["contact_groups"].as_array().unwrap().iter().any(|g| listed(&g["contacts"]))
        })
        .collect();
    assert!(!unlisted.is_empty(), "the shipped file lists every contact");
    let (_, _, o) = check_value("operator-filled", &faq, &["--quick"]);
    let out = stdout(&o);
    assert!(!out.contains("no way to reach"), "{out}");
    assert!(!out.contains("text `operator`"), "{out}");
    assert!(!out.contains("speaks as"), "the shipped answers speak of the ICRC: {out}");
}

#[test]
fn check_warns_about_a_phrasing_that_belongs_to_another_topic() {
    let mut faq = shipped();
    let closure = topic_index(&faq, "closure");
    let red = topic_index(&faq, "red-crescent");
    // A Red Crescent phrasing, misfiled under `closure`: one held out in another fold than the
    // copy (the check classifies each fold's phrasings by the others'; with both copies held
    // out together, the check would not see the phrasing at all).
    let copy_at = faq["topics"][closure]["questions"]["en"].as_array().unwrap().len();
    let k = usize::from(copy_at.is_multiple_of(faqbot::lint::FOLDS));
    let misfiled = faq["topics"][red]["questions"]["en"][k].as_str().unwrap().to_string();
    faq["topics"][closure]["questions"]["en"].as_array_mut().unwrap().push(json!(misfiled));
    let (path, src, o) = check_value("misfiled", &faq, &[]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    // `closure` comes first in the file, so the first occurrence is the misfiled copy.
    let line = line_of(&src, &serde_json::to_string(&misfiled).unwrap());
    assert_finding(&out, &path, line, "warning", "is answered with topic `red-crescent`");
    // The copy left in `red-crescent` is flagged as the same phrasing.
    let quoted = serde_json::to_string(&misfiled).unwrap();
    let second = src.match_indices(&quoted).nth(1).unwrap().0;
    let second_line = src[..second].matches('\n').count() + 1;
    let n = faq["topics"][closure]["questions"]["en"].as_array().unwrap().len();
    let also =
        format!("phrasing of topic `red-crescent` (en) is also phrasing {n} of topic `closure`");
    assert_finding(&out, &path, second_line, "warning", &also);

    // `--quick` skips the matcher's checks.
    let o = faqbot().args(["check", "--quick"]).arg(&path).output().unwrap();
    assert!(!stdout(&o).contains("is answered with topic"), "{}", stdout(&o));
}

#[test]
fn check_warns_about_topics_too_close_to_tell_apart() {
    let mut faq = shipped();
    let closure = topic_index(&faq, "closure");
    let ret = topic_index(&faq, "return");
    // `return` asked exactly like `closure` (in another order, so no phrasing is held out
    // together with its copy).
    let mut copy = faq["topics"][closure]["questions"]["en"].as_array().unwrap().clone();
    copy.reverse();
    faq["topics"][ret]["questions"]["en"] = Value::Array(copy);
    let (_, _, o) = check_value("too-close", &faq, &[]);
    let out = stdout(&o);
    assert!(out.contains("topics `return` and `closure` are hard to tell apart in `en`"), "{out}");
    assert!(out.contains("topics `closure` and `return` are hard to tell apart in `en`"), "{out}");
}

#[test]
fn check_warns_about_a_repeated_phrasing_within_a_topic() {
    let mut faq = shipped();
    let q = faq["topics"][2]["questions"]["ru"][0].as_str().unwrap().to_uppercase();
    faq["topics"][2]["questions"]["ru"].as_array_mut().unwrap().push(json!(format!("{q}?!")));
    let (path, src, o) = check_value("repeated", &faq, &[]);
    let out = stdout(&o);
    let line = line_of(&src, &format!("{q}?!"));
    assert_finding(&out, &path, line, "warning", "phrasing repeats phrasing 1 of topic");
}

#[test]
fn check_without_changes_reports_no_misfiled_copy() {
    // The shipped FAQ has no phrasing twice.
    let o = faqbot().arg("check").arg(shipped_faq()).output().unwrap();
    let out = stdout(&o);
    assert!(o.status.success(), "{out}");
    assert!(!out.contains("phrasing repeats") && !out.contains("is also phrasing"), "{out}");
}

// ---------------------------------------------------------------- chat

fn chat(input: &str, extra: &[&str]) -> Output {
    let mut child = faqbot()
        .args(["chat", "--faq"])
        .arg(shipped_faq())
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn engine() -> Engine {
    Engine::new(faqbot::faq::load(&shipped_faq()).unwrap().faq)
}

#[test]
fn chat_numbers_buttons_and_taps_them_by_number() {
    let e = engine();
    let faq = &e.faq;
    let o = chat("/start\n2\n1\n", &[]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains(&faq.texts.greeting["en"]), "{out}");
    for (i, t) in faq.topics.iter().enumerate() {
        assert!(out.contains(&format!("[{}] {}", i + 1, t.title["en"])), "{out}");
    }
    // "2" tapped the second topic: its answer, then a single back button.
    let second = &faq.topics[1];
    let after_tap = &out[out.find("> 2").unwrap()..];
    assert!(after_tap.contains(&second.answer["en"]), "{out}");
    assert!(after_tap.contains(&format!("[1] {}", faq.texts.back_to_topics["en"])), "{out}");
    // "1" then tapped "back to topics".
    let after_back = &out[out.find("> 1").unwrap()..];
    assert!(after_back.contains(&faq.texts.topics_prompt["en"]), "{out}");
    assert!(!after_back.contains(&second.answer["en"]), "{out}");
}

#[test]
fn chat_answers_questions_and_switches_language() {
    let e = engine();
    let faq = &e.faq;
    let ru = faq.languages.iter().position(|l| l == "ru").unwrap() + 1;
    let input = format!(
        "When will the ICRC office in Azerbaijan close?\n/language\n{ru}\n/contacts\n99\n/nonsense\n"
    );
    let o = chat(&input, &[]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains(&faq.topic("closure").unwrap().answer["en"]), "{out}");
    assert!(out.contains(&faq.texts.choose_language["en"]), "{out}");
    assert!(out.contains(&faq.texts.language_set["ru"]), "{out}");
    // After choosing Russian, commands answer in Russian.
    assert!(out.contains(&faq.texts.contacts_intro["ru"]), "{out}");
    assert!(out.contains("(no button 99: choose 1 to 1)"), "{out}");
    assert!(out.contains(&faq.texts.unknown_command["ru"]), "{out}");
}

#[test]
fn chat_uses_the_client_language_and_stops_at_quit() {
    let e = engine();
    let faq = &e.faq;
    let o = chat("/help\n/quit\n/topics\n", &["--lang", "az"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains(&faq.texts.help["az"]), "{out}");
    assert!(!out.contains("> /topics"), "nothing after /quit: {out}");
    assert!(!out.contains(&faq.texts.topics_prompt["az"]), "{out}");
}

#[test]
fn chat_with_a_broken_faq_says_why_and_fails() {
    let path = write_faq("chat-broken", "{\"languages\": [}");
    let o = faqbot().args(["chat", "--faq"]).arg(&path).stdin(Stdio::null()).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains(&format!("{}:1:", path.display())));
}

// ---------------------------------------------------------------- gaps: masking

#[test]
fn masking_hides_phone_numbers_in_every_format() {
    for phone in [
        "+994 50 123 45 67",
        "+994501234567",
        "(012) 345-67-89",
        "050-123-45-67",
        "+374 10 123456",
        "+7 (495) 123-45-67",
        "8.050.123.45.67",
        "+994(50)1234567",
        "(+994) 50 123 45 67",
    ] {
        let masked = gaps::mask(&format!("call me at {phone} please"));
        assert_eq!(masked, "call me at [number] please", "{phone}");
    }
}

#[test]
fn masking_hides_emails_links_usernames_and_digit_runs() {
    let cases = [
        ("write to ivan.petrov@mail.ru, thanks", "write to [email], thanks"),
        ("see https://example.com/a?b=1 now", "see [link] now"),
        ("see www.icrc.org.", "see [link]."),
        ("is icrc.org/ru right?", "is [link] right?"),
        ("my son @aliyev_88 wrote", "my son [user] wrote"),
        ("passport AZE12345678901", "passport AZE[number]"),
        ("born 12.05.1990 in Baku", "born [number] in Baku"),
        ("case 4815162342 status", "case [number] status"),
        ("Где мой брат? Он пропал в 2020 году", "Где мой брат? Он пропал в [number] году"),
        ("no   personal\tdata here", "no personal data here"),
    ];
    for (raw, want) in cases {
        let masked = gaps::mask(raw);
        assert_eq!(masked, want, "{raw}");
        assert!(!masked.chars().any(|c| c.is_ascii_digit()), "{masked}");
    }
}

// ---------------------------------------------------------------- gaps: keeping and expiry

fn gap(day: Day, text: &str, closest: &str) -> Gap {
    Gap {
        day: day.to_string(),
        language: "en".into(),
        outcome: "fallback".into(),
        text: text.into(),
        closest: Some(closest.into()),
        score: 0.1,
    }
}

#[test]
fn expired_questions_are_left_out_when_reading_and_dropped_by_the_next_days_append() {
    let path = temp_dir("expiry").join("gaps.jsonl");
    let today = Day::from_ymd(2025, 11, 20);
    let log = GapLog::new(&path, 30);
    // All written on one day long ago, so that nothing expired yet when it was written.
    let long_ago = Day(today.0 - 45);
    for age in [45, 31, 30, 1, 0] {
        let day = Day(today.0 - age);
        log.append_on(long_ago, &gap(day, &format!("asked {age} days ago"), "closure")).unwrap();
    }
    let kept = log.load_on(today).unwrap();
    let texts: Vec<&str> = kept.iter().map(|g| g.text.as_str()).collect();
    assert_eq!(texts, ["asked 30 days ago", "asked 1 days ago", "asked 0 days ago"]);
    // Reading never writes: the file still holds them all.
    let file = std::fs::read_to_string(&path).unwrap();
    assert_eq!(file.lines().count(), 5, "{file}");

    // A new day's first append drops what expired meanwhile, in a new private file.
    let later = Day(today.0 + 2);
    let log = GapLog::new(&path, 30);
    log.append_on(later, &gap(later, "new question", "return")).unwrap();
    let file = std::fs::read_to_string(&path).unwrap();
    assert!(!file.contains("asked 30 days ago") && file.contains("asked 1 days ago"), "{file}");
    assert!(file.contains("new question"), "{file}");
    assert_eq!(file.lines().count(), 3, "{file}");
    assert_eq!(mode(&path), 0o600);
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
    assert_eq!(names.len(), 1, "no temporary file is left: {names:?}");
}

/// A file's permission bits.
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn only_suggestions_and_fallbacks_are_kept_and_they_are_masked() {
    let e = engine();
    let path = temp_dir("record").join("gaps.jsonl");
    let log = GapLog::new(&path, 30);
    let day = Day::from_ymd(2025, 10, 1);
    let answered = "When will the ICRC office in Azerbaijan close?";
    let (_, m) = e.ask(answered, LangHints::default());
    assert!(!log.record_on(day, answered, &m, "en", &e.faq).unwrap());
    let unanswered = "how much is a visa to Germany, call +994 50 123 45 67";
    let (reply, m) = e.ask(unanswered, LangHints::default());
    assert!(log.record_on(day, unanswered, &m, &reply.language, &e.faq).unwrap());
    let kept = log.load_on(day).unwrap();
    assert_eq!(kept.len(), 1);
    let g = &kept[0];
    assert_eq!(g.text, "how much is a visa to Germany, call [number]");
    assert_eq!(g.day, "2025-10-01");
    assert!(g.outcome == "fallback" || g.outcome == "suggest", "{g:?}");
    assert_eq!(g.closest.is_some(), m.score() > 0.0);
    // Exactly these fields, nothing about the person.
    let line: Value = serde_json::from_str(std::fs::read_to_string(&path).unwrap().trim()).unwrap();
    let keys: HashSet<&str> = line.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, HashSet::from(["day", "language", "outcome", "text", "closest", "score"]));
}

#[test]
fn keeping_is_off_unless_the_path_is_set() {
    let vars = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    };
    assert!(GapLog::from_vars(&vars(&[])).unwrap().is_none());
    assert!(GapLog::from_vars(&vars(&[("GAPS_PATH", " ")])).unwrap().is_none());
    let log =
        GapLog::from_vars(&vars(&[("GAPS_PATH", "/var/lib/faqbot/gaps.jsonl")])).unwrap().unwrap();
    assert_eq!(log.retention_days(), 30);
    assert_eq!(log.path(), Path::new("/var/lib/faqbot/gaps.jsonl"));
    let log = GapLog::from_vars(&vars(&[("GAPS_PATH", "g.jsonl"), ("GAPS_RETENTION_DAYS", "7")]))
        .unwrap()
        .unwrap();
    assert_eq!(log.retention_days(), 7);
    let err = GapLog::from_vars(&vars(&[("GAPS_PATH", "g"), ("GAPS_RETENTION_DAYS", "soon")]))
        .unwrap_err();
    assert!(err.to_string().contains("GAPS_RETENTION_DAYS"), "{err}");
}

// ---------------------------------------------------------------- gaps: grouping

#[test]
fn similar_questions_are_grouped_and_counted() {
    let d = Day::from_ymd(2025, 10, 1);
    let kept = vec![
        gap(d, "how much does a visa to Germany cost", "return"),
        gap(d, "weather in Baku tomorrow", "closure"),
        gap(d, "Germany visa cost?", "return"),
        gap(d, "what does a German visa cost", "activities"),
        gap(d, "weather Baku tommorow", "closure"),
        gap(d, "where can I buy train tickets", "closure"),
    ];
    let stop: HashSet<String> =
        ["how", "much", "does", "a", "to", "in", "what", "where", "can", "i"]
            .map(String::from)
            .into();
    let groups = gaps::group(&kept, &stop);
    let sizes: Vec<usize> = groups.iter().map(|g| g.count()).collect();
    assert_eq!(sizes, [3, 2, 1], "{groups:#?}");
    assert!(groups[0].representative.to_lowercase().contains("visa"));
    assert_eq!(groups[0].closest[0], (Some("return".to_string()), 2));
    assert!(groups[1].questions.iter().all(|q| q.contains("eather")));
    let text = gaps::render_groups(&groups);
    assert!(
        text.contains("   3  ") && text.contains("closest topic: return (2), activities (1)"),
        "{text}"
    );
}

#[test]
fn gaps_command_prints_groups_from_the_file() {
    let path = temp_dir("gaps-cli").join("gaps.jsonl");
    let log = GapLog::new(&path, 30);
    let today = Day::today();
    for text in ["visa to Germany", "Germany visa", "visa for Germany?", "lost luggage"] {
        log.append_on(today, &gap(today, text, "return")).unwrap();
    }
    let old = Day(today.0 - 90);
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(
            format!("{}\n", serde_json::to_string(&gap(old, "ancient", "closure")).unwrap())
                .as_bytes(),
        )
        .unwrap();
    assert_eq!(mode(&path), 0o600, "the file is created readable by its owner only");
    let before = std::fs::read(&path).unwrap();
    let inode = |p: &Path| std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(p).unwrap());
    let before_inode = inode(&path);
    let o = faqbot()
        .args(["gaps", "--file"])
        .arg(&path)
        .arg("--faq")
        .arg(shipped_faq())
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("4 kept question(s) in 2 group(s)"), "{out}");
    assert!(!out.contains("ancient"), "{out}");
    // It only reads: the same file, byte for byte, the expired entry included.
    assert_eq!(std::fs::read(&path).unwrap(), before, "faqbot gaps changed the file");
    assert_eq!(inode(&path), before_inode, "faqbot gaps replaced the file");
    assert_eq!(mode(&path), 0o600);
    let first = out.lines().nth(1).unwrap();
    assert!(first.starts_with("   3  ") && first.contains("visa"), "{out}");

    // Without a file or GAPS_PATH it says what to set.
    let o = faqbot().arg("gaps").output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("GAPS_PATH"));
}

//! The `faqbot` binary as operators use it: `check`, `ask`, and start-up errors.

mod common;

use std::path::Path;
use std::process::Output;

use common::{faqbot, line_of, oracle, shipped_faq, stderr, stdout, write_faq, Faq};

fn shipped_src() -> String {
    common::read_source(&shipped_faq())
}

fn check(path: &Path) -> Output {
    faqbot().arg("check").arg(path).output().unwrap()
}

/// Checks `src` (written as `name`), which must be refused with a finding at the line of
/// `needle`; returns what `check` printed.
fn refused_at(name: &str, src: &str, needle: &str) -> String {
    let path = write_faq(name, src);
    let o = check(&path);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let want = format!("{}:{}:", path.display(), line_of(src, needle));
    assert!(out.contains(&want), "want {want} in {out}");
    out
}

#[test]
fn check_accepts_the_shipped_faq() {
    let o = check(&shipped_faq());
    assert!(o.status.success(), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.lines().last().unwrap().contains(": valid: 0 error(s)"), "{out}");
    assert!(out.contains("12 topics"), "{out}");
    assert!(!out.contains(": error:"), "{out}");
}

#[test]
fn check_reports_invalid_json_with_line_and_column() {
    let src = shipped_src();
    // Drop the comma after the languages list.
    let broken = src.replacen("],\n  \"unreviewed_languages\"", "]\n  \"unreviewed_languages\"", 1);
    assert_ne!(broken, src);
    let path = write_faq("json", &broken);
    let o = check(&path);
    assert_eq!(o.status.code(), Some(1));
    let want = format!("{}:{}:", path.display(), line_of(&broken, "\"unreviewed_languages\""));
    assert!(stdout(&o).contains(&want), "want {want} in {}", stdout(&o));
}

#[test]
fn check_reports_unknown_fields() {
    let broken =
        shipped_src().replacen("\"thresholds\": {", "\"treshold\": 1,\n  \"thresholds\": {", 1);
    let path = write_faq("unknown", &broken);
    let o = check(&path);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("unknown field `treshold`"), "{out}");
    assert!(
        out.contains(&format!("{}:{}:", path.display(), line_of(&broken, "\"treshold\""))),
        "{out}"
    );
}

#[test]
fn check_reports_duplicate_topic_ids_at_their_place() {
    let src = shipped_src();
    let broken = src.replacen("\"id\": \"return\"", "\"id\": \"closure\"", 1);
    let path = write_faq("dup", &broken);
    let o = check(&path);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let line = line_of(&broken, "\"id\": \"closure\"");
    let second = broken[..].match_indices("\"id\": \"closure\"").nth(1).unwrap().0;
    let second_line = broken[..second].matches('\n').count() + 1;
    assert!(
        out.contains(&format!(":{second_line}:"))
            && out.contains("topic id `closure` is used twice"),
        "{out}"
    );
    assert!(second_line > line);
}

#[test]
fn check_reports_unknown_contacts_empty_answers_and_missing_languages() {
    let src = shipped_src();
    let broken = src
        .replacen(
            "\"contacts\": [\n        \"icrc-contact\"",
            "\"contacts\": [\n        \"no-such-contact\"",
            1,
        )
        .replacen(
            "\"answer\": {\n        \"en\": \"",
            "\"answer\": {\n        \"en\": \"\",\n        \"_was\": \"",
            1,
        );
    assert_ne!(broken, src);
    let path = write_faq("refs", &broken);
    let o = check(&path);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let unknown = format!("{}:{}:", path.display(), line_of(&broken, "\"no-such-contact\""));
    assert!(out.contains(&unknown) && out.contains("unknown contact `no-such-contact`"), "{out}");
    assert!(out.contains("is empty in language `en`"), "{out}");
    assert!(out.contains("`_was` is not one of the `languages`"), "{out}");
    assert!(out.lines().last().unwrap().contains("invalid"), "{out}");
}

#[test]
fn check_reports_a_missing_file_clearly() {
    let o = check(Path::new("/nonexistent/faq.json"));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("/nonexistent/faq.json: cannot read the FAQ file"),
        "{}",
        stdout(&o)
    );
}

#[derive(serde::Deserialize, Debug)]
struct AskLine {
    question: String,
    language: String,
    topic: Option<String>,
    score: f64,
    suggestions: Vec<String>,
    outcome: String,
}

fn ask_json(questions: &[&str]) -> Vec<AskLine> {
    let lines = oracle::classify(&shipped_faq(), None, questions);
    lines.into_iter().map(|l| serde_json::from_value(l).expect("an `ask --json` line")).collect()
}

#[test]
fn ask_json_answers_each_language_with_the_right_topic() {
    let cases = [
        ("When will the ICRC office in Azerbaijan close?", "en", "closure"),
        ("Did the ICRC visit all the detainees?", "en", "detention-visits"),
        ("Qızıl Xaç Azərbaycana geri qayıdacaqmı?", "az", "return"),
        ("itkin dusmus qardasimi kim axtaracaq", "az", "missing-search"),
        ("Кто теперь ищет пропавших без вести?", "ru", "missing-search"),
        ("Какие отношения у МККК с Красным Полумесяцем Азербайджана?", "ru", "red-crescent"),
        ("Ի՞նչ է անում ԿԽՄԿ-ն Հայաստանում անհայտ կորածների հարցով", "hy", "armenia-missing"),
    ];
    let lines = ask_json(&cases.iter().map(|c| c.0).collect::<Vec<_>>());
    assert_eq!(lines.len(), cases.len());
    for (line, (q, lang, topic)) in lines.iter().zip(cases) {
        assert_eq!(line.question, q);
        assert_eq!(line.language, lang, "{q}");
        assert_eq!(line.topic.as_deref(), Some(topic), "{q}: {line:?}");
        assert_eq!(line.outcome, "answer");
        assert!(line.suggestions.len() <= 2, "{q}: {line:?}");
        assert!(!line.suggestions.iter().any(|s| s == topic), "{q}: {line:?}");
        assert!((0.0..=1.0).contains(&line.score));
    }
}

#[test]
fn ask_json_offers_the_other_topic_of_a_two_part_question_beside_the_answer() {
    let q = "When does the office close and why did the authorities decide it?";
    let line = &ask_json(&[q])[0];
    assert_eq!(line.outcome, "answer", "{line:?}");
    let answered = line.topic.clone().unwrap_or_default();
    let mut both = vec![answered.as_str()];
    both.extend(line.suggestions.iter().map(String::as_str));
    both.sort_unstable();
    assert_eq!(both, ["authorities-decision", "closure"], "{line:?}");
}

#[test]
fn ask_json_does_not_answer_out_of_scope_questions() {
    for line in ask_json(&[
        "how much does a visa to Germany cost",
        "tell me a joke about cats",
        "How can I donate money to help families of the missing?",
        "Türkiyə Kızılayı itkinləri axtarır?",
    ]) {
        assert_eq!(line.topic, None, "{line:?}");
        assert_ne!(line.outcome, "answer");
    }
}

#[test]
fn ask_prints_the_reply_text_and_buttons() {
    let o = faqbot()
        .args(["ask", "--faq"])
        .arg(shipped_faq())
        .arg("will the ICRC come back to Azerbaijan?")
        .output()
        .unwrap();
    assert!(o.status.success());
    let out = stdout(&o);
    let faq = Faq::shipped();
    assert!(out.contains(&faq.answer("return", "en")), "{out}");
    assert!(out.contains(&format!("[{}]", faq.text("back_to_topics", "en"))), "{out}");
}

#[test]
fn ask_explain_shows_matched_words() {
    let o = faqbot()
        .args(["ask", "--explain", "--faq"])
        .arg(shipped_faq())
        .arg("red crescent relationship")
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(out.contains("-- red-crescent score"), "{out}");
    assert!(out.contains("crescent ~ crescent (1.00)"), "{out}");
    // The final order, after the likelihood's reordering, is shown too, and who decided.
    assert!(out.contains("-- ranked: red-crescent "), "{out}");
    // The forest's probability (1.000 when it rounds up) and the cutoff it answers from.
    assert!(out.contains("-- decision: forest "), "{out}");
    assert!(out.contains("(answers from 0."), "{out}");
    assert!(out.contains("hand-set rules alone: "), "{out}");
}

#[test]
fn running_without_a_token_names_the_variable_and_exits_non_zero() {
    let o = faqbot().output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("TELOXIDE_TOKEN is not set"), "{err}");
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{err}");
}

#[test]
fn running_with_a_broken_faq_names_the_place_and_exits_non_zero() {
    let broken = shipped_src().replacen("\"id\": \"return\"", "\"id\": \"Return!\"", 1);
    let path = write_faq("run", &broken);
    let o =
        faqbot().env("TELOXIDE_TOKEN", "123:secret-part").env("FAQ_PATH", &path).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let want = format!("{}:{}:", path.display(), line_of(&broken, "\"Return!\""));
    assert!(err.contains(&want) && err.contains("topic id `Return!`"), "{err}");
    assert!(!err.contains("secret-part") && !err.contains("panicked"), "{err}");
}

/// `faqbot eval --fit` prints a `decision` block that, pasted into faq.json, `check` accepts and
/// the matcher then uses; a misspelt feature or a cutoff out of range is reported at its place.
#[test]
fn a_fitted_decision_model_goes_into_faq_json_and_is_checked() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = |name: &str| root.join("tests/data").join(name);
    let o = faqbot()
        .args(["eval", "--fit", "--faq"])
        .arg(shipped_faq())
        .arg(data("real-dev.tsv"))
        .arg(data("eval-dev.tsv"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("cross-validated"), "{out}");
    let block = &out[out.find("\"decision\": {").expect(&out)..];
    assert!(block.contains("\"log_words\""), "{block}");
    let with_model = shipped_src().replacen(
        "\"background_topics\"",
        &format!("{}, \"background_topics\"", block.trim_end()),
        1,
    );
    let path = write_faq("model", &with_model);
    let o = check(&path);
    assert!(o.status.success(), "{}", stdout(&o));
    // The matcher decides by the model: the same messages, answered differently.
    let eval = |faq: &Path| {
        let o =
            faqbot().args(["eval", "--faq"]).arg(faq).arg(data("real-dev.tsv")).output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o).lines().find(|l| l.starts_with("overall")).unwrap().to_string()
    };
    assert_ne!(eval(&path), eval(&shipped_faq()));

    let misspelt = with_model.replacen("\"log_words\"", "\"log_word\"", 1);
    let out = refused_at("model-misspelt", &misspelt, "\"log_word\"");
    assert!(out.contains("unknown feature `log_word`"), "{out}");

    let cutoff = with_model.replacen("\"cutoff\": 0.", "\"cutoff\": 1", 1);
    let out = refused_at("model-cutoff", &cutoff, "\"cutoff\"");
    assert!(out.contains("`cutoff` is a probability"), "{out}");
}

/// `faqbot eval --fit-forest OUT` writes a forest that `--forest OUT` decides with; the rules
/// alone (`--no-forest`) decide otherwise, and a forest file of other features is refused with
/// its path and exit code 1.
#[test]
fn a_fitted_forest_is_written_read_back_and_checked() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = |name: &str| root.join("tests/data").join(name);
    let out_path = common::temp_dir("forest").join("forest.json");
    let o = faqbot()
        .args(["eval", "--faq"])
        .arg(shipped_faq())
        .arg("--fit-forest")
        .arg(&out_path)
        .args([data("real-dev.tsv"), data("real-dev2.tsv"), data("eval-dev.tsv")])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("cross-validated over whole files (3 folds)"), "{out}");
    assert!(out.contains("chosen cutoff"), "{out}");
    let written = std::fs::read_to_string(&out_path).unwrap();
    let forest = faqbot::matcher::Forest::parse(&written).expect("a valid forest");
    assert_eq!(forest.trees.len(), faqbot::matcher::ForestParams::SHIPPED.trees);
    let eval = |extra: &[&std::ffi::OsStr]| {
        let o = faqbot()
            .args(["eval", "--faq"])
            .arg(shipped_faq())
            .args(extra)
            .arg(data("real-dev3.tsv"))
            .output()
            .unwrap();
        (o.status.code(), stdout(&o) + &stderr(&o))
    };
    let (code, with_forest) = eval(&["--forest".as_ref(), out_path.as_os_str()]);
    assert_eq!(code, Some(0), "{with_forest}");
    let (code, rules) = eval(&["--no-forest".as_ref()]);
    assert_eq!(code, Some(0), "{rules}");
    let overall = |s: &str| s.lines().find(|l| l.starts_with("overall")).unwrap().to_string();
    assert_ne!(overall(&with_forest), overall(&rules));

    let other = written.replacen("\"rules\"", "\"rule\"", 1);
    std::fs::write(&out_path, other).unwrap();
    let (code, err) = eval(&["--forest".as_ref(), out_path.as_os_str()]);
    assert_eq!(code, Some(1));
    assert!(err.contains(&out_path.display().to_string()) && err.contains("not this build's"));
    let _ = std::fs::remove_file(&out_path);
}

/// `faqbot eval --faq-of PART=FAQ` judges that file's messages with that FAQ and the others
/// with `--faq`: its table is the sum of the two runs; a PART that names no file, or a spec
/// without `=`, is refused with exit code 1.
#[test]
fn eval_judges_a_part_with_its_own_faq() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = |name: &str| root.join("tests/data").join(name);
    // An older FAQ: without the closure's English phrasings but the first.
    let mut faq: serde_json::Value = serde_json::from_str(&shipped_src()).unwrap();
    let closure =
        faq["topics"].as_array_mut().unwrap().iter_mut().find(|t| t["id"] == "closure").unwrap();
    closure["questions"]["en"].as_array_mut().unwrap().truncate(1);
    let older = write_faq("faq-of-older", &serde_json::to_string_pretty(&faq).unwrap());
    let shipped = shipped_faq();
    let eval_with = |faq: &Path, args: &[&std::ffi::OsStr]| {
        let o = faqbot().args(["eval", "--faq"]).arg(faq).args(args).output().unwrap();
        (o.status.code(), stdout(&o), stderr(&o))
    };
    let eval = |args: &[&std::ffi::OsStr]| eval_with(&shipped, args);
    let overall = |s: &str| {
        let l = s.lines().find(|l| l.starts_with("overall")).expect("an overall row");
        l.split_whitespace().skip(1).map(|x| x.parse::<f64>().unwrap()).collect::<Vec<f64>>()
    };
    let (dev, dev2) = (data("eval-dev.tsv"), data("eval-dev2.tsv"));
    let spec = format!("eval-dev.tsv={}", older.display());
    let (code, mixed, e) = eval(&["--faq-of".as_ref(), spec.as_ref(), dev.as_ref(), dev2.as_ref()]);
    assert_eq!(code, Some(0), "{e}");
    let (_, shipped_both, _) = eval(&[dev.as_ref(), dev2.as_ref()]);
    let (_, older_dev, _) = eval_with(&older, &[dev.as_ref()]);
    let (_, shipped_dev2, _) = eval(&[dev2.as_ref()]);
    assert_ne!(overall(&mixed), overall(&shipped_both), "the older FAQ changed nothing");
    // Counts add up: in scope, and answered right as a count.
    let (a, b, m) = (overall(&older_dev), overall(&shipped_dev2), overall(&mixed));
    assert_eq!(m[0], a[0] + b[0]);
    let right = |r: &[f64]| (r[2] * r[0]).round();
    assert_eq!(right(&m), right(&a) + right(&b), "{mixed}\n{older_dev}\n{shipped_dev2}");

    let (code, _, e) = eval(&["--faq-of".as_ref(), "nope.tsv=x".as_ref(), dev.as_ref()]);
    assert_eq!(code, Some(1));
    assert!(e.contains("no file named nope.tsv"), "{e}");
    let (code, _, e) = eval(&["--faq-of".as_ref(), "eval-dev.tsv".as_ref(), dev.as_ref()]);
    assert_eq!(code, Some(1));
    assert!(e.contains("expected PART=FAQ"), "{e}");
}

/// A word of `out_of_scope_words` too short to be safe (or a phrase of only short words), or
/// under a language the FAQ does not have, is reported at its place.
#[test]
fn check_reports_unusable_out_of_scope_words() {
    let short = shipped_src().replacen("\"donat\"", "\"don\"", 1);
    let out = refused_at("cue-short", &short, "\"don\"");
    assert!(out.contains("at least 4 letters"), "{out}");
    // A cue of several words needs the letters in one of them.
    let all_short = shipped_src().replacen("\"donat\"", "\"to be\"", 1);
    let out = refused_at("cue-phrase-short", &all_short, "\"to be\"");
    assert!(out.contains("several words one of which has 4 letters"), "{out}");
    let foreign = shipped_src().replacen(
        "\"out_of_scope_words\": {",
        "\"out_of_scope_words\": {\n    \"de\": [\"spende\"],",
        1,
    );
    let path = write_faq("cue-lang", &foreign);
    let o = check(&path);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("`de` is not one of the `languages`"), "{}", stdout(&o));
}

/// A syntax error on a line of Cyrillic text is reported at its column in characters, as
/// validation findings are (serde_json counts bytes, twice as many for Cyrillic letters).
#[test]
fn a_syntax_error_in_russian_text_is_reported_at_its_character_column() {
    let anchor = "\"ru\": \"Здравствуйте! Этот бот";
    let src = shipped_src();
    assert!(src.contains(anchor));
    let broken = src.replacen(anchor, &format!("{anchor}\\q"), 1);
    let path = write_faq("ru-syntax", &broken);
    let o = check(&path);
    assert_eq!(o.status.code(), Some(1));
    let line_no = line_of(&broken, "\\q");
    let line = broken.lines().nth(line_no - 1).unwrap();
    let at = line[..line.find("\\q").unwrap()].chars().count() + 1;
    let out = stdout(&o);
    let col: usize = out
        .split(&format!("{}:{line_no}:", path.display()))
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no {line_no}:COL in {out}"));
    assert!((at..=at + 2).contains(&col), "column {col}, the escape is at character {at}: {out}");
}

/// `faqbot eval --changes-from OLD` lists the labelled messages whose outcome an edit of
/// faq.json changed, with what moved, and nothing else; an unreadable old file is an error.
#[test]
fn eval_lists_the_messages_an_edit_of_the_faq_changed() {
    // faq.json without round 6's two English "kicked out" phrasings of authorities-decision.
    let old = shipped_src().replacen(
        ",\n          \"Why did they kick the ICRC out of Azerbaijan?\",\n          \"Why did Azerbaijan throw the Red Cross out?\"",
        "",
        1,
    );
    assert!(!old.contains("kick the ICRC"), "the edit did not apply");
    let old_path = write_faq("changes-old", &old);
    let dir = old_path.parent().unwrap();
    let labelled = dir.join("parts.tsv");
    std::fs::write(
        &labelled,
        "lang\texpected\tkind\tquestion\n\
         en\tauthorities-decision\tshort\tWhy did they kick you out of Azerbaijan?\n\
         en\tmissing-search\tshort\tWho will keep searching for missing persons now?\n",
    )
    .unwrap();
    let o = faqbot()
        .args(["eval", "--faq"])
        .arg(shipped_faq())
        .arg("--changes-from")
        .arg(&old_path)
        .arg(&labelled)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let changed: Vec<&str> = out.lines().filter(|l| l.starts_with("CHANGE\t")).collect();
    assert_eq!(changed.len(), 1, "{out}");
    let cols: Vec<&str> = changed[0].split('\t').collect();
    assert_eq!(cols[3], "authorities-decision", "{out}");
    assert!(!cols[4].starts_with("answer:"), "{out}");
    assert_eq!(cols[5], "answer:authorities-decision", "{out}");
    assert!(cols[6].contains("+right"), "{out}");
    assert!(out.contains("changes: answered right +1 -0, answered wrongly +0 -0"), "{out}");
    // The usual table follows.
    assert!(out.contains("matcher on 2 questions"), "{out}");

    let o = faqbot()
        .args(["eval", "--faq"])
        .arg(shipped_faq())
        .args(["--changes-from", "no-such-faq.json"])
        .arg(&labelled)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no-such-faq.json"), "{}", stderr(&o));
}

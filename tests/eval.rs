//! Accuracy floors: the matcher on the held-out test questions (never tuned on) must not fall
//! below these. They are the targets of the matching issue; measured values are in its closing
//! note and sit above them, so that a regression past a target fails the build.

use std::path::Path;

use std::collections::BTreeMap;

use faqbot::reply::Engine;
use faqbot::tools::eval::{judge, read_cases, tally, Tally};

/// The shipped matcher's tallies on a part of `tests/data` (per language, overall), and how
/// many messages the part has.
fn measure(part: &str) -> (BTreeMap<String, Tally>, Tally, usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let faq = faqbot::faq::load(&root.join("faq.json")).expect("faq.json").faq;
    let engine = Engine::new(faq);
    let cases = read_cases(&root.join("tests/data").join(part)).expect(part);
    let (per_lang, all) = tally(&cases, &|q| judge(&engine, q));
    (per_lang, all, cases.len())
}

/// Measured on eval-test.tsv with the shipped faq.json: top-1 0.976, confident-but-wrong 0.012,
/// out of scope answered 0.020, answered or offered 0.988, answered right 0.847 (round 2: 0.976,
/// 0.000, 0.020, 1.000, 0.782).
const FLOOR_TOP1: f64 = 0.92;
const FLOOR_LANG_TOP1: f64 = 0.85;
const CEILING_WRONG: f64 = 0.02;
const CEILING_OOS: f64 = 0.03;
const FLOOR_OFFERED: f64 = 0.98;

#[test]
fn matching_accuracy_stays_above_the_floors() {
    let (per_lang, all, n) = measure("eval-test.tsv");
    assert!(n >= 200, "the test part has {n} questions");
    let report = format!("{all:?} {per_lang:?}");
    assert!(all.top1_rate() >= FLOOR_TOP1, "top-1 {:.3}: {report}", all.top1_rate());
    for (lang, t) in &per_lang {
        assert!(t.top1_rate() >= FLOOR_LANG_TOP1, "top-1 in {lang} {:.3}: {report}", t.top1_rate());
    }
    assert!(
        all.wrong_rate() <= CEILING_WRONG,
        "confident but wrong {:.3}: {report}",
        all.wrong_rate()
    );
    assert!(all.oos_rate() <= CEILING_OOS, "out of scope answered {:.3}: {report}", all.oos_rate());
    assert!(
        all.offered_rate() >= FLOOR_OFFERED,
        "answered or offered {:.3}: {report}",
        all.offered_rate()
    );
}

/// The blind realistic part (real-test.tsv: long, contextual, mixed-language messages, never
/// tuned on). Issue 11's goals are answered right 0.85 (0.80 per language), ranked first 0.93,
/// offered 0.98, wrong 0.02, out of scope answered 0.03; the matcher does not reach them yet.
/// Measured with the shipped faq.json (round 4): answered right 0.548, ranked first 0.885,
/// offered 0.966, answered wrongly 0.014, out of scope answered 0.000 (round 3: 0.514, 0.885,
/// 0.966, 0.014, 0.038; round 2: 0.452, 0.856, 0.971, 0.014, 0.038; round 1: 0.442, 0.798,
/// 0.928, 0.019, 0.038). These floors sit a little below that (the ceilings a little above, the
/// out-of-scope one at the goal), so a regression fails; raise them as matching improves.
const REAL_FLOOR_ANSWERED: f64 = 0.52;
const REAL_FLOOR_RANKED: f64 = 0.87;
const REAL_FLOOR_OFFERED: f64 = 0.95;
const REAL_CEILING_WRONG: f64 = 0.02;
const REAL_CEILING_OOS: f64 = 0.03;

#[test]
fn realistic_messages_stay_above_their_floors() {
    let (_, all, n) = measure("real-test.tsv");
    assert!(n >= 240, "the realistic test part has {n} messages");
    let report = format!("{all:?}");
    assert!(
        all.answered_rate() >= REAL_FLOOR_ANSWERED,
        "answered right {:.3}: {report}",
        all.answered_rate()
    );
    assert!(
        all.ranked_rate() >= REAL_FLOOR_RANKED,
        "ranked first {:.3}: {report}",
        all.ranked_rate()
    );
    assert!(
        all.offered_rate() >= REAL_FLOOR_OFFERED,
        "answered or offered {:.3}: {report}",
        all.offered_rate()
    );
    assert!(
        all.wrong_rate() <= REAL_CEILING_WRONG,
        "answered wrongly {:.3}: {report}",
        all.wrong_rate()
    );
    assert!(
        all.oos_rate() <= REAL_CEILING_OOS,
        "out of scope answered {:.3}: {report}",
        all.oos_rate()
    );
}

#[test]
fn the_matcher_beats_the_whole_string_baseline() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let faq = faqbot::faq::load(&root.join("faq.json")).expect("faq.json").faq;
    let baseline = faqbot::tools::eval::Baseline::new(&faq);
    let engine = Engine::new(faq);
    let cases = read_cases(&root.join("tests/data/eval-dev.tsv")).expect("eval-dev.tsv");
    let (_, ours) = tally(&cases, &|q| judge(&engine, q));
    let (_, base) = tally(&cases, &|q| baseline.judge(q));
    assert!(ours.top1_rate() > base.top1_rate() + 0.1, "ours {ours:?} baseline {base:?}");
}

/// The blind part of long stories (long-test.tsv: 40 in scope, 40 out of scope, written from the
/// seed alone by someone who saw neither faq.json nor the other parts; never tuned on). Measured
/// with the shipped faq.json: answered right 0.500, ranked first 0.800, offered 1.000, answered
/// wrongly 0.050, out of scope answered 0.075 (0.525 answered right since Cyrillic and Armenian
/// endings match). One message is 0.025 here; the floors sit one or
/// two messages below (the ceilings above) so that a regression fails. Issue 11's goals apply.
const LONG_FLOOR_ANSWERED: f64 = 0.45;
const LONG_FLOOR_RANKED: f64 = 0.75;
const LONG_CEILING_WRONG: f64 = 0.075;
const LONG_CEILING_OOS: f64 = 0.10;

#[test]
fn long_stories_stay_above_their_floors() {
    let (_, all, n) = measure("long-test.tsv");
    assert_eq!(n, 80);
    let report = format!("{all:?}");
    assert!(all.answered_rate() >= LONG_FLOOR_ANSWERED, "answered right {report}");
    assert!(all.ranked_rate() >= LONG_FLOOR_RANKED, "ranked first {report}");
    assert!(all.wrong_rate() <= LONG_CEILING_WRONG, "answered wrongly {report}");
    assert!(all.oos_rate() <= LONG_CEILING_OOS, "out of scope answered {report}");
}

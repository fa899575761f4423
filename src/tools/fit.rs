//! Purpose: fit the answer decision's model on labelled development messages
//! (`faqbot eval --fit`), measure it by cross-validation, and print the `decision` block for
//! faq.json.
//!
//! Each message's best topic is either right or not; the model learns, from the match's
//! features, the probability that it is right. Its rates are measured on messages it was not
//! fitted on (5 folds, 3 shuffles, probabilities averaged), so that the cutoff is chosen on
//! honest figures, not on what the model has memorised.

use std::io::Write;

use crate::matcher::{
    fit, fit_forest, Forest, ForestParams, ForestRow, Model, Node, Outcome, Scored, FEATURES,
};
use crate::reply::Engine;

use super::eval::{Case, Tally, Verdict};

const FOLDS: usize = 5;
const SHUFFLES: [u64; 3] = [1, 2, 3];
/// The penalty on the standardised weights (1 and 10 gave the same rates on the development
/// parts; 1 keeps the weights closer to the data).
const L2: f64 = 1.0;

/// `faqbot eval --fit`: `file_of[i]` is the index in `files` of `cases[i]`; `limits` the
/// shares of confident-but-wrong and out-of-scope answers each file may have at the chosen
/// cutoff (or one message, in a file too small for the share to allow one).
pub fn run(
    engine: &Engine,
    cases: &[Case],
    file_of: &[usize],
    files: &[String],
    limits: (f64, f64),
    out: &mut dyn Write,
) {
    let faq = &engine.faq;
    let scored: Vec<Scored> = cases.iter().map(|c| engine.index.scored(&c.question)).collect();
    let right = |i: usize| {
        scored[i].ranked.first().is_some_and(|r| cases[i].expected.contains(&faq.topics[r.0].id))
    };
    let rows: Vec<([f32; FEATURES.len()], bool)> =
        (0..cases.len()).map(|i| (scored[i].features.values(), right(i))).collect();

    // Out-of-fold probabilities.
    let mut p = vec![0.0f64; cases.len()];
    for seed in SHUFFLES {
        let order = shuffled(cases.len(), seed);
        for fold in 0..FOLDS {
            let held: Vec<usize> = order.iter().copied().skip(fold).step_by(FOLDS).collect();
            let mut train = Vec::with_capacity(cases.len());
            let mut is_held = vec![false; cases.len()];
            for &i in &held {
                is_held[i] = true;
            }
            for (i, row) in rows.iter().enumerate() {
                if !is_held[i] {
                    train.push(*row);
                }
            }
            let (intercept, weights) = fit(&train, L2);
            let model = Model { intercept, weights, cutoff: 0.5 };
            for &i in &held {
                p[i] += model.probability(&scored[i].features) / SHUFFLES.len() as f64;
            }
        }
    }

    // The rates per file at each cutoff.
    let tallies = |cutoff: f64| -> Vec<Tally> {
        let mut per_file = vec![Tally::default(); files.len()];
        for (i, c) in cases.iter().enumerate() {
            // A model that says yes or no, to let `decide` build the outcome as the bot would.
            let sure = Model {
                intercept: if p[i] >= cutoff { 1.0 } else { -1.0 },
                weights: [0.0; FEATURES.len()],
                cutoff: 0.5,
            };
            let outcome = scored[i].decide(&faq.thresholds, Some(&sure));
            per_file[file_of[i]].add(c, &Verdict::of(faq, &scored[i].ranked, &outcome));
        }
        per_file
    };
    let _ = writeln!(
        out,
        "cross-validated ({FOLDS} folds x {} shuffles): answered right / wrong / out of scope answered, per file",
        SHUFFLES.len()
    );
    let _ = writeln!(out, "cutoff  {}", files.join("  |  "));
    let mut best: Option<(f64, usize)> = None;
    for step in 50..100 {
        let cutoff = f64::from(step) / 100.0;
        let per_file = tallies(cutoff);
        // A small file may have one message over the limit's share (one in 40 is 0.025).
        let within = per_file.iter().all(|t| {
            let most = |share: f64, n: usize| (share * n as f64).floor().max(1.0) as usize;
            t.answered_wrong <= most(limits.0, t.in_scope)
                && t.oos_answered <= most(limits.1, t.oos)
        });
        let answered: usize = per_file.iter().map(|t| t.answered_right).sum();
        if within && best.is_none_or(|b| answered > b.1) {
            best = Some((cutoff, answered));
        }
        if step % 5 == 0 || within {
            let cells: Vec<String> = per_file
                .iter()
                .map(|t| {
                    format!(
                        "{:.3} / {:.3} / {:.3}",
                        t.answered_rate(),
                        t.wrong_rate(),
                        t.oos_rate()
                    )
                })
                .collect();
            let mark = if within { "" } else { "  (over a limit)" };
            let _ = writeln!(out, "{cutoff:.2}    {}{mark}", cells.join("  |  "));
        }
    }
    let Some((cutoff, _)) = best else {
        let _ = writeln!(out, "no cutoff keeps every file within the limits {limits:?}");
        return;
    };
    let (intercept, weights) = fit(&rows, L2);
    let _ = writeln!(out, "\nchosen cutoff {cutoff:.2}; fitted on all {} messages:", cases.len());
    let mut block = String::from("\"decision\": {\n");
    block.push_str(&format!(
        "  \"cutoff\": {cutoff:.2},\n  \"intercept\": {intercept:.4},\n  \"weights\": {{\n"
    ));
    for (j, (name, w)) in FEATURES.iter().zip(weights).enumerate() {
        let comma = if j + 1 < FEATURES.len() { "," } else { "" };
        block.push_str(&format!("    \"{name}\": {w:.4}{comma}\n"));
    }
    block.push_str("  }\n}");
    let _ = writeln!(out, "{block}");
}

/// 0..n in an order fixed by `seed` (xorshift; Fisher-Yates).
fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order
}

/// How many folds the forest's cross-validation makes of the files (each file wholly in one,
/// so that no file's messages are both fitted on and measured: messages written by one hand
/// resemble each other more than they resemble the next writer's).
const FOREST_FOLDS: usize = 6;

/// `faqbot eval --fit-forest OUT`: fits the answer decision's forest on `cases` (the `engine`
/// deciding by its rules alone), reports its rates cross-validated over whole files at each
/// cutoff beside the rules', and writes it to `path` at the cutoff that answers most right
/// without answering more wrongly or out of scope than the rules do (in all, and in each
/// language by more than one message). Returns the exit code.
pub fn run_forest(
    engine: &Engine,
    cases: &[Case],
    file_of: &[usize],
    files: &[String],
    path: &std::path::Path,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let faq = &engine.faq;
    let t = &faq.thresholds;
    let scored: Vec<Scored> = cases.iter().map(|c| engine.index.scored(&c.question)).collect();
    let rules: Vec<Outcome> = scored.iter().map(|s| s.decide(t, None)).collect();
    let rows: Vec<(ForestRow, bool)> = (0..cases.len())
        .map(|i| {
            let right = scored[i]
                .ranked
                .first()
                .is_some_and(|r| cases[i].expected.contains(&faq.topics[r.0].id));
            (scored[i].forest_features(t), right)
        })
        .collect();
    let params = ForestParams::SHIPPED;

    // Out-of-fold probabilities: by file, or by message when there is a single file.
    let folds = if files.len() >= 2 { FOREST_FOLDS.min(files.len()) } else { FOLDS };
    let fold_of = |i: usize| if files.len() >= 2 { file_of[i] % folds } else { i % folds };
    let mut p = vec![0.0f64; cases.len()];
    for fold in 0..folds {
        let train: Vec<(ForestRow, bool)> =
            (0..cases.len()).filter(|&i| fold_of(i) != fold).map(|i| rows[i]).collect();
        let (base, trees) = fit_forest(&train, &params);
        let forest = Forest::new(String::new(), 0.5, base, trees);
        for i in (0..cases.len()).filter(|&i| fold_of(i) == fold) {
            p[i] = forest.probability(&rows[i].0);
        }
    }

    // A forest that says yes or no, to let `decide_with` build the outcome as the bot would.
    let says = |yes: bool| {
        let base = if yes { 10.0 } else { -10.0 };
        Forest::new(String::new(), 0.5, base, vec![vec![Node::Leaf { v: 0.0 }]])
    };
    let (yes, no) = (says(true), says(false));
    // Languages in order of first appearance, each message's by index.
    let mut langs: Vec<&str> = Vec::new();
    let lang_of: Vec<usize> = cases
        .iter()
        .map(|c| {
            langs.iter().position(|l| *l == c.lang).unwrap_or_else(|| {
                langs.push(&c.lang);
                langs.len() - 1
            })
        })
        .collect();
    let tally = |cutoff: Option<f64>| -> (Vec<Tally>, Vec<Tally>, Tally) {
        let mut per_file = vec![Tally::default(); files.len()];
        let mut per_lang = vec![Tally::default(); langs.len()];
        let mut all = Tally::default();
        for (i, c) in cases.iter().enumerate() {
            let outcome = match cutoff {
                Some(cut) => {
                    scored[i].decide_with(t, None, Some(if p[i] >= cut { &yes } else { &no }))
                }
                None => rules[i].clone(),
            };
            let v = Verdict::of(faq, &scored[i].ranked, &outcome);
            per_file[file_of[i]].add(c, &v);
            per_lang[lang_of[i]].add(c, &v);
            all.add(c, &v);
        }
        (per_file, per_lang, all)
    };
    let errors = |t: &Tally| t.answered_wrong + t.oos_answered;
    let (rules_files, rules_langs, rules_all) = tally(None);
    // Within bounds: no more errors than the rules make in all, and in each language at most
    // one more (a language whose families get more wrong answers is not paid for by another's
    // fewer; one message is noise, and on small files no cutoff would do without it).
    let within = |langs: &[Tally], all: &Tally| {
        errors(all) <= errors(&rules_all)
            && langs.iter().zip(&rules_langs).all(|(l, r)| errors(l) <= errors(r) + 1)
    };
    let rates = |t: &Tally| {
        format!(
            "{:.3} / {:.3} / {:.3} ({} / {} / {})",
            t.answered_rate(),
            t.wrong_rate(),
            t.oos_rate(),
            t.answered_right,
            t.answered_wrong,
            t.oos_answered
        )
    };
    let _ = writeln!(
        out,
        "cross-validated over whole files ({folds} folds): answered right / wrong / out of scope answered (counts)"
    );
    let _ = writeln!(out, "rules   {}", rates(&rules_all));
    let mut best: Option<(f64, usize)> = None;
    for step in 100..200 {
        let cutoff = f64::from(step) / 200.0;
        let (_, by_lang, all) = tally(Some(cutoff));
        let within = within(&by_lang, &all);
        if within && best.is_none_or(|b| all.answered_right > b.1) {
            best = Some((cutoff, all.answered_right));
        }
        if step % 10 == 0 {
            let mark =
                if within { "" } else { "  (more errors than the rules, in all or in a language)" };
            let _ = writeln!(out, "{cutoff:.3}   {}{mark}", rates(&all));
        }
    }
    let Some((cutoff, _)) = best else {
        let _ = writeln!(
            err,
            "no cutoff answers without more errors than the rules, in all and in each language"
        );
        return 1;
    };
    let (forest_files, forest_langs, forest_all) = tally(Some(cutoff));
    let _ = writeln!(out, "\nchosen cutoff {cutoff:.3}: {}", rates(&forest_all));
    let _ = writeln!(out, "per language, rules -> forest:");
    for ((name, r), f) in langs.iter().zip(&rules_langs).zip(&forest_langs) {
        let _ = writeln!(out, "  {name}: {} -> {}", rates(r), rates(f));
    }
    let _ = writeln!(out, "per file, rules -> forest:");
    for ((name, r), f) in files.iter().zip(&rules_files).zip(&forest_files) {
        let _ = writeln!(out, "  {name}: {} -> {}", rates(r), rates(f));
    }

    let (base, trees) = fit_forest(&rows, &params);
    let fitted_on = format!(
        "faqbot eval --fit-forest on {} messages of {} files; {} trees of depth {}, leaves of at least {} messages, rate {}; cutoff chosen by cross-validation over whole files",
        cases.len(),
        files.len(),
        params.trees,
        params.depth,
        params.min_leaf,
        params.rate
    );
    let forest = Forest::new(fitted_on, cutoff, base, trees);
    let mut text = String::from("{\n");
    text.push_str(&format!("  \"fitted_on\": {},\n", json(&forest.fitted_on)));
    text.push_str(&format!("  \"features\": {},\n", json(&forest.features)));
    text.push_str(&format!("  \"cutoff\": {},\n  \"base\": {},\n", forest.cutoff, forest.base));
    text.push_str("  \"trees\": [\n");
    for (k, tree) in forest.trees.iter().enumerate() {
        let comma = if k + 1 < forest.trees.len() { "," } else { "" };
        text.push_str(&format!("    {}{comma}\n", json(tree)));
    }
    text.push_str("  ]\n}\n");
    if let Err(e) = std::fs::write(path, text) {
        let _ = writeln!(err, "{}: {e}", path.display());
        return 1;
    }
    let _ = writeln!(out, "wrote {} ({} trees)", path.display(), forest.trees.len());
    0
}

/// A value as one line of JSON.
fn json<T: serde::Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::shuffled;

    #[test]
    fn shuffles_are_permutations_fixed_by_their_seed() {
        let a = shuffled(100, 1);
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
        assert_eq!(a, shuffled(100, 1));
        assert_ne!(a, shuffled(100, 2));
    }
}

//! Purpose: measure how well matching answers labelled questions (`faqbot eval`).
//!
//! Input: TSV files with the header `lang, expected, kind, question` (tab-separated), where `expected` is a topic
//! id, several acceptable topic ids separated by `|` (a message that two topics answer), or `none`
//! (out of scope, small talk). Output: per language and overall, the metrics the
//! targets are stated in; with floors given, a non-zero exit when one is missed, so CI catches
//! a regression.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::faq::Faq;
use crate::matcher::{Outcome, Params};
use crate::reply::Engine;

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Labelled question files (TSV).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The FAQ file.
    #[arg(long, env = "FAQ_PATH", default_value = "faq.json")]
    pub faq: PathBuf,
    /// Evaluate a plain whole-string strsim baseline instead of the matcher.
    #[arg(long)]
    pub baseline: bool,
    /// Print every question that was not answered right.
    #[arg(long)]
    pub verbose: bool,
    /// Fail when overall top-1 accuracy is below this.
    #[arg(long)]
    pub min_top1: Option<f64>,
    /// Fail when any language's top-1 accuracy is below this.
    #[arg(long)]
    pub min_lang_top1: Option<f64>,
    /// Fail when confident-but-wrong answers exceed this share of in-scope questions.
    #[arg(long)]
    pub max_wrong: Option<f64>,
    /// Fail when out-of-scope messages answered confidently exceed this share.
    #[arg(long)]
    pub max_oos_answered: Option<f64>,
    /// Fail when the right topic is answered or offered less often than this.
    #[arg(long)]
    pub min_offered: Option<f64>,
    /// Fail when the right topic is ranked first (the answer, or else the first "did you mean"
    /// button) less often than this.
    #[arg(long)]
    pub min_ranked: Option<f64>,
    /// Fail when the share of in-scope questions answered right is below this.
    #[arg(long)]
    pub min_answered: Option<f64>,
    /// Fail when any language's share of in-scope questions answered right is below this.
    #[arg(long)]
    pub min_lang_answered: Option<f64>,
    /// Search scoring parameters and thresholds on these files and print the best (tuning aid:
    /// use only the development part).
    #[arg(long)]
    pub tune: bool,
    /// Print each question's best scores, one tab-separated line each (lang, kind, expected,
    /// then topic and score for the best five), for studying the answer decision (development
    /// parts only).
    #[arg(long)]
    pub scores: bool,
    /// Print each question's features of its best topic (development parts only), one
    /// tab-separated line each: lang, kind, expected, best topic, then name=value pairs.
    #[arg(long)]
    pub features: bool,
    /// Fit the answer decision's logistic model on these files (development parts only): print
    /// its cross-validated rates per file at each cutoff, and the `decision` block for
    /// faq.json at the cutoff that answers most while every file stays within `--max-wrong`
    /// (default 0.018) and `--max-oos-answered` (default 0.015), or has one such message.
    #[arg(long)]
    pub fit: bool,
    /// Before the table, print every labelled message whose outcome differs between this
    /// (older) FAQ file and `--faq`, and how the counts moved: for seeing what an edit of
    /// faq.json changes beyond the messages it was meant for (a new phrasing shifts the word
    /// weights of every topic).
    #[arg(long, value_name = "OLD_FAQ")]
    pub changes_from: Option<PathBuf>,
    /// Decide with this forest file instead of the shipped one (see `--fit-forest`).
    #[arg(long, value_name = "FOREST", conflicts_with = "no_forest")]
    pub forest: Option<PathBuf>,
    /// Decide with the hand-set rules alone, without the forest (as before round 8).
    #[arg(long)]
    pub no_forest: bool,
    /// Fit the answer decision's forest on these files (development parts only): print its
    /// rates cross-validated over whole files at each cutoff, beside the hand-set rules', and
    /// write the forest, at the cutoff that answers most right without answering more wrongly
    /// or out of scope than the rules (in all, and in each language by more than one message),
    /// to this file (the shipped one is
    /// crates/faqbot-core/src/matcher/answer-forest.json).
    #[arg(long, value_name = "OUT")]
    pub fit_forest: Option<PathBuf>,
    /// Judge the messages of the file named PART (its file name, e.g. real-dev23.tsv) with this
    /// FAQ file instead of `--faq`, for the table and `--verbose` (repeatable). With each part's
    /// faq.json as it was before content was written from it (scripts/first-read.sh), the
    /// table says how the matcher does on messages it has not been shaped by.
    #[arg(long, value_name = "PART=FAQ")]
    pub faq_of: Vec<String>,
}

/// One labelled question.
#[derive(Debug, Clone)]
pub struct Case {
    pub lang: String,
    /// Acceptable topic ids (any of them is right); empty for out of scope.
    pub expected: Vec<String>,
    pub kind: String,
    pub question: String,
}

impl Case {
    /// The expected topics as the files write them: ids joined by `|`, or `none`.
    #[must_use]
    pub fn expected_label(&self) -> String {
        if self.expected.is_empty() {
            "none".to_string()
        } else {
            self.expected.join("|")
        }
    }
}

/// Reads a labelled TSV file.
pub fn read_cases(path: &Path) -> Result<Vec<Case>, String> {
    let src = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut cases = Vec::new();
    for (i, line) in src.lines().enumerate() {
        if i == 0 || line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.splitn(4, '\t').collect();
        let [lang, expected, kind, question] = cols[..] else {
            return Err(format!(
                "{}:{}:1: expected 4 tab-separated columns",
                path.display(),
                i + 1
            ));
        };
        cases.push(Case {
            lang: lang.to_string(),
            expected: if expected == "none" {
                Vec::new()
            } else {
                expected.split('|').map(|t| t.trim().to_string()).collect()
            },
            kind: kind.to_string(),
            question: question.to_string(),
        });
    }
    Ok(cases)
}

/// What the bot did with one question.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// The best-scoring topic, whatever was done with it.
    pub best: Option<String>,
    pub answered: Option<String>,
    /// Buttons: the suggestions, or the related topics beside an answer.
    pub offered: Vec<String>,
    /// What the person sees first: the answer, or else the first "did you mean" button.
    pub first: Option<String>,
}

/// Counts for one group of questions.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub in_scope: usize,
    pub top1: usize,
    pub ranked_first: usize,
    pub answered_right: usize,
    pub answered_wrong: usize,
    pub offered: usize,
    pub oos: usize,
    pub oos_answered: usize,
}

impl Tally {
    pub fn add(&mut self, case: &Case, v: &Verdict) {
        if case.expected.is_empty() {
            self.oos += 1;
            self.oos_answered += usize::from(v.answered.is_some());
            return;
        }
        let wanted = |t: &Option<String>| t.as_ref().is_some_and(|t| case.expected.contains(t));
        self.in_scope += 1;
        self.top1 += usize::from(wanted(&v.best));
        self.ranked_first += usize::from(wanted(&v.first));
        match &v.answered {
            Some(_) if wanted(&v.answered) => self.answered_right += 1,
            Some(_) => self.answered_wrong += 1,
            None => {}
        }
        self.offered +=
            usize::from(wanted(&v.answered) || v.offered.iter().any(|t| case.expected.contains(t)));
    }

    fn ratio(n: usize, d: usize) -> f64 {
        if d == 0 {
            0.0
        } else {
            n as f64 / d as f64
        }
    }
    pub fn top1_rate(&self) -> f64 {
        Self::ratio(self.top1, self.in_scope)
    }
    pub fn ranked_rate(&self) -> f64 {
        Self::ratio(self.ranked_first, self.in_scope)
    }
    pub fn answered_rate(&self) -> f64 {
        Self::ratio(self.answered_right, self.in_scope)
    }
    pub fn wrong_rate(&self) -> f64 {
        Self::ratio(self.answered_wrong, self.in_scope)
    }
    pub fn offered_rate(&self) -> f64 {
        Self::ratio(self.offered, self.in_scope)
    }
    pub fn oos_rate(&self) -> f64 {
        Self::ratio(self.oos_answered, self.oos)
    }
}

/// The matcher's verdict.
#[must_use]
pub fn judge(engine: &Engine, question: &str) -> Verdict {
    let m = engine.index.classify(question);
    Verdict::of(&engine.faq, &m.ranked, &m.outcome)
}

impl Verdict {
    /// The verdict of a ranking and the outcome decided from it, with topic ids.
    #[must_use]
    pub fn of(faq: &Faq, ranked: &[(usize, f32)], outcome: &Outcome) -> Verdict {
        let id = |i: usize| faq.topics[i].id.clone();
        Verdict {
            first: match outcome {
                Outcome::Answer { topic, .. } => Some(id(*topic)),
                Outcome::Suggest(list) => list.first().map(|&i| id(i)),
                _ => None,
            },
            best: ranked.first().map(|r| id(r.0)),
            answered: match outcome {
                Outcome::Answer { topic, .. } => Some(id(*topic)),
                _ => None,
            },
            offered: match outcome {
                Outcome::Suggest(list) | Outcome::Answer { related: list, .. } => {
                    list.iter().map(|&i| id(i)).collect()
                }
                _ => Vec::new(),
            },
        }
    }
}

/// What a person sees first: `answer:<topic>`, `buttons:<first topic>`, or `none` (small
/// talk, the fallback, an empty message).
fn shown(v: &Verdict) -> String {
    match (&v.answered, &v.first) {
        (Some(t), _) => format!("answer:{t}"),
        (None, Some(t)) => format!("buttons:{t}"),
        (None, None) => "none".to_string(),
    }
}

/// The counts a change of outcome can move, as [`moves`] orders them.
const MOVES: [&str; 4] = ["right", "wrong", "out-of-scope", "ranked"];

/// How a change of outcome moves the counts: answered right, answered wrongly, out of scope
/// answered, ranked first (what the person sees first is expected); each -1, 0 or +1.
fn moves(case: &Case, old: &Verdict, new: &Verdict) -> [i32; 4] {
    let count = |v: &Verdict| {
        let mut t = Tally::default();
        t.add(case, v);
        [t.answered_right, t.answered_wrong, t.oos_answered, t.ranked_first].map(|n| n as i32)
    };
    let (a, b) = (count(old), count(new));
    std::array::from_fn(|i| b[i] - a[i])
}

/// Prints each message whose outcome differs between two FAQ files (tab-separated: `CHANGE`,
/// file, lang, expected, old outcome, new outcome, effect, question), then the moves in total.
fn changes(
    old: &Engine,
    new: &Engine,
    cases: &[Case],
    file_of: &[usize],
    names: &[String],
    out: &mut dyn Write,
) {
    let mut total = [[0u32; 2]; MOVES.len()];
    for (c, &f) in cases.iter().zip(file_of) {
        let (a, b) = (judge(old, &c.question), judge(new, &c.question));
        let (sa, sb) = (shown(&a), shown(&b));
        if sa == sb {
            continue;
        }
        let m = moves(c, &a, &b);
        let mut effect = Vec::new();
        for (i, name) in MOVES.iter().enumerate() {
            match m[i] {
                1 => effect.push(format!("+{name}")),
                -1 => effect.push(format!("-{name}")),
                _ => {}
            }
            total[i][0] += u32::from(m[i] > 0);
            total[i][1] += u32::from(m[i] < 0);
        }
        let effect = if effect.is_empty() { "same".to_string() } else { effect.join(",") };
        let expected = c.expected_label();
        let _ = writeln!(
            out,
            "CHANGE\t{}\t{}\t{expected}\t{sa}\t{sb}\t{effect}\t{}",
            names[f], c.lang, c.question
        );
    }
    let _ = writeln!(
        out,
        "changes: answered right +{} -{}, answered wrongly +{} -{}, out of scope answered +{} -{}, \
         ranked first +{} -{}",
        total[0][0],
        total[0][1],
        total[1][0],
        total[1][1],
        total[2][0],
        total[2][1],
        total[3][0],
        total[3][1]
    );
}

/// The baseline: the topic of the phrasing most similar to the whole message (strsim's
/// normalised Levenshtein on normalised text), answered when similar enough.
pub struct Baseline {
    phrasings: Vec<(String, usize)>,
    topics: Vec<String>,
}

impl Baseline {
    #[must_use]
    pub fn new(faq: &Faq) -> Baseline {
        let mut phrasings = Vec::new();
        for (i, t) in faq.topics.iter().enumerate() {
            for qs in t.questions.values() {
                for q in qs {
                    phrasings.push((crate::text::normalize(q), i));
                }
            }
        }
        Baseline { phrasings, topics: faq.topics.iter().map(|t| t.id.clone()).collect() }
    }

    #[must_use]
    pub fn judge(&self, question: &str) -> Verdict {
        let q = crate::text::normalize(question);
        let mut best: Vec<(usize, f64)> = Vec::new();
        for (p, topic) in &self.phrasings {
            let s = strsim::normalized_levenshtein(&q, p);
            match best.iter_mut().find(|b| b.0 == *topic) {
                Some(b) => b.1 = b.1.max(s),
                None => best.push((*topic, s)),
            }
        }
        best.sort_by(|a, b| b.1.total_cmp(&a.1));
        let top = best.first().copied();
        let answered = top.filter(|t| t.1 >= 0.6).map(|t| self.topics[t.0].clone());
        let offered: Vec<String> =
            best.iter().take(3).filter(|t| t.1 >= 0.4).map(|t| self.topics[t.0].clone()).collect();
        Verdict {
            first: answered.clone().or_else(|| offered.first().cloned()),
            best: top.map(|t| self.topics[t.0].clone()),
            answered,
            offered,
        }
    }
}

/// Tallies per language and overall.
#[must_use]
pub fn tally(cases: &[Case], judge: &dyn Fn(&str) -> Verdict) -> (BTreeMap<String, Tally>, Tally) {
    let verdicts: Vec<Verdict> = cases.iter().map(|c| judge(&c.question)).collect();
    tally_verdicts(cases, &verdicts)
}

/// The rates per language and in all of `cases`, each judged by its verdict in `verdicts`.
fn tally_verdicts(cases: &[Case], verdicts: &[Verdict]) -> (BTreeMap<String, Tally>, Tally) {
    let mut per_lang: BTreeMap<String, Tally> = BTreeMap::new();
    let mut all = Tally::default();
    for (c, v) in cases.iter().zip(verdicts) {
        per_lang.entry(c.lang.clone()).or_default().add(c, v);
        all.add(c, v);
    }
    (per_lang, all)
}

/// The engines of `--faq-of PART=FAQ`, and for each file the one that judges it (`None`: the
/// main engine). The forest is the main engine's (shipped, `--forest` or none).
fn engines_of(args: &EvalArgs, main: &Engine) -> Result<(Vec<Engine>, Vec<Option<usize>>), String> {
    let mut engines = Vec::new();
    let mut of_file = vec![None; args.files.len()];
    for spec in &args.faq_of {
        let Some((part, faq)) = spec.split_once('=') else {
            return Err(format!("--faq-of {spec}: expected PART=FAQ"));
        };
        let matching: Vec<usize> = (0..args.files.len())
            .filter(|&i| args.files[i].file_name().is_some_and(|n| n.to_string_lossy() == part))
            .collect();
        if matching.is_empty() {
            return Err(format!("--faq-of {spec}: no file named {part} among the files"));
        }
        let loaded = crate::faq::load(Path::new(faq)).map_err(|e| e.to_string())?;
        let mut engine = Engine::new(loaded.faq);
        engine.index.set_forest(main.index.forest().cloned());
        for i in matching {
            of_file[i] = Some(engines.len());
        }
        engines.push(engine);
    }
    Ok((engines, of_file))
}

fn print_table(
    out: &mut dyn Write,
    per_lang: &BTreeMap<String, Tally>,
    all: &Tally,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<8} {:>6} {:>7} {:>9} {:>9} {:>8} {:>5} {:>9} {:>7}",
        "lang", "n", "top1", "answered", "wrong", "offered", "oos", "oos-ans", "ranked"
    )?;
    let row = |out: &mut dyn Write, name: &str, t: &Tally| {
        writeln!(
            out,
            "{:<8} {:>6} {:>7.3} {:>9.3} {:>9.3} {:>8.3} {:>5} {:>9.3} {:>7.3}",
            name,
            t.in_scope,
            t.top1_rate(),
            t.answered_rate(),
            t.wrong_rate(),
            t.offered_rate(),
            t.oos,
            t.oos_rate(),
            t.ranked_rate()
        )
    };
    for (lang, t) in per_lang {
        row(out, lang, t)?;
    }
    row(out, "overall", all)
}

/// `faqbot eval`: returns the exit code.
pub fn run(args: &EvalArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let faq = match crate::faq::load(&args.faq) {
        Ok(l) => l.faq,
        Err(e) => {
            let _ = writeln!(err, "{e}");
            return 1;
        }
    };
    let mut cases = Vec::new();
    let mut file_of = Vec::new();
    for (i, f) in args.files.iter().enumerate() {
        match read_cases(f) {
            Ok(mut c) => {
                file_of.extend(std::iter::repeat_n(i, c.len()));
                cases.append(&mut c);
            }
            Err(e) => {
                let _ = writeln!(err, "{e}");
                return 1;
            }
        }
    }
    if args.tune {
        tune(&faq, &cases, out);
        return 0;
    }
    let mut engine = Engine::new(faq.clone());
    if args.no_forest || args.fit_forest.is_some() {
        engine.index.set_forest(None);
    } else if let Some(path) = &args.forest {
        match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|src| crate::matcher::Forest::parse(&src))
        {
            Ok(f) => engine.index.set_forest(Some(f)),
            Err(e) => {
                let _ = writeln!(err, "{}: {e}", path.display());
                return 1;
            }
        }
    }
    if let Some(path) = &args.fit_forest {
        let names: Vec<String> = args.files.iter().map(|f| f.display().to_string()).collect();
        return super::fit::run_forest(&engine, &cases, &file_of, &names, path, out, err);
    }
    if args.fit {
        let names: Vec<String> = args.files.iter().map(|f| f.display().to_string()).collect();
        let limits = (args.max_wrong.unwrap_or(0.018), args.max_oos_answered.unwrap_or(0.015));
        super::fit::run(&engine, &cases, &file_of, &names, limits, out);
        return 0;
    }
    if args.scores {
        for c in &cases {
            let s = engine.index.scored(&c.question);
            let expected = c.expected_label();
            let mut line = format!("{}\t{}\t{}", c.lang, c.kind, expected);
            for (topic, score) in &s.ranked {
                line.push_str(&format!("\t{}\t{score:.4}", faq.topics[*topic].id));
            }
            let _ = writeln!(out, "{line}");
        }
        return 0;
    }
    if args.features {
        for c in &cases {
            let expected = c.expected_label();
            let best = engine.index.scored(&c.question).ranked.first().map(|r| r.0);
            let mut line = format!(
                "{}\t{}\t{}\t{}",
                c.lang,
                c.kind,
                expected,
                best.map_or("-", |t| faq.topics[t].id.as_str())
            );
            for (name, value) in engine.index.features(&c.question) {
                line.push_str(&format!("\t{name}={value:.4}"));
            }
            let _ = writeln!(out, "{line}");
        }
        return 0;
    }
    if let Some(old) = &args.changes_from {
        let old = match crate::faq::load(old) {
            Ok(l) => Engine::new(l.faq),
            Err(e) => {
                let _ = writeln!(err, "{e}");
                return 1;
            }
        };
        let names: Vec<String> = args.files.iter().map(|f| f.display().to_string()).collect();
        changes(&old, &engine, &cases, &file_of, &names, out);
    }
    let baseline = Baseline::new(&faq);
    let judge_fn: Box<dyn Fn(&str) -> Verdict> = if args.baseline {
        Box::new(|q: &str| baseline.judge(q))
    } else {
        Box::new(|q: &str| judge(&engine, q))
    };
    let (others, engine_of_file) = match engines_of(args, &engine) {
        Ok(e) => e,
        Err(e) => {
            let _ = writeln!(err, "{e}");
            return 1;
        }
    };
    let verdicts: Vec<Verdict> = cases
        .iter()
        .zip(&file_of)
        .map(|(c, &f)| match engine_of_file[f] {
            Some(e) if !args.baseline => judge(&others[e], &c.question),
            _ => judge_fn(&c.question),
        })
        .collect();
    let (per_lang, all) = tally_verdicts(&cases, &verdicts);
    let name =
        if args.baseline { "baseline (whole-string normalised Levenshtein)" } else { "matcher" };
    let _ = writeln!(
        out,
        "{name} on {} questions ({} in scope, {} out of scope)",
        cases.len(),
        all.in_scope,
        all.oos
    );
    let _ = print_table(out, &per_lang, &all);
    if args.verbose {
        for (c, v) in cases.iter().zip(&verdicts) {
            let ok = match &v.answered {
                Some(t) => c.expected.contains(t),
                None => c.expected.is_empty(),
            };
            if !ok {
                let _ = writeln!(
                    out,
                    "MISS {} {} [{}] want {} got {} best {} offered {:?}: {}",
                    c.lang,
                    c.kind,
                    if v.answered.is_some() { "ANSWERED" } else { "-" },
                    c.expected_label(),
                    v.answered.as_deref().unwrap_or("-"),
                    v.best.as_deref().unwrap_or("-"),
                    v.offered,
                    c.question
                );
            }
        }
    }
    let mut failed = Vec::new();
    let mut floor = |ok: bool, what: String| {
        if !ok {
            failed.push(what);
        }
    };
    if let Some(x) = args.min_top1 {
        floor(all.top1_rate() >= x, format!("top-1 {:.3} < {x}", all.top1_rate()));
    }
    if let Some(x) = args.min_lang_top1 {
        for (lang, t) in &per_lang {
            floor(t.top1_rate() >= x, format!("top-1 ({lang}) {:.3} < {x}", t.top1_rate()));
        }
    }
    if let Some(x) = args.max_wrong {
        floor(all.wrong_rate() <= x, format!("confident-but-wrong {:.3} > {x}", all.wrong_rate()));
    }
    if let Some(x) = args.max_oos_answered {
        floor(all.oos_rate() <= x, format!("out-of-scope answered {:.3} > {x}", all.oos_rate()));
    }
    if let Some(x) = args.min_offered {
        floor(
            all.offered_rate() >= x,
            format!("answered-or-offered {:.3} < {x}", all.offered_rate()),
        );
    }
    if let Some(x) = args.min_ranked {
        floor(all.ranked_rate() >= x, format!("ranked first {:.3} < {x}", all.ranked_rate()));
    }
    if let Some(x) = args.min_answered {
        floor(all.answered_rate() >= x, format!("answered right {:.3} < {x}", all.answered_rate()));
    }
    if let Some(x) = args.min_lang_answered {
        for (lang, t) in &per_lang {
            floor(
                t.answered_rate() >= x,
                format!("answered right ({lang}) {:.3} < {x}", t.answered_rate()),
            );
        }
    }
    if failed.is_empty() {
        0
    } else {
        for f in failed {
            let _ = writeln!(err, "floor missed: {f}");
        }
        1
    }
}

/// A coarse grid search over scoring parameters and thresholds; prints each new best by a
/// loss that weighs a confident wrong answer far above a mere suggestion.
fn tune(faq: &Faq, cases: &[Case], out: &mut dyn Write) {
    let mut best = f64::MAX;
    for beta in [1.0f32, 1.5, 2.0, 3.0] {
        for unknown_weight in [0.2f32, 0.5, 1.0] {
            for topic_weight in [0.6f32, 0.85, 1.0] {
                for keyword_bonus in [0.0f32, 0.05, 0.1] {
                    for answer_factor in [0.0f32, 0.6, 0.8] {
                        let params = Params {
                            beta,
                            unknown_weight,
                            topic_weight,
                            keyword_bonus,
                            answer_factor,
                            ..Params::default()
                        };
                        let index = crate::matcher::Index::build_with(faq, params);
                        let scored: Vec<_> =
                            cases.iter().map(|c| index.scored(&c.question)).collect();
                        for answer in [0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7] {
                            for margin in [0.0, 0.04, 0.08, 0.12] {
                                for suggest in [0.15, 0.2, 0.25, 0.3] {
                                    let t = crate::faq::Thresholds {
                                        answer,
                                        suggest,
                                        margin,
                                        related: faq.thresholds.related,
                                    };
                                    let mut all = Tally::default();
                                    for (c, s) in cases.iter().zip(&scored) {
                                        let outcome = s.decide(&t, None);
                                        let v = Verdict::of(faq, &s.ranked, &outcome);
                                        all.add(c, &v);
                                    }
                                    let loss = 5.0 * all.wrong_rate()
                                        + 4.0 * all.oos_rate()
                                        + (1.0 - all.answered_rate())
                                        + 2.0 * (1.0 - all.offered_rate());
                                    if loss < best {
                                        best = loss;
                                        let _ = writeln!(
                                        out,
                                        "loss {loss:.4}: {params:?} answer {answer} suggest {suggest} margin {margin}: top1 {:.3} answered {:.3} wrong {:.3} offered {:.3} oos {:.3}",
                                        all.top1_rate(), all.answered_rate(), all.wrong_rate(), all.offered_rate(), all.oos_rate()
                                    );
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

//! Purpose: `faqbot ask`: shows exactly what the bot would reply to a question, as text or as
//! one JSON object per line (`--json`, an interface other tools build on), with `--explain`
//! showing which words matched which phrasing.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use crate::matcher::Outcome;
use crate::reply::{Engine, LangHints};

#[derive(Debug, Args)]
pub struct AskArgs {
    /// The FAQ file.
    #[arg(long, env = "FAQ_PATH", default_value = "faq.json")]
    pub faq: PathBuf,
    /// One JSON object per line instead of the reply text.
    #[arg(long)]
    pub json: bool,
    /// Show which words matched which phrasing, and the scores.
    #[arg(long)]
    pub explain: bool,
    /// Language to answer in when the question does not show it (as Telegram's language_code).
    #[arg(long)]
    pub lang: Option<String>,
    /// The question; without it, questions are read from standard input, one per line.
    pub question: Vec<String>,
}

/// One line of `faqbot ask --json`.
#[derive(Debug, Serialize)]
pub struct AskJson<'a> {
    pub question: &'a str,
    pub language: String,
    /// Set only when the bot would answer this topic outright.
    pub topic: Option<String>,
    pub score: f64,
    /// Topics the bot would offer as buttons: "did you mean" when unsure, or related topics
    /// beside an answer.
    pub suggestions: Vec<String>,
    /// `answer`, `suggest`, `small-talk`, `fallback` or `empty`.
    pub outcome: &'static str,
}

/// Answers one question as `ask` prints it.
pub fn ask_one(
    engine: &Engine,
    question: &str,
    args: &AskArgs,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let hints = LangHints { chosen: None, client: args.lang.as_deref() };
    let (reply, m) = engine.ask(question, hints);
    let id = |i: usize| engine.faq.topics[i].id.clone();
    if args.json {
        let line = AskJson {
            question,
            language: reply.language.clone(),
            topic: match m.outcome {
                Outcome::Answer { topic, .. } => Some(id(topic)),
                _ => None,
            },
            score: (f64::from(m.score()) * 1000.0).round() / 1000.0,
            suggestions: match &m.outcome {
                Outcome::Suggest(list) | Outcome::Answer { related: list, .. } => {
                    list.iter().map(|&i| id(i)).collect()
                }
                _ => Vec::new(),
            },
            outcome: m.outcome.kind(),
        };
        writeln!(out, "{}", serde_json::to_string(&line).map_err(std::io::Error::other)?)?;
    } else {
        writeln!(out, "{}", reply.to_plain())?;
        for row in &reply.buttons {
            let labels: Vec<String> = row.iter().map(|b| format!("[{}]", b.label)).collect();
            writeln!(out, "{}", labels.join(" "))?;
        }
    }
    if args.explain {
        let (_, explanations) = engine.index.explain(question);
        writeln!(out, "-- outcome: {}, language: {}", m.outcome.kind(), reply.language)?;
        // The final order: the phrasing scores below, with the best three reordered by the
        // naive-Bayes likelihood.
        let order: Vec<String> =
            m.ranked.iter().map(|&(t, s)| format!("{} {s:.3}", id(t))).collect();
        writeln!(out, "-- ranked: {}", order.join(", "))?;
        // Who decided: the forest, from the match's figures and the hand-set rules' verdict.
        let scored = engine.index.scored(question);
        let t = &engine.faq.thresholds;
        let verdict = if scored.rules_verdict(t) { "answer" } else { "buttons" };
        match engine.index.forest() {
            Some(f) => writeln!(
                out,
                "-- decision: forest {:.3} (answers from {:.3}); hand-set rules alone: {verdict}",
                f.probability(&scored.forest_features(t)),
                f.cutoff
            )?,
            None => writeln!(out, "-- decision: hand-set rules: {verdict}")?,
        }
        for e in explanations {
            writeln!(
                out,
                "-- {} score {:.3} (coverage {:.2}, precision {:.2}, topic precision {:.2})",
                id(e.topic),
                e.score,
                e.coverage,
                e.precision,
                e.topic_precision
            )?;
            writeln!(out, "   best phrasing: {}", e.phrasing)?;
            for (q, t, s) in &e.pairs {
                writeln!(out, "   {q} ~ {t} ({s:.2})")?;
            }
            if !e.keywords.is_empty() {
                writeln!(out, "   keywords: {}", e.keywords.join(", "))?;
            }
        }
    }
    if !args.json {
        writeln!(out)?;
    }
    Ok(())
}

/// `faqbot ask`: returns the exit code.
pub fn run(
    args: &AskArgs,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let engine = match Engine::load(&args.faq) {
        Ok(e) => e,
        Err(e) => {
            let _ = writeln!(err, "{e}");
            return 1;
        }
    };
    let result = if args.question.is_empty() {
        let mut result = Ok(());
        for line in input.lines() {
            match line {
                Ok(line) if line.trim().is_empty() => continue,
                Ok(line) => {
                    result = ask_one(&engine, &line, args, out);
                }
                Err(e) => result = Err(e),
            }
            if result.is_err() {
                break;
            }
        }
        result
    } else {
        ask_one(&engine, &args.question.join(" "), args, out)
    };
    match result {
        Ok(()) => 0,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            let _ = writeln!(err, "faqbot ask: {e}");
            1
        }
    }
}

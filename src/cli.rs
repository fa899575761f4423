//! Purpose: the command-line tools over the core: `check` validates a faq.json, `ask` shows what
//! the bot would answer. They print to the writers they are given, so tests can read them.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use crate::faq::{self, LoadError, Severity};
use crate::matcher::Outcome;
use crate::reply::{Engine, LangHints};

/// faqbot: answers families' questions about the closure of the ICRC office in Azerbaijan.
#[derive(Debug, Parser)]
#[command(name = "faqbot", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<CliCommand>,
}

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Run the Telegram bot (the default).
    Run,
    /// Validate a faq.json: errors as PATH:LINE:COL; exit 0 when valid, 1 when not.
    Check(CheckArgs),
    /// Show what the bot would answer to a question (or to each line of standard input).
    Ask(AskArgs),
    /// Measure matching accuracy on labelled questions (TSV: lang, expected, kind, question).
    Eval(crate::eval::EvalArgs),
    /// Talk to the bot in the terminal: buttons are numbered, type a number to tap one.
    Chat(crate::chat::ChatArgs),
    /// Group the kept questions that went unanswered (see GAPS_PATH), most frequent first.
    Gaps(GapsArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The file to check [default: $FAQ_PATH, else faq.json].
    pub path: Option<PathBuf>,
    /// Treat warnings as errors (exit 1).
    #[arg(long)]
    pub strict: bool,
    /// Skip the matcher's checks (misrouted phrasings, topics too close): faster.
    #[arg(long)]
    pub quick: bool,
}

#[derive(Debug, Args)]
pub struct AskArgs {
    /// The FAQ file [default: $FAQ_PATH, else faq.json].
    #[arg(long)]
    pub faq: Option<PathBuf>,
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

#[derive(Debug, Args)]
pub struct GapsArgs {
    /// The kept-questions file [default: $GAPS_PATH].
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// The FAQ, whose stop words are ignored when comparing questions [default: $FAQ_PATH,
    /// else faq.json; skipped if it does not load].
    #[arg(long)]
    pub faq: Option<PathBuf>,
}

/// The FAQ path: the given one, else `$FAQ_PATH`, else `faq.json`.
#[must_use]
pub fn faq_path_or_default(path: Option<PathBuf>) -> PathBuf {
    path.unwrap_or_else(|| crate::config::faq_path(&|k| std::env::var(k).ok()))
}

/// Loads a FAQ and builds its engine, or describes why not.
pub fn load_engine(path: &Path) -> Result<Engine, LoadError> {
    faq::load(path).map(|loaded| Engine::new(loaded.faq))
}

/// `faqbot check`: prints every finding and a summary; returns the exit code.
///
/// The load-time findings come from [`faq::parse`]; when the file loads, the matcher's checks
/// of [`crate::lint`] follow (skipped with `--quick`).
pub fn check(args: &CheckArgs, out: &mut dyn Write) -> i32 {
    let path = faq_path_or_default(args.path.clone());
    let src = match std::fs::read_to_string(&path) {
        Ok(src) => src,
        Err(error) => {
            let _ = writeln!(out, "{}", LoadError::Io { path: path.clone(), error });
            return 1;
        }
    };
    let (mut diagnostics, topics) = match faq::parse(&src) {
        Ok(loaded) => {
            let mut found = loaded.warnings;
            if !args.quick {
                found.extend(crate::lint::lint(&loaded.faq, &src));
            }
            (found, Some(loaded.faq.topics.len()))
        }
        Err(diagnostics) => (diagnostics, None),
    };
    diagnostics.sort_by_key(|d| (d.line, d.col));
    for d in &diagnostics {
        let _ = writeln!(out, "{}", d.render(&path));
    }
    let errors = diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    let warnings = diagnostics.len() - errors;
    let verdict = if errors > 0 || (args.strict && warnings > 0) { "invalid" } else { "valid" };
    let topics = topics.map(|n| format!(", {n} topics")).unwrap_or_default();
    let _ = writeln!(
        out,
        "{}: {verdict}: {errors} error(s), {warnings} warning(s){topics}",
        path.display()
    );
    i32::from(verdict == "invalid")
}

/// `faqbot gaps`: drops expired entries, then prints the groups; returns the exit code.
pub fn gaps(args: &GapsArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    use crate::gaps::{GapLog, GAPS_PATH_VAR};
    let var = |k: &str| std::env::var(k).ok();
    let configured = match GapLog::from_vars(&var) {
        Ok(log) => log,
        Err(e) => {
            let _ = writeln!(err, "faqbot gaps: {e}");
            return 1;
        }
    };
    let log = match (&args.file, configured) {
        (Some(file), configured) => GapLog::new(
            file.clone(),
            configured.map_or(crate::gaps::DEFAULT_RETENTION_DAYS, |c| c.retention_days()),
        ),
        (None, Some(log)) => log,
        (None, None) => {
            let _ = writeln!(
                err,
                "faqbot gaps: no file: give --file PATH, or set {GAPS_PATH_VAR} as the bot has it"
            );
            return 1;
        }
    };
    let kept = match log.load() {
        Ok(kept) => kept,
        Err(e) => {
            let _ = writeln!(err, "faqbot gaps: {}: {e}", log.path().display());
            return 1;
        }
    };
    let stop_words: std::collections::HashSet<String> =
        match faq::load(&faq_path_or_default(args.faq.clone())) {
            Ok(loaded) => loaded
                .faq
                .stop_words
                .values()
                .flatten()
                .flat_map(|w| crate::text::words(w))
                .collect(),
            Err(_) => std::collections::HashSet::new(),
        };
    let groups = crate::gaps::group(&kept, &stop_words);
    let _ = writeln!(
        out,
        "{}: {} kept question(s) in {} group(s), kept for {} days",
        log.path().display(),
        kept.len(),
        groups.len(),
        log.retention_days()
    );
    let _ = write!(out, "{}", crate::gaps::render_groups(&groups));
    0
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

fn outcome_kind(o: &Outcome) -> &'static str {
    match o {
        Outcome::Answer { .. } => "answer",
        Outcome::Suggest(_) => "suggest",
        Outcome::SmallTalk(_) => "small-talk",
        Outcome::Fallback => "fallback",
        Outcome::Empty => "empty",
    }
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
            outcome: outcome_kind(&m.outcome),
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
        writeln!(out, "-- outcome: {}, language: {}", outcome_kind(&m.outcome), reply.language)?;
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
pub fn ask(
    args: &AskArgs,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let path = faq_path_or_default(args.faq.clone());
    let engine = match load_engine(&path) {
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

//! Purpose: the command line of `faqbot`: the bot (the default) and the operators' tools over
//! the core. Each tool prints to the writers it is given, so tests can read them, and returns
//! its exit code.

pub mod ask;
pub mod chat;
pub mod check;
pub mod eval;
pub mod fit;
pub mod gaps;

use clap::{Parser, Subcommand};

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
    Check(check::CheckArgs),
    /// Show what the bot would answer to a question (or to each line of standard input).
    Ask(ask::AskArgs),
    /// Measure matching accuracy on labelled questions (TSV: lang, expected, kind, question).
    Eval(eval::EvalArgs),
    /// Talk to the bot in the terminal: buttons are numbered, type a number to tap one.
    Chat(chat::ChatArgs),
    /// Group the kept questions that went unanswered (see GAPS_PATH), most frequent first.
    Gaps(gaps::GapsArgs),
}

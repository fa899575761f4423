//! Purpose: the `faqbot` executable: parses the command line, then runs the bot or a tool.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use faqbot::cli::{self, Cli, CliCommand};
use faqbot::config::Config;

fn main() -> ExitCode {
    // `.env` is optional; real environment variables win over it.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut err = std::io::stderr();
    let code = match cli.command.unwrap_or(CliCommand::Run) {
        CliCommand::Run => run_bot(),
        CliCommand::Check(args) => cli::check(&args, &mut out),
        CliCommand::Ask(args) => cli::ask(&args, &mut std::io::stdin().lock(), &mut out, &mut err),
        CliCommand::Eval(args) => faqbot::eval::run(&args, &mut out, &mut err),
        CliCommand::Chat(args) => {
            let stdin = std::io::stdin();
            // From a pipe, echo each line so the transcript reads as a conversation.
            let echo = !stdin.is_terminal();
            faqbot::chat::run(&args, &mut stdin.lock(), &mut out, &mut err, echo)
        }
        CliCommand::Gaps(args) => cli::gaps(&args, &mut out, &mut err),
    };
    let _ = out.flush();
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

fn run_bot() -> i32 {
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("faqbot: {e}");
            return 2;
        }
    };
    faqbot::logging::hide(config.token.expose());
    faqbot::logging::init();
    let engine = match cli::load_engine(&config.faq_path) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("faqbot: the FAQ file is not usable, the bot did not start:\n{e}");
            return 1;
        }
    };
    let gaps = match faqbot::gaps::GapLog::from_env() {
        Ok(g) => g,
        Err(e) => {
            eprintln!("faqbot: {e}");
            return 2;
        }
    };
    // One thread: Telegram lets a bot send about 30 messages a second, and a question takes
    // well under a millisecond to match (`cargo bench`), so more threads would add only their
    // stacks and malloc arenas (measured by the resilience benchmark: 28.7 MB after 1,000
    // questions with two worker threads, 24.3 MB with one).
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("faqbot: cannot start the async runtime: {e}");
            return 1;
        }
    };
    runtime.block_on(faqbot::bot::run(config, engine, gaps));
    0
}

//! Purpose: the `faqbot` executable: parses the command line, then runs the bot or a tool, and
//! turns what went wrong into the exit codes the README documents (1: the FAQ file is broken;
//! 2: bad token or configuration).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use faqbot::ops::config::{Config, ConfigError};
use faqbot::ops::gaps::GapLog;
use faqbot::reply::Engine;
use faqbot::telegram::run::{self, RunError};
use faqbot::tools::{self, Cli, CliCommand};

fn main() -> ExitCode {
    // `.env` is optional; real environment variables win over it.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut err = std::io::stderr();
    let code = match cli.command.unwrap_or(CliCommand::Run) {
        CliCommand::Run => match run_bot() {
            Ok(()) => 0,
            Err(e) => {
                // The whole chain of causes. Once the bot runs, through the logger, which
                // scrubs the token; before that, nothing secret can be in it.
                if e.is::<RunError>() {
                    log::error!("{e:#}");
                } else {
                    eprintln!("faqbot: {e:#}");
                }
                exit_code(&e)
            }
        },
        CliCommand::Check(args) => tools::check::run(&args, &mut out),
        CliCommand::Ask(args) => {
            tools::ask::run(&args, &mut std::io::stdin().lock(), &mut out, &mut err)
        }
        CliCommand::Eval(args) => tools::eval::run(&args, &mut out, &mut err),
        CliCommand::Chat(args) => {
            let stdin = std::io::stdin();
            // From a pipe, echo each line so the transcript reads as a conversation.
            let echo = !stdin.is_terminal();
            tools::chat::run(&args, &mut stdin.lock(), &mut out, &mut err, echo)
        }
        CliCommand::Gaps(args) => tools::gaps::run(&args, &mut out, &mut err),
    };
    let _ = out.flush();
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// The FAQ file could not be served.
#[derive(Debug, thiserror::Error)]
#[error("the FAQ file is not usable, the bot did not start:\n{0}")]
struct FaqUnusable(faqbot::faq::LoadError);

/// 1 when the FAQ file is broken, 2 for a bad token or configuration, 3 when a stop left
/// replies to send after the restart, 1 otherwise.
fn exit_code(e: &anyhow::Error) -> i32 {
    if let Some(run) = e.downcast_ref::<RunError>() {
        run.exit_code()
    } else if e.is::<ConfigError>() {
        2
    } else {
        1
    }
}

fn run_bot() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    faqbot::ops::logging::hide(config.token.expose());
    faqbot::ops::logging::init();
    run::install_panic_hook();
    let gaps = GapLog::from_env()?;
    let keeping = faqbot::ops::keeping(gaps.as_ref(), faqbot::ops::log_text_from_env());
    let engine = Engine::load(&config.faq_path).map_err(FaqUnusable)?.with_keeping(keeping);
    // One thread: Telegram lets a bot send about 30 messages a second, and a question takes
    // well under a millisecond to match (`cargo bench`), so more threads would add only their
    // stacks and malloc arenas (measured by the resilience benchmark: 28.7 MB after 1,000
    // questions with two worker threads, 24.3 MB with one).
    // Matching runs on the blocking pool (so no message holds up the others); two threads
    // are plenty for questions of well under a millisecond, and each thread more costs its
    // stack and a malloc arena (the resilience benchmark measured 31 MB after 1,000 questions
    // with tokio's default of up to 512).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(2)
        .build()
        .context("cannot start the async runtime")?;
    let result = runtime.block_on(run::run(config, engine, gaps));
    // Tasks still running (a reply being sent past STOP_TIMEOUT, a gaps write) get a moment,
    // not an unbounded wait: what they did not finish is in the journal.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    result?;
    Ok(())
}

//! Purpose: `faqbot chat`, a conversation with the bot's core in the terminal, so an operator
//! can try a change to faq.json before restarting the bot.
//!
//! Replies are printed as plain text, their buttons as numbered choices (`[1] Title`); typing a
//! number taps that button, as Telegram would send its `callback_data`. Commands are those of
//! the bot (`/start`, `/help`, `/topics`, `/contacts`, `/language`); `/quit` or the end of the
//! input ends. It reads any `BufRead`, so it works the same from a pipe.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use clap::Args;

use crate::reply::{Action, Command, Engine, LangHints, Reply};

#[derive(Debug, Args)]
pub struct ChatArgs {
    /// The FAQ file.
    #[arg(long, env = "FAQ_PATH", default_value = "faq.json")]
    pub faq: PathBuf,
    /// The language of your Telegram client (as its language_code), used when a message does
    /// not show its language.
    #[arg(long)]
    pub lang: Option<String>,
}

/// The state of a conversation: the language chosen with `/language`, and the buttons of the
/// last reply.
pub struct Chat<'a> {
    engine: &'a Engine,
    client: Option<String>,
    chosen: Option<String>,
    buttons: Vec<Action>,
}

/// What one line of input did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Continue,
    Quit,
}

impl<'a> Chat<'a> {
    /// A new conversation; `client` plays the Telegram client's language.
    #[must_use]
    pub fn new(engine: &'a Engine, client: Option<String>) -> Chat<'a> {
        Chat { engine, client, chosen: None, buttons: Vec::new() }
    }

    fn hints(&self) -> LangHints<'_> {
        LangHints { chosen: self.chosen.as_deref(), client: self.client.as_deref() }
    }

    /// The language for commands and buttons, as the bot picks it.
    #[must_use]
    pub fn language(&self) -> String {
        self.engine.fallback_language(self.hints())
    }

    /// Prints a reply and remembers its buttons.
    fn show(&mut self, reply: &Reply, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "{}", reply.to_plain())?;
        self.buttons.clear();
        for row in &reply.buttons {
            let mut labels = Vec::new();
            for b in row {
                self.buttons.push(b.action.clone());
                labels.push(format!("[{}] {}", self.buttons.len(), b.label));
            }
            writeln!(out, "{}", labels.join("   "))?;
        }
        writeln!(out)
    }

    /// Handles one line of input.
    pub fn step(&mut self, line: &str, out: &mut dyn Write) -> std::io::Result<Step> {
        let line = line.trim();
        if line.is_empty() {
            return Ok(Step::Continue);
        }
        let lang = self.language();
        let e = self.engine;
        if let Ok(n) = line.parse::<usize>() {
            if !self.buttons.is_empty() {
                let Some(action) = n.checked_sub(1).and_then(|i| self.buttons.get(i)).cloned()
                else {
                    writeln!(out, "(no button {n}: choose 1 to {})\n", self.buttons.len())?;
                    return Ok(Step::Continue);
                };
                let result = e.callback(Some(&action.encode()), &lang);
                if let Some(notice) = &result.notice {
                    writeln!(out, "(notice: {notice})")?;
                }
                if let Some(code) = result.chosen_language {
                    self.chosen = Some(code);
                }
                if let Some(reply) = &result.reply {
                    self.show(reply, out)?;
                }
                return Ok(Step::Continue);
            }
        }
        let command = line.strip_prefix('/').map(|c| {
            // As Telegram sends them in groups: `/help@SomeBot args`.
            let word = c.split_whitespace().next().unwrap_or("");
            word.split('@').next().unwrap_or(word)
        });
        let reply = match command {
            Some(name) if ["quit", "exit"].iter().any(|q| q.eq_ignore_ascii_case(name)) => {
                return Ok(Step::Quit)
            }
            Some(name) => match Command::parse(name) {
                Some(command) => e.command(command, &lang),
                None => e.unknown_command(&lang),
            },
            None => e.ask(line, self.hints()).0,
        };
        self.show(&reply, out)?;
        Ok(Step::Continue)
    }
}

/// `faqbot chat`: returns the exit code. With `echo`, each input line is printed after `> `
/// (for transcripts from a pipe); without it, a `> ` prompt is shown (for a terminal).
pub fn run(
    args: &ChatArgs,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
    echo: bool,
) -> i32 {
    let path = &args.faq;
    // As the bot would say it with the same settings (GAPS_PATH, LOG_MESSAGE_TEXT).
    let gaps = crate::ops::gaps::GapLog::from_env().ok().flatten();
    let keeping = crate::ops::keeping(gaps.as_ref(), crate::ops::log_text_from_env());
    let engine = match Engine::load(path) {
        Ok(e) => e.with_keeping(keeping),
        Err(e) => {
            let _ = writeln!(err, "{e}");
            return 1;
        }
    };
    let _ = writeln!(
        err,
        "faqbot chat with {}: type a question, a number to tap a button, /start, /help, /topics, \
         /contacts or /language; /quit ends.",
        path.display()
    );
    let mut chat = Chat::new(&engine, args.lang.clone());
    let result = (|| -> std::io::Result<()> {
        let mut line = String::new();
        loop {
            if !echo {
                write!(out, "> ")?;
                out.flush()?;
            }
            line.clear();
            if input.read_line(&mut line)? == 0 {
                return Ok(());
            }
            if echo && !line.trim().is_empty() {
                writeln!(out, "> {}", line.trim())?;
            }
            if chat.step(&line, out)? == Step::Quit {
                return Ok(());
            }
        }
    })();
    match result {
        Ok(()) => 0,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            let _ = writeln!(err, "faqbot chat: {e}");
            1
        }
    }
}

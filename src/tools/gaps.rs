//! Purpose: `faqbot gaps`: groups the kept questions that went unanswered (see `GAPS_PATH`),
//! most frequent first, with the topic each group came closest to.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::faq;

#[derive(Debug, Args)]
pub struct GapsArgs {
    /// The kept-questions file [default: $GAPS_PATH].
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// The FAQ, whose stop words are ignored when comparing questions (skipped if it does not
    /// load).
    #[arg(long, env = "FAQ_PATH", default_value = "faq.json")]
    pub faq: PathBuf,
}

/// `faqbot gaps`: prints the groups of the entries not expired; returns the exit code. Only
/// reads the file: the bot, which appends to it, is the one that drops expired entries.
pub fn run(args: &GapsArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    use crate::ops::gaps::{GapLog, GAPS_PATH_VAR};
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
            configured.map_or(crate::ops::gaps::DEFAULT_RETENTION_DAYS, |c| c.retention_days()),
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
    let stop_words: std::collections::HashSet<String> = match faq::load(&args.faq) {
        Ok(loaded) => {
            loaded.faq.stop_words.values().flatten().flat_map(|w| crate::text::words(w)).collect()
        }
        Err(_) => std::collections::HashSet::new(),
    };
    let groups = crate::ops::gaps::group(&kept, &stop_words);
    let _ = writeln!(
        out,
        "{}: {} kept question(s) in {} group(s), kept for {} days",
        log.path().display(),
        kept.len(),
        groups.len(),
        log.retention_days()
    );
    let _ = write!(out, "{}", crate::ops::gaps::render_groups(&groups));
    0
}

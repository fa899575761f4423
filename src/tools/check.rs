//! Purpose: `faqbot check`: validates a faq.json and prints every finding as
//! `PATH:LINE:COL: error|warning: message`, then a summary line.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::faq::{self, LoadError, Severity};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The file to check.
    #[arg(env = "FAQ_PATH", default_value = "faq.json")]
    pub path: PathBuf,
    /// Treat warnings as errors (exit 1).
    #[arg(long)]
    pub strict: bool,
    /// Skip the matcher's checks (misrouted phrasings, topics too close): faster.
    #[arg(long)]
    pub quick: bool,
}

/// `faqbot check`: prints every finding and a summary; returns the exit code.
///
/// The load-time findings come from [`faq::parse`]; when the file loads, the matcher's checks
/// of [`crate::lint`] follow (skipped with `--quick`).
pub fn run(args: &CheckArgs, out: &mut dyn Write) -> i32 {
    let path = &args.path;
    let src = match std::fs::read_to_string(path) {
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
        let _ = writeln!(out, "{}", d.render(path));
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

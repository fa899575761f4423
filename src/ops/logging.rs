//! Purpose: logging that can never print the bot token.
//!
//! Network errors from the HTTP client carry the request URL, and Telegram's URLs contain the
//! token (`/bot<TOKEN>/getUpdates`); some of them are logged inside teloxide itself. Every log
//! line therefore passes through [`Redacting`], which replaces the token before the line is
//! written, whoever logged it.

use std::sync::OnceLock;

use log::{Log, Metadata, Record};

static SECRET: OnceLock<String> = OnceLock::new();

/// A logger that replaces the registered secret in every line, then hands it to `inner`.
struct Redacting<L> {
    inner: L,
}

/// Replaces the secret (if registered) in a text.
#[must_use]
pub fn redact_secret(text: &str) -> String {
    match SECRET.get() {
        Some(secret) if !secret.is_empty() && text.contains(secret.as_str()) => {
            text.replace(secret.as_str(), "<token>")
        }
        _ => text.to_string(),
    }
}

impl<L: Log> Log for Redacting<L> {
    fn enabled(&self, metadata: &Metadata) -> bool {
        self.inner.enabled(metadata)
    }

    fn log(&self, record: &Record) {
        if !self.inner.enabled(record.metadata()) {
            return;
        }
        let line = redact_secret(&record.args().to_string());
        self.inner.log(
            &Record::builder()
                .metadata(record.metadata().clone())
                .args(format_args!("{line}"))
                .module_path(record.module_path())
                .file(record.file())
                .line(record.line())
                .build(),
        );
    }

    fn flush(&self) {
        self.inner.flush();
    }
}

/// Registers the secret to hide from every log line (the bot token). Call before logging it
/// could appear in; later calls are ignored.
pub fn hide(secret: &str) {
    let _ = SECRET.set(secret.to_string());
}

/// Installs the logger: `RUST_LOG` as with pretty_env_logger, `info` by default, every line
/// redacted.
pub fn init() {
    let mut builder = pretty_env_logger::formatted_timed_builder();
    match std::env::var("RUST_LOG") {
        Ok(filter) if !filter.trim().is_empty() => {
            builder.parse_filters(&filter);
        }
        _ => {
            builder.filter_level(log::LevelFilter::Info);
        }
    }
    let logger = builder.build();
    let max = logger.filter();
    if log::set_boxed_logger(Box::new(Redacting { inner: logger })).is_ok() {
        log::set_max_level(max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    struct Capture(Mutex<Vec<String>>);
    impl Log for Capture {
        fn enabled(&self, _: &Metadata) -> bool {
            true
        }
        fn log(&self, record: &Record) {
            self.0.lock().unwrap().push(record.args().to_string());
        }
        fn flush(&self) {}
    }

    #[test]
    fn every_line_loses_the_secret() {
        hide("123456:SECRET-token");
        let logger = Redacting { inner: Capture(Mutex::new(Vec::new())) };
        let url = "http://127.0.0.1:1/bot123456:SECRET-token/getUpdates";
        logger.log(
            &Record::builder().args(format_args!("error sending request for url ({url})")).build(),
        );
        let lines = logger.inner.0.lock().unwrap();
        assert_eq!(
            lines[0],
            "error sending request for url (http://127.0.0.1:1/bot<token>/getUpdates)"
        );
    }
}

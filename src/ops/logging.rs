//! Purpose: logging that can never print the bot token.
//!
//! Network errors from the HTTP client carry the request URL, and Telegram's URLs contain the
//! token (`/bot<TOKEN>/getUpdates`); some of them are logged inside teloxide itself. Every log
//! line therefore passes through [`Redacting`], which replaces the token before the line is
//! written, whoever logged it: the whole token, its secret half (after the colon, which is all
//! an attacker needs besides the public bot id), and their percent-encoded forms (a URL may
//! carry `%3A` for the colon).

use std::sync::OnceLock;

use log::{Log, Metadata, Record};

/// The forms of the secret to scrub, longest first.
static SECRET: OnceLock<Vec<String>> = OnceLock::new();

/// A logger that replaces the registered secret in every line, then hands it to `inner`.
struct Redacting<L> {
    inner: L,
}

/// Replaces every form of the secret (if registered) in a text.
#[must_use]
pub fn redact_secret(text: &str) -> String {
    match SECRET.get() {
        Some(forms) => redact_forms(text, forms),
        None => text.to_string(),
    }
}

fn redact_forms(text: &str, forms: &[String]) -> String {
    let mut text = text.to_string();
    for form in forms {
        if text.contains(form.as_str()) {
            text = text.replace(form.as_str(), "<token>");
        }
    }
    text
}

/// The forms of `secret` to scrub, longest first: the whole token, its part after the colon,
/// and each percent-encoded (upper- and lower-case hex).
fn forms_of(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_string()];
    if let Some((_, half)) = secret.split_once(':') {
        forms.push(half.to_string());
    }
    for form in forms.clone() {
        forms.push(percent_encode(&form, false));
        forms.push(percent_encode(&form, true));
    }
    forms.retain(|f| !f.is_empty());
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    forms.dedup();
    forms
}

/// Percent-encodes everything but unreserved characters (RFC 3986), in upper- or lower-case
/// hex.
fn percent_encode(s: &str, lower: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else if lower {
            out.push_str(&format!("%{b:02x}"));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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
    let _ = SECRET.set(forms_of(secret));
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

    #[test]
    fn the_secret_half_and_percent_encoded_forms_are_scrubbed_too() {
        let forms = forms_of("5566:AAH-se cret/x");
        let cases = [
            ("url /bot5566:AAH-se cret/x/getMe", "url /bot<token>/getMe"),
            ("url /bot5566%3AAAH-se%20cret%2Fx/getMe", "url /bot<token>/getMe"),
            ("url /bot5566%3aAAH-se%20cret%2fx/getMe", "url /bot<token>/getMe"),
            ("only the half: AAH-se cret/x.", "only the half: <token>."),
            ("encoded half: AAH-se%20cret%2Fx", "encoded half: <token>"),
            ("the id alone is public: 5566", "the id alone is public: 5566"),
        ];
        for (line, want) in cases {
            assert_eq!(redact_forms(line, &forms), want, "{line}");
        }
    }
}

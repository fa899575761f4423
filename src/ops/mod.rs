//! Purpose: running the bot as a service: configuration from the environment, logging that
//! never carries the token or anyone's words, kept unanswered questions, and `/stats` counts.

pub mod config;
pub mod gaps;
pub mod journal;
pub mod logging;
pub mod memory;
pub mod metrics;
pub mod stats;
pub mod store;

use faqbot_core::reply::Keeping;

/// What the greeting and `/help` should say is kept, from the operator's settings: the gaps
/// file (`GAPS_PATH`) and whether question texts are logged (`LOG_MESSAGE_TEXT`).
#[must_use]
pub fn keeping(gaps: Option<&gaps::GapLog>, log_text: bool) -> Keeping {
    match gaps {
        _ if log_text => Keeping::Unstated,
        Some(log) => Keeping::Unanswered { days: log.retention_days() },
        None => Keeping::Nothing,
    }
}

/// Whether `LOG_MESSAGE_TEXT=1` asks for question texts in the debug log.
#[must_use]
pub fn log_text_from_env() -> bool {
    std::env::var("LOG_MESSAGE_TEXT").is_ok_and(|v| v.trim() == "1")
}

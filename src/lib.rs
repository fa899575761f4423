//! Purpose: faqbot, a Telegram bot that answers families' questions about the closure of the
//! ICRC office in Azerbaijan and refers them to those who can still help.
//!
//! The core (`faq`, `text`, `matcher`, `reply`) is pure and knows nothing of Telegram; the
//! adapters (`telegram`, `cli`) are thin layers over it.

pub mod bot;
pub mod chat;
pub mod cli;
pub mod config;
pub mod eval;
pub mod faq;
pub mod gaps;
mod jsonpos;
pub mod lint;
pub mod logging;
pub mod matcher;
pub mod outbox;
pub mod ratelimit;
pub mod reply;
pub mod synth;
pub mod telegram;
pub mod text;

pub use faq::Faq;
pub use matcher::{Index, Match, Outcome};
pub use reply::Engine;

/// A short, stable name for an outcome: the topic id, `suggest`, `small-talk`, `fallback` or
/// `empty`. Safe to log: it holds nothing of the message.
#[must_use]
pub fn outcome_name(outcome: &Outcome, faq: &Faq) -> String {
    match outcome {
        Outcome::Answer { topic: i, .. } => {
            faq.topics.get(*i).map_or_else(|| "answer".to_string(), |t| t.id.clone())
        }
        Outcome::Suggest(_) => "suggest".to_string(),
        Outcome::SmallTalk(_) => "small-talk".to_string(),
        Outcome::Fallback => "fallback".to_string(),
        Outcome::Empty => "empty".to_string(),
    }
}

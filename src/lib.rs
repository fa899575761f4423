//! Purpose: faqbot, a Telegram bot that answers families' questions about the closure of the
//! ICRC office in Azerbaijan and refers them to those who can still help.
//!
//! The core (`faqbot-core`: FAQ model, text, matcher, replies) is a crate of its own that knows
//! nothing of Telegram or async. This crate holds what sits on it: the Telegram adapter
//! (`telegram`), running it as a service (`ops`) and the command-line tools (`tools`).

pub use faqbot_core::{faq, lint, matcher, reply, text, Engine, Faq, Index, Match, Outcome};

pub mod ops;
pub mod telegram;
pub mod tools;

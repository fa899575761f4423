//! Purpose: faqbot's pure core: the FAQ model and its validation, normalisation and
//! transliteration, language recognition, matching, the reply model with its renderers, and the
//! content lint.
//!
//! It depends on no async runtime, HTTP client or Telegram library, so the compiler (not a
//! convention) keeps it usable from the bot, the terminal tools and the tests alike.

pub mod faq;
mod jsonpos;
pub mod lint;
pub mod matcher;
pub mod reply;
pub mod text;

pub use faq::Faq;
pub use matcher::{Index, Match, Outcome};
pub use reply::Engine;

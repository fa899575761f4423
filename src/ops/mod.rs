//! Purpose: running the bot as a service: configuration from the environment, logging that
//! never carries the token or anyone's words, kept unanswered questions, and `/stats` counts.

pub mod config;
pub mod gaps;
pub mod journal;
pub mod logging;
pub mod stats;

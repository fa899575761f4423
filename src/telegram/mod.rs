//! Purpose: the Telegram adapter: turns updates into calls of the core ([`Engine`]) and sends
//! its replies, within Telegram's limits and without logging anyone's words or identity.
//!
//! `schema` builds the handler tree over the `commands`, `handlers` holds its endpoints, `state` what they share
//! (and reloading), `send` delivery with retries, `outbox` and `pacing` the order and rate of
//! replies, `address` what in a group is meant for the bot, `menus` the command menus, and `run`
//! starts and stops the bot.

mod address;
pub mod commands;
mod handlers;
pub mod intake;
pub mod listener;
pub mod menus;
mod offload;
pub mod outbox;
pub mod pacing;
#[cfg(test)]
mod pacing_clock_tests;
pub mod run;
pub mod schema;
pub mod send;
pub mod state;
pub mod webhook;

use teloxide::prelude::*;
use teloxide::RequestError;

pub use menus::command_menus;
pub use schema::handler_tree;
pub use state::{Operators, Shared};

/// The error type of handlers.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync + 'static>;
type HandlerResult = Result<(), HandlerError>;

/// What the handlers need of a requester: teloxide's `Bot` when running, the mock bot of
/// teloxide_tests in tests.
pub trait TelegramApi:
    Requester<Err = RequestError, SendMessage: Send, AnswerCallbackQuery: Send, SetMyCommands: Send>
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<R> TelegramApi for R where
    R: Requester<
            Err = RequestError,
            SendMessage: Send,
            AnswerCallbackQuery: Send,
            SetMyCommands: Send,
        > + Clone
        + Send
        + Sync
        + 'static
{
}

//! Purpose: the handler tree: which updates go to which handler.

use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::types::Me;
use teloxide::utils::command::BotCommands;

use super::address::is_addressed;
use super::commands::{Command, OperatorCommand};
use super::handlers::{on_callback, on_command, on_message, on_operator_command};
use super::*;

/// The whole handler tree, generic over the requester. Every handler catches its own panics
/// and applies the per-person flood limit.
#[must_use]
pub fn handler_tree<R>() -> UpdateHandler<HandlerError>
where
    R: TelegramApi,
{
    let messages = Update::filter_message()
        .filter(|msg: Message, me: Me| is_addressed(&msg, &me))
        .branch(
            dptree::filter_map(|msg: Message, me: Me| {
                let name = me.user.username.clone().unwrap_or_default();
                msg.text().and_then(|t| Command::parse(t, &name).ok())
            })
            .endpoint(on_command::<R>),
        )
        .branch(
            dptree::filter_map(|msg: Message, me: Me| {
                let name = me.user.username.clone().unwrap_or_default();
                msg.text().and_then(|t| OperatorCommand::parse(t, &name).ok())
            })
            .endpoint(on_operator_command::<R>),
        )
        .endpoint(on_message::<R>);
    let callbacks = Update::filter_callback_query().endpoint(on_callback::<R>);
    // First the intake (a slot, and the journal's ack), then the handlers.
    super::intake::layer().branch(messages).branch(callbacks)
}

//! Purpose: the handler tree: which updates go to which handler.

use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::types::Me;
use teloxide::utils::command::BotCommands;

use super::address::is_addressed;
use super::commands::{Command, OperatorCommand};
use super::handlers::{
    message_within_limit, on_callback, on_command, on_message, on_operator_command,
};
use super::*;

/// The whole handler tree, generic over the requester. Every handler catches its own panics;
/// messages over the per-person flood limit stop at the filter in front of their handlers (taps
/// have a limit of their own, in `on_callback`).
#[must_use]
pub fn handler_tree<R>() -> UpdateHandler<HandlerError>
where
    R: TelegramApi,
{
    let messages = Update::filter_message()
        .filter(|msg: Message, me: Me| is_addressed(&msg, &me))
        .filter_async(message_within_limit::<R>)
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

//! Purpose: the handler tree: which updates go to which handler, and the commands it knows.

use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::types::Me;
use teloxide::utils::command::BotCommands;

use super::address::is_addressed;
use super::handlers::{on_callback, on_command, on_message, on_operator_command};
use super::*;

/// The bot's commands. Descriptions shown to users come from faq.json (per language); these
/// doc comments are for developers.
#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// Greeting and topics.
    Start,
    /// How to use the bot.
    Help,
    /// The list of topics.
    Topics,
    /// Who can help.
    Contacts,
    /// Choose the language.
    Language,
}

/// Operator commands: honoured only in a private chat with a user listed in `ADMIN_IDS`;
/// anyone else gets the same reply as for any unknown command. They are never registered
/// with `setMyCommands`, so families never see them in the command menu.
#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum OperatorCommand {
    /// Reload the FAQ file; if it is invalid, keep serving the old one and show the errors.
    Reload,
    /// Counts of questions per topic, suggestions and fallbacks since the start.
    Stats,
}

/// The whole handler tree. Generic over the requester so that the production bot and tests
/// (teloxide_tests' mock bot) run the same tree. Every handler catches its own panics and
/// applies the per-chat message limit.
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

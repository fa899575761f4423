//! Purpose: the commands the bot knows, as Telegram sends them (`/help@SomeBot args`).

use teloxide::utils::command::BotCommands;

use crate::reply;

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

impl From<Command> for reply::Command {
    fn from(command: Command) -> reply::Command {
        match command {
            Command::Start => reply::Command::Start,
            Command::Help => reply::Command::Help,
            Command::Topics => reply::Command::Topics,
            Command::Contacts => reply::Command::Contacts,
            Command::Language => reply::Command::Language,
        }
    }
}

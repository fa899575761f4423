//! Purpose: in groups, what is meant for the bot, and the message without its @mention.

use teloxide::prelude::*;
use teloxide::types::{Me, MessageEntityKind};
use teloxide::utils::command::BotCommands;

use super::commands::Command;

/// Whether a message is meant for the bot: any private message; in groups, commands, messages
/// that mention the bot, and replies to the bot's messages.
pub(super) fn is_addressed(msg: &Message, me: &Me) -> bool {
    if msg.chat.is_private() {
        return true;
    }
    let username = me.user.username.as_deref().unwrap_or_default();
    if let Some(reply) = msg.reply_to_message() {
        if reply.from.as_ref().is_some_and(|u| u.id == me.user.id) {
            return true;
        }
    }
    // A command for this bot: `/help@this_bot`, or one of our commands without a name
    // (`/help`); not `/help@other_bot`, and not another bot's unnamed command.
    if let Some(command) = msg.text().and_then(|t| t.strip_prefix('/')) {
        let word = command.split_whitespace().next().unwrap_or_default();
        return match word.split_once('@') {
            Some((_, name)) => name.eq_ignore_ascii_case(username),
            None => Command::parse(&format!("/{word}"), username).is_ok(),
        };
    }
    let Some(entities) = msg.parse_entities().or_else(|| msg.parse_caption_entities()) else {
        return false;
    };
    entities.iter().any(|e| match e.kind() {
        MessageEntityKind::Mention => {
            e.text().trim_start_matches('@').eq_ignore_ascii_case(username)
        }
        MessageEntityKind::TextMention { user } => user.id == me.user.id,
        _ => false,
    })
}

/// Removes the bot's @mention from a group message.
pub(super) fn without_mention(text: &str, me: &Me) -> String {
    match me.user.username.as_deref() {
        Some(name) => {
            let mention = format!("@{name}");
            let lower = text.to_lowercase();
            match lower.find(&mention.to_lowercase()) {
                Some(i) if lower.len() == text.len() => {
                    format!("{}{}", &text[..i], &text[i + mention.len()..])
                }
                _ => text.to_string(),
            }
        }
        None => text.to_string(),
    }
}

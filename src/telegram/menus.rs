//! Purpose: the command menus Telegram shows (`setMyCommands`), per language, from faq.json.

use teloxide::prelude::*;
use teloxide::types::BotCommand;

use crate::reply::Engine;

use super::send::redact;
use super::*;

/// The command menus (`setMyCommands`), one per language, descriptions from faq.json.
#[must_use]
pub fn command_menus(engine: &Engine) -> Vec<(Option<String>, Vec<BotCommand>)> {
    let faq = &engine.faq;
    faq.languages
        .iter()
        .enumerate()
        .map(|(i, lang)| {
            let commands = faq
                .commands
                .all()
                .iter()
                .map(|(name, desc)| BotCommand::new(*name, faq.pick(desc, lang)))
                .collect();
            // The default language's menu is also the one for every other client language.
            (if i == 0 { None } else { Some(lang.clone()) }, commands)
        })
        .collect()
}

/// Registers the command menus with Telegram; failures are logged, not fatal.
pub async fn register_commands<R>(bot: &R, engine: &Engine)
where
    R: TelegramApi,
{
    for (lang, commands) in command_menus(engine) {
        let mut request = bot.set_my_commands(commands);
        if let Some(lang) = &lang {
            request = request.language_code(lang.clone());
        }
        if let Err(e) = request.await {
            log::warn!(
                "setting the command menu ({}) failed: {}",
                lang.as_deref().unwrap_or("default"),
                redact(&e)
            );
        }
    }
}

//! Purpose: in groups, what is meant for the bot, and the message without its @mention.

use std::ops::Range;
use teloxide::prelude::*;

use teloxide::types::{Me, MessageEntity, MessageEntityKind};
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
    let (Some(text), Some(entities)) =
        (msg.text().or_else(|| msg.caption()), msg.entities().or_else(|| msg.caption_entities()))
    else {
        return false;
    };
    entities.iter().any(|e| is_bot_mention(text, e, me))
}

/// Whether `entity` of `text` mentions the bot: `@username` (any case) or a mention of its
/// user.
fn is_bot_mention(text: &str, entity: &MessageEntity, me: &Me) -> bool {
    match &entity.kind {
        MessageEntityKind::Mention => {
            let username = me.user.username.as_deref().unwrap_or_default();
            byte_range(text, entity.offset, entity.length).is_some_and(|r| {
                let mention = &text[r];
                !username.is_empty()
                    && mention.strip_prefix('@').is_some_and(|m| m.eq_ignore_ascii_case(username))
            })
        }
        MessageEntityKind::TextMention { user } => user.id == me.user.id,
        _ => false,
    }
}

/// Removes the bot's mentions from a group message, cutting where the `entities` Telegram sent
/// with it say (offsets count UTF-16 code units). An entity that does not fit the text is
/// ignored, never a panic.
pub(super) fn without_mention(text: &str, entities: &[MessageEntity], me: &Me) -> String {
    let mut cuts: Vec<Range<usize>> = entities
        .iter()
        .filter(|e| is_bot_mention(text, e, me))
        .filter_map(|e| byte_range(text, e.offset, e.length))
        .collect();
    cuts.sort_by_key(|r| r.start);
    let mut kept = String::with_capacity(text.len());
    let mut from = 0;
    for cut in cuts {
        if cut.start >= from {
            kept.push_str(&text[from..cut.start]);
            from = cut.end;
        } else {
            // Overlapping entities: cut up to the furthest end.
            from = from.max(cut.end);
        }
    }
    kept.push_str(&text[from..]);
    kept
}

/// The byte range in `text` of the UTF-16 range `offset..offset + length`, or `None` when it
/// does not start and end on character boundaries within the text.
fn byte_range(text: &str, offset: usize, length: usize) -> Option<Range<usize>> {
    let end = offset.checked_add(length)?;
    let (mut start_byte, mut units) = (None, 0usize);
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), '\0'))) {
        if units == offset {
            start_byte = Some(i);
        }
        if units == end {
            return start_byte.map(|s| s..i);
        }
        if units > end {
            return None;
        }
        units += c.len_utf16();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn me() -> Me {
        serde_json::from_value(serde_json::json!({
            "id": 42, "is_bot": true, "first_name": "FAQ", "username": "faq_bot",
            "can_join_groups": true, "can_read_all_group_messages": false,
            "supports_inline_queries": false, "can_connect_to_business": false,
            "has_main_web_app": false
        }))
        .unwrap()
    }

    fn mention(offset: usize, length: usize) -> MessageEntity {
        MessageEntity { kind: MessageEntityKind::Mention, offset, length }
    }

    /// A mention entity of `needle` in `text` (offsets in UTF-16, as Telegram counts).
    fn mention_of(text: &str, needle: &str) -> MessageEntity {
        let at = text.find(needle).unwrap();
        mention(text[..at].encode_utf16().count(), needle.encode_utf16().count())
    }

    #[test]
    fn the_mention_is_cut_where_telegram_says_whatever_the_script() {
        let me = me();
        let cases = [
            ("@faq_bot when does the office close?", "@faq_bot", " when does the office close?"),
            // Lower-casing İ changes its length: cutting by a lower-case copy failed here.
            ("İ@faq_botΩ", "@faq_bot", "İΩ"),
            ("İİİ @FAQ_Bot harada?", "@FAQ_Bot", "İİİ  harada?"),
            // Outside the Basic Multilingual Plane: two UTF-16 units each.
            ("😢🙏 @faq_bot где мой сын", "@faq_bot", "😢🙏  где мой сын"),
        ];
        for (text, needle, want) in cases {
            assert_eq!(without_mention(text, &[mention_of(text, needle)], &me), want, "{text}");
        }
        // Another bot whose name starts like ours, and text without entities: left whole.
        let text = "@faq_bot_fan hello";
        assert_eq!(without_mention(text, &[mention_of(text, "@faq_bot_fan")], &me), text);
        assert_eq!(without_mention("@faq_bot hi", &[], &me), "@faq_bot hi");
        // A mention of the bot by its user (no username in the text).
        let by_user = MessageEntity {
            kind: MessageEntityKind::TextMention { user: me.user.clone() },
            offset: 0,
            length: 3,
        };
        assert_eq!(without_mention("FAQ, hello", &[by_user], &me), ", hello");
    }

    #[test]
    fn entities_that_do_not_fit_are_ignored() {
        let me = me();
        let text = "😢@faq_bot";
        // Inside the surrogate pair of 😢, past the end, overflowing.
        for e in [mention(1, 8), mention(3, 100), mention(usize::MAX, 2), mention(2, usize::MAX)] {
            assert_eq!(without_mention(text, &[e], &me), text);
        }
    }

    fn entity() -> impl Strategy<Value = MessageEntity> {
        (0usize..80, 0usize..80, 0u8..3).prop_map(|(offset, length, kind)| MessageEntity {
            kind: match kind {
                0 => MessageEntityKind::Mention,
                1 => MessageEntityKind::Bold,
                _ => MessageEntityKind::TextMention { user: me().user },
            },
            offset,
            length,
        })
    }

    proptest! {
        #[test]
        fn no_text_and_no_entities_make_it_panic(
            text in "(\\PC|İ|Ω|😢|@faq_bot|@FAQ_BOT| ){0,40}",
            entities in proptest::collection::vec(entity(), 0..4),
        ) {
            let out = without_mention(&text, &entities, &me());
            prop_assert!(out.len() <= text.len());
        }

        #[test]
        fn a_real_mention_is_removed_and_nothing_else(
            before in "\\PC{0,12}",
            after in "\\PC{0,12}",
        ) {
            let text = format!("{before}@faq_bot{after}");
            let e = mention(before.encode_utf16().count(), "@faq_bot".encode_utf16().count());
            prop_assert_eq!(without_mention(&text, &[e], &me()), format!("{before}{after}"));
        }
    }
}

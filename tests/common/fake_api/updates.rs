//! Small builders for what goes into updates: users, chats, message contents and entities, in
//! the Bot API's JSON. Queue them with [`super::FakeApi::push_message`] and
//! [`super::FakeApi::push_tap`].

use serde_json::{json, Value};

use super::{unix_now, BOT_ID, BOT_USERNAME};

/// A user whose Telegram is in English, with a name and username that must never reach the
/// logs.
pub fn user(id: i64) -> Value {
    user_with_language(id, Some("en"))
}

/// A user whose Telegram client reports `language` (`language_code`), or none.
pub fn user_with_language(id: i64, language: Option<&str>) -> Value {
    let mut user = json!({
        "id": id,
        "is_bot": false,
        "first_name": format!("Firstname{id}"),
        "username": format!("username{id}"),
    });
    if let Some(code) = language {
        user["language_code"] = json!(code);
    }
    user
}

/// A private chat with user `id`.
pub fn private_chat(id: i64) -> Value {
    json!({ "id": id, "type": "private", "first_name": format!("Firstname{id}"), "username": format!("username{id}") })
}

/// A group chat.
pub fn group_chat(id: i64) -> Value {
    json!({ "id": id, "type": "group", "title": "Families group" })
}

/// The bot's own user.
pub fn bot_user() -> Value {
    json!({ "id": BOT_ID, "is_bot": true, "first_name": "FAQ", "username": BOT_USERNAME })
}

/// Text content.
pub fn text(text: &str) -> Value {
    json!({ "text": text })
}

/// Text content that starts with `@username` of the bot, with its mention entity.
pub fn mentioning_the_bot(rest: &str) -> Value {
    let mention = format!("@{BOT_USERNAME}");
    json!({
        "text": format!("{mention} {rest}"),
        "entities": [mention_entity(0, &mention)],
    })
}

/// A `mention` entity for `mention` at `offset`, both in UTF-16 code units as Telegram counts.
pub fn mention_entity(offset: usize, mention: &str) -> Value {
    json!({ "type": "mention", "offset": offset, "length": mention.encode_utf16().count() })
}

/// Text content that replies to `earlier` (a message as Telegram shows it).
pub fn reply_to(earlier: &Value, text: &str) -> Value {
    json!({ "text": text, "reply_to_message": earlier })
}

/// A message the bot sent earlier to `chat`, as replies and button taps point at it.
pub fn earlier_bot_message(message_id: i64, chat: &Value, text: &str) -> Value {
    json!({
        "message_id": message_id,
        "date": unix_now() - 3600,
        "chat": chat,
        "from": bot_user(),
        "text": text,
    })
}

/// A message the bot can no longer see (too old, or deleted): a tap on its buttons still comes.
pub fn inaccessible_message(chat: &Value) -> Value {
    json!({ "chat": chat, "message_id": 1, "date": 0 })
}

/// A sticker.
pub fn sticker() -> Value {
    json!({ "sticker": { "file_id": "s1", "file_unique_id": "su1", "type": "regular", "width": 512, "height": 512, "is_animated": false, "is_video": false } })
}

/// A photo.
pub fn photo() -> Value {
    json!({ "photo": [{ "file_id": "p1", "file_unique_id": "pu1", "width": 90, "height": 90 }] })
}

/// A voice message.
pub fn voice() -> Value {
    json!({ "voice": { "file_id": "v1", "file_unique_id": "vu1", "duration": 3 } })
}

/// A shared location.
pub fn location() -> Value {
    json!({ "location": { "latitude": 40.4093, "longitude": 49.8671 } })
}

/// Every kind of non-text message above, named.
pub fn non_text_contents() -> Vec<(&'static str, Value)> {
    vec![("sticker", sticker()), ("photo", photo()), ("voice", voice()), ("location", location())]
}

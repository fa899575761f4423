//! Purpose: turn what a person asked into a platform-neutral reply (text blocks + buttons).
//!
//! [`Engine`] holds a validated FAQ and its index. Every user-visible text comes from faq.json;
//! this module only arranges them. Rendering to Telegram HTML (escaped) or plain text, and
//! splitting within Telegram's length limit, live here too, so every adapter gets them right.

mod engine;
mod render;

pub use engine::Engine;
pub use render::{escape_html, split_text, telegram_len};

/// The commands every front end offers (Telegram's menu, `faqbot chat`), in menu order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

impl Command {
    /// Every command, in menu order.
    pub const ALL: [Command; 5] =
        [Command::Start, Command::Help, Command::Topics, Command::Contacts, Command::Language];

    /// The command's name, without the slash.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Command::Start => "start",
            Command::Help => "help",
            Command::Topics => "topics",
            Command::Contacts => "contacts",
            Command::Language => "language",
        }
    }

    /// The command named `name` (without the slash, any case), if there is one.
    #[must_use]
    pub fn parse(name: &str) -> Option<Command> {
        Command::ALL.into_iter().find(|c| c.name().eq_ignore_ascii_case(name))
    }
}

/// What the bot keeps of what people write, as the greeting and `/help` state it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Keeping {
    /// Nothing (`texts.privacy_none`).
    #[default]
    Nothing,
    /// Questions it could not answer, masked, for this many days (`texts.privacy_kept`).
    Unanswered { days: u32 },
    /// Say nothing: the operator logs question texts for diagnosis (`LOG_MESSAGE_TEXT`), so
    /// neither sentence would be true.
    Unstated,
}

/// One piece of a reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A bold line (topic title, section heading).
    Heading(String),
    /// Plain paragraphs.
    Text(String),
    /// A secondary line (source, notices), shown in italics.
    Note(String),
    /// An organisation and its published ways to reach it.
    Contact { name: String, note: String, details: Vec<(String, String)> },
}

/// What a button does when tapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Show this topic's answer.
    Topic(String),
    /// Show the list of topics.
    Topics,
    /// Answer in this language from now on.
    Language(String),
}

impl Action {
    /// The `callback_data` for this action (at most 64 bytes: topic ids are validated short).
    #[must_use]
    pub fn encode(&self) -> String {
        match self {
            Action::Topic(id) => format!("t:{id}"),
            Action::Topics => "topics".to_string(),
            Action::Language(code) => format!("l:{code}"),
        }
    }

    /// Reads `callback_data`; `None` for anything the bot did not produce.
    #[must_use]
    pub fn decode(data: &str) -> Option<Action> {
        if data == "topics" {
            return Some(Action::Topics);
        }
        if let Some(id) = data.strip_prefix("t:") {
            return (!id.is_empty()).then(|| Action::Topic(id.to_string()));
        }
        if let Some(code) = data.strip_prefix("l:") {
            return (!code.is_empty()).then(|| Action::Language(code.to_string()));
        }
        None
    }
}

/// An inline button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    pub label: String,
    pub action: Action,
}

/// A reply: text blocks, rows of buttons, and the language it is written in.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub language: String,
    pub blocks: Vec<Block>,
    pub buttons: Vec<Vec<Button>>,
}

/// What a tap on a button leads to.
#[derive(Debug, Clone, PartialEq)]
pub struct CallbackReply {
    /// Short notification shown by the Telegram client (answerCallbackQuery).
    pub notice: Option<String>,
    /// A message to send, if any.
    pub reply: Option<Reply>,
    /// A language the user chose, to remember.
    pub chosen_language: Option<String>,
}

/// The languages known about a person, in the order they count.
#[derive(Debug, Clone, Copy, Default)]
pub struct LangHints<'a> {
    /// Chosen with /language.
    pub chosen: Option<&'a str>,
    /// The Telegram client's language (`language_code`, e.g. `ru` or `en-US`).
    pub client: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_data_round_trips_and_rejects_foreign_data() {
        for a in [Action::Topic("closure".into()), Action::Topics, Action::Language("az".into())] {
            assert_eq!(Action::decode(&a.encode()), Some(a));
        }
        assert_eq!(Action::decode("t:"), None);
        assert_eq!(Action::decode("<script>"), None);
        assert_eq!(Action::decode(""), None);
    }

    #[test]
    fn html_is_escaped_and_plain_is_not() {
        let r = Reply {
            language: "en".into(),
            blocks: vec![
                Block::Heading("a<b".into()),
                Block::Text("x & y".into()),
                Block::Note("\"q\"".into()),
            ],
            buttons: vec![],
        };
        assert_eq!(r.telegram_chunks(), vec!["<b>a&lt;b</b>\n\nx &amp; y\n\n<i>&quot;q&quot;</i>"]);
        assert_eq!(r.to_plain(), "a<b\n\nx & y\n\n\"q\"");
    }

    #[test]
    fn long_replies_are_split_within_the_limit() {
        let para = "word ".repeat(300);
        let r = Reply {
            language: "en".into(),
            blocks: vec![
                Block::Text(para.clone()),
                Block::Text(para.clone()),
                Block::Text("x".repeat(5000)),
            ],
            buttons: vec![],
        };
        let chunks = r.html_chunks(1000);
        assert!(chunks.len() >= 8, "{} chunks", chunks.len());
        for c in &chunks {
            assert!(telegram_len(c) <= 1000 && !c.trim().is_empty());
        }
        let total: usize = chunks.iter().map(|c| c.matches("word").count()).sum();
        assert_eq!(total, 600, "no word lost");
    }

    #[test]
    fn split_text_counts_utf16_units() {
        let s = "😀".repeat(10);
        let parts = split_text(&s, 4);
        assert_eq!(parts.len(), 5);
        assert!(parts.iter().all(|p| telegram_len(p) <= 4));
    }
}

//! Purpose: turn what a person asked into a platform-neutral reply (text blocks + buttons).
//!
//! [`Engine`] holds a validated FAQ and its index. Every user-visible text comes from faq.json;
//! this module only arranges them. Rendering to Telegram HTML (escaped) or plain text, and
//! splitting within Telegram's length limit, live here too, so every adapter gets them right.

use crate::faq::{Contact, DetailKind, Faq, TELEGRAM_TEXT_LIMIT};
use crate::matcher::{Index, Match, Outcome, Params, SmallTalk};

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

/// A validated FAQ with its search index.
pub struct Engine {
    pub faq: Faq,
    pub index: Index,
    /// What the greeting and `/help` say is kept.
    pub keeping: Keeping,
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

/// Escapes text for Telegram's HTML parse mode.
#[must_use]
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Length as Telegram counts it (UTF-16 code units).
#[must_use]
pub fn telegram_len(s: &str) -> usize {
    s.encode_utf16().count()
}

impl Block {
    fn render(&self, html: bool) -> String {
        let esc = |s: &str| if html { escape_html(s) } else { s.to_string() };
        let wrap = |tag: &str, s: &str| {
            if html {
                format!("<{tag}>{}</{tag}>", escape_html(s))
            } else {
                s.to_string()
            }
        };
        match self {
            Block::Heading(s) => wrap("b", s),
            Block::Text(s) => esc(s),
            Block::Note(s) => wrap("i", s),
            Block::Contact { name, note, details } => {
                let mut lines = vec![wrap("b", name)];
                if !note.is_empty() {
                    lines.push(esc(note));
                }
                for (label, value) in details {
                    lines.push(format!("{}: {}", esc(label), esc(value)));
                }
                lines.join("\n")
            }
        }
    }

    /// Splits a block whose text alone exceeds `limit` at paragraph, line or word boundaries.
    fn split(self, limit: usize) -> Vec<Block> {
        if telegram_len(&self.render(false)) <= limit {
            return vec![self];
        }
        let (text, make): (String, fn(String) -> Block) = match self {
            Block::Text(s) => (s, Block::Text),
            Block::Note(s) => (s, Block::Note),
            Block::Heading(s) => (s, Block::Heading),
            Block::Contact { .. } => (self.render(false), Block::Text),
        };
        split_text(&text, limit).into_iter().map(make).collect()
    }
}

/// Splits text into pieces of at most `limit` UTF-16 units, preferring paragraph, then line,
/// then word boundaries, and cutting a word only when it alone is too long.
#[must_use]
pub fn split_text(text: &str, limit: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut rest = text.trim();
    while telegram_len(rest) > limit {
        // The longest prefix that fits, in characters.
        let mut units = 0;
        let mut fit = 0;
        for (i, c) in rest.char_indices() {
            units += c.len_utf16();
            if units > limit {
                break;
            }
            fit = i + c.len_utf8();
        }
        let head = &rest[..fit];
        let cut = ["\n\n", "\n", " "]
            .iter()
            .find_map(|sep| head.rfind(sep).filter(|&i| i > 0))
            .unwrap_or(fit);
        pieces.push(rest[..cut].trim_end().to_string());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        pieces.push(rest.to_string());
    }
    pieces
}

impl Reply {
    /// Plain text, for terminals and logs of tests.
    #[must_use]
    pub fn to_plain(&self) -> String {
        self.blocks.iter().map(|b| b.render(false)).collect::<Vec<_>>().join("\n\n")
    }

    /// The reply as Telegram HTML messages, each at most `limit` visible characters
    /// (Telegram: 4096). Buttons go with the last message.
    #[must_use]
    pub fn html_chunks(&self, limit: usize) -> Vec<String> {
        let blocks: Vec<Block> = self.blocks.iter().cloned().flat_map(|b| b.split(limit)).collect();
        let mut chunks = Vec::new();
        let mut html = String::new();
        let mut visible = 0;
        for b in blocks {
            let len = telegram_len(&b.render(false));
            let sep = if html.is_empty() { 0 } else { 2 };
            if !html.is_empty() && visible + sep + len > limit {
                chunks.push(std::mem::take(&mut html));
                visible = 0;
            }
            if !html.is_empty() {
                html.push_str("\n\n");
                visible += 2;
            }
            html.push_str(&b.render(true));
            visible += len;
        }
        if !html.is_empty() {
            chunks.push(html);
        }
        chunks
    }

    /// The reply as Telegram HTML messages within Telegram's limit.
    #[must_use]
    pub fn telegram_chunks(&self) -> Vec<String> {
        self.html_chunks(TELEGRAM_TEXT_LIMIT)
    }
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

impl Engine {
    /// Builds the index of a validated FAQ.
    #[must_use]
    pub fn new(faq: Faq) -> Engine {
        let index = Index::build(&faq);
        Engine { faq, index, keeping: Keeping::default() }
    }

    /// Builds with explicit scoring parameters (evaluation and tuning).
    #[must_use]
    pub fn with_params(faq: Faq, params: Params) -> Engine {
        let index = Index::build_with(&faq, params);
        Engine { faq, index, keeping: Keeping::default() }
    }

    /// The same engine, stating `keeping` in the greeting and `/help`.
    #[must_use]
    pub fn with_keeping(mut self, keeping: Keeping) -> Engine {
        self.keeping = keeping;
        self
    }

    /// Who runs the bot, and what it keeps: the lines the greeting and `/help` add, in `lang`.
    fn about_lines(&self, lang: &str) -> Vec<Block> {
        let t = &self.faq.texts;
        let operator = self.faq.pick(&t.operator, lang).trim();
        let privacy = match self.keeping {
            Keeping::Nothing => Some(self.text(&t.privacy_none, lang)),
            Keeping::Unanswered { days } => {
                Some(self.text(&t.privacy_kept, lang).replace("{days}", &days.to_string()))
            }
            Keeping::Unstated => None,
        };
        (!operator.is_empty())
            .then(|| operator.to_string())
            .into_iter()
            .chain(privacy)
            .map(Block::Text)
            .collect()
    }

    /// The language to answer in when the message itself does not tell.
    #[must_use]
    pub fn fallback_language(&self, hints: LangHints) -> String {
        let known = |l: &str| self.faq.has_lang(l).then(|| l.to_string());
        hints
            .chosen
            .and_then(known)
            .or_else(|| hints.client.and_then(|c| known(c.split(['-', '_']).next().unwrap_or(c))))
            .unwrap_or_else(|| self.faq.default_lang().to_string())
    }

    fn text<'a>(&'a self, text: &'a crate::faq::Localized, lang: &str) -> String {
        self.faq.pick(text, lang).to_string()
    }

    fn topic_buttons(&self, lang: &str, only: Option<&[usize]>) -> Vec<Vec<Button>> {
        let all: Vec<usize> = (0..self.faq.topics.len()).collect();
        only.unwrap_or(&all)
            .iter()
            .filter_map(|&i| self.faq.topics.get(i))
            .map(|t| {
                vec![Button {
                    label: self.text(&t.title, lang),
                    action: Action::Topic(t.id.clone()),
                }]
            })
            .collect()
    }

    fn back_button(&self, lang: &str) -> Vec<Button> {
        vec![Button {
            label: self.text(&self.faq.texts.back_to_topics, lang),
            action: Action::Topics,
        }]
    }

    fn contact_block(&self, c: &Contact, lang: &str) -> Block {
        let t = &self.faq.texts;
        let mut details: Vec<(String, String)> = c
            .details()
            .into_iter()
            .map(|(kind, value)| {
                let label = match kind {
                    DetailKind::Url => &t.label_url,
                    DetailKind::Phone => &t.label_phone,
                    DetailKind::Email => &t.label_email,
                    DetailKind::Address => &t.label_address,
                };
                (self.text(label, lang), value.to_string())
            })
            .collect();
        let mut note = self.faq.pick(&c.note, lang).to_string();
        if details.is_empty() {
            let missing = self.text(&t.no_contact_details, lang);
            note = if note.is_empty() { missing } else { format!("{note}\n{missing}") };
            details.clear();
        }
        Block::Contact { name: self.text(&c.name, lang), note, details }
    }

    fn contact_blocks(&self, ids: &[String], lang: &str) -> Vec<Block> {
        let map = self.faq.contact_map();
        ids.iter()
            .filter_map(|id| map.get(id.as_str()))
            .map(|c| self.contact_block(c, lang))
            .collect()
    }

    fn simple(&self, lang: &str, blocks: Vec<Block>, buttons: Vec<Vec<Button>>) -> Reply {
        Reply { language: lang.to_string(), blocks, buttons }
    }

    /// Reads and validates the FAQ at `path`, and builds its engine.
    pub fn load(path: &std::path::Path) -> Result<Engine, crate::faq::LoadError> {
        crate::faq::load(path).map(|loaded| Engine::new(loaded.faq))
    }

    /// The reply to a command.
    #[must_use]
    pub fn command(&self, command: Command, lang: &str) -> Reply {
        match command {
            Command::Start => self.start(lang),
            Command::Help => self.help(lang),
            Command::Topics => self.topics(lang),
            Command::Contacts => self.contacts(lang),
            Command::Language => self.language_menu(lang),
        }
    }

    /// `/start`: what the bot is for and cannot do, and the topics.
    #[must_use]
    pub fn start(&self, lang: &str) -> Reply {
        let t = &self.faq.texts;
        let mut blocks = vec![Block::Text(self.text(&t.greeting, lang))];
        blocks.extend(self.about_lines(lang));
        blocks.push(Block::Heading(self.text(&t.topics_prompt, lang)));
        self.simple(lang, blocks, self.topic_buttons(lang, None))
    }

    /// `/help`: how to use the bot, and the commands with their descriptions.
    #[must_use]
    pub fn help(&self, lang: &str) -> Reply {
        let commands: Vec<String> = self
            .faq
            .commands
            .all()
            .iter()
            .map(|(name, desc)| format!("/{name} - {}", self.faq.pick(desc, lang)))
            .collect();
        let mut blocks = vec![Block::Text(self.text(&self.faq.texts.help, lang))];
        blocks.extend(self.about_lines(lang));
        blocks.push(Block::Text(commands.join("\n")));
        self.simple(lang, blocks, vec![self.back_button(lang)])
    }

    /// `/topics`: the topic buttons.
    #[must_use]
    pub fn topics(&self, lang: &str) -> Reply {
        let blocks = vec![Block::Text(self.text(&self.faq.texts.topics_prompt, lang))];
        self.simple(lang, blocks, self.topic_buttons(lang, None))
    }

    /// `/contacts`: the contact groups, each under its title, or else the general contacts.
    #[must_use]
    pub fn contacts(&self, lang: &str) -> Reply {
        let mut blocks = vec![Block::Text(self.text(&self.faq.texts.contacts_intro, lang))];
        if self.faq.contact_groups.is_empty() {
            blocks.extend(self.contact_blocks(&self.faq.general_contacts, lang));
        }
        for group in &self.faq.contact_groups {
            blocks.push(Block::Heading(self.text(&group.title, lang)));
            blocks.extend(self.contact_blocks(&group.contacts, lang));
        }
        self.simple(lang, blocks, vec![self.back_button(lang)])
    }

    /// `/language`: one button per language, each named in its own language.
    #[must_use]
    pub fn language_menu(&self, lang: &str) -> Reply {
        let buttons = self
            .faq
            .languages
            .iter()
            .map(|l| {
                vec![Button {
                    label: self.text(&self.faq.texts.language_name, l),
                    action: Action::Language(l.clone()),
                }]
            })
            .collect();
        self.simple(
            lang,
            vec![Block::Text(self.text(&self.faq.texts.choose_language, lang))],
            buttons,
        )
    }

    /// A topic's answer with its referral contacts.
    #[must_use]
    pub fn answer(&self, topic: usize, lang: &str) -> Reply {
        self.answer_with_related(topic, &[], lang)
    }

    /// A topic's answer, with buttons for `related` topics above the "all topics" button.
    #[must_use]
    pub fn answer_with_related(&self, topic: usize, related: &[usize], lang: &str) -> Reply {
        let Some(t) = self.faq.topics.get(topic) else {
            return self.topics(lang);
        };
        let texts = &self.faq.texts;
        let mut blocks = vec![
            Block::Heading(self.text(&t.title, lang)),
            Block::Text(self.text(&t.answer, lang)),
        ];
        let contacts = self.contact_blocks(&t.contacts, lang);
        if !contacts.is_empty() {
            blocks.push(Block::Heading(self.text(&texts.contacts_header, lang)));
            blocks.extend(contacts);
        }
        blocks.push(Block::Note(self.text(&texts.answer_source, lang)));
        let mut buttons = self.topic_buttons(lang, Some(related));
        buttons.push(self.back_button(lang));
        self.simple(lang, blocks, buttons)
    }

    /// A kind reply to a sticker, photo, voice message or location.
    #[must_use]
    pub fn not_text(&self, lang: &str) -> Reply {
        self.simple(
            lang,
            vec![Block::Text(self.text(&self.faq.texts.not_text, lang))],
            self.topic_buttons(lang, None),
        )
    }

    /// A reply to a command the bot does not have.
    #[must_use]
    pub fn unknown_command(&self, lang: &str) -> Reply {
        let blocks = vec![Block::Text(self.text(&self.faq.texts.unknown_command, lang))];
        self.simple(lang, blocks, self.topic_buttons(lang, None))
    }

    /// An apology when something failed on the bot's side.
    #[must_use]
    pub fn error(&self, lang: &str) -> Reply {
        self.simple(
            lang,
            vec![Block::Text(self.text(&self.faq.texts.error, lang))],
            self.topic_buttons(lang, None),
        )
    }

    /// A calm notice to someone sending too many messages at once.
    #[must_use]
    pub fn too_many(&self, lang: &str) -> Reply {
        self.simple(lang, vec![Block::Text(self.text(&self.faq.texts.too_many, lang))], Vec::new())
    }

    /// Matches a question and builds the reply, in the language of the question when it can
    /// be told, else from the hints.
    #[must_use]
    pub fn ask(&self, question: &str, hints: LangHints) -> (Reply, Match) {
        let m = self.index.classify(question);
        let lang = m.language.clone().unwrap_or_else(|| self.fallback_language(hints));
        let reply = self.reply_for(&m, &lang);
        (reply, m)
    }

    /// Builds the reply for a match result.
    #[must_use]
    pub fn reply_for(&self, m: &Match, lang: &str) -> Reply {
        let t = &self.faq.texts;
        let mut reply = match &m.outcome {
            Outcome::Answer { topic, related } => self.answer_with_related(*topic, related, lang),
            Outcome::Suggest(topics) => {
                let mut buttons = self.topic_buttons(lang, Some(topics));
                buttons.push(self.back_button(lang));
                self.simple(lang, vec![Block::Text(self.text(&t.did_you_mean, lang))], buttons)
            }
            Outcome::SmallTalk(kind) => {
                let text = match kind {
                    SmallTalk::Greeting => &t.small_talk_greeting,
                    SmallTalk::Thanks => &t.small_talk_thanks,
                };
                self.simple(
                    lang,
                    vec![Block::Text(self.text(text, lang))],
                    self.topic_buttons(lang, None),
                )
            }
            Outcome::Fallback => {
                let mut blocks = vec![Block::Text(self.text(&t.fallback, lang))];
                blocks.extend(self.contact_blocks(&self.faq.general_contacts, lang));
                self.simple(lang, blocks, self.topic_buttons(lang, None))
            }
            Outcome::Empty => self.simple(
                lang,
                vec![Block::Text(self.text(&t.empty_question, lang))],
                self.topic_buttons(lang, None),
            ),
        };
        if m.truncated {
            reply.blocks.insert(0, Block::Note(self.text(&t.long_question, lang)));
        }
        reply
    }

    /// Handles a button tap (`callback_data`), also a stale or forged one.
    #[must_use]
    pub fn callback(&self, data: Option<&str>, lang: &str) -> CallbackReply {
        let stale = || CallbackReply {
            notice: Some(self.text(&self.faq.texts.stale_button, lang)),
            reply: Some(self.topics(lang)),
            chosen_language: None,
        };
        match data.and_then(Action::decode) {
            Some(Action::Topics) => CallbackReply {
                notice: None,
                reply: Some(self.topics(lang)),
                chosen_language: None,
            },
            Some(Action::Topic(id)) => match self.faq.topics.iter().position(|t| t.id == id) {
                Some(i) => CallbackReply {
                    notice: None,
                    reply: Some(self.answer(i, lang)),
                    chosen_language: None,
                },
                None => stale(),
            },
            Some(Action::Language(code)) if self.faq.has_lang(&code) => {
                let reply = self.simple(
                    &code,
                    vec![Block::Text(self.text(&self.faq.texts.language_set, &code))],
                    self.topic_buttons(&code, None),
                );
                CallbackReply {
                    notice: Some(self.text(&self.faq.texts.language_name, &code)),
                    reply: Some(reply),
                    chosen_language: Some(code),
                }
            }
            _ => stale(),
        }
    }
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

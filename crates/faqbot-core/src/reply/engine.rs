//! Purpose: the engine: a validated FAQ with its index, and the reply to each thing a person
//! can do (a question, a command, a tap on a button).

use crate::faq::{Contact, DetailKind, Faq};
use crate::matcher::{Index, Match, Outcome, Params, SmallTalk};

use super::*;

/// A validated FAQ with its search index.
pub struct Engine {
    pub faq: Faq,
    pub index: Index,
    /// What the greeting and `/help` say is kept.
    pub keeping: Keeping,
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

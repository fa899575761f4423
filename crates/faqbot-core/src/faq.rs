//! Purpose: the FAQ content model (`faq.json`), its loading, and its validation with file positions.
//!
//! Loading never panics: a broken file yields [`Diagnostic`]s that name the line and column, so
//! an operator can find the place. The model knows nothing of Telegram.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::jsonpos::{self, Positions};

/// Text per language code (`{"en": "...", "az": "..."}`).
pub type Localized = BTreeMap<String, String>;
/// A list of texts per language code.
pub type LocalizedList = BTreeMap<String, Vec<String>>;

/// Longest topic id allowed, so that `callback_data` (`t:<id>`) stays within Telegram's 64 bytes.
pub const MAX_TOPIC_ID_BYTES: usize = 48;
/// Shortest beginning of a word in `out_of_scope_words` (shorter ones begin too many words).
pub const MIN_CUE_CHARS: usize = 4;
/// Telegram's limit on the text of one message.
pub const TELEGRAM_TEXT_LIMIT: usize = 4096;
/// Telegram's limit on the text of an `answerCallbackQuery` notification.
pub const CALLBACK_ANSWER_LIMIT: usize = 200;

/// The whole FAQ: languages, texts the bot shows, topics and contacts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faq {
    /// Language codes; the first is the default.
    pub languages: Vec<String>,
    /// Languages whose texts no native speaker has reviewed yet.
    #[serde(default)]
    pub unreviewed_languages: Vec<String>,
    /// Free text for operators (where the content comes from, who reviewed what).
    #[serde(default)]
    pub notes: Vec<String>,
    /// Matching thresholds, tunable by operators.
    #[serde(default)]
    pub thresholds: Thresholds,
    /// Optional: the answer decision as a logistic model over a match's features (fitted by
    /// `faqbot eval --fit`). Without it, `thresholds.answer` and `thresholds.margin` decide.
    #[serde(default)]
    pub decision: Option<Decision>,
    /// Optional: topics whose words are often background rather than the question (the
    /// closure, which most messages mention before asking something else). When a message
    /// also matches another topic without those words, the matcher discounts what they alone
    /// contribute.
    #[serde(default)]
    pub background_topics: Vec<String>,
    /// Every fixed text the bot shows, per language.
    pub texts: Texts,
    /// Descriptions of the command menu, per language.
    pub commands: CommandTexts,
    /// Words too common to help matching, per language.
    #[serde(default)]
    pub stop_words: LocalizedList,
    /// Optional: beginnings of words that mark a request the FAQ cannot answer although its
    /// other words are the FAQ's (donations, visas, pensions, jobs, the Red Crescent of
    /// another country). A message holding a word that begins with one is never answered
    /// outright: it gets its closest topics as buttons, and the contacts. At least
    /// [`MIN_CUE_CHARS`] letters each; a cue of several words ("can i volunteer") matches as
    /// many consecutive words that begin with them, and one of them needs that many letters.
    #[serde(default)]
    pub out_of_scope_words: LocalizedList,
    /// Phrases answered with a kind word instead of an FAQ answer.
    #[serde(default)]
    pub small_talk: SmallTalk,
    /// Contacts shown with the fallback and by `/contacts`.
    pub general_contacts: Vec<String>,
    /// Optional: `/contacts` shows these groups, each under its title (for example by
    /// country), instead of the flat `general_contacts`.
    #[serde(default)]
    pub contact_groups: Vec<ContactGroup>,
    pub topics: Vec<Topic>,
    pub contacts: Vec<Contact>,
}

/// Score thresholds of the matcher (0..1).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// At or above this score (and clear of the runner-up), the bot answers the topic.
    pub answer: f64,
    /// At or above this score, a topic is offered as a suggestion.
    pub suggest: f64,
    /// The best topic must lead the second by this much to be answered outright.
    pub margin: f64,
    /// Beside an answer, other topics scoring at least this much (and at least `suggest`) are
    /// offered as buttons, since the message may be about them too. 1 turns this off.
    #[serde(default = "Thresholds::default_related")]
    pub related: f64,
}

impl Thresholds {
    fn default_related() -> f64 {
        Thresholds::default().related
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { answer: 0.55, suggest: 0.2, margin: 0.04, related: 0.55 }
    }
}

/// The answer decision: answer when `1 / (1 + e^-(intercept + Σ weight × feature))` reaches
/// `cutoff`. The features are named in `matcher::FEATURES`; see the README.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// The probability that the best topic is right at which the bot answers it (0..1).
    pub cutoff: f64,
    pub intercept: f64,
    /// Weight per feature name; a feature left out weighs 0.
    pub weights: BTreeMap<String, f64>,
}

/// Phrases of small talk, per language.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmallTalk {
    #[serde(default)]
    pub greeting: LocalizedList,
    #[serde(default)]
    pub thanks: LocalizedList,
}

/// Declares [`Texts`] once: its fields, its list of keys and the iteration over them, so the
/// three can never drift apart.
macro_rules! texts {
    ($($(#[$doc:meta])* $key:ident,)*) => {
        /// Fixed texts the bot shows, each per language.
        #[derive(Debug, Clone, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Texts {
            $($(#[$doc])* pub $key: Localized,)*
            /// One sentence the operator writes: who runs this bot, and whether it is an ICRC
            /// service. Shown in the greeting and `/help` when filled in; the shipped file
            /// cannot know it, so it ships empty and `faqbot check` warns until it is filled.
            #[serde(default)]
            pub operator: Localized,
        }

        impl Texts {
            /// The keys of the texts every language must have (all but `operator`).
            pub const KEYS: &'static [&'static str] = &[$(stringify!($key),)*];

            /// Every required text with its key, for validation.
            #[must_use]
            pub fn all(&self) -> Vec<(&'static str, &Localized)> {
                vec![$((stringify!($key), &self.$key),)*]
            }
        }
    };
}

texts! {
    greeting,
    help,
    topics_prompt,
    did_you_mean,
    fallback,
    contacts_header,
    contacts_intro,
    no_contact_details,
    back_to_topics,
    not_text,
    empty_question,
    choose_language,
    language_set,
    language_name,
    stale_button,
    error,
    small_talk_greeting,
    small_talk_thanks,
    too_many,
    unknown_command,
    label_url,
    label_phone,
    label_email,
    label_address,
    answer_source,
    long_question,
    /// Shown in the greeting and `/help` when the bot keeps nothing.
    privacy_none,
    /// Shown instead when unanswered questions are kept; `{days}` is the retention period.
    privacy_kept,
}

/// Descriptions of the bot's commands in the Telegram menu.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandTexts {
    pub start: Localized,
    pub help: Localized,
    pub topics: Localized,
    pub contacts: Localized,
    pub language: Localized,
}

impl CommandTexts {
    /// Commands in menu order, with their descriptions.
    pub fn all(&self) -> [(&'static str, &Localized); 5] {
        [
            ("start", &self.start),
            ("help", &self.help),
            ("topics", &self.topics),
            ("contacts", &self.contacts),
            ("language", &self.language),
        ]
    }
}

/// One FAQ topic: its answer, the ways people ask for it, and whom to contact.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    pub id: String,
    /// Button label.
    pub title: Localized,
    /// Phrasings of the question, per language.
    pub questions: LocalizedList,
    /// Optional words strongly specific to this topic, per language.
    #[serde(default)]
    pub keywords: LocalizedList,
    pub answer: Localized,
    /// Ids of the referral contacts for this topic.
    #[serde(default)]
    pub contacts: Vec<String>,
    /// Optional, per language: ids of topics offered as buttons beside this topic's answer
    /// when the message is in that language, first among them. For a topic whose answer is
    /// written for families in one country while families elsewhere, writing in their own
    /// language, ask the same ("how do I get news of my detained son?" from Armenia gets the
    /// detainee-news answer and, beside it, the topic for families in Armenia).
    #[serde(default)]
    pub also_offer: LocalizedList,
}

/// A titled group of contacts for `/contacts`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactGroup {
    pub title: Localized,
    pub contacts: Vec<String>,
}

/// An organisation families can turn to. Empty fields are not shown.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub id: String,
    pub name: Localized,
    /// What to contact them for, per language.
    #[serde(default)]
    pub note: Localized,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub address: String,
    /// Where the details were published (for operators; never shown).
    #[serde(default)]
    pub source: String,
}

impl Contact {
    /// The filled ways to reach this contact, as `(kind, value)`.
    #[must_use]
    pub fn details(&self) -> Vec<(DetailKind, &str)> {
        [
            (DetailKind::Url, self.url.trim()),
            (DetailKind::Phone, self.phone.trim()),
            (DetailKind::Email, self.email.trim()),
            (DetailKind::Address, self.address.trim()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect()
    }
}

/// The kinds of contact detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailKind {
    Url,
    Phone,
    Email,
    Address,
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// A finding about a place in faq.json.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl Diagnostic {
    /// Renders as `PATH:LINE:COL: error: message`.
    #[must_use]
    pub fn render(&self, path: &Path) -> String {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        format!("{}:{}:{}: {kind}: {}", path.display(), self.line, self.col, self.message)
    }
}

/// Why a FAQ could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// The file could not be read.
    Io { path: PathBuf, error: std::io::Error },
    /// The file was read but is not a valid FAQ.
    Invalid { path: PathBuf, diagnostics: Vec<Diagnostic> },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Io { path, error } => {
                write!(f, "{}: cannot read the FAQ file: {error}", path.display())
            }
            LoadError::Invalid { path, diagnostics } => {
                let errors: Vec<String> = diagnostics
                    .iter()
                    .filter(|d| d.severity == Severity::Error)
                    .map(|d| d.render(path))
                    .collect();
                write!(f, "{}", errors.join("\n"))
            }
        }
    }
}

impl std::error::Error for LoadError {}

/// A FAQ that passed validation, with the warnings found on the way.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub faq: Faq,
    pub warnings: Vec<Diagnostic>,
}

/// Reads and validates the FAQ at `path`.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let src = std::fs::read_to_string(path)
        .map_err(|error| LoadError::Io { path: path.to_path_buf(), error })?;
    parse(&src).map_err(|diagnostics| LoadError::Invalid { path: path.to_path_buf(), diagnostics })
}

/// Parses and validates FAQ source text. On failure returns every finding (errors and warnings).
pub fn parse(src: &str) -> Result<Loaded, Vec<Diagnostic>> {
    let faq: Faq = match serde_json::from_str(src) {
        Ok(faq) => faq,
        Err(e) => {
            let message = e.to_string();
            // serde_json appends " at line L column C"; the position goes in front instead.
            let message = match message.rfind(" at line ") {
                Some(i) => message[..i].to_string(),
                None => message,
            };
            let line = e.line().max(1);
            return Err(vec![Diagnostic {
                severity: Severity::Error,
                line,
                col: char_column(src, line, e.column()),
                message,
            }]);
        }
    };
    let diagnostics = validate(&faq, src);
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        Err(diagnostics)
    } else {
        Ok(Loaded { faq, warnings: diagnostics })
    }
}

/// The 1-based column, in characters, of the `byte_column`th byte (1-based, as serde_json
/// counts) of line `line`: validation findings count characters, and a syntax error on a
/// line of Cyrillic or Armenian text must point at the same place.
fn char_column(src: &str, line: usize, byte_column: usize) -> usize {
    let Some(text) = src.split('\n').nth(line - 1) else { return byte_column.max(1) };
    let mut end = byte_column.saturating_sub(1).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].chars().count() + 1
}

/// Collects findings, each with the JSON pointer of the value it concerns; positions are
/// looked up only when there is something to report (a large FAQ loads faster).
struct Findings {
    list: Vec<(Severity, String, String)>,
}

impl Findings {
    fn push(&mut self, severity: Severity, pointer: &str, message: String) {
        self.list.push((severity, pointer.to_string(), message));
    }

    /// Resolves the pointers to lines and columns in `src`, in file order.
    fn into_diagnostics(self, src: &str) -> Vec<Diagnostic> {
        if self.list.is_empty() {
            return Vec::new();
        }
        let positions: Positions = jsonpos::positions(src);
        let mut out: Vec<Diagnostic> = self
            .list
            .into_iter()
            .map(|(severity, pointer, message)| {
                let (line, col) = positions.find(&pointer);
                Diagnostic { severity, line, col, message }
            })
            .collect();
        out.sort_by_key(|d| (d.line, d.col));
        out
    }
    fn error(&mut self, pointer: &str, message: String) {
        self.push(Severity::Error, pointer, message);
    }
    fn warning(&mut self, pointer: &str, message: String) {
        self.push(Severity::Warning, pointer, message);
    }
}

fn validate(faq: &Faq, src: &str) -> Vec<Diagnostic> {
    let mut f = Findings { list: Vec::new() };
    let langs = &faq.languages;

    if langs.is_empty() {
        f.error("/languages", "`languages` must list at least one language code".into());
    }
    let mut seen = HashSet::new();
    for (i, lang) in langs.iter().enumerate() {
        if !seen.insert(lang) {
            f.error(&format!("/languages/{i}"), format!("language `{lang}` is listed twice"));
        }
        if lang.trim().is_empty() {
            f.error(&format!("/languages/{i}"), "empty language code".into());
        }
    }
    for (i, lang) in faq.unreviewed_languages.iter().enumerate() {
        if !langs.contains(lang) {
            f.error(
                &format!("/unreviewed_languages/{i}"),
                format!("`{lang}` is not one of the `languages`"),
            );
        }
    }

    for (i, id) in faq.background_topics.iter().enumerate() {
        if !faq.topics.iter().any(|t| &t.id == id) {
            f.error(&format!("/background_topics/{i}"), format!("no topic has the id `{id}`"));
        }
    }

    let t = faq.thresholds;
    let in_range = |x: f64| (0.0..=1.0).contains(&x);
    if ![t.answer, t.suggest, t.margin, t.related].into_iter().all(in_range) || t.suggest > t.answer
    {
        f.warning(
            "/thresholds",
            "thresholds must lie between 0 and 1, with `suggest` at most `answer`".into(),
        );
    }

    for (lang, cues) in &faq.out_of_scope_words {
        if !langs.contains(lang) {
            f.error(
                &format!("/out_of_scope_words/{lang}"),
                format!("`{lang}` is not one of the `languages`"),
            );
        }
        for (i, cue) in cues.iter().enumerate() {
            let words = crate::text::words(cue);
            let longest = words.iter().map(|w| w.chars().count()).max().unwrap_or(0);
            if longest < MIN_CUE_CHARS {
                f.error(
                    &format!("/out_of_scope_words/{lang}/{i}"),
                    format!("`{cue}` must be a word of at least {MIN_CUE_CHARS} letters, or several words one of which has {MIN_CUE_CHARS} letters (the bot looks for words that begin with them, in that order)"),
                );
            }
        }
    }

    if let Some(d) = &faq.decision {
        if !(d.cutoff > 0.0 && d.cutoff < 1.0) {
            f.error(
                "/decision/cutoff",
                format!("`cutoff` is a probability between 0 and 1, not {}", d.cutoff),
            );
        }
        for name in d.weights.keys() {
            if !crate::matcher::FEATURES.contains(&name.as_str()) {
                f.error(
                    &format!("/decision/weights/{}", jsonpos::pointer_token(name)),
                    format!(
                        "unknown feature `{name}`; the features are {}",
                        crate::matcher::FEATURES.join(", ")
                    ),
                );
            }
        }
    }

    for (key, text) in faq.texts.all() {
        localized(&mut f, langs, &format!("/texts/{key}"), &format!("text `{key}`"), text);
    }
    for (lang, text) in &faq.texts.stale_button {
        if text.chars().count() > CALLBACK_ANSWER_LIMIT {
            f.error(
                &format!("/texts/stale_button/{lang}"),
                format!("text `stale_button` ({lang}) is longer than Telegram's {CALLBACK_ANSWER_LIMIT} characters for a button notification"),
            );
        }
    }
    for (key, text) in faq.commands.all() {
        localized(&mut f, langs, &format!("/commands/{key}"), &format!("command `{key}`"), text);
        for (lang, desc) in text {
            let n = desc.trim().chars().count();
            if !(1..=256).contains(&n) {
                f.error(
                    &format!("/commands/{key}/{lang}"),
                    format!(
                        "description of command `{key}` ({lang}) must have 1 to 256 characters"
                    ),
                );
            }
        }
    }

    let mut contact_ids = HashSet::new();
    for (i, c) in faq.contacts.iter().enumerate() {
        let at = format!("/contacts/{i}");
        if c.id.trim().is_empty() {
            f.error(&format!("{at}/id"), "contact id is empty".into());
        } else if !contact_ids.insert(c.id.as_str()) {
            f.error(&format!("{at}/id"), format!("contact id `{}` is used twice", c.id));
        }
        localized(
            &mut f,
            langs,
            &format!("{at}/name"),
            &format!("name of contact `{}`", c.id),
            &c.name,
        );
        if !c.note.is_empty() {
            let what = format!("note of contact `{}`", c.id);
            localized(&mut f, langs, &format!("{at}/note"), &what, &c.note);
        }
        let listed = faq.general_contacts.contains(&c.id)
            || faq.contact_groups.iter().any(|g| g.contacts.contains(&c.id))
            || faq.topics.iter().any(|t| t.contacts.contains(&c.id));
        if listed && c.details().is_empty() {
            f.warning(
                &at,
                format!(
                    "contact `{}` is listed but has no way to reach it (url, phone, email or \
                     address): list it nowhere until it has one",
                    c.id
                ),
            );
        }
        for (lang, text) in &c.note {
            if let Some(word) = crate::lint::first_person(lang, text) {
                f.warning(
                    &format!("{at}/note/{lang}"),
                    format!("note of contact `{}` ({lang}) speaks as \"{word}\": the bot is not the ICRC; write of it in the third person", c.id),
                );
            }
        }
    }

    let check_refs = |f: &mut Findings, at: &str, ids: &[String]| {
        for (j, id) in ids.iter().enumerate() {
            if !contact_ids.contains(id.as_str()) {
                f.error(&format!("{at}/{j}"), format!("unknown contact `{id}`"));
            }
        }
    };
    check_refs(&mut f, "/general_contacts", &faq.general_contacts);
    for (i, group) in faq.contact_groups.iter().enumerate() {
        let at = format!("/contact_groups/{i}");
        localized(&mut f, langs, &format!("{at}/title"), "title of a contact group", &group.title);
        check_refs(&mut f, &format!("{at}/contacts"), &group.contacts);
    }
    for lang in langs {
        if faq.texts.operator.get(lang).is_none_or(|t| t.trim().is_empty()) {
            f.warning(
                &format!("/texts/operator/{lang}"),
                format!("text `operator` is empty in language `{lang}`: write who runs this bot and whether it is an ICRC service"),
            );
        }
    }

    if faq.topics.is_empty() {
        f.error("/topics", "the FAQ has no topics".into());
    }
    let mut topic_ids = HashSet::new();
    for (i, topic) in faq.topics.iter().enumerate() {
        let at = format!("/topics/{i}");
        let id = &topic.id;
        if id.is_empty()
            || !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            f.error(
                &format!("{at}/id"),
                format!("topic id `{id}` must be lowercase letters, digits and `-`"),
            );
        } else if id.len() > MAX_TOPIC_ID_BYTES {
            f.error(
                &format!("{at}/id"),
                format!("topic id `{id}` is longer than {MAX_TOPIC_ID_BYTES} characters"),
            );
        } else if !topic_ids.insert(id.as_str()) {
            f.error(&format!("{at}/id"), format!("topic id `{id}` is used twice"));
        }
        localized(
            &mut f,
            langs,
            &format!("{at}/title"),
            &format!("title of topic `{id}`"),
            &topic.title,
        );
        localized(
            &mut f,
            langs,
            &format!("{at}/answer"),
            &format!("answer of topic `{id}`"),
            &topic.answer,
        );
        for (lang, answer) in &topic.answer {
            if let Some(word) = crate::lint::first_person(lang, answer) {
                f.warning(
                    &format!("{at}/answer/{lang}"),
                    format!("answer of topic `{id}` ({lang}) speaks as \"{word}\": the bot is not the ICRC; write of it in the third person"),
                );
            }
            if answer.chars().count() > TELEGRAM_TEXT_LIMIT - 500 {
                f.warning(
                    &format!("{at}/answer/{lang}"),
                    format!("answer of topic `{id}` ({lang}) is too long for one Telegram message with its contacts; it will be split"),
                );
            }
        }
        for lang in langs {
            let phrasings = topic
                .questions
                .get(lang)
                .map(|q| q.iter().filter(|s| !s.trim().is_empty()).count());
            match phrasings {
                None | Some(0) => f.error(
                    &format!("{at}/questions"),
                    format!("topic `{id}` has no question phrasing in language `{lang}`"),
                ),
                Some(n) if n < 3 => f.warning(
                    &format!("{at}/questions/{lang}"),
                    format!("topic `{id}` has only {n} phrasing(s) in language `{lang}`; add more so the bot recognises it"),
                ),
                Some(_) => {}
            }
        }
        for (lang, _) in topic.questions.iter().chain(topic.keywords.iter()) {
            if !langs.contains(lang) {
                f.error(
                    &format!("{at}/questions/{lang}"),
                    format!("`{lang}` is not one of the `languages`"),
                );
            }
        }
        check_refs(&mut f, &format!("{at}/contacts"), &topic.contacts);
    }

    for (i, topic) in faq.topics.iter().enumerate() {
        for (lang, ids) in &topic.also_offer {
            let at = format!("/topics/{i}/also_offer/{lang}");
            if !langs.contains(lang) {
                f.error(&at, format!("`{lang}` is not one of the `languages`"));
            }
            for (j, other) in ids.iter().enumerate() {
                if other == &topic.id {
                    f.error(
                        &format!("{at}/{j}"),
                        format!("topic `{other}` offers itself beside its own answer"),
                    );
                } else if !topic_ids.contains(other.as_str()) {
                    f.error(&format!("{at}/{j}"), format!("unknown topic `{other}`"));
                }
            }
        }
    }

    for (i, lang) in faq.unreviewed_languages.iter().enumerate() {
        f.warning(
            &format!("/unreviewed_languages/{i}"),
            format!("texts in `{lang}` are not yet reviewed by a native speaker"),
        );
    }

    f.into_diagnostics(src)
}

/// Checks that a localized text exists and is not empty in every language, and names no other.
fn localized(f: &mut Findings, langs: &[String], at: &str, what: &str, text: &Localized) {
    for lang in langs {
        match text.get(lang) {
            None => f.error(at, format!("{what} is missing language `{lang}`")),
            Some(s) if s.trim().is_empty() => {
                f.error(&format!("{at}/{lang}"), format!("{what} is empty in language `{lang}`"))
            }
            Some(_) => {}
        }
    }
    for lang in text.keys() {
        if !langs.contains(lang) {
            f.error(
                &format!("{at}/{lang}"),
                format!("{what}: `{lang}` is not one of the `languages`"),
            );
        }
    }
}

impl Faq {
    /// The default language (the first listed).
    #[must_use]
    pub fn default_lang(&self) -> &str {
        self.languages.first().map_or("en", String::as_str)
    }

    /// Whether `lang` is one of the FAQ's languages.
    #[must_use]
    pub fn has_lang(&self, lang: &str) -> bool {
        self.languages.iter().any(|l| l == lang)
    }

    /// The text in `lang`, else in the default language, else empty.
    #[must_use]
    pub fn pick<'a>(&self, text: &'a Localized, lang: &str) -> &'a str {
        text.get(lang).or_else(|| text.get(self.default_lang())).map_or("", String::as_str)
    }

    /// The topic with this id.
    #[must_use]
    pub fn topic(&self, id: &str) -> Option<&Topic> {
        self.topics.iter().find(|t| t.id == id)
    }

    /// Contacts by id.
    #[must_use]
    pub fn contact_map(&self) -> HashMap<&str, &Contact> {
        self.contacts.iter().map(|c| (c.id.as_str(), c)).collect()
    }
}

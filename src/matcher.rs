//! Purpose: find the FAQ topic a message asks about, and how sure that is.
//!
//! Every phrasing in faq.json (and a Latin transliteration of the Russian and Armenian ones,
//! since people type those in Latin letters too) is split into words. Words are weighted by how
//! informative they are across topics (IDF). A message's words are matched to the vocabulary
//! exactly, by stem (one word is the other plus an ending: `oğlum`/`oğlumdan`) or by edit
//! distance (typos), through a character-trigram index so the cost grows slowly with the FAQ.
//! A phrasing scores by how much of it the message covers and how much of the message it
//! explains; a topic scores by its best phrasing, and the thresholds in faq.json turn the scores
//! into an answer, suggestions or an honest fallback.

use std::collections::{HashMap, HashSet};

use crate::faq::{Faq, Thresholds};
use crate::text::{self, Script};

/// Shortest word compared by edit distance; shorter words must match exactly or by stem.
const MIN_FUZZY_CHARS: usize = 4;
/// Lowest similarity at which two words count as the same.
const MIN_WORD_SIM: f32 = 0.74;
/// How many topics the matcher reports, best first.
const REPORTED_TOPICS: usize = 5;
/// At most this many suggestions are offered.
pub const MAX_SUGGESTIONS: usize = 3;

/// Tunable scoring weights (the thresholds live in faq.json).
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Weight of coverage (how much of a phrasing the message contains) against precision
    /// (how much of the message the phrasing explains), as the β of an F-measure.
    pub beta: f32,
    /// Weight of a message word that is nowhere in the FAQ, relative to the mean IDF.
    pub unknown_weight: f32,
    /// Weight of the topic-level precision (message words found anywhere in the topic).
    pub topic_weight: f32,
    /// Bonus per matched keyword of the topic.
    pub keyword_bonus: f32,
}

impl Default for Params {
    fn default() -> Self {
        Params { beta: 1.0, unknown_weight: 0.5, topic_weight: 0.85, keyword_bonus: 0.1 }
    }
}

/// What kind of small talk a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmallTalk {
    Greeting,
    Thanks,
}

/// What the bot should do with a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Answer this topic (index into `faq.topics`).
    Answer(usize),
    /// Unsure: offer these topics, best first.
    Suggest(Vec<usize>),
    /// A greeting or thanks, not a question.
    SmallTalk(SmallTalk),
    /// Nothing fits: topics and general contacts.
    Fallback,
    /// No words at all (emoji, invisible characters).
    Empty,
}

/// The matcher's verdict on one message.
#[derive(Debug, Clone)]
pub struct Match {
    pub outcome: Outcome,
    /// Language recognised from the message itself, if any.
    pub language: Option<String>,
    /// Best topics with their scores (0..1), best first.
    pub ranked: Vec<(usize, f32)>,
    /// Whether the message was longer than matching reads.
    pub truncated: bool,
}

impl Match {
    /// The best score, 0 when no topic matched at all.
    #[must_use]
    pub fn score(&self) -> f32 {
        self.ranked.first().map_or(0.0, |r| r.1)
    }
}

/// A message's scores before the thresholds decide.
#[derive(Debug, Clone)]
pub struct Scored {
    pub ranked: Vec<(usize, f32)>,
    pub small_talk: Option<SmallTalk>,
    pub empty: bool,
    pub language: Option<String>,
    pub truncated: bool,
}

impl Scored {
    /// Applies the thresholds: answer when the best topic is sure and clear of the next,
    /// else small talk, else suggestions above the suggestion floor, else the fallback.
    #[must_use]
    pub fn decide(&self, t: &Thresholds) -> Outcome {
        if self.empty {
            return Outcome::Empty;
        }
        let second = self.ranked.get(1).map_or(0.0, |r| r.1);
        if let Some(&(topic, s)) = self.ranked.first() {
            if s >= t.answer as f32 && s - second >= t.margin as f32 {
                return Outcome::Answer(topic);
            }
        }
        if let Some(kind) = self.small_talk {
            return Outcome::SmallTalk(kind);
        }
        let floor = t.suggest as f32;
        let suggestions: Vec<usize> = self
            .ranked
            .iter()
            .filter(|r| r.1 >= floor)
            .take(MAX_SUGGESTIONS)
            .map(|r| r.0)
            .collect();
        if suggestions.is_empty() {
            Outcome::Fallback
        } else {
            Outcome::Suggest(suggestions)
        }
    }
}

/// Why a topic scored as it did, for `faqbot ask --explain`.
#[derive(Debug, Clone)]
pub struct Explanation {
    pub topic: usize,
    pub score: f32,
    /// The phrasing that scored best.
    pub phrasing: String,
    pub coverage: f32,
    pub precision: f32,
    pub topic_precision: f32,
    /// Message word, the FAQ word it matched, similarity.
    pub pairs: Vec<(String, String, f32)>,
    pub keywords: Vec<String>,
}

struct Phrasing {
    topic: u32,
    /// Distinct terms of the phrasing.
    terms: Vec<u32>,
    /// Sum of the IDF of its terms.
    weight: f32,
    /// Original text (for explanations).
    text: String,
}

/// The searchable form of a FAQ.
pub struct Index {
    terms: Vec<String>,
    term_ids: HashMap<String, u32>,
    idf: Vec<f32>,
    mean_idf: f32,
    /// Trigram → terms containing it.
    trigrams: HashMap<[char; 3], Vec<u32>>,
    /// Term → phrasings containing it.
    postings: Vec<Vec<u32>>,
    /// Term → topics using it as a keyword.
    keyword_topics: Vec<Vec<u32>>,
    /// Term → topics whose phrasings contain it.
    term_topics: Vec<Vec<u32>>,
    phrasings: Vec<Phrasing>,
    topic_count: usize,
    stop_words: HashSet<String>,
    small_talk: HashMap<String, SmallTalk>,
    /// Word → bit set of the languages (by position in `languages`) that use it.
    lang_words: HashMap<String, u32>,
    languages: Vec<String>,
    thresholds: Thresholds,
    params: Params,
}

fn trigrams_of(word: &str) -> Vec<[char; 3]> {
    let chars: Vec<char> =
        std::iter::once('^').chain(word.chars()).chain(std::iter::once('$')).collect();
    let mut out: Vec<[char; 3]> = chars.windows(3).map(|w| [w[0], w[1], w[2]]).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Similarity of two different normalised words (0 when they do not count as the same word).
#[must_use]
pub fn word_sim(a: &str, b: &str) -> f32 {
    if a == b {
        return 1.0;
    }
    let la = a.chars().count();
    let lb = b.chars().count();
    let (short, long) = (la.min(lb), la.max(lb));
    let prefix = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    // One word is the other with an ending (or nearly): inflection, which all four
    // languages use heavily.
    let stem = if (prefix >= 4 && prefix + 1 >= short)
        || (prefix >= 3 && prefix == short && long - prefix <= 2)
    {
        0.75 + 0.2 * prefix as f32 / long as f32
    } else {
        0.0
    };
    let edit = if short >= MIN_FUZZY_CHARS && long - short <= 2 {
        let d = strsim::osa_distance(a, b);
        let max_edits = if short >= 8 { 2 } else { 1 };
        if d <= max_edits {
            1.0 - d as f32 / long as f32
        } else {
            0.0
        }
    } else {
        0.0
    };
    let s = stem.max(edit);
    if s >= MIN_WORD_SIM {
        s
    } else {
        0.0
    }
}

/// Adds a word to a language's word set (used to recognise the language of Latin text).
fn mark_lang(lang_words: &mut HashMap<String, u32>, word: &str, lang_bit: u32) {
    *lang_words.entry(word.to_string()).or_insert(0) |= lang_bit;
}

impl Index {
    /// Builds the index of a validated FAQ with default parameters.
    #[must_use]
    pub fn build(faq: &Faq) -> Index {
        Index::build_with(faq, Params::default())
    }

    /// Builds the index with the given scoring parameters.
    #[must_use]
    pub fn build_with(faq: &Faq, params: Params) -> Index {
        let languages = faq.languages.clone();
        let lang_bit =
            |lang: &str| languages.iter().position(|l| l == lang).map_or(0, |i| 1u32 << i.min(31));

        let mut stop_words = HashSet::new();
        let mut lang_words: HashMap<String, u32> = HashMap::new();
        for (lang, words) in &faq.stop_words {
            for w in words {
                for t in text::words(w) {
                    mark_lang(&mut lang_words, &t, lang_bit(lang));
                    stop_words.insert(t);
                }
            }
        }
        let mut small_talk = HashMap::new();
        for (kind, map) in [
            (SmallTalk::Greeting, &faq.small_talk.greeting),
            (SmallTalk::Thanks, &faq.small_talk.thanks),
        ] {
            for (lang, phrases) in map {
                for p in phrases {
                    for variant in variants(p, lang) {
                        for t in text::words(&variant) {
                            mark_lang(&mut lang_words, &t, lang_bit(lang));
                            small_talk.insert(t, kind);
                        }
                    }
                }
            }
        }

        let mut terms: Vec<String> = Vec::new();
        let mut term_ids: HashMap<String, u32> = HashMap::new();
        let mut intern = |w: &str, terms: &mut Vec<String>| -> u32 {
            if let Some(&id) = term_ids.get(w) {
                return id;
            }
            let id = terms.len() as u32;
            terms.push(w.to_string());
            term_ids.insert(w.to_string(), id);
            id
        };

        let mut phrasings = Vec::new();
        let mut keyword_terms: Vec<(u32, u32)> = Vec::new();
        for (ti, topic) in faq.topics.iter().enumerate() {
            for (lang, questions) in &topic.questions {
                let bit = lang_bit(lang);
                for q in questions {
                    for variant in variants(q, lang) {
                        let mut ids: Vec<u32> = Vec::new();
                        for w in text::words(&variant) {
                            mark_lang(&mut lang_words, &w, bit);
                            if !stop_words.contains(&w) {
                                ids.push(intern(&w, &mut terms));
                            }
                        }
                        ids.sort_unstable();
                        ids.dedup();
                        if !ids.is_empty() {
                            phrasings.push(Phrasing {
                                topic: ti as u32,
                                terms: ids,
                                weight: 0.0,
                                text: variant,
                            });
                        }
                    }
                }
            }
            for (lang, keywords) in &topic.keywords {
                for k in keywords {
                    for variant in variants(k, lang) {
                        for w in text::words(&variant) {
                            mark_lang(&mut lang_words, &w, lang_bit(lang));
                            if !stop_words.contains(&w) {
                                keyword_terms.push((intern(&w, &mut terms), ti as u32));
                            }
                        }
                    }
                }
            }
        }

        let n = terms.len();
        let mut postings = vec![Vec::new(); n];
        let mut term_topics: Vec<Vec<u32>> = vec![Vec::new(); n];
        for (pi, p) in phrasings.iter().enumerate() {
            for &t in &p.terms {
                postings[t as usize].push(pi as u32);
                term_topics[t as usize].push(p.topic);
            }
        }
        let mut keyword_topics: Vec<Vec<u32>> = vec![Vec::new(); n];
        for (t, topic) in keyword_terms {
            keyword_topics[t as usize].push(topic);
            term_topics[t as usize].push(topic);
        }
        for list in term_topics.iter_mut().chain(keyword_topics.iter_mut()) {
            list.sort_unstable();
            list.dedup();
        }
        let topic_count = faq.topics.len().max(1);
        let idf: Vec<f32> = term_topics
            .iter()
            .map(|topics| (1.0 + topic_count as f32 / topics.len().max(1) as f32).ln())
            .collect();
        let mean_idf =
            if idf.is_empty() { 1.0 } else { idf.iter().sum::<f32>() / idf.len() as f32 };
        for p in &mut phrasings {
            p.weight = p.terms.iter().map(|&t| idf[t as usize]).sum();
        }
        let mut trigrams: HashMap<[char; 3], Vec<u32>> = HashMap::new();
        for (id, term) in terms.iter().enumerate() {
            for g in trigrams_of(term) {
                trigrams.entry(g).or_default().push(id as u32);
            }
        }

        Index {
            terms,
            term_ids,
            idf,
            mean_idf,
            trigrams,
            postings,
            keyword_topics,
            term_topics,
            phrasings,
            topic_count: faq.topics.len(),
            stop_words,
            small_talk,
            lang_words,
            languages,
            thresholds: faq.thresholds,
            params,
        }
    }

    /// The number of distinct words in the index.
    #[must_use]
    pub fn vocabulary_size(&self) -> usize {
        self.terms.len()
    }

    /// The number of indexed phrasings (including transliterations).
    #[must_use]
    pub fn phrasing_count(&self) -> usize {
        self.phrasings.len()
    }

    /// Vocabulary terms similar to a message word, with their similarity, best first.
    fn similar_terms(&self, word: &str) -> Vec<(u32, f32)> {
        let mut out = Vec::new();
        if let Some(&id) = self.term_ids.get(word) {
            out.push((id, 1.0));
        }
        let len = word.chars().count();
        if len >= 3 {
            let mut seen: HashMap<u32, u16> = HashMap::new();
            let grams = trigrams_of(word);
            for g in &grams {
                if let Some(ids) = self.trigrams.get(g) {
                    for &id in ids {
                        *seen.entry(id).or_insert(0) += 1;
                    }
                }
            }
            // A stem or a one-letter typo shares at least two trigrams with the word.
            let need = if grams.len() >= 4 { 2 } else { 1 };
            for (id, shared) in seen {
                if shared < need || out.first().is_some_and(|&(e, _)| e == id) {
                    continue;
                }
                let s = word_sim(word, &self.terms[id as usize]);
                if s > 0.0 {
                    out.push((id, s));
                }
            }
        }
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }

    /// Recognises the language of a message from its letters and words.
    #[must_use]
    pub fn detect_language(&self, raw: &str, words: &[String]) -> Option<String> {
        let (mut latin, mut cyrillic, mut armenian) = (0usize, 0usize, 0usize);
        let mut az_letters = false;
        for c in raw.chars().take(text::MAX_INPUT_CHARS) {
            match text::script_of(c) {
                Script::Latin => latin += 1,
                Script::Cyrillic => cyrillic += 1,
                Script::Armenian => armenian += 1,
                Script::Other => {}
            }
            az_letters |= matches!(c, 'ə' | 'Ə' | 'ı' | 'İ' | 'ğ' | 'Ğ');
        }
        let has = |l: &str| self.languages.iter().any(|x| x == l);
        if armenian > 0 && armenian >= cyrillic && armenian >= latin && has("hy") {
            return Some("hy".into());
        }
        if cyrillic > 0 && cyrillic >= latin && has("ru") {
            return Some("ru".into());
        }
        if latin == 0 {
            return None;
        }
        if az_letters && has("az") {
            return Some("az".into());
        }
        // Latin letters: English, Azerbaijani typed without its letters, or Russian and
        // Armenian typed in Latin. Each known word votes for the languages that use it.
        let mut votes = vec![0f32; self.languages.len()];
        for w in words {
            if let Some(&bits) = self.lang_words.get(w) {
                let n = bits.count_ones() as f32;
                for (i, v) in votes.iter_mut().enumerate() {
                    if bits & (1 << i) != 0 {
                        *v += 1.0 / n;
                    }
                }
            }
        }
        let best = votes.iter().copied().fold(0f32, f32::max);
        if best <= 0.0 {
            return None;
        }
        let winners: Vec<usize> = (0..votes.len()).filter(|&i| votes[i] == best).collect();
        match winners.as_slice() {
            [i] => Some(self.languages[*i].clone()),
            _ => None,
        }
    }

    /// Scores every topic against the message; returns `(topic, score)` best first.
    fn score(&self, words: &[String], explain: Option<&mut Vec<Explanation>>) -> Vec<(usize, f32)> {
        let content: Vec<&String> = {
            let mut seen = HashSet::new();
            words.iter().filter(|w| !self.stop_words.contains(*w) && seen.insert(*w)).collect()
        };
        if content.is_empty() || self.phrasings.is_empty() {
            return Vec::new();
        }
        let p = self.params;
        // Per message word: its matches and its weight (IDF of its best match, or a reduced
        // weight for words the FAQ does not know).
        let matches: Vec<Vec<(u32, f32)>> = content.iter().map(|w| self.similar_terms(w)).collect();
        let weights: Vec<f32> = matches
            .iter()
            .map(|m| {
                m.first().map_or(self.mean_idf * p.unknown_weight, |&(t, _)| self.idf[t as usize])
            })
            .collect();
        let total_weight: f32 = weights.iter().sum();

        // Best similarity of each vocabulary term to any message word.
        let mut term_best: HashMap<u32, f32> = HashMap::new();
        for m in &matches {
            for &(t, s) in m {
                let e = term_best.entry(t).or_insert(0.0);
                *e = e.max(s);
            }
        }
        // Coverage numerator per phrasing: sum of IDF × similarity of its matched terms.
        let mut coverage: HashMap<u32, f32> = HashMap::new();
        for (&t, &s) in &term_best {
            let w = self.idf[t as usize] * s;
            for &ph in &self.postings[t as usize] {
                *coverage.entry(ph).or_insert(0.0) += w;
            }
        }
        // Precision numerator per phrasing and per topic: each message word credits its best
        // match in that phrasing (or topic) once.
        let mut precision: HashMap<u32, f32> = HashMap::new();
        let mut topic_precision: HashMap<u32, f32> = HashMap::new();
        let mut keyword_hits: HashMap<u32, f32> = HashMap::new();
        for (qi, m) in matches.iter().enumerate() {
            let mut credited: HashSet<u32> = HashSet::new();
            let mut credited_topics: HashSet<u32> = HashSet::new();
            let mut credited_keywords: HashSet<u32> = HashSet::new();
            for &(t, s) in m {
                for &ph in &self.postings[t as usize] {
                    if credited.insert(ph) {
                        *precision.entry(ph).or_insert(0.0) += weights[qi] * s;
                    }
                }
                for &topic in &self.term_topics[t as usize] {
                    if credited_topics.insert(topic) {
                        *topic_precision.entry(topic).or_insert(0.0) += weights[qi] * s;
                    }
                }
                for &topic in &self.keyword_topics[t as usize] {
                    if credited_keywords.insert(topic) {
                        *keyword_hits.entry(topic).or_insert(0.0) += s;
                    }
                }
            }
        }

        let beta2 = p.beta * p.beta;
        let mut best: HashMap<u32, (f32, u32, f32, f32)> = HashMap::new();
        for (&ph, &cov_num) in &coverage {
            let phrasing = &self.phrasings[ph as usize];
            let c = (cov_num / phrasing.weight).min(1.0);
            let pr = (precision.get(&ph).copied().unwrap_or(0.0) / total_weight).min(1.0);
            let f = if c + pr > 0.0 { (1.0 + beta2) * c * pr / (beta2 * pr + c) } else { 0.0 };
            let e = best.entry(phrasing.topic).or_insert((0.0, ph, c, pr));
            if f > e.0 {
                *e = (f, ph, c, pr);
            }
        }
        let mut ranked: Vec<(usize, f32)> = best
            .iter()
            .map(|(&topic, &(f, _, _, _))| {
                let tp =
                    (topic_precision.get(&topic).copied().unwrap_or(0.0) / total_weight).min(1.0);
                let kw = keyword_hits.get(&topic).copied().unwrap_or(0.0) * p.keyword_bonus;
                let s = f.max(p.topic_weight * tp * f.sqrt()) + kw;
                (topic as usize, s.min(1.0))
            })
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));

        if let Some(out) = explain {
            for &(topic, score) in ranked.iter().take(3) {
                let (_, ph, c, pr) = best[&(topic as u32)];
                let phrasing = &self.phrasings[ph as usize];
                let mut pairs = Vec::new();
                for (qi, m) in matches.iter().enumerate() {
                    if let Some(&(t, s)) =
                        m.iter().find(|(t, _)| phrasing.terms.binary_search(t).is_ok())
                    {
                        pairs.push((content[qi].clone(), self.terms[t as usize].clone(), s));
                    }
                }
                let keywords = matches
                    .iter()
                    .flatten()
                    .filter(|(t, _)| self.keyword_topics[*t as usize].contains(&(topic as u32)))
                    .map(|(t, _)| self.terms[*t as usize].clone())
                    .collect();
                let tp = (topic_precision.get(&(topic as u32)).copied().unwrap_or(0.0)
                    / total_weight)
                    .min(1.0);
                out.push(Explanation {
                    topic,
                    score,
                    phrasing: phrasing.text.clone(),
                    coverage: c,
                    precision: pr,
                    topic_precision: tp,
                    pairs,
                    keywords,
                });
            }
        }
        ranked
    }

    /// Whether the message is only a greeting or thanks, and which.
    fn small_talk(&self, words: &[String]) -> Option<SmallTalk> {
        if words.is_empty() || words.len() > 6 {
            return None;
        }
        let mut greeting = 0;
        let mut thanks = 0;
        let mut other = 0;
        for w in words {
            match self.small_talk.get(w) {
                Some(SmallTalk::Greeting) => greeting += 1,
                Some(SmallTalk::Thanks) => thanks += 1,
                None if self.stop_words.contains(w) => {}
                None => other += 1,
            }
        }
        if greeting + thanks == 0 || other > (greeting + thanks) / 2 {
            return None;
        }
        Some(if thanks >= greeting { SmallTalk::Thanks } else { SmallTalk::Greeting })
    }

    /// Decides what to do with a message.
    #[must_use]
    pub fn classify(&self, message: &str) -> Match {
        self.classify_inner(message, None)
    }

    /// Like [`Index::classify`], and explains the best topics' scores.
    #[must_use]
    pub fn explain(&self, message: &str) -> (Match, Vec<Explanation>) {
        let mut out = Vec::new();
        let m = self.classify_inner(message, Some(&mut out));
        (m, out)
    }

    fn classify_inner(&self, message: &str, explain: Option<&mut Vec<Explanation>>) -> Match {
        let scored = self.scored_inner(message, explain);
        let outcome = scored.decide(&self.thresholds);
        let Scored { ranked, language, truncated, .. } = scored;
        Match { outcome, language, ranked, truncated }
    }

    /// Scores a message without deciding (for tuning the thresholds).
    #[must_use]
    pub fn scored(&self, message: &str) -> Scored {
        self.scored_inner(message, None)
    }

    fn scored_inner(&self, message: &str, explain: Option<&mut Vec<Explanation>>) -> Scored {
        let truncated = text::is_truncated(message);
        let words = text::words(message);
        let language = self.detect_language(message, &words);
        if words.is_empty() {
            return Scored {
                ranked: Vec::new(),
                small_talk: None,
                empty: true,
                language,
                truncated,
            };
        }
        let mut ranked = self.score(&words, explain);
        ranked.truncate(REPORTED_TOPICS);
        Scored { ranked, small_talk: self.small_talk(&words), empty: false, language, truncated }
    }

    /// The number of topics indexed.
    #[must_use]
    pub fn topic_count(&self) -> usize {
        self.topic_count
    }
}

/// The forms of a phrasing that are indexed: itself, and for Russian and Armenian its Latin
/// transliteration (families often type those languages in Latin letters).
fn variants(phrase: &str, lang: &str) -> Vec<String> {
    let lower = phrase.to_lowercase();
    let mut out = vec![phrase.to_string()];
    let latin = match lang {
        "ru" => text::cyrillic_to_latin(&lower),
        "hy" => text::armenian_to_latin(&text::normalize(phrase)),
        _ => return out,
    };
    if latin != lower && latin != phrase {
        out.push(latin);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_similarity_accepts_endings_and_typos_only() {
        assert_eq!(word_sim("oglum", "oglum"), 1.0);
        assert!(word_sim("oglum", "oglumdan") > 0.8, "stem");
        assert!(word_sim("propal", "propavshih") > 0.74, "stem with changed ending");
        assert!(word_sim("detaned", "detained") > 0.8, "typo");
        assert!(word_sim("closure", "clsoure") > 0.8, "transposition");
        assert_eq!(word_sim("baku", "back"), 0.0);
        assert_eq!(word_sim("son", "sun"), 0.0, "short words need an exact match");
        assert_eq!(word_sim("visit", "visa"), 0.0);
    }

    #[test]
    fn trigrams_mark_word_boundaries() {
        assert_eq!(trigrams_of("ab"), vec![['^', 'a', 'b'], ['a', 'b', '$']]);
    }
}

//! Purpose: find the FAQ topic a message asks about, and how sure that is.
//!
//! Every phrasing in faq.json (and a Latin transliteration of the Russian and Armenian ones,
//! since people type those in Latin letters too) is split into words. Words are weighted by how
//! informative they are across topics (IDF). A message's words are matched to the vocabulary
//! exactly, by stem (one word is the other plus an ending: `oğlum`/`oğlumdan`) or by edit
//! distance (typos), through a prefix index and a one-deletion index, so the cost grows slowly with the FAQ.
//! A phrasing scores by how much of it the message covers and how much of the message it
//! explains; a topic scores by its best phrasing, and the thresholds in faq.json turn the scores
//! into an answer, suggestions or an honest fallback.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::faq::{Faq, Thresholds};
use crate::text::{self, Script};

/// Shortest word compared by edit distance; shorter words must match exactly or by stem.
const MIN_FUZZY_CHARS: usize = 5;
/// Words at least this long may differ by two edits.
const LONG_WORD_CHARS: usize = 8;
/// Lowest similarity at which two words count as the same.
const MIN_WORD_SIM: f32 = 0.74;
/// How many topics the matcher reports, best first.
const REPORTED_TOPICS: usize = 5;
/// At most this many suggestions are offered.
pub const MAX_SUGGESTIONS: usize = 3;
/// At most this many related topics are offered beside an answer.
pub const MAX_RELATED: usize = 2;

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
    /// Weight of the answer's own sentences as phrasings (0: not indexed).
    pub answer_factor: f32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            beta: 1.0,
            unknown_weight: 0.5,
            topic_weight: 0.85,
            keyword_bonus: 0.1,
            answer_factor: 0.8,
        }
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
    /// Answer `topic` (an index into `faq.topics`), and offer the `related` topics beside it
    /// (those that scored close to it: the message may be about them instead, or as well).
    Answer { topic: usize, related: Vec<usize> },
    /// Unsure: offer these topics, best first.
    Suggest(Vec<usize>),
    /// A greeting or thanks, not a question.
    SmallTalk(SmallTalk),
    /// Nothing fits: topics and general contacts.
    Fallback,
    /// No words at all (emoji, invisible characters).
    Empty,
}

impl Outcome {
    /// The outcome's stable name, as `faqbot ask --json`, the logs and the gaps file write it:
    /// `answer`, `suggest`, `small-talk`, `fallback` or `empty`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Answer { .. } => "answer",
            Outcome::Suggest(_) => "suggest",
            Outcome::SmallTalk(_) => "small-talk",
            Outcome::Fallback => "fallback",
            Outcome::Empty => "empty",
        }
    }

    /// A short, stable name safe to log (it holds nothing of the message): the answered
    /// topic's id, else [`Outcome::kind`].
    #[must_use]
    pub fn name<'a>(&self, faq: &'a crate::Faq) -> &'a str {
        match self {
            Outcome::Answer { topic, .. } => {
                faq.topics.get(*topic).map_or("answer", |t| t.id.as_str())
            }
            other => other.kind(),
        }
    }
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
                let floor = t.related.max(t.suggest) as f32;
                let related = self.ranked[1..]
                    .iter()
                    .filter(|r| r.1 >= floor)
                    .take(MAX_RELATED)
                    .map(|r| r.0)
                    .collect();
                return Outcome::Answer { topic, related };
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
    /// Multiplier of its score: 1 for a question phrasing, less for a sentence of the answer.
    factor: f32,
}

/// The searchable form of a FAQ.
pub struct Index {
    terms: Vec<String>,
    term_ids: HashMap<String, u32>,
    idf: Vec<f32>,
    mean_idf: f32,
    /// Term ids sorted by their text, to find the terms sharing a prefix (inflected forms).
    sorted: Vec<u32>,
    /// One-letter deletions of terms: the terms, grouped by the hash of their deletion, and
    /// for each hash where its group lies. Finds one-edit typos without scanning. A hash
    /// collision only adds a candidate, which the edit distance then rejects; hashes instead of
    /// strings make the index several times faster to build and smaller.
    deletion_terms: Vec<u32>,
    deletions: HashMap<u64, (u32, u32)>,
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

/// Calls `f` with the word with each one of its letters left out, reusing one buffer.
fn for_each_deletion(word: &str, buf: &mut String, mut f: impl FnMut(&str)) {
    for (i, c) in word.char_indices() {
        buf.clear();
        buf.push_str(&word[..i]);
        buf.push_str(&word[i + c.len_utf8()..]);
        f(buf);
    }
}

/// The key of a deletion in the deletion index.
fn deletion_key(d: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(d)
}

/// The word with each one of its letters left out (sorted, without repeats).
#[cfg(test)]
fn one_deletions(word: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_deletion(word, &mut String::new(), |d| out.push(d.to_string()));
    out.sort_unstable();
    out.dedup();
    out
}

/// The first `n` characters of a word (all of it if shorter).
fn prefix_chars(word: &str, n: usize) -> &str {
    match word.char_indices().nth(n) {
        Some((i, _)) => &word[..i],
        None => word,
    }
}

/// Similarity of a word and an inflected form of it (one is the other with an ending, or
/// nearly), which all four languages use heavily; 0 when they are not.
fn stem_sim(a: &str, b: &str) -> f32 {
    let la = a.chars().count();
    let lb = b.chars().count();
    let (short, long) = (la.min(lb), la.max(lb));
    let prefix = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    if (prefix >= 4 && prefix + 1 >= short)
        || (prefix >= 3 && prefix == short && long - prefix <= 2)
    {
        0.75 + 0.2 * prefix as f32 / long as f32
    } else {
        0.0
    }
}

/// Similarity of a word and a mistyped form of it (one edit, two for long words); 0 when
/// they are further apart.
fn edit_sim(a: &str, b: &str) -> f32 {
    let la = a.chars().count();
    let lb = b.chars().count();
    let (short, long) = (la.min(lb), la.max(lb));
    if short < MIN_FUZZY_CHARS || long - short > 2 {
        return 0.0;
    }
    let d = strsim::osa_distance(a, b);
    let max_edits = if short >= LONG_WORD_CHARS { 2 } else { 1 };
    if d <= max_edits {
        1.0 - d as f32 / long as f32
    } else {
        0.0
    }
}

/// Similarity of two normalised words (0 when they do not count as the same word).
#[must_use]
pub fn word_sim(a: &str, b: &str) -> f32 {
    if a == b {
        return 1.0;
    }
    let s = stem_sim(a, b).max(edit_sim(a, b));
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

        let mut stop_words = HashSet::default();
        let mut lang_words: HashMap<String, u32> = HashMap::default();
        for (lang, words) in &faq.stop_words {
            for w in words {
                for t in text::words(w) {
                    mark_lang(&mut lang_words, &t, lang_bit(lang));
                    stop_words.insert(t);
                }
            }
        }
        let mut small_talk = HashMap::default();
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
        let mut term_ids: HashMap<String, u32> = HashMap::default();
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
            // The question phrasings, and the answer's sentences: people often ask with the
            // answer's own words ("blood samples", "facts and figures").
            let sources = topic
                .questions
                .iter()
                .flat_map(|(lang, qs)| qs.iter().map(move |q| (lang, q.as_str(), 1.0)));
            let answers =
                topic.answer.iter().filter(|_| params.answer_factor > 0.0).flat_map(|(lang, a)| {
                    a.split(['.', '!', '?', '\u{0589}', '\n', ';'])
                        .filter(|s| s.split_whitespace().count() >= 3)
                        .map(move |s| (lang, s, params.answer_factor))
                });
            for (lang, q, factor) in sources.chain(answers) {
                let bit = lang_bit(lang);
                {
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
                                factor,
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
        let mut sorted: Vec<u32> = (0..terms.len() as u32).collect();
        sorted.sort_by(|&a, &b| terms[a as usize].cmp(&terms[b as usize]));
        let mut deletions: Vec<(u64, u32)> = Vec::new();
        let mut buf = String::new();
        for (id, term) in terms.iter().enumerate() {
            if term.chars().count() >= MIN_FUZZY_CHARS {
                for_each_deletion(term, &mut buf, |d| deletions.push((deletion_key(d), id as u32)));
            }
        }
        deletions.sort_unstable();
        deletions.dedup();
        let deletion_terms: Vec<u32> = deletions.iter().map(|e| e.1).collect();
        let mut groups: HashMap<u64, (u32, u32)> = HashMap::default();
        groups.reserve(deletions.len());
        for (i, &(key, _)) in deletions.iter().enumerate() {
            groups.entry(key).and_modify(|g| g.1 += 1).or_insert((i as u32, 1));
        }
        let deletions = groups;

        Index {
            terms,
            term_ids,
            idf,
            mean_idf,
            sorted,
            deletion_terms,
            deletions,
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

    /// Terms that give `d` when one of their letters is left out (or whose deletion shares
    /// its hash).
    fn deleted_to(&self, d: &str) -> &[u32] {
        match self.deletions.get(&deletion_key(d)) {
            Some(&(start, len)) => &self.deletion_terms[start as usize..(start + len) as usize],
            None => &[],
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
    /// Candidates come from two indexes, never a scan: terms sharing the first three letters
    /// (inflected forms) and terms one deletion away from the word or from one of its
    /// deletions (typos: a letter added, left out, changed or swapped).
    fn similar_terms(&self, word: &str) -> Vec<(u32, f32)> {
        let mut out: Vec<(u32, f32)> = Vec::new();
        let mut add = |id: u32, s: f32| {
            if s >= MIN_WORD_SIM {
                out.push((id, s));
            }
        };
        if let Some(&id) = self.term_ids.get(word) {
            add(id, 1.0);
        }
        let len = word.chars().count();
        if len >= 3 {
            let prefix = prefix_chars(word, 3);
            let start = self.sorted.partition_point(|&t| self.terms[t as usize].as_str() < prefix);
            for &t in self.sorted[start..]
                .iter()
                .take_while(|&&t| self.terms[t as usize].starts_with(prefix))
            {
                let term = &self.terms[t as usize];
                if term != word {
                    add(t, stem_sim(word, term));
                }
            }
        }
        // A word the FAQ knows is spelled right; look for typos only in the others.
        let known = self.term_ids.contains_key(word);
        if len >= MIN_FUZZY_CHARS && !known {
            let mut typo_candidates: Vec<u32> = Vec::new();
            typo_candidates.extend(self.deleted_to(word));
            let mut buf = String::new();
            for_each_deletion(word, &mut buf, |d| {
                if let Some(&id) = self.term_ids.get(d) {
                    typo_candidates.push(id);
                }
                typo_candidates.extend(self.deleted_to(d));
            });
            // Long words may carry two typos: look further only when one edit found nothing.
            if typo_candidates.is_empty() && len >= LONG_WORD_CHARS {
                let (mut buf, mut buf2) = (String::new(), String::new());
                for_each_deletion(word, &mut buf, |d| {
                    for_each_deletion(d, &mut buf2, |d2| {
                        if let Some(&id) = self.term_ids.get(d2) {
                            typo_candidates.push(id);
                        }
                        typo_candidates.extend(self.deleted_to(d2));
                    });
                });
            }
            typo_candidates.sort_unstable();
            typo_candidates.dedup();
            for t in typo_candidates {
                let term = &self.terms[t as usize];
                if term != word {
                    add(t, edit_sim(word, term));
                }
            }
        }
        // A term found both ways keeps its better similarity.
        out.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
        out.dedup_by_key(|e| e.0);
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
            let mut seen = HashSet::default();
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
        let mut term_best: HashMap<u32, f32> = HashMap::default();
        for m in &matches {
            for &(t, s) in m {
                let e = term_best.entry(t).or_insert(0.0);
                *e = e.max(s);
            }
        }
        // Dense per-phrasing and per-topic sums (cheaper than maps at thousands of topics);
        // `touched` lists the phrasings that matched anything.
        let (np, nt) = (self.phrasings.len(), self.topic_count);
        let mut coverage = vec![0f32; np];
        let mut touched: Vec<u32> = Vec::new();
        // Coverage numerator per phrasing: sum of IDF × similarity of its matched terms.
        for (&t, &s) in &term_best {
            let w = self.idf[t as usize] * s;
            for &ph in &self.postings[t as usize] {
                if coverage[ph as usize] == 0.0 {
                    touched.push(ph);
                }
                coverage[ph as usize] += w;
            }
        }
        // Precision numerator per phrasing and per topic: each message word credits its best
        // match in that phrasing (or topic) once; matches come best first.
        let mut precision = vec![0f32; np];
        let mut credited = vec![u32::MAX; np];
        let mut topic_precision = vec![0f32; nt];
        let mut topic_credited = vec![u32::MAX; nt];
        let mut keyword_hits = vec![0f32; nt];
        let mut keyword_credited = vec![u32::MAX; nt];
        for (qi, m) in matches.iter().enumerate() {
            let q = qi as u32;
            for &(t, s) in m {
                let w = weights[qi] * s;
                for &ph in &self.postings[t as usize] {
                    if credited[ph as usize] != q {
                        credited[ph as usize] = q;
                        precision[ph as usize] += w;
                    }
                }
                for &topic in &self.term_topics[t as usize] {
                    if topic_credited[topic as usize] != q {
                        topic_credited[topic as usize] = q;
                        topic_precision[topic as usize] += w;
                    }
                }
                for &topic in &self.keyword_topics[t as usize] {
                    if keyword_credited[topic as usize] != q {
                        keyword_credited[topic as usize] = q;
                        keyword_hits[topic as usize] += s;
                    }
                }
            }
        }

        let beta2 = p.beta * p.beta;
        // Best phrasing per topic: (score, phrasing, coverage, precision).
        let mut best: Vec<(f32, u32, f32, f32)> = vec![(-1.0, 0, 0.0, 0.0); nt];
        for &ph in &touched {
            let phrasing = &self.phrasings[ph as usize];
            let c = (coverage[ph as usize] / phrasing.weight).min(1.0);
            let pr = (precision[ph as usize] / total_weight).min(1.0);
            let f = if c + pr > 0.0 { (1.0 + beta2) * c * pr / (beta2 * pr + c) } else { 0.0 }
                * phrasing.factor;
            let e = &mut best[phrasing.topic as usize];
            if f > e.0 {
                *e = (f, ph, c, pr);
            }
        }
        let topic_precision_of = |topic: usize| (topic_precision[topic] / total_weight).min(1.0);
        let mut ranked: Vec<(usize, f32)> = best
            .iter()
            .enumerate()
            .filter(|(_, b)| b.0 >= 0.0)
            .map(|(topic, &(f, _, _, _))| {
                let kw = keyword_hits[topic] * p.keyword_bonus;
                let s = f.max(p.topic_weight * topic_precision_of(topic) * f.sqrt()) + kw;
                (topic, s.min(1.0))
            })
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));

        if let Some(out) = explain {
            for &(topic, score) in ranked.iter().take(3) {
                let (_, ph, c, pr) = best[topic];
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
                let tp = topic_precision_of(topic);
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

    fn scored(ranked: &[(usize, f32)]) -> Scored {
        Scored {
            ranked: ranked.to_vec(),
            small_talk: None,
            empty: false,
            language: None,
            truncated: false,
        }
    }

    #[test]
    fn an_answer_offers_the_close_runners_up_beside_it() {
        let t = Thresholds::default();
        let ranks = [(4, 0.9), (1, 0.7), (2, 0.6), (3, 0.56), (0, 0.5)];
        assert_eq!(
            scored(&ranks).decide(&t),
            Outcome::Answer { topic: 4, related: vec![1, 2] },
            "at most two, best first, none below `related`"
        );
        let alone = [(4, 0.9), (1, 0.54), (2, 0.3)];
        assert_eq!(scored(&alone).decide(&t), Outcome::Answer { topic: 4, related: vec![] });
        let off = Thresholds { related: 1.0, ..t };
        assert_eq!(scored(&ranks).decide(&off), Outcome::Answer { topic: 4, related: vec![] });
        // `related` below `suggest` still offers nothing a suggestion would not.
        let low = Thresholds { related: 0.0, ..t };
        assert_eq!(
            scored(&[(4, 0.9), (1, 0.1)]).decide(&low),
            Outcome::Answer { topic: 4, related: vec![] }
        );
        // Too close to call: suggestions, as before.
        assert_eq!(scored(&[(4, 0.9), (1, 0.88)]).decide(&t), Outcome::Suggest(vec![4, 1]));
    }

    #[test]
    fn deletions_and_prefixes_work_on_characters() {
        assert_eq!(one_deletions("abb"), vec!["ab".to_string(), "bb".to_string()]);
        assert_eq!(one_deletions("əb"), vec!["b".to_string(), "ə".to_string()]);
        assert_eq!(prefix_chars("ağac", 3), "ağa");
        assert_eq!(prefix_chars("ab", 3), "ab");
    }
}

//! Purpose: the searchable form of a FAQ: vocabulary, weights, postings and the prefix and
//! deletion indexes that find similar words without a scan.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::faq::{Faq, Thresholds};
use crate::text;

use super::similar::{deletion_key, for_each_deletion, latin_fold};
use super::*;

pub(super) struct Phrasing {
    pub(super) topic: u32,
    /// Distinct terms of the phrasing.
    pub(super) terms: Vec<u32>,
    /// Sum of the IDF of its terms.
    pub(super) weight: f32,
    /// Original text (for explanations).
    pub(super) text: String,
    /// Multiplier of its score: 1 for a question phrasing, less for a sentence of the answer.
    pub(super) factor: f32,
}

/// The searchable form of a FAQ.
pub struct Index {
    pub(super) terms: Vec<String>,
    pub(super) term_ids: HashMap<String, u32>,
    pub(super) idf: Vec<f32>,
    pub(super) mean_idf: f32,
    /// Term ids sorted by their text, to find the terms sharing a prefix (inflected forms).
    pub(super) sorted: Vec<u32>,
    /// One-letter deletions of terms: the terms, grouped by the hash of their deletion, and
    /// for each hash where its group lies. Finds one-edit typos without scanning. A hash
    /// collision only adds a candidate, which the edit distance then rejects; hashes instead of
    /// strings make the index several times faster to build and smaller.
    pub(super) deletion_terms: Vec<u32>,
    pub(super) deletions: HashMap<u64, (u32, u32)>,
    /// Length in characters of the longest term: a word more than two letters longer cannot
    /// be a typo of any term, so the typo search skips it.
    pub(super) max_term_chars: usize,
    /// Folded Latin spelling → the terms of at least [`MIN_FUZZY_CHARS`] letters that fold
    /// to it (see `similar::latin_fold`).
    pub(super) folds: HashMap<String, Vec<u32>>,
    /// Term → phrasings containing it.
    pub(super) postings: Vec<Vec<u32>>,
    /// Term → topics using it as a keyword.
    pub(super) keyword_topics: Vec<Vec<u32>>,
    /// Term → topics whose phrasings contain it.
    pub(super) term_topics: Vec<Vec<u32>>,
    /// Term → (topic, how often its phrasings use it, weighted by their factor), by topic.
    pub(super) term_counts: Vec<Vec<(u32, f32)>>,
    /// Topic → sum of its terms' counts.
    pub(super) topic_mass: Vec<f32>,
    pub(super) phrasings: Vec<Phrasing>,
    /// Per term: whether it is a background word (frequent in the background topics'
    /// phrasings, see `Faq::background_topics`).
    pub(super) background: Vec<bool>,
    /// The background topics themselves (indexes into `faq.topics`).
    pub(super) background_topics: Vec<u32>,
    pub(super) topic_count: usize,
    pub(super) stop_words: HashSet<String>,
    /// Normalised `out_of_scope_words`, and the length in characters of the longest.
    pub(super) out_of_scope: HashSet<String>,
    pub(super) out_of_scope_chars: usize,
    /// Normalised `out_of_scope_words` of several words ("can i volunteer"), word by word.
    pub(super) out_of_scope_phrases: Vec<Vec<String>>,
    /// Per topic: its `also_offer` by language, as topic indices.
    pub(super) also_offer: Vec<HashMap<String, Vec<usize>>>,
    pub(super) small_talk: HashMap<String, SmallTalk>,
    /// Word → bit set of the languages (by position in `languages`) that use it.
    pub(super) lang_words: HashMap<String, u32>,
    pub(super) languages: Vec<String>,
    pub(super) thresholds: Thresholds,
    /// The answer decision of faq.json, if it has one.
    pub(super) model: Option<Model>,
    /// The answer decision's forest (the shipped one, borrowed, unless replaced), used without
    /// a model.
    pub(super) forest: Option<std::borrow::Cow<'static, Forest>>,
    pub(super) params: Params,
    /// The topics' character-trigram centroids, built from their question phrasings.
    pub(super) trigrams: Trigrams,
}

/// Adds a word to a language's word set (used to recognise the language of Latin text).
pub(super) fn mark_lang(lang_words: &mut HashMap<String, u32>, word: &str, lang_bit: u32) {
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
        // A stop word is one in every spelling its phrasings are indexed in: the Latin
        // spellings of a Russian or Armenian phrasing would otherwise keep its pronouns and
        // particles (`dzez`, `vas`) as content words.
        for (lang, words) in &faq.stop_words {
            for w in words {
                for variant in variants(w, lang) {
                    for t in text::words(&variant) {
                        mark_lang(&mut lang_words, &t, lang_bit(lang));
                        stop_words.insert(t);
                    }
                }
            }
        }
        // One word: a beginning of words; several: beginnings of consecutive words.
        let (out_of_scope_phrases, single): (Vec<Vec<String>>, Vec<Vec<String>>) = faq
            .out_of_scope_words
            .values()
            .flatten()
            .map(|w| text::words(w))
            .partition(|ws| ws.len() > 1);
        let out_of_scope: HashSet<String> = single
            .into_iter()
            .flatten()
            .filter(|w| w.chars().count() >= crate::faq::MIN_CUE_CHARS)
            .collect();
        let position = |id: &String| faq.topics.iter().position(|t| &t.id == id);
        let also_offer = faq
            .topics
            .iter()
            .map(|t| {
                t.also_offer
                    .iter()
                    .map(|(lang, ids)| (lang.clone(), ids.iter().filter_map(position).collect()))
                    .collect()
            })
            .collect();
        let out_of_scope_chars = out_of_scope.iter().map(|w| w.chars().count()).max().unwrap_or(0);
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
        // Each question phrasing's words as written (not its Latin spellings), for the trigrams.
        let mut trigram_words: Vec<(usize, Vec<String>)> = Vec::new();
        let mut keyword_terms: Vec<(u32, u32)> = Vec::new();
        for (ti, topic) in faq.topics.iter().enumerate() {
            // The question phrasings, and the answer's sentences: people often ask with the
            // answer's own words ("blood samples", "facts and figures").
            let sources = topic
                .questions
                .iter()
                .flat_map(|(lang, qs)| qs.iter().map(move |q| (lang, q.as_str(), 1.0, true)));
            let answers =
                topic.answer.iter().filter(|_| params.answer_factor > 0.0).flat_map(|(lang, a)| {
                    a.split(['.', '!', '?', '\u{0589}', '\n', ';'])
                        .filter(|s| s.split_whitespace().count() >= 3)
                        .map(move |s| (lang, s, params.answer_factor, false))
                });
            for (lang, q, factor, question) in sources.chain(answers) {
                let bit = lang_bit(lang);
                {
                    for (vi, variant) in variants(q, lang).into_iter().enumerate() {
                        let mut ids: Vec<u32> = Vec::new();
                        let words = text::words(&variant);
                        for w in &words {
                            mark_lang(&mut lang_words, w, bit);
                            if !stop_words.contains(w) {
                                ids.push(intern(w, &mut terms));
                            }
                        }
                        // The first variant is the phrasing itself.
                        if question && vi == 0 {
                            trigram_words.push((ti, words));
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
        let mut term_counts: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n];
        let mut topic_mass = vec![0f32; faq.topics.len().max(1)];
        // Phrasings come topic by topic, so each list is built in topic order.
        for p in &phrasings {
            for &t in &p.terms {
                let list = &mut term_counts[t as usize];
                match list.last_mut() {
                    Some(e) if e.0 == p.topic => e.1 += p.factor,
                    _ => list.push((p.topic, p.factor)),
                }
                topic_mass[p.topic as usize] += p.factor;
            }
        }
        debug_assert!(term_counts.iter().all(|l| l.windows(2).all(|w| w[0].0 < w[1].0)));
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
        let mut idf: Vec<f32> = term_topics
            .iter()
            .map(|topics| (1.0 + topic_count as f32 / topics.len().max(1) as f32).ln())
            .collect();
        // The mean (the weight of a word the FAQ does not know) is the words' own.
        let mean_idf =
            if idf.is_empty() { 1.0 } else { idf.iter().sum::<f32>() / idf.len() as f32 };
        for (w, term) in idf.iter_mut().zip(&terms) {
            if super::score::is_number(term) {
                *w *= NUMBER_WEIGHT;
            }
        }
        for p in &mut phrasings {
            p.weight = p.terms.iter().map(|&t| idf[t as usize]).sum();
        }
        let background_ids: Vec<u32> = faq
            .background_topics
            .iter()
            .filter_map(|id| faq.topics.iter().position(|t| &t.id == id))
            .map(|i| i as u32)
            .collect();
        let background: Vec<bool> = postings
            .iter()
            .map(|list| {
                let inside = list
                    .iter()
                    .filter(|&&ph| background_ids.contains(&phrasings[ph as usize].topic))
                    .count();
                inside >= BACKGROUND_MIN_PHRASINGS
                    && inside as f32 >= BACKGROUND_MIN_SHARE * list.len() as f32
            })
            .collect();
        let max_term_chars = terms.iter().map(|t| t.chars().count()).max().unwrap_or(0);
        let mut folds: HashMap<String, Vec<u32>> = HashMap::default();
        for (id, term) in terms.iter().enumerate() {
            if term.len() >= MIN_FUZZY_CHARS {
                if let Some(f) = latin_fold(term) {
                    folds.entry(f).or_default().push(id as u32);
                }
            }
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
        let trigrams = Trigrams::build(
            trigram_words.iter().map(|(t, w)| (*t, w.as_slice())),
            faq.topics.len(),
        );

        Index {
            terms,
            term_ids,
            idf,
            mean_idf,
            sorted,
            deletion_terms,
            deletions,
            max_term_chars,
            folds,
            postings,
            keyword_topics,
            term_topics,
            term_counts,
            topic_mass,
            phrasings,
            background,
            background_topics: background_ids,
            topic_count: faq.topics.len(),
            stop_words,
            out_of_scope,
            out_of_scope_chars,
            out_of_scope_phrases,
            also_offer,
            small_talk,
            lang_words,
            languages,
            thresholds: faq.thresholds,
            model: faq.decision.as_ref().map(Model::of),
            forest: Some(std::borrow::Cow::Borrowed(Forest::shipped())),
            params,
            trigrams,
        }
    }

    /// Whether a topic (an index into `faq.topics`) is one of the background topics.
    pub(super) fn is_background_topic(&self, topic: usize) -> bool {
        self.background_topics.contains(&(topic as u32))
    }

    /// Whether a word begins with one of the `out_of_scope_words`.
    pub(super) fn is_out_of_scope_cue(&self, word: &str) -> bool {
        if self.out_of_scope.is_empty() {
            return false;
        }
        word.char_indices()
            .map(|(i, c)| i + c.len_utf8())
            .skip(crate::faq::MIN_CUE_CHARS - 1)
            .take(self.out_of_scope_chars + 1 - crate::faq::MIN_CUE_CHARS)
            .any(|end| self.out_of_scope.contains(&word[..end]))
    }

    /// Whether a message's words hold one of the `out_of_scope_words` of several words: as
    /// many consecutive words, each beginning with the phrase's word in its place ("can i
    /// volunteer" in "how can I volunteer with...", not in "I volunteer with...").
    pub(super) fn has_out_of_scope_phrase(&self, words: &[String]) -> bool {
        self.out_of_scope_phrases.iter().any(|phrase| {
            words
                .windows(phrase.len())
                .any(|w| w.iter().zip(phrase).all(|(w, p)| w.starts_with(p.as_str())))
        })
    }

    /// Puts the topics that `topic`'s `also_offer` names for `lang` first among the `related`
    /// topics offered beside its answer (at most [`MAX_RELATED`] in all).
    pub(super) fn also_offer(&self, topic: usize, lang: &str, related: &mut Vec<usize>) {
        let Some(others) = self.also_offer.get(topic).and_then(|m| m.get(lang)) else {
            return;
        };
        for &other in others.iter().rev() {
            related.retain(|&r| r != other);
            related.insert(0, other);
        }
        related.truncate(MAX_RELATED);
    }

    /// Terms that give `d` when one of their letters is left out (or whose deletion shares
    /// its hash).
    pub(super) fn deleted_to(&self, d: &str) -> &[u32] {
        match self.deletions.get(&deletion_key(d)) {
            Some(&(start, len)) => &self.deletion_terms[start as usize..(start + len) as usize],
            None => &[],
        }
    }
}

/// The forms of a phrasing that are indexed: itself, and for Russian and Armenian its Latin
/// transliteration (families often type those languages in Latin letters).
pub(super) fn variants(phrase: &str, lang: &str) -> Vec<String> {
    let lower = phrase.to_lowercase();
    let mut out = vec![phrase.to_string()];
    let latin = match lang {
        "ru" => [text::cyrillic_to_latin(&lower), text::cyrillic_to_latin_chat(&lower)],
        "hy" => {
            let n = text::normalize(phrase);
            [text::armenian_to_latin(&n), text::armenian_to_latin_chat(&n)]
        }
        _ => return out,
    };
    for l in latin {
        if l != lower && l != phrase && !out.contains(&l) {
            out.push(l);
        }
    }
    out
}

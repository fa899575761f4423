//! Purpose: scoring a message against every topic, and the decision: answer, suggest, small
//! talk or fall back.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::text;

use super::*;

/// Each word's similar terms, computed once per message, and what is left of its typo budget.
pub(super) struct Similar {
    pub(super) cache: HashMap<String, Vec<(u32, f32)>>,
    pub(super) budget: usize,
}

impl Index {
    /// Scores every topic against the message; returns `(topic, score)` best first.
    /// `similar` caches each word's similar terms across the calls for one message, and holds
    /// the message's typo budget.
    fn score(
        &self,
        words: &[String],
        similar: &mut Similar,
        explain: Option<&mut Vec<Explanation>>,
    ) -> Vec<(usize, f32)> {
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
        let matches: Vec<Vec<(u32, f32)>> = content
            .iter()
            .map(|w| {
                if let Some(m) = similar.cache.get(w.as_str()) {
                    return m.clone();
                }
                let m = self.similar_terms(w, &mut similar.budget);
                similar.cache.insert((*w).clone(), m.clone());
                m
            })
            .collect();
        let weights: Vec<f32> = matches
            .iter()
            .zip(&content)
            .map(|(m, w)| match m.first() {
                Some(&(t, _)) => self.idf[t as usize],
                None if is_number(w) => 0.0,
                None => self.mean_idf * p.unknown_weight,
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

    /// Scores the words; when some are background words (the closure, mentioned before asking
    /// something else) and the rest alone still match a topic, what the background words alone
    /// contribute is discounted: each topic scores the better of the rest alone and its whole
    /// score less the discount.
    pub(super) fn score_in_context(
        &self,
        words: &[String],
        similar: &mut Similar,
        explain: Option<&mut Vec<Explanation>>,
    ) -> Vec<(usize, f32)> {
        let mut ranked = self.score(words, similar, explain);
        if ranked.is_empty() {
            return ranked;
        }
        let is_background = |w: &String| {
            similar
                .cache
                .get(w.as_str())
                .and_then(|m| m.first())
                .is_some_and(|&(t, _)| self.background[t as usize])
        };
        let rest: Vec<String> = words.iter().filter(|w| !is_background(w)).cloned().collect();
        if rest.len() == words.len() || !rest.iter().any(|w| !self.stop_words.contains(w)) {
            return ranked;
        }
        let alone = self.score(&rest, similar, None);
        if alone.first().is_none_or(|r| r.1 < BACKGROUND_FLOOR) {
            return ranked;
        }
        let keep = 1.0 - BACKGROUND_DISCOUNT;
        for r in &mut ranked {
            let a = alone.iter().find(|x| x.0 == r.0).map_or(0.0, |x| x.1);
            r.1 = a.max(r.1 * keep);
        }
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
    }

    /// Reorders the best [`NB_CANDIDATES`] topics by their score less `nb_weight` per nat of
    /// log-likelihood by which they trail the likeliest of them: how likely the message's words
    /// are under each topic's word counts (multinomial naive Bayes over the phrasings, each word
    /// by its best similar term). The phrasing scores see which words a message shares with one
    /// phrasing; the counts see how often a topic's phrasings use a word, so the two err on
    /// different messages. The scores themselves stay the phrasing scores (so they need not
    /// be in order any more), and the decision goes by them.
    ///
    /// Returns by how many nats the likelihood of the (new) best topic leads the others' (0
    /// when there was nothing to reorder).
    fn rerank_by_likelihood(
        &self,
        words: &[String],
        similar: &Similar,
        ranked: &mut [(usize, f32)],
    ) -> f32 {
        let p = self.params;
        let n = ranked.len().min(NB_CANDIDATES);
        if n < 2 || p.nb_weight == 0.0 {
            return 0.0;
        }
        let ll = self.log_likelihoods(words, similar, &ranked[..n]);
        let likeliest = ll[..n].iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut order = [((0, 0.0), 0.0, 0.0); NB_CANDIDATES];
        for ((slot, &r), l) in order.iter_mut().zip(&ranked[..n]).zip(ll) {
            *slot = (r, r.1 + p.nb_weight * (l - likeliest), l);
        }
        order[..n].sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0 .0.cmp(&b.0 .0)));
        for (slot, (r, _, _)) in ranked.iter_mut().zip(order).take(n) {
            *slot = r;
        }
        order[0].2 - order[1..n].iter().map(|o| o.2).fold(f32::NEG_INFINITY, f32::max)
    }

    /// The log-likelihood of the message's distinct content words under each of the (at most
    /// [`NB_CANDIDATES`]) topics' word counts, each word by its best similar term (words the
    /// FAQ does not know count for none). Reads the similar terms from the cache that scoring
    /// the same words filled.
    fn log_likelihoods(
        &self,
        words: &[String],
        similar: &Similar,
        topics: &[(usize, f32)],
    ) -> [f32; NB_CANDIDATES] {
        let p = self.params;
        let v = self.terms.len() as f32;
        // Each candidate's smoothed total, once per message rather than once per word.
        let mut totals = [0f32; NB_CANDIDATES];
        for (total, &(topic, _)) in totals.iter_mut().zip(topics) {
            *total = self.topic_mass[topic] + p.nb_alpha * v;
        }
        let mut ll = [0f32; NB_CANDIDATES];
        let mut seen = HashSet::default();
        for w in words.iter().filter(|w| !self.stop_words.contains(*w) && seen.insert(*w)) {
            let m = similar.cache.get(w.as_str()).map_or(&[][..], Vec::as_slice);
            if m.is_empty() {
                continue;
            }
            for ((l, &(topic, _)), total) in ll.iter_mut().zip(topics).zip(totals) {
                let mut c = 0f32;
                for &(t, s) in m {
                    let counts = &self.term_counts[t as usize];
                    if let Ok(i) = counts.binary_search_by_key(&(topic as u32), |e| e.0) {
                        c = c.max(s * counts[i].1);
                    }
                }
                *l += ((c + p.nb_alpha) / total).ln();
            }
        }
        ll
    }

    /// Whether the message is only a greeting or thanks, and which: up to six words of which
    /// greetings and thanks outnumber the others two to one, or up to twelve that are all
    /// greetings, thanks and stop words ("thank you so much for all your help"); and whether
    /// every word is one of those (no other word at all), which puts small talk before any topic.
    fn small_talk(&self, words: &[String]) -> (Option<SmallTalk>, bool) {
        if words.is_empty() || words.len() > 12 {
            return (None, false);
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
        if greeting + thanks == 0
            || (other > 0 && (words.len() > 6 || other > (greeting + thanks) / 2))
        {
            return (None, false);
        }
        let kind = if thanks >= greeting { SmallTalk::Thanks } else { SmallTalk::Greeting };
        (Some(kind), other == 0)
    }

    /// Replaces the answer decision's forest (`None`: the hand-set rules alone decide), for
    /// measuring another forest or the rules (`faqbot eval --forest`, `--no-forest`).
    pub fn set_forest(&mut self, forest: Option<Forest>) {
        self.forest = forest.map(std::borrow::Cow::Owned);
    }

    /// The answer decision's forest, if there is one.
    #[must_use]
    pub fn forest(&self) -> Option<&Forest> {
        self.forest.as_deref()
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
        // The decision's features cost a scoring of the last sentence: only with a model.
        let with_features = self.model.is_some() || self.forest.is_some();
        let scored = self.scored_inner(message, explain, with_features);
        let mut outcome =
            scored.decide_with(&self.thresholds, self.model.as_ref(), self.forest.as_deref());
        if let (Outcome::Answer { topic, related }, Some(lang)) = (&mut outcome, &scored.language) {
            self.also_offer(*topic, lang, related);
        }
        let Scored { ranked, language, truncated, .. } = scored;
        Match { outcome, language, ranked, truncated }
    }

    /// Scores a message without deciding (for tuning the thresholds and fitting the decision
    /// model), with the model's features.
    #[must_use]
    pub fn scored(&self, message: &str) -> Scored {
        self.scored_inner(message, None, true)
    }

    /// `with_features`: whether to compute [`Scored::features`] (else they are all 0).
    fn scored_inner(
        &self,
        message: &str,
        explain: Option<&mut Vec<Explanation>>,
        with_features: bool,
    ) -> Scored {
        let truncated = text::is_truncated(message);
        let words = text::words(message);
        let language = self.detect_language(message, &words);
        if words.is_empty() {
            return Scored {
                ranked: Vec::new(),
                small_talk: None,
                only_small_talk: false,
                empty: true,
                language,
                truncated,
                coverage: 0.0,
                unknown: 0.0,
                content_words: 0,
                features: Features::default(),
                out_of_scope_cue: false,
                best_is_background: false,
                likelihood_lead: 0.0,
                parts: Vec::new(),
                trigram: Opinion::default(),
            };
        }
        let mut similar = Similar::new();
        let mut ranked = self.score_in_context(&words, &mut similar, explain);
        // For the features: the whole message's scores, and the last sentence's alone (where
        // families most often put their question).
        let (whole, last) = if with_features {
            let last = match text::last_of_several_sentences(message) {
                Some(sentence) => self.score_in_context(&text::words(sentence), &mut similar, None),
                None => ranked.clone(),
            };
            (ranked.clone(), last)
        } else {
            (Vec::new(), Vec::new())
        };
        // A message of several sentences: its questions, scored alone, may say what it asks
        // more clearly than the whole (the story around them dilutes it).
        let questions = text::question_sentences(message);
        let question_words: Vec<Vec<String>> = questions.iter().map(|s| text::words(s)).collect();
        if !questions.is_empty() && text::sentence_count(message) > 1 {
            for (seg, seg_words) in questions.iter().zip(&question_words) {
                // A question of one content word or none ("what do we do?", "who do we
                // contact for this?") says what it asks only with the sentence before it.
                let content = seg_words.iter().filter(|w| !self.stop_words.contains(*w)).count();
                let with_context;
                let seg_words: &[String] = if content <= CONTEXT_FREE_WORDS {
                    with_context =
                        [text::words(sentence_before(message, seg)), seg_words.clone()].concat();
                    &with_context
                } else {
                    seg_words
                };
                for (topic, s) in self.score_in_context(seg_words, &mut similar, None) {
                    let s = s * QUESTION_WEIGHT;
                    match ranked.iter_mut().find(|r| r.0 == topic) {
                        Some(r) => r.1 = r.1.max(s),
                        None => ranked.push((topic, s)),
                    }
                }
            }
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        }
        // Its parts: the question sentences (the whole message when it has none).
        let sentences = if question_words.is_empty() {
            std::slice::from_ref(&words)
        } else {
            &question_words[..]
        };
        let parts = self.parts(sentences, &mut similar);
        let likelihood_lead = self.rerank_by_likelihood(&words, &similar, &mut ranked);
        ranked.truncate(REPORTED_TOPICS);
        let topic = ranked.first().map_or(u32::MAX, |r| r.0 as u32);
        let (coverage, unknown, content_words) = self.coverage(&words, &similar, topic);
        let score_of =
            |list: &[(usize, f32)], t: usize| list.iter().find(|r| r.0 == t).map_or(0.0, |r| r.1);
        let features = match ranked[..] {
            [(t1, s1), ref rest @ ..] if with_features => Features {
                score: s1,
                last_sentence: score_of(&last, t1),
                runner_up_background: rest
                    .first()
                    .map_or(0.0, |r| f32::from(u8::from(self.is_background_topic(r.0)))),
                topic_words: coverage,
                whole_margin: score_of(&whole, t1)
                    - whole.iter().find(|r| r.0 != t1).map_or(0.0, |r| r.1),
                log_words: Features::log_words_of(content_words),
            },
            _ => Features::default(),
        };
        let (small_talk, only_small_talk) = self.small_talk(&words);
        let trigram = match ranked.first() {
            Some(&(best, _)) if with_features => self.trigrams.opinion(&words, best),
            _ => Opinion::default(),
        };
        let best_is_background = ranked.first().is_some_and(|r| self.is_background_topic(r.0));
        Scored {
            ranked,
            small_talk,
            only_small_talk,
            empty: false,
            language,
            truncated,
            coverage,
            unknown,
            content_words,
            features,
            out_of_scope_cue: words.iter().any(|w| self.is_out_of_scope_cue(w))
                || self.has_out_of_scope_phrase(&words),
            best_is_background,
            likelihood_lead,
            parts,
            trigram,
        }
    }

    /// Each part's best topic and score, when the message asks two things or more: the words
    /// of its question sentences (of the whole message when it has none), split at the words
    /// that join two questions. Empty for one part, and past [`MAX_PARTS`] parts only the first
    /// count.
    fn parts(&self, sentences: &[Vec<String>], similar: &mut Similar) -> Vec<(usize, f32)> {
        let content = |w: &str| !self.stop_words.contains(w);
        let parts: Vec<&[String]> = sentences
            .iter()
            .flat_map(|w| text::clauses(w, 1, content))
            .filter(|p| p.iter().any(|w| content(w)))
            .take(MAX_PARTS)
            .collect();
        if parts.len() < 2 {
            return Vec::new();
        }
        parts
            .iter()
            .filter_map(|p| self.score_in_context(p, similar, None).first().copied())
            .collect()
    }

    /// The shares of the words' weight (as [`Index::score`] weighs them) held by words similar
    /// to a term of the topic's vocabulary, and by words similar to no term at all; and how many
    /// distinct content words there are. Reads the similar terms from the cache that scoring the
    /// same words filled (a word missing from it counts as unknown).
    fn coverage(&self, words: &[String], similar: &Similar, topic: u32) -> (f32, f32, usize) {
        let mut seen = HashSet::default();
        let (mut total, mut covered, mut unknown, mut count) = (0.0, 0.0, 0.0, 0);
        for w in words.iter().filter(|w| !self.stop_words.contains(*w) && seen.insert(*w)) {
            count += 1;
            let m = similar.cache.get(w.as_str()).map_or(&[][..], Vec::as_slice);
            let Some(&(first, _)) = m.first() else {
                let weight =
                    if is_number(w) { 0.0 } else { self.mean_idf * self.params.unknown_weight };
                total += weight;
                unknown += weight;
                continue;
            };
            let weight = self.idf[first as usize];
            total += weight;
            if m.iter().any(|&(t, _)| self.term_topics[t as usize].binary_search(&topic).is_ok()) {
                covered += weight;
            }
        }
        if total > 0.0 {
            (covered / total, unknown / total, count)
        } else {
            (0.0, 0.0, count)
        }
    }
}

/// Whether a word is a number (a year, a date, an age: `1993`, `93м`, `2023-cü`): it says when,
/// not what. One the FAQ does not know weighs nothing, rather than dilute the message as an
/// unknown word would; one it uses (`2025`) weighs [`NUMBER_WEIGHT`] of its spread.
pub(super) fn is_number(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_digit())
}

/// Ends of sentences, as `text` splits them.
fn ends_sentence(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '\n' | '\u{0589}' | '\u{FF1F}' | '\u{FF01}' | '…' | ';')
}

/// The sentence before `sentence`, a slice of `message` (empty for the first sentence).
fn sentence_before<'a>(message: &'a str, sentence: &str) -> &'a str {
    let start = (sentence.as_ptr() as usize)
        .checked_sub(message.as_ptr() as usize)
        .filter(|&i| i + sentence.len() <= message.len() && message.is_char_boundary(i))
        .unwrap_or(0);
    let before = message[..start].trim_end_matches(|c: char| ends_sentence(c) || c.is_whitespace());
    let from = before
        .char_indices()
        .rev()
        .find(|&(_, c)| ends_sentence(c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    &before[from..]
}

#[cfg(test)]
mod tests {
    use super::sentence_before;
    use crate::matcher::{Index, Outcome, Params, MAX_SUGGESTIONS};

    #[test]
    fn the_likelihood_reorders_the_best_topics_and_keeps_their_buttons() {
        let faq = crate::faq::parse(include_str!("../../../../faq.json")).expect("faq.json").faq;
        let id = |name: &str| faq.topics.iter().position(|t| t.id == name).expect(name);
        let message = "The news said the ICRC will end its presence in Azerbaijan. Are you still \
                       talking with the government? could it reopen one day?";
        let plain = Index::build_with(&faq, Params { nb_weight: 0.0, ..Params::default() });
        let before = plain.scored(message);
        // The closure's words around the question give `closure` the higher phrasing score...
        assert_eq!(before.ranked[0].0, id("closure"), "{before:?}");
        let mut index = Index::build(&faq);
        // The rules decide (the forest answers this one, with the closure beside it).
        index.set_forest(None);
        let s = index.scored(message);
        // ...and the words' counts in each topic put the question (will it come back) first.
        assert_eq!((s.ranked[0].0, s.ranked[1].0), (id("return"), id("closure")), "{s:?}");
        // Only the order of the best three changed, not their scores, nor the rest.
        let mut reordered = s.ranked[..3].to_vec();
        reordered.sort_by(|a, b| b.1.total_cmp(&a.1));
        assert_eq!(reordered[..], before.ranked[..3]);
        assert_eq!(s.ranked[3..], before.ranked[3..]);
        assert_eq!(
            index.classify(message).outcome,
            Outcome::Suggest(s.ranked.iter().take(MAX_SUGGESTIONS).map(|r| r.0).collect())
        );
        // A clear message keeps its best topic first.
        let clear = index.scored("who will keep searching for the missing now?");
        assert_eq!(clear.ranked[0].0, id("missing-search"), "{clear:?}");
    }

    #[test]
    fn a_year_or_an_age_neither_helps_nor_dilutes_a_message() {
        let faq = crate::faq::parse(include_str!("../../../../faq.json")).expect("faq.json").faq;
        let index = Index::build(&faq);
        let plain = index.scored("my son went missing, who searches for him now?");
        for dated in [
            "my son went missing 1993, who searches for him now?",
            "my son went missing 93m, 1987, who searches for him now?",
        ] {
            let dated = index.scored(dated);
            assert_eq!(plain.ranked, dated.ranked, "{dated:?}");
            assert_eq!(plain.unknown, dated.unknown);
        }
        // A number the FAQ uses still matches: its topics score higher with it than without.
        let with = index.scored("closure in september 2025");
        let without = index.scored("closure in september");
        assert!(with.ranked[0].1 >= without.ranked[0].1, "{with:?} {without:?}");
        assert!(super::is_number("1993") && super::is_number("93м") && !super::is_number("b2"));
    }

    #[test]
    fn the_sentence_before_a_question() {
        let m = "We live in Baku. My father went missing in Iraq. Who do we ask?";
        let q = &m[m.find("Who").unwrap()..];
        assert_eq!(sentence_before(m, q).trim(), "My father went missing in Iraq");
        assert_eq!(sentence_before(m, &m[..16]), "", "the first sentence has none");
        let hy = "Տղաս կորել է։ Ի՞նչ անենք";
        let q = &hy[hy.find('Ի').unwrap()..];
        assert_eq!(sentence_before(hy, q), "Տղաս կորել է");
        assert_eq!(sentence_before("a?", "elsewhere"), "", "not a slice of the message");
    }
}

//! Purpose: features of a message's best topic beyond its score, for studying the answer
//! decision on the development parts (`faqbot eval --features`).

use rustc_hash::FxHashMap as HashMap;

use crate::text;

use super::score::Similar;
use super::*;

/// Evidence that a topic's vocabulary explains some words.
#[derive(Debug, Default, Clone, Copy)]
struct Evidence {
    content: f32,
    /// Share of the words' weight matched by no term at all.
    unknown: f32,
    /// Share matched by the topic's vocabulary.
    topic: f32,
    /// Share matched by terms of at most two topics, one of them this one.
    distinct: f32,
    /// Share matched by this topic's vocabulary but not the runner-up's, less the reverse.
    exclusive: f32,
}

impl Index {
    fn evidence(&self, words: &[String], similar: &mut Similar, t1: u32, t2: u32) -> Evidence {
        let mut seen = rustc_hash::FxHashSet::default();
        let content: Vec<&String> =
            words.iter().filter(|w| !self.stop_words.contains(*w) && seen.insert(*w)).collect();
        let mut ev = Evidence { content: content.len() as f32, ..Evidence::default() };
        let mut total = 0.0;
        for w in content {
            let m = similar.terms(self, w);
            let weight = m
                .first()
                .map_or(self.mean_idf * self.params.unknown_weight, |&(t, _)| self.idf[t as usize]);
            total += weight;
            if m.is_empty() {
                ev.unknown += weight;
                continue;
            }
            let has =
                |topic: u32| m.iter().any(|&(t, _)| self.term_topics[t as usize].contains(&topic));
            let (in1, in2) = (has(t1), has(t2));
            if in1 {
                ev.topic += weight;
            }
            if m.iter().any(|&(t, _)| {
                let tt = &self.term_topics[t as usize];
                tt.len() <= 2 && tt.contains(&t1)
            }) {
                ev.distinct += weight;
            }
            if in1 && !in2 {
                ev.exclusive += weight;
            } else if in2 && !in1 {
                ev.exclusive -= weight;
            }
        }
        if total > 0.0 {
            ev.unknown /= total;
            ev.topic /= total;
            ev.distinct /= total;
            ev.exclusive /= total;
        }
        ev
    }

    /// Named features of the message's best topic (empty when nothing scored): first those
    /// the decision model weighs ([`FEATURES`]), then more for study.
    #[must_use]
    pub fn features(&self, message: &str) -> Vec<(&'static str, f32)> {
        let scored = self.scored(message);
        let Some(&(t1, s1)) = scored.ranked.first() else { return Vec::new() };
        let mut out: Vec<(&'static str, f32)> =
            FEATURES.iter().copied().zip(scored.features.values()).collect();
        let (t2, s2) = scored.ranked.get(1).copied().unwrap_or((usize::MAX, 0.0));
        let mut similar = Similar::new();
        let words = text::words(message);
        let whole = self.score_in_context(&words, &mut similar, None);
        let whole_best = whole.first().map(|r| r.0);
        let whole_t1 = whole.iter().find(|r| r.0 == t1).map_or(0.0, |r| r.1);
        let whole_gap = whole_t1 - whole.iter().find(|r| r.0 != t1).map_or(0.0, |r| r.1);
        let questions = text::question_sentences(message);
        let mut q_gap = 0.0;
        let mut q_best: Option<(usize, f32)> = None;
        let mut q_words: Vec<String> = Vec::new();
        for seg in &questions {
            let seg_words = text::words(seg);
            let r = self.score_in_context(&seg_words, &mut similar, None);
            if let Some(&b) = r.first() {
                if q_best.is_none_or(|q| b.1 > q.1) {
                    q_best = Some(b);
                    q_gap = b.1 - r.get(1).map_or(0.0, |x| x.1);
                    q_words = seg_words;
                }
            }
        }
        // Every sentence (split at . ! ? and line ends) and which topic it points to.
        let mut sentences = 0.0;
        let mut agreeing = 0.0;
        let mut last = (0.0, 0.0, 0.0);
        for seg in message.split(['.', '!', '?', '\n', ';', '\u{0589}']) {
            let seg_words = text::words(seg);
            if seg_words.is_empty() {
                continue;
            }
            sentences += 1.0;
            let r = self.score_in_context(&seg_words, &mut similar, None);
            let agree = r.first().is_some_and(|r| r.0 == t1);
            if agree {
                agreeing += 1.0;
            }
            let top = r.first().map_or(0.0, |r| r.1);
            last = (
                if agree { 1.0 } else { 0.0 },
                r.iter().find(|x| x.0 == t1).map_or(0.0, |x| x.1),
                top - r.get(1).map_or(0.0, |x| x.1),
            );
        }
        // The naive-Bayes likelihood of the best three, as the decision reads it: whether the
        // best is the likeliest, and by how many nats it leads the others.
        let nb_gap = scored.likelihood_lead;
        let (t1u, t2u) = (t1 as u32, t2 as u32);
        let ew = self.evidence(&words, &mut similar, t1u, t2u);
        let eq =
            if q_words.is_empty() { ew } else { self.evidence(&q_words, &mut similar, t1u, t2u) };
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        out.extend([
            ("s1", s1),
            ("cue", flag(scored.out_of_scope_cue)),
            ("small", flag(scored.small_talk.is_some())),
            ("s2", s2),
            ("nb_agree", flag(nb_gap >= 0.0)),
            ("nb_gap", nb_gap),
            ("whole_t1", whole_t1),
            ("whole_agree", flag(whole_best == Some(t1))),
            ("q_score", q_best.map_or(0.0, |q| q.1)),
            ("q_agree", flag(q_best.is_some_and(|q| q.0 == t1))),
            ("questions", questions.len() as f32),
            ("sentences", sentences),
            ("agreeing", agreeing),
            ("whole_gap", whole_gap),
            ("q_gap", q_gap),
            ("last_agree", last.0),
            ("last_t1", last.1),
            ("last_gap", last.2),
            ("t1_bg", flag(self.is_background_topic(t1))),
            ("t2_bg", flag(t2 != usize::MAX && self.is_background_topic(t2))),
            ("w_content", ew.content),
            ("w_unknown", ew.unknown),
            ("w_topic", ew.topic),
            ("w_distinct", ew.distinct),
            ("w_exclusive", ew.exclusive),
            ("q_content", eq.content),
            ("q_unknown", eq.unknown),
            ("q_topic", eq.topic),
            ("q_distinct", eq.distinct),
            ("q_exclusive", eq.exclusive),
        ]);
        out
    }
}

impl Similar {
    pub(super) fn new() -> Similar {
        Similar { cache: HashMap::default(), budget: TYPO_BUDGET }
    }

    /// A word's similar terms, from the cache or the index.
    pub(super) fn terms(&mut self, index: &Index, word: &str) -> Vec<(u32, f32)> {
        if let Some(m) = self.cache.get(word) {
            return m.clone();
        }
        let m = index.similar_terms(word, &mut self.budget);
        self.cache.insert(word.to_string(), m.clone());
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_describe_the_best_topic() {
        let src = include_str!("../../../../faq.json");
        let index = Index::build(&crate::faq::parse(src).expect("faq.json").faq);
        assert!(index.features("🙂").is_empty());
        let message =
            "The office closed. My mother waits. Where are the documents about my father?";
        let f: HashMap<&str, f32> = index.features(message).into_iter().collect();
        let scored = index.scored(message);
        assert_eq!(f["s1"], scored.ranked[0].1);
        assert_eq!(f["sentences"], 3.0);
        assert_eq!(f["questions"], 1.0);
        // The report's figures are the ones the decision uses.
        assert!((f["w_topic"] - scored.coverage).abs() < 1e-6, "{f:?} {scored:?}");
        assert!((f["w_unknown"] - scored.unknown).abs() < 1e-6, "{f:?} {scored:?}");
        assert_eq!(f["w_content"], scored.content_words as f32);
        let strange = index.features("Where in Baku can I buy a cheap zxqvw ticket?");
        let strange: HashMap<&str, f32> = strange.into_iter().collect();
        assert!(strange["w_unknown"] > 0.3, "{strange:?}");
    }
}

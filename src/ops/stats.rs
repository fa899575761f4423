//! Purpose: the counts `/stats` shows: outcomes per topic since the start, never a text or an id.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use super::gaps::Day;
use crate::faq::Faq;
use crate::matcher::Outcome;

/// What the bot did since it started, for `/stats`. Holds no message text and no ids of
/// people: only counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    /// The day counting started.
    pub since: Day,
    /// Questions answered outright, per topic id.
    pub answered: BTreeMap<String, u64>,
    /// Topic buttons tapped, per topic id.
    pub tapped: BTreeMap<String, u64>,
    pub suggestions: u64,
    pub fallbacks: u64,
    pub small_talk: u64,
    pub empty: u64,
}

impl Stats {
    /// Empty counts, starting `since`.
    #[must_use]
    pub fn new(since: Day) -> Stats {
        Stats {
            since,
            answered: BTreeMap::new(),
            tapped: BTreeMap::new(),
            suggestions: 0,
            fallbacks: 0,
            small_talk: 0,
            empty: 0,
        }
    }

    /// Counts the outcome of one question (`faq` names the topic of an answer).
    pub fn record(&mut self, outcome: &Outcome, faq: &Faq) {
        self.add(&Stats::count_name(outcome, faq), 1);
    }

    /// Counts a tap on a topic button.
    pub fn record_tap(&mut self, topic_id: &str) {
        self.add(&Stats::tap_name(topic_id), 1);
    }

    /// The name of the count an outcome adds to (`answered:<topic id>`, `suggestions`,
    /// `fallbacks`, `small_talk`, `empty`): how the counts are kept in a shared store.
    #[must_use]
    pub fn count_name(outcome: &Outcome, faq: &Faq) -> String {
        match outcome {
            Outcome::Answer { topic: i, .. } => {
                let id = faq.topics.get(*i).map_or("?", |t| t.id.as_str());
                format!("answered:{id}")
            }
            Outcome::Suggest(_) => "suggestions".into(),
            Outcome::Fallback => "fallbacks".into(),
            Outcome::SmallTalk(_) => "small_talk".into(),
            Outcome::Empty => "empty".into(),
        }
    }

    /// The name of the count of taps on a topic's button (`tapped:<topic id>`).
    #[must_use]
    pub fn tap_name(topic_id: &str) -> String {
        format!("tapped:{topic_id}")
    }

    /// Adds `n` to the count named `name` (see [`Stats::count_name`]); unknown names are
    /// ignored.
    pub fn add(&mut self, name: &str, n: u64) {
        if let Some(id) = name.strip_prefix("answered:") {
            *self.answered.entry(id.to_string()).or_insert(0) += n;
        } else if let Some(id) = name.strip_prefix("tapped:") {
            *self.tapped.entry(id.to_string()).or_insert(0) += n;
        } else {
            match name {
                "suggestions" => self.suggestions += n,
                "fallbacks" => self.fallbacks += n,
                "small_talk" => self.small_talk += n,
                "empty" => self.empty += n,
                _ => {}
            }
        }
    }

    /// Questions counted, of every outcome.
    #[must_use]
    pub fn questions(&self) -> u64 {
        self.answered.values().sum::<u64>()
            + self.suggestions
            + self.fallbacks
            + self.small_talk
            + self.empty
    }

    /// Plain text for operators (English: `/stats` is an operator tool). Topics in the order
    /// of `faq`, then any topic no longer in it.
    #[must_use]
    pub fn render(&self, faq: &Faq) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "Since {}: {} question(s).", self.since, self.questions());
        let _ = writeln!(out, "Answered per topic (questions / button taps):");
        let mut ids: Vec<&str> = faq.topics.iter().map(|t| t.id.as_str()).collect();
        let extra: HashSet<&str> =
            self.answered.keys().chain(self.tapped.keys()).map(String::as_str).collect();
        let mut extra: Vec<&str> = extra.into_iter().filter(|id| !ids.contains(id)).collect();
        extra.sort_unstable();
        ids.extend(extra);
        let counts: HashMap<&str, (u64, u64)> = ids
            .iter()
            .map(|&id| {
                (id, (*self.answered.get(id).unwrap_or(&0), *self.tapped.get(id).unwrap_or(&0)))
            })
            .collect();
        for id in ids {
            let (a, t) = counts[id];
            let _ = writeln!(out, "  {id}: {a} / {t}");
        }
        let _ = writeln!(out, "Suggestions offered: {}", self.suggestions);
        let _ = writeln!(out, "Fallbacks (nothing fitted): {}", self.fallbacks);
        let _ = write!(
            out,
            "Greetings and thanks: {}; empty messages: {}",
            self.small_talk, self.empty
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_count_outcomes_per_topic() {
        let e = crate::reply::Engine::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("faq.json"),
        )
        .expect("the shipped faq.json loads");
        let mut stats = Stats::new(Day::from_ymd(2025, 10, 1));
        for q in [
            "When will the ICRC office in Azerbaijan close?",
            "When will the ICRC office in Azerbaijan close?",
            "Did the ICRC visit all the detainees?",
            "tell me a joke about cats",
            "hello",
            "🙂",
        ] {
            let (_, m) = e.ask(q, crate::reply::LangHints::default());
            stats.record(&m.outcome, &e.faq);
        }
        stats.record_tap("return");
        assert_eq!(stats.answered.get("closure"), Some(&2));
        assert_eq!(stats.answered.get("detention-visits"), Some(&1));
        assert_eq!(stats.questions(), 6);
        assert_eq!(stats.suggestions + stats.fallbacks, 1);
        assert_eq!(stats.small_talk, 1);
        assert_eq!(stats.empty, 1);
        let text = stats.render(&e.faq);
        assert!(text.starts_with("Since 2025-10-01: 6 question(s)."), "{text}");
        assert!(
            text.contains("  closure: 2 / 0\n") && text.contains("  return: 0 / 1\n"),
            "{text}"
        );
        assert!(
            text.contains(&format!("Fallbacks (nothing fitted): {}", stats.fallbacks)),
            "{text}"
        );
    }
}

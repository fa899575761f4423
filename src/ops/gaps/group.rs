//! Purpose: grouping kept questions that resemble each other, for `faqbot gaps`.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use super::*;

/// Kept questions that resemble each other.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The question most like the others of the group.
    pub representative: String,
    /// Every question of the group, in the order kept.
    pub questions: Vec<String>,
    /// Closest topics (`None`: no topic scored) with how many questions came closest to each,
    /// most first.
    pub closest: Vec<(Option<String>, usize)>,
    /// Languages with their counts, most first.
    pub languages: Vec<(String, usize)>,
}

impl Group {
    /// How many questions the group holds.
    #[must_use]
    pub fn count(&self) -> usize {
        self.questions.len()
    }
}

/// The words of a masked question that carry meaning (placeholders and `ignore`d words out).
fn content_words(text: &str, ignore: &HashSet<String>) -> Vec<String> {
    let mut out: Vec<String> = crate::text::words(text)
        .into_iter()
        .filter(|w| {
            !ignore.contains(w) && !matches!(w.as_str(), "number" | "email" | "link" | "user")
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Similarity of two word sets (0..1): words count as shared when equal, or the same word
/// with another ending or a typo (as the matcher sees them), over the size of the union.
#[must_use]
pub fn similarity(a: &[String], b: &[String]) -> f32 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let shared =
        a.iter().filter(|x| b.iter().any(|y| crate::matcher::word_sim(x, y) > 0.0)).count();
    let union = a.len() + b.len() - shared;
    if union == 0 {
        0.0
    } else {
        shared as f32 / union as f32
    }
}

fn counted<T: Ord + Clone>(items: impl Iterator<Item = T>) -> Vec<(T, usize)> {
    let mut map: BTreeMap<T, usize> = BTreeMap::new();
    for i in items {
        *map.entry(i).or_insert(0) += 1;
    }
    let mut v: Vec<(T, usize)> = map.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

/// Groups similar questions (word-set similarity at least [`GROUP_SIMILARITY`] to a group's
/// first question), largest group first. `ignore` holds words that say nothing (stop words).
#[must_use]
pub fn group(gaps: &[Gap], ignore: &HashSet<String>) -> Vec<Group> {
    let words: Vec<Vec<String>> = gaps.iter().map(|g| content_words(&g.text, ignore)).collect();
    // Each cluster: indexes into `gaps`, the first being its seed.
    let mut clusters: Vec<Vec<usize>> = Vec::new();
    for i in 0..gaps.len() {
        let best = clusters
            .iter()
            .enumerate()
            .map(|(c, members)| (c, similarity(&words[i], &words[members[0]])))
            .filter(|&(_, s)| s >= GROUP_SIMILARITY)
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        match best {
            Some((c, _)) => clusters[c].push(i),
            None => clusters.push(vec![i]),
        }
    }
    let mut groups: Vec<Group> = clusters
        .into_iter()
        .map(|members| {
            let representative = *members
                .iter()
                .max_by(|&&a, &&b| {
                    let total = |x: usize| -> f32 {
                        members.iter().map(|&y| similarity(&words[x], &words[y])).sum()
                    };
                    total(a).total_cmp(&total(b)).then(b.cmp(&a))
                })
                .unwrap_or(&members[0]);
            Group {
                representative: gaps[representative].text.clone(),
                questions: members.iter().map(|&i| gaps[i].text.clone()).collect(),
                closest: counted(members.iter().map(|&i| gaps[i].closest.clone())),
                languages: counted(members.iter().map(|&i| gaps[i].language.clone())),
            }
        })
        .collect();
    groups.sort_by_key(|g| std::cmp::Reverse(g.count()));
    groups
}

/// The groups as `faqbot gaps` prints them.
#[must_use]
pub fn render_groups(groups: &[Group]) -> String {
    let mut out = String::new();
    for g in groups {
        let closest: Vec<String> = g
            .closest
            .iter()
            .map(|(t, n)| format!("{} ({n})", t.as_deref().unwrap_or("none")))
            .collect();
        let langs: Vec<String> = g.languages.iter().map(|(l, n)| format!("{l} ({n})")).collect();
        let _ = writeln!(out, "{:>4}  {}", g.count(), g.representative);
        let _ = writeln!(
            out,
            "      closest topic: {}; language: {}",
            closest.join(", "),
            langs.join(", ")
        );
        let mut others: Vec<&String> =
            g.questions.iter().filter(|q| **q != g.representative).collect();
        others.dedup();
        for q in others.iter().take(3) {
            let _ = writeln!(out, "      also: {q}");
        }
        if others.len() > 3 {
            let _ = writeln!(out, "      and {} more", others.len() - 3);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similarity_tolerates_endings_and_rejects_unrelated_words() {
        let w = |s: &str| content_words(s, &HashSet::new());
        assert!(similarity(&w("visa germany price"), &w("germany visa prices")) > 0.9);
        assert!(similarity(&w("visa germany price"), &w("weather tomorrow baku")) < 0.1);
    }
}

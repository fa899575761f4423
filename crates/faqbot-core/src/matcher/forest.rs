//! Purpose: the answer decision as a small forest of boosted decision trees over a match's
//! features, fitted on labelled development messages (`faqbot eval --fit-forest`) and shipped
//! with the core (`answer-forest.json`), the hand-set rules being one of its inputs.
//!
//! The hand-set rules (`answer`, `margin`, the clear-words and likelihood exceptions) answer a
//! message when one figure passes its cut-off. A family's message that is plainly about one
//! topic often misses each cut-off a little (a story dilutes its score; a sibling topic sits
//! close), while an out-of-scope question can pass one. Trees read the figures together: a
//! lower score with a wide lead, few unknown words and the likelihood agreeing is a safe
//! answer; a high score with an out-of-scope cue is not. The rules' own verdict is a feature,
//! so the forest starts from them and learns where they are too strict or too loose.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::Scored;
use crate::faq::Thresholds;

/// The forest's features' names, in the order of [`Scored::forest_features`].
pub const FOREST_FEATURES: [&str; 17] = [
    "score",
    "last_sentence",
    "runner_up_background",
    "topic_words",
    "whole_margin",
    "log_words",
    "runner_up",
    "likelihood_lead",
    "unknown",
    "content_words",
    "best_is_background",
    "out_of_scope_cue",
    "small_talk",
    "rules",
    "trigram_agree",
    "trigram_best",
    "trigram_margin",
];

/// A message's values of [`FOREST_FEATURES`].
pub type ForestRow = [f32; FOREST_FEATURES.len()];

/// A node of a tree: a leaf's value, or a test sending values at or below `t` of feature `f`
/// to node `l` and the others to node `r`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Node {
    Leaf { v: f32 },
    Split { f: usize, t: f32, l: usize, r: usize },
}

/// Boosted trees: the log-odds that the best topic is right are `base` plus one leaf of each
/// tree; the bot answers at or above `cutoff` probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forest {
    /// How it was made (files, messages, parameters), for whoever reads the file.
    pub fitted_on: String,
    /// [`FOREST_FEATURES`] as it was when fitted: a forest of other features is refused.
    pub features: Vec<String>,
    pub cutoff: f64,
    pub base: f64,
    pub trees: Vec<Vec<Node>>,
}

/// The forest shipped with the core.
const SHIPPED: &str = include_str!("answer-forest.json");

impl Forest {
    /// A forest of this build's features.
    #[must_use]
    pub fn new(fitted_on: String, cutoff: f64, base: f64, trees: Vec<Vec<Node>>) -> Forest {
        let features = FOREST_FEATURES.iter().map(|s| (*s).to_string()).collect();
        Forest { fitted_on, features, cutoff, base, trees }
    }

    /// Parses a forest file, checking that its features are this build's and its nodes point
    /// inside their tree.
    ///
    /// # Errors
    /// A message saying what is wrong.
    pub fn parse(src: &str) -> Result<Forest, String> {
        let forest: Forest = serde_json::from_str(src).map_err(|e| e.to_string())?;
        if forest.features != FOREST_FEATURES {
            return Err(format!(
                "the forest's features {:?} are not this build's {:?}",
                forest.features, FOREST_FEATURES
            ));
        }
        for (i, tree) in forest.trees.iter().enumerate() {
            // Children after their parent: every walk ends.
            let bad = tree.iter().enumerate().any(|(n, node)| match *node {
                Node::Leaf { .. } => false,
                Node::Split { f, l, r, .. } => {
                    f >= FOREST_FEATURES.len()
                        || l <= n
                        || r <= n
                        || l >= tree.len()
                        || r >= tree.len()
                }
            });
            if tree.is_empty() || bad {
                return Err(format!("tree {i} is malformed"));
            }
        }
        Ok(forest)
    }

    /// The forest shipped with the core (`answer-forest.json`, checked by a test).
    #[must_use]
    pub fn shipped() -> &'static Forest {
        static FOREST: OnceLock<Forest> = OnceLock::new();
        FOREST.get_or_init(|| Forest::parse(SHIPPED).expect("answer-forest.json is valid"))
    }

    /// The probability that the best topic is right.
    #[must_use]
    pub fn probability(&self, x: &ForestRow) -> f64 {
        let z = self.base + self.trees.iter().map(|t| f64::from(leaf(t, x))).sum::<f64>();
        1.0 / (1.0 + (-z).exp())
    }
}

/// The leaf value a tree gives a row.
fn leaf(tree: &[Node], x: &ForestRow) -> f32 {
    let mut i = 0;
    loop {
        match tree[i] {
            Node::Leaf { v } => return v,
            Node::Split { f, t, l, r } => i = if x[f] <= t { l } else { r },
        }
    }
}

/// How a forest is grown.
#[derive(Debug, Clone, Copy)]
pub struct ForestParams {
    pub trees: usize,
    pub depth: usize,
    /// The fewest messages a leaf may hold: no rule is learned from a handful.
    pub min_leaf: usize,
    pub rate: f64,
    /// The L2 penalty on leaf values.
    pub l2: f64,
}

impl ForestParams {
    /// The parameters of the shipped forest: 100 trees of depth 3, leaves of at least 20
    /// messages, learning rate 0.1, no penalty (chosen by cross-validation over whole files
    /// among a few settings, see the README).
    pub const SHIPPED: ForestParams =
        ForestParams { trees: 100, depth: 3, min_leaf: 20, rate: 0.1, l2: 0.0 };
}

/// Grows boosted trees on `rows` (each message's features and whether its best topic was
/// right): Newton steps on the logistic loss, each tree split level by level at the cut that
/// gains most, leaves of at least `min_leaf` messages. Returns the base log-odds and the trees.
#[must_use]
pub fn fit_forest(rows: &[(ForestRow, bool)], p: &ForestParams) -> (f64, Vec<Vec<Node>>) {
    let n = rows.len();
    if n == 0 {
        return (0.0, Vec::new());
    }
    let positives = rows.iter().filter(|r| r.1).count() as f64;
    let mean = (positives / n as f64).clamp(1e-6, 1.0 - 1e-6);
    let base = (mean / (1.0 - mean)).ln();
    let mut z = vec![base; n];
    // Each feature's messages in increasing order, sorted once.
    let order: Vec<Vec<usize>> = (0..FOREST_FEATURES.len())
        .map(|j| {
            let mut idx: Vec<usize> = (0..n).collect();
            idx.sort_by(|&a, &b| rows[a].0[j].total_cmp(&rows[b].0[j]));
            idx
        })
        .collect();
    let mut trees = Vec::with_capacity(p.trees);
    let (mut g, mut h) = (vec![0.0f64; n], vec![0.0f64; n]);
    for _ in 0..p.trees {
        for i in 0..n {
            let q = 1.0 / (1.0 + (-z[i]).exp());
            g[i] = q - if rows[i].1 { 1.0 } else { 0.0 };
            h[i] = (q * (1.0 - q)).max(1e-9);
        }
        let tree = grow(rows, &order, &g, &h, p);
        for (i, row) in rows.iter().enumerate() {
            z[i] += f64::from(leaf(&tree, &row.0));
        }
        trees.push(tree);
    }
    (base, trees)
}

/// One tree on the gradients `g` and hessians `h`.
fn grow(
    rows: &[(ForestRow, bool)],
    order: &[Vec<usize>],
    g: &[f64],
    h: &[f64],
    p: &ForestParams,
) -> Vec<Node> {
    let n = rows.len();
    let score = |gs: f64, hs: f64| gs * gs / (hs + p.l2);
    // Nodes being grown: their sums, and each message's node (usize::MAX once in a leaf).
    let mut nodes: Vec<Node> = vec![Node::Leaf { v: 0.0 }];
    let mut node_of = vec![0usize; n];
    let mut open: Vec<usize> = vec![0];
    for depth in 0..=p.depth {
        // Each open node's totals.
        let mut total: Vec<(f64, f64, usize)> = vec![(0.0, 0.0, 0); nodes.len()];
        for i in 0..n {
            if node_of[i] != usize::MAX {
                let t = &mut total[node_of[i]];
                t.0 += g[i];
                t.1 += h[i];
                t.2 += 1;
            }
        }
        // The best cut of each open node: (gain, feature, threshold).
        let mut best: Vec<Option<(f64, usize, f32)>> = vec![None; nodes.len()];
        if depth < p.depth {
            for (j, idx) in order.iter().enumerate() {
                // Left sums and the last value seen, per node.
                let mut left: Vec<(f64, f64, usize, f32)> =
                    vec![(0.0, 0.0, 0, f32::NEG_INFINITY); nodes.len()];
                for &i in idx {
                    let k = node_of[i];
                    if k == usize::MAX {
                        continue;
                    }
                    let x = rows[i].0[j];
                    let (gl, hl, cl, last) = left[k];
                    let (gt, ht, ct) = total[k];
                    if cl >= p.min_leaf && ct - cl >= p.min_leaf && x > last {
                        let gain = score(gl, hl) + score(gt - gl, ht - hl) - score(gt, ht);
                        if gain > 1e-9 && best[k].is_none_or(|b| gain > b.0) {
                            best[k] = Some((gain, j, last + (x - last) / 2.0));
                        }
                    }
                    left[k] = (gl + g[i], hl + h[i], cl + 1, x);
                }
            }
        }
        let mut next = Vec::new();
        let mut child_of: Vec<Option<(usize, usize, usize, f32)>> = vec![None; nodes.len()];
        for &k in &open {
            match best[k] {
                Some((_, f, t)) => {
                    let (l, r) = (nodes.len(), nodes.len() + 1);
                    nodes.push(Node::Leaf { v: 0.0 });
                    nodes.push(Node::Leaf { v: 0.0 });
                    nodes[k] = Node::Split { f, t, l, r };
                    child_of[k] = Some((l, r, f, t));
                    next.extend([l, r]);
                }
                None => {
                    let (gt, ht, _) = total[k];
                    nodes[k] = Node::Leaf { v: (-gt / (ht + p.l2) * p.rate) as f32 };
                }
            }
        }
        for i in 0..n {
            let k = node_of[i];
            if k == usize::MAX {
                continue;
            }
            node_of[i] = match child_of[k] {
                Some((l, r, f, t)) => {
                    if rows[i].0[f] <= t {
                        l
                    } else {
                        r
                    }
                }
                None => usize::MAX,
            };
        }
        open = next;
        if open.is_empty() {
            break;
        }
    }
    nodes
}

impl Scored {
    /// The message's values of [`FOREST_FEATURES`], `rules` being [`Scored::rules_verdict`]
    /// under the thresholds `t`.
    #[must_use]
    pub fn forest_features(&self, t: &Thresholds) -> ForestRow {
        let rules = self.rules_verdict(t);
        let f = &self.features;
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        [
            f.score,
            f.last_sentence,
            f.runner_up_background,
            f.topic_words,
            f.whole_margin,
            f.log_words,
            self.ranked.get(1).map_or(0.0, |r| r.1),
            self.likelihood_lead,
            self.unknown,
            self.content_words as f32,
            flag(self.best_is_background),
            flag(self.out_of_scope_cue),
            flag(self.small_talk.is_some()),
            flag(rules),
            self.trigram.agree,
            self.trigram.best,
            self.trigram.margin,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_forest_parses_and_has_this_builds_features() {
        let f = Forest::shipped();
        assert!(!f.trees.is_empty());
        assert!(f.cutoff > 0.5 && f.cutoff < 1.0, "{}", f.cutoff);
        let mut other = f.clone();
        other.features.pop();
        let src = serde_json::to_string(&other).unwrap();
        assert!(Forest::parse(&src).unwrap_err().contains("not this build's"));
        let mut looping = f.clone();
        looping.trees[0] = vec![Node::Split { f: 0, t: 0.5, l: 0, r: 0 }];
        let src = serde_json::to_string(&looping).unwrap();
        assert!(Forest::parse(&src).unwrap_err().contains("tree 0"));
    }

    /// Rows whose label is `score > 0.6 && rules`, with noise-free features.
    fn rows() -> Vec<(ForestRow, bool)> {
        (0..400)
            .map(|i| {
                let mut x = [0.0f32; FOREST_FEATURES.len()];
                x[0] = (i % 100) as f32 / 100.0;
                x[13] = if i % 3 == 0 { 0.0 } else { 1.0 };
                (x, x[0] > 0.6 && x[13] > 0.5)
            })
            .collect()
    }

    #[test]
    fn a_fitted_forest_learns_a_rule_of_two_features() {
        let rows = rows();
        let p = ForestParams { trees: 30, depth: 2, min_leaf: 10, rate: 0.3, l2: 1.0 };
        let (base, trees) = fit_forest(&rows, &p);
        let forest = Forest::new(String::new(), 0.5, base, trees);
        let right = rows.iter().filter(|(x, y)| (forest.probability(x) >= 0.5) == *y).count();
        assert_eq!(right, rows.len());
        // Leaves hold at least `min_leaf` rows: a single odd row does not get its own.
        let mut odd = rows.clone();
        odd[10].1 = true; // score 0.10, rules 1: alone of its kind
        let (base, trees) = fit_forest(&odd, &p);
        let forest = Forest { base, trees, ..forest };
        assert!(forest.probability(&odd[10].0) < 0.5);
    }
}

//! Purpose: the answer decision as a small logistic model over a few features of a match,
//! fitted on labelled development messages (`faqbot eval --fit`) and kept in faq.json.
//!
//! A family's message rarely reaches a fixed score: a story around the question dilutes it.
//! Whether the best topic is right shows better in several figures together: its score, its
//! score on the last sentence alone (where the question usually is), how much of the message
//! is the topic's own vocabulary, its lead on the whole message, whether the runner-up is only
//! the background (the closure), and how long the message is. The model weighs them into the
//! probability that the best topic is right; the bot answers at or above `cutoff`.

use crate::faq::Decision;

/// The features' names, as faq.json's `decision.weights` and `faqbot eval --features` write them.
pub const FEATURES: [&str; 6] =
    ["score", "last_sentence", "runner_up_background", "topic_words", "whole_margin", "log_words"];

/// The word count that `log_words` stops growing at: the development messages' longest 5 %
/// have about this many content words, and a model must not extrapolate to pasted pages.
pub const MAX_WORDS: usize = 24;

/// A match's features, in the order of [`FEATURES`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Features {
    /// The best topic's score (0..1).
    pub score: f32,
    /// The best topic's score on the message's last sentence alone (its score on the whole
    /// message when it has one sentence).
    pub last_sentence: f32,
    /// Whether the runner-up is a background topic (1 or 0).
    pub runner_up_background: f32,
    /// Share of the message's word weight held by words of the best topic's vocabulary.
    pub topic_words: f32,
    /// The best topic's score on the whole message less the best other topic's (-1..1).
    pub whole_margin: f32,
    /// ln(1 + content words), the count taken at most [`MAX_WORDS`].
    pub log_words: f32,
}

impl Features {
    /// The values in the order of [`FEATURES`].
    #[must_use]
    pub fn values(&self) -> [f32; FEATURES.len()] {
        [
            self.score,
            self.last_sentence,
            self.runner_up_background,
            self.topic_words,
            self.whole_margin,
            self.log_words,
        ]
    }

    /// `log_words` of a count of content words.
    #[must_use]
    pub fn log_words_of(content_words: usize) -> f32 {
        (content_words.min(MAX_WORDS) as f32).ln_1p()
    }
}

/// The decision model, ready to apply.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub intercept: f64,
    pub weights: [f64; FEATURES.len()],
    pub cutoff: f64,
}

impl Model {
    /// The model of a validated faq.json `decision` (unknown names were rejected there; a
    /// feature without a weight weighs 0).
    #[must_use]
    pub fn of(d: &Decision) -> Model {
        let mut weights = [0.0; FEATURES.len()];
        for (w, name) in weights.iter_mut().zip(FEATURES) {
            *w = d.weights.get(name).copied().unwrap_or(0.0);
        }
        Model { intercept: d.intercept, weights, cutoff: d.cutoff }
    }

    /// The probability that the best topic is right.
    #[must_use]
    pub fn probability(&self, f: &Features) -> f64 {
        let z = self.intercept
            + self.weights.iter().zip(f.values()).map(|(w, x)| w * f64::from(x)).sum::<f64>();
        1.0 / (1.0 + (-z).exp())
    }

    /// Whether the bot answers the best topic.
    #[must_use]
    pub fn answers(&self, f: &Features) -> bool {
        self.probability(f) >= self.cutoff
    }
}

/// Fits a logistic model with an L2 penalty `l2` on the standardised weights (Newton's
/// method; the intercept is not penalised). Returns the intercept and weights on the
/// features' own scale. `rows` pairs each message's features with whether its best topic was
/// right. A feature that never varies gets weight 0.
#[must_use]
#[allow(clippy::needless_range_loop)] // matrix arithmetic reads best with its indices
pub fn fit(rows: &[([f32; FEATURES.len()], bool)], l2: f64) -> (f64, [f64; FEATURES.len()]) {
    const D: usize = FEATURES.len();
    let n = rows.len().max(1) as f64;
    let mut mean = [0.0f64; D];
    let mut sd = [0.0f64; D];
    for (x, _) in rows {
        for j in 0..D {
            mean[j] += f64::from(x[j]) / n;
        }
    }
    for (x, _) in rows {
        for j in 0..D {
            sd[j] += (f64::from(x[j]) - mean[j]).powi(2) / n;
        }
    }
    let sd = sd.map(|v| if v > 1e-12 { v.sqrt() } else { 0.0 });
    let z = |x: &[f32; D]| -> [f64; D + 1] {
        let mut z = [1.0; D + 1];
        for j in 0..D {
            z[j + 1] = if sd[j] > 0.0 { (f64::from(x[j]) - mean[j]) / sd[j] } else { 0.0 };
        }
        z
    };
    let mut w = [0.0f64; D + 1];
    for _ in 0..25 {
        let mut h = [[0.0f64; D + 1]; D + 1];
        let mut g = [0.0f64; D + 1];
        for (x, y) in rows {
            let zx = z(x);
            let s: f64 = w.iter().zip(&zx).map(|(a, b)| a * b).sum();
            let p = 1.0 / (1.0 + (-s.clamp(-30.0, 30.0)).exp());
            let e = p - if *y { 1.0 } else { 0.0 };
            for i in 0..=D {
                g[i] += e * zx[i];
                for j in 0..=D {
                    h[i][j] += p * (1.0 - p) * zx[i] * zx[j];
                }
            }
        }
        for i in 1..=D {
            h[i][i] += l2;
            g[i] += l2 * w[i];
        }
        let step = solve(h, g);
        let mut moved = 0.0f64;
        for i in 0..=D {
            w[i] -= step[i];
            moved = moved.max(step[i].abs());
        }
        if moved < 1e-9 {
            break;
        }
    }
    let mut weights = [0.0; D];
    let mut intercept = w[0];
    for j in 0..D {
        if sd[j] > 0.0 {
            weights[j] = w[j + 1] / sd[j];
            intercept -= weights[j] * mean[j];
        }
    }
    (intercept, weights)
}

/// Solves `a x = b` by Gauss-Jordan elimination with partial pivoting (a tiny system);
/// a singular column gets 0.
#[allow(clippy::needless_range_loop)] // matrix arithmetic reads best with its indices
fn solve<const N: usize>(mut a: [[f64; N]; N], mut b: [f64; N]) -> [f64; N] {
    for c in 0..N {
        let p = (c..N).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs())).unwrap_or(c);
        a.swap(c, p);
        b.swap(c, p);
        if a[c][c].abs() < 1e-12 {
            continue;
        }
        for r in 0..N {
            if r != c {
                let k = a[r][c] / a[c][c];
                if k != 0.0 {
                    for j in c..N {
                        a[r][j] -= k * a[c][j];
                    }
                    b[r] -= k * b[c];
                }
            }
        }
    }
    let mut x = [0.0; N];
    for i in 0..N {
        if a[i][i].abs() >= 1e-12 {
            x[i] = b[i] / a[i][i];
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic stream of numbers in [0, 1).
    fn uniform(seed: &mut u64) -> f64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    }

    #[test]
    fn fitting_recovers_the_weights_that_made_the_labels() {
        // Labels drawn from a known model: z = -3 + 6·score + 2·topic_words, the rest noise.
        let mut seed = 7u64;
        let rows: Vec<_> = (0..4000)
            .map(|_| {
                let mut x = [0f32; FEATURES.len()];
                for v in &mut x {
                    *v = uniform(&mut seed) as f32;
                }
                let z = -3.0 + 6.0 * f64::from(x[0]) + 2.0 * f64::from(x[3]);
                let y = uniform(&mut seed) < 1.0 / (1.0 + (-z).exp());
                (x, y)
            })
            .collect();
        let (b, w) = fit(&rows, 0.0);
        assert!((b + 3.0).abs() < 0.6, "{b} {w:?}");
        assert!((w[0] - 6.0).abs() < 0.8, "{w:?}");
        assert!((w[3] - 2.0).abs() < 0.6, "{w:?}");
        for j in [1, 2, 4, 5] {
            assert!(w[j].abs() < 0.6, "{j}: {w:?}");
        }
        // A penalty shrinks the weights.
        let (_, shrunk) = fit(&rows, 2000.0);
        assert!(shrunk[0].abs() < w[0].abs() * 0.8, "{shrunk:?}");
        // A feature that never varies gets no weight, and nothing breaks.
        let constant: Vec<_> =
            rows.iter().map(|(x, y)| ([x[0], 0.5, 0.5, 0.5, 0.5, 0.5], *y)).collect();
        let (_, w) = fit(&constant, 1.0);
        assert!(w[1..].iter().all(|&v| v == 0.0), "{w:?}");
    }

    #[test]
    fn the_model_answers_at_its_cutoff() {
        let mut weights = std::collections::BTreeMap::new();
        weights.insert("score".to_string(), 10.0);
        let d = Decision { cutoff: 0.5, intercept: -5.0, weights };
        let m = Model::of(&d);
        assert_eq!(m.weights, [10.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        let at = |score| Features { score, ..Features::default() };
        assert!((m.probability(&at(0.5)) - 0.5).abs() < 1e-9);
        assert!(m.answers(&at(0.51)));
        assert!(!m.answers(&at(0.49)));
        assert_eq!(Features::log_words_of(0), 0.0);
        assert_eq!(Features::log_words_of(MAX_WORDS), Features::log_words_of(1000));
    }
}

//! Purpose: the checks of `faqbot check` that need the matcher: phrasings the bot would send to
//! another topic, topics too close to tell apart, and repeated phrasings.
//!
//! They run on a FAQ that already loaded (see [`crate::faq::parse`] for the errors and the
//! other warnings). A phrasing always matches itself perfectly, so asking the matcher about a
//! phrasing that is in the index says nothing. Each phrasing is therefore checked against an
//! index built without it: the phrasings of every topic and language are dealt into
//! [`FOLDS`] folds, and each fold is classified by an index of the other folds (cross-validation).
//! This is what a person typing that phrasing would get if it were not in the FAQ.

use std::collections::HashMap;

use crate::faq::{Diagnostic, Faq, Severity};
use crate::jsonpos::{self, Positions};
use crate::matcher::{Index, Match, Outcome};

/// Words with which a text speaks as the organisation ("we", "our"), per language.
const FIRST_PERSON: &[(&str, &[&str])] = &[
    ("en", &["we", "our", "ours", "us"]),
    (
        "ru",
        &[
            "мы",
            "нас",
            "нам",
            "нами",
            "наш",
            "наша",
            "наше",
            "наши",
            "нашего",
            "нашей",
            "нашему",
            "нашим",
            "наших",
            "нашу",
        ],
    ),
    ("hy", &["մենք", "մեր", "մեզ", "մերը", "մեզ մոտ"]),
    ("az", &["biz", "bizim", "bizə", "bizi", "bizdə", "bizdən", "bizimlə"]),
];

/// The first word with which `text` (in `lang`) speaks as the organisation, if any. The bot
/// is not the ICRC: its answers speak of the ICRC in the third person.
pub(crate) fn first_person<'a>(lang: &str, text: &'a str) -> Option<&'a str> {
    let words = FIRST_PERSON.iter().find(|(l, _)| *l == lang)?.1;
    text.split(|c: char| !c.is_alphanumeric())
        .find(|w| !w.is_empty() && words.iter().any(|p| p.eq_ignore_ascii_case(&w.to_lowercase())))
}

/// Into how many folds phrasings are dealt for cross-validation.
pub const FOLDS: usize = 5;
/// A phrasing is reported as sent to another topic when, checked without itself, the matcher
/// answers that topic outright with at least this score...
pub const MISROUTE_SCORE: f32 = 0.8;
/// ...and that score leads the phrasing's own topic by at least this much. (Without these two
/// bounds about one phrasing in ten is reported on the shipped FAQ: mostly wordings that only
/// the phrasing itself teaches the matcher, which is what phrasings are for.)
pub const MISROUTE_LEAD: f32 = 0.15;
/// Two topics are too close in a language when more than this share of one topic's phrasings
/// (each checked without itself) rank the other topic first...
pub const CONFUSION_SHARE: f64 = 0.25;
/// ...and at least this many do.
pub const CONFUSION_MIN: usize = 2;

/// Phrasings checked, and how many of them ranked each other topic first.
type Tally = (usize, HashMap<usize, usize>);

/// A phrasing checked against an index that does not contain it.
struct Checked {
    topic: usize,
    lang: String,
    /// Position in the topic's list for that language.
    position: usize,
    result: Match,
}

/// Classifies every phrasing (of topics with at least two in that language) with an index
/// built without the phrasing's fold.
fn cross_validate(faq: &Faq) -> Vec<Checked> {
    let mut out = Vec::new();
    for fold in 0..FOLDS {
        let mut reduced = faq.clone();
        let mut held: Vec<(usize, String, usize, String)> = Vec::new();
        for (ti, topic) in reduced.topics.iter_mut().enumerate() {
            for (lang, questions) in &mut topic.questions {
                if questions.len() < 2 {
                    continue;
                }
                let all = std::mem::take(questions);
                for (j, q) in all.into_iter().enumerate() {
                    if j % FOLDS == fold {
                        held.push((ti, lang.clone(), j, q));
                    } else {
                        questions.push(q);
                    }
                }
            }
        }
        if held.is_empty() {
            continue;
        }
        let index = Index::build(&reduced);
        for (topic, lang, position, text) in held {
            if text.trim().is_empty() {
                continue;
            }
            out.push(Checked { topic, lang, position, result: index.classify(&text) });
        }
    }
    out.sort_by(|a, b| (a.topic, &a.lang, a.position).cmp(&(b.topic, &b.lang, b.position)));
    out
}

/// The matcher's warnings about a loaded FAQ whose source text is `src`, sorted by position.
#[must_use]
pub fn lint(faq: &Faq, src: &str) -> Vec<Diagnostic> {
    let positions = jsonpos::positions(src);
    let mut list = Vec::new();
    let warn =
        |list: &mut Vec<Diagnostic>, positions: &Positions, pointer: &str, message: String| {
            let (line, col) = positions.find(pointer);
            list.push(Diagnostic { severity: Severity::Warning, line, col, message });
        };
    let id = |i: usize| faq.topics.get(i).map_or("?", |t| t.id.as_str());

    // Repeated phrasings: the same words (after normalisation) twice anywhere.
    let mut seen: HashMap<(String, String), (usize, usize)> = HashMap::new();
    for (ti, topic) in faq.topics.iter().enumerate() {
        for (lang, questions) in &topic.questions {
            for (j, q) in questions.iter().enumerate() {
                let norm = crate::text::normalize(q);
                if norm.is_empty() {
                    continue;
                }
                match seen.get(&(lang.clone(), norm.clone())) {
                    Some(&(first_topic, first_j)) => warn(
                        &mut list,
                        &positions,
                        &format!("/topics/{ti}/questions/{lang}/{j}"),
                        if first_topic == ti {
                            format!(
                                "phrasing repeats phrasing {} of topic `{}` ({lang}); remove one",
                                first_j + 1,
                                id(ti)
                            )
                        } else {
                            format!(
                                "phrasing of topic `{}` ({lang}) is also phrasing {} of topic `{}`; keep it in one topic only",
                                id(ti),
                                first_j + 1,
                                id(first_topic)
                            )
                        },
                    ),
                    None => {
                        seen.insert((lang.clone(), norm), (ti, j));
                    }
                }
            }
        }
    }

    let checked = cross_validate(faq);

    // Phrasings the matcher answers outright with another topic.
    for c in &checked {
        if let Outcome::Answer { topic: other, .. } = c.result.outcome {
            let score = c.result.score();
            let own = c.result.ranked.iter().find(|r| r.0 == c.topic).map_or(0.0, |r| r.1);
            if other != c.topic && score >= MISROUTE_SCORE && score - own >= MISROUTE_LEAD {
                warn(
                    &mut list,
                    &positions,
                    &format!("/topics/{}/questions/{}/{}", c.topic, c.lang, c.position),
                    format!(
                        "phrasing of topic `{}` ({}) is answered with topic `{}` (score {score:.2} against {own:.2}, checked without this phrasing); move it there or make it more specific",
                        id(c.topic),
                        c.lang,
                        id(other),
                    ),
                );
            }
        }
    }

    // Topics too close to tell apart, per language.
    // (topic, language) -> (phrasings checked, how many ranked each other topic first)
    let mut groups: HashMap<(usize, &str), Tally> = HashMap::new();
    for c in &checked {
        let entry = groups.entry((c.topic, c.lang.as_str())).or_default();
        entry.0 += 1;
        if let Some(&(first, _)) = c.result.ranked.first() {
            if first != c.topic {
                *entry.1.entry(first).or_insert(0) += 1;
            }
        }
    }
    let mut keys: Vec<&(usize, &str)> = groups.keys().collect();
    keys.sort();
    for key in keys {
        let (total, others) = &groups[key];
        let mut others: Vec<(&usize, &usize)> = others.iter().collect();
        others.sort();
        for (&other, &n) in others {
            if n >= CONFUSION_MIN && n as f64 > CONFUSION_SHARE * *total as f64 {
                let (topic, lang) = *key;
                warn(
                    &mut list,
                    &positions,
                    &format!("/topics/{topic}/questions/{lang}"),
                    format!(
                        "topics `{}` and `{}` are hard to tell apart in `{lang}`: {n} of {total} phrasings of `{}` rank `{}` first (each checked without itself); make them more distinct",
                        id(topic),
                        id(other),
                        id(topic),
                        id(other)
                    ),
                );
            }
        }
    }

    list.sort_by_key(|d| (d.line, d.col));
    list
}

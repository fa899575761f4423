//! Purpose: generate large synthetic FAQs (thousands of topics) for benchmarks and scaling
//! tests, as faq.json text, so they go through the same loading and validation as real ones.

use serde_json::{json, Map, Value};

/// A small deterministic random generator (xorshift), so generated FAQs are the same each run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Roughly Zipf-distributed index below `n`: common words are drawn far more often.
    fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        ((n as f64).powf(u) - 1.0) as usize % n
    }
}

const SYLLABLES: [&str; 24] = [
    "ka", "lo", "mi", "ne", "ra", "su", "ti", "ve", "zo", "ba", "de", "fi", "go", "hu", "ja", "ku",
    "le", "mo", "ni", "pa", "qe", "ri", "sa", "to",
];

fn word(rng: &mut Rng) -> String {
    let n = 2 + rng.below(3);
    (0..n).map(|_| SYLLABLES[rng.below(SYLLABLES.len())]).collect()
}

/// A FAQ of `topics` topics in English only: each topic has 8 phrasings of 5 to 9 words,
/// mixing a few words of its own with a shared, Zipf-distributed vocabulary.
#[must_use]
pub fn faq_json(topics: usize, seed: u64) -> String {
    let mut rng = Rng(seed.max(1));
    let shared: Vec<String> = (0..(2000 + topics * 2)).map(|_| word(&mut rng)).collect();
    let en = |s: String| json!({ "en": s });
    let mut texts = Map::new();
    for key in faqbot_core::faq::Texts::KEYS {
        texts.insert(key.to_string(), en(format!("{key} text")));
    }
    let mut topic_list = Vec::with_capacity(topics);
    for i in 0..topics {
        let own: Vec<String> = (0..3).map(|_| word(&mut rng)).collect();
        let phrasings: Vec<String> = (0..8)
            .map(|_| {
                let len = 5 + rng.below(5);
                let mut words: Vec<String> =
                    (0..len).map(|_| shared[rng.zipf(shared.len())].clone()).collect();
                words[rng.below(len)] = own[rng.below(own.len())].clone();
                words.join(" ")
            })
            .collect();
        topic_list.push(json!({
            "id": format!("topic-{i}"),
            "title": en(format!("Topic {i}")),
            "questions": { "en": phrasings },
            "keywords": { "en": [own[0].clone()] },
            "answer": en(format!("Answer {i}: {}", own.join(" "))),
            "contacts": ["office"],
        }));
    }
    let faq = json!({
        "languages": ["en"],
        "texts": Value::Object(texts),
        "commands": {
            "start": en("Start".into()), "help": en("Help".into()), "topics": en("Topics".into()),
            "contacts": en("Contacts".into()), "language": en("Language".into()),
        },
        "stop_words": { "en": ["the", "a", "of", "to", "is"] },
        "general_contacts": ["office"],
        "topics": topic_list,
        "contacts": [{ "id": "office", "name": en("Office".into()), "url": "https://example.org" }],
    });
    faq.to_string()
}

/// Questions for a generated FAQ: a phrasing of a random topic with one word dropped and one
/// letter changed, the way people retype things.
#[must_use]
pub fn questions(faq: &faqbot_core::Faq, count: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng(seed.max(1));
    (0..count)
        .map(|_| {
            let topic = &faq.topics[rng.below(faq.topics.len())];
            let phrasings = &topic.questions[faq.default_lang()];
            let mut words: Vec<String> =
                phrasings[rng.below(phrasings.len())].split(' ').map(str::to_string).collect();
            if words.len() > 3 {
                words.remove(rng.below(words.len()));
            }
            let w = rng.below(words.len());
            if words[w].len() > 4 {
                words[w].replace_range(1..2, "x");
            }
            words.join(" ")
        })
        .collect()
}

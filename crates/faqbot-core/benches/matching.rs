//! Benchmarks of matching and start-up: the shipped faq.json, and generated FAQs of 1,000 and
//! 10,000 topics. Run with `cargo bench --bench matching`.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use faqbot_core::faq;
use faqbot_core::matcher::Index;

mod synth;

/// The repository's root, where faq.json and the evaluation sets are.
fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// Real-style questions from the development evaluation set (the last of its tab-separated
/// columns, after the header).
fn shipped_questions() -> Vec<String> {
    let tsv =
        std::fs::read_to_string(root().join("tests/data/eval-dev.tsv")).expect("eval-dev.tsv");
    tsv.lines().skip(1).filter_map(|l| l.rsplit('\t').next()).map(str::to_string).collect()
}

fn per_question(c: &mut Criterion) {
    let shipped = faq::load(&root().join("faq.json")).expect("faq.json").faq;
    let index = Index::build(&shipped);
    let questions = shipped_questions();
    let mut group = c.benchmark_group("per_question");
    group.throughput(Throughput::Elements(questions.len() as u64));
    group.bench_function("shipped", |b| {
        b.iter(|| {
            for q in &questions {
                black_box(index.classify(black_box(q)));
            }
        });
    });
    for topics in [1_000usize, 10_000] {
        let generated = faq::parse(&synth::faq_json(topics, 42)).expect("generated FAQ").faq;
        let index = Index::build(&generated);
        let questions = synth::questions(&generated, 200, 7);
        group.throughput(Throughput::Elements(questions.len() as u64));
        group.bench_with_input(BenchmarkId::new("generated", topics), &questions, |b, qs| {
            b.iter(|| {
                for q in qs {
                    black_box(index.classify(black_box(q)));
                }
            });
        });
    }
    group.finish();
}

/// The worst messages someone could send: one word of 1,500 letters (the typo search once
/// built every two-letter deletion of it: 1-2 s) and Telegram's longest message (4,096
/// characters) made of random words just long enough to be searched for typos, in each script.
/// Each must cost well under 2 ms.
fn long_input(c: &mut Criterion) {
    let shipped = faq::load(&root().join("faq.json")).expect("faq.json").faq;
    let index = Index::build(&shipped);
    let scripts: [(&str, Vec<char>); 3] = [
        ("latin", ('a'..='z').collect()),
        ("cyrillic", ('а'..='я').collect()),
        ("armenian", ('ա'..='ֆ').collect()),
    ];
    let mut group = c.benchmark_group("long_input");
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    for (name, letters) in &scripts {
        let word: String = letters[0].to_string().repeat(1500);
        group.bench_with_input(BenchmarkId::new("word_1500", name), &word, |b, m| {
            b.iter(|| black_box(index.classify(black_box(m))));
        });
        let mut message = String::new();
        while message.chars().count() + 13 <= 4096 {
            for _ in 0..12 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                message.push(letters[(seed % letters.len() as u64) as usize]);
            }
            message.push(' ');
        }
        group.bench_with_input(BenchmarkId::new("words_4096", name), &message, |b, m| {
            b.iter(|| black_box(index.classify(black_box(m))));
        });
    }
    group.finish();
}

fn start_up(c: &mut Criterion) {
    let mut group = c.benchmark_group("start_up");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    let shipped_src = std::fs::read_to_string(root().join("faq.json")).unwrap();
    group.bench_function("shipped", |b| {
        b.iter(|| {
            let loaded = faq::parse(black_box(&shipped_src)).expect("valid");
            black_box(Index::build(&loaded.faq))
        });
    });
    for topics in [1_000usize, 10_000] {
        let src = synth::faq_json(topics, 42);
        group.bench_with_input(BenchmarkId::new("generated", topics), &src, |b, src| {
            b.iter(|| {
                // Load, validate and index: what the bot does before serving.
                let loaded = faq::parse(black_box(src)).expect("valid");
                black_box(Index::build(&loaded.faq))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, per_question, long_input, start_up);
criterion_main!(benches);

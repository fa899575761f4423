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

criterion_group!(benches, per_question, start_up);
criterion_main!(benches);

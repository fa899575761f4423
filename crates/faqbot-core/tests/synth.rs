//! The generated FAQs of the benchmarks are valid and the same for the same seed.

#[path = "../benches/synth.rs"]
mod synth;

#[test]
fn generated_faqs_are_valid_and_deterministic() {
    let src = synth::faq_json(50, 7);
    assert_eq!(src, synth::faq_json(50, 7));
    let loaded = faqbot_core::faq::parse(&src).expect("a generated FAQ is valid");
    assert_eq!(loaded.faq.topics.len(), 50);
    assert_eq!(synth::questions(&loaded.faq, 10, 3).len(), 10);
}

//! Purpose: recognising the language of a message from its script and words.

use crate::text::{self, Script};

use super::*;

impl Index {
    /// Recognises the language of a message from its letters and words.
    #[must_use]
    pub fn detect_language(&self, raw: &str, words: &[String]) -> Option<String> {
        let (mut latin, mut cyrillic, mut armenian) = (0usize, 0usize, 0usize);
        let mut az_letters = false;
        for c in raw.chars().take(text::MAX_INPUT_CHARS) {
            match text::script_of(c) {
                Script::Latin => latin += 1,
                Script::Cyrillic => cyrillic += 1,
                Script::Armenian => armenian += 1,
                Script::Other => {}
            }
            az_letters |= matches!(c, 'ə' | 'Ə' | 'ı' | 'İ' | 'ğ' | 'Ğ');
        }
        let has = |l: &str| self.languages.iter().any(|x| x == l);
        if armenian > 0 && armenian >= cyrillic && armenian >= latin && has("hy") {
            return Some("hy".into());
        }
        if cyrillic > 0 && cyrillic >= latin && has("ru") {
            return Some("ru".into());
        }
        if latin == 0 {
            return None;
        }
        if az_letters && has("az") {
            return Some("az".into());
        }
        // Latin letters: English, Azerbaijani typed without its letters, or Russian and
        // Armenian typed in Latin. Each known word votes for the languages that use it.
        let mut votes = vec![0f32; self.languages.len()];
        for w in words {
            if let Some(&bits) = self.lang_words.get(w) {
                let n = bits.count_ones() as f32;
                for (i, v) in votes.iter_mut().enumerate() {
                    if bits & (1 << i) != 0 {
                        *v += 1.0 / n;
                    }
                }
            }
        }
        let best = votes.iter().copied().fold(0f32, f32::max);
        if best <= 0.0 {
            return None;
        }
        let winners: Vec<usize> = (0..votes.len()).filter(|&i| votes[i] == best).collect();
        match winners.as_slice() {
            [i] => Some(self.languages[*i].clone()),
            _ => None,
        }
    }
}

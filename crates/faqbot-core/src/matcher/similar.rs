//! Purpose: how alike two words are (an inflected form, a typo), and the vocabulary terms
//! similar to a message word.

use super::*;

/// Calls `f` with the word with each one of its letters left out, reusing one buffer.
pub(super) fn for_each_deletion(word: &str, buf: &mut String, mut f: impl FnMut(&str)) {
    for (i, c) in word.char_indices() {
        buf.clear();
        buf.push_str(&word[..i]);
        buf.push_str(&word[i + c.len_utf8()..]);
        f(buf);
    }
}

/// The key of a deletion in the deletion index.
pub(super) fn deletion_key(d: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(d)
}

/// The word with each one of its letters left out (sorted, without repeats).
#[cfg(test)]
pub(super) fn one_deletions(word: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_deletion(word, &mut String::new(), |d| out.push(d.to_string()));
    out.sort_unstable();
    out.dedup();
    out
}

/// The first `n` characters of a word (all of it if shorter).
pub(super) fn prefix_chars(word: &str, n: usize) -> &str {
    match word.char_indices().nth(n) {
        Some((i, _)) => &word[..i],
        None => word,
    }
}

/// The spelling-free form of a word typed in Latin letters: the alternations people use for
/// Armenian, Russian and Azerbaijani letters are folded to one letter each (`kh`, `gh`, `h`,
/// `x` → `x`; `zh` → `j`; `ts`, `ch` → `c`; `sh`, `sch`, `shch` → `s`; `q` → `k`; `y`, and
/// `j` before a vowel or at the end → `i`; a first `ye`/`je` → `e`, a first `vo` → `o`), and
/// doubled letters to one: `handznajoghovi` and `handznajoxovi`, `zakrylsya` and `zakrilsja`,
/// `qardashim` and `qardasim` fold alike. `None` for words with other letters.
pub(super) fn latin_fold(word: &str) -> Option<String> {
    if word.is_empty() || !word.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    let b = word.as_bytes();
    let mut i = 0;
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    if b.starts_with(b"ye") || b.starts_with(b"je") {
        out.push(b'e');
        i = 2;
    } else if b.starts_with(b"vo") {
        out.push(b'o');
        i = 2;
    }
    while i < b.len() {
        let rest = &b[i..];
        let (letter, used) = if rest.starts_with(b"shch") {
            (b's', 4)
        } else if rest.starts_with(b"sch") {
            (b's', 3)
        } else {
            match (rest[0], rest.get(1).copied()) {
                (b's', Some(b'h')) => (b's', 2),
                (b'c', Some(b'h')) | (b't', Some(b's')) => (b'c', 2),
                (b'z', Some(b'h')) => (b'j', 2),
                (b'k' | b'g', Some(b'h')) => (b'x', 2),
                (b'h', _) => (b'x', 1),
                (b'q', _) => (b'k', 1),
                (b'y', _) => (b'i', 1),
                (c, _) => (c, 1),
            }
        };
        if out.last() != Some(&letter) {
            out.push(letter);
        }
        i += used;
    }
    // `j` before a vowel or at the end is the `y` of `ya`, `yu`, `-iy`.
    let mut folded: Vec<u8> = Vec::with_capacity(out.len());
    for (k, &c) in out.iter().enumerate() {
        let c = match (c, out.get(k + 1)) {
            (b'j', None | Some(b'a' | b'e' | b'o' | b'u')) => b'i',
            _ => c,
        };
        if folded.last() != Some(&c) {
            folded.push(c);
        }
    }
    String::from_utf8(folded).ok()
}

/// Similarity given to two different words that fold alike (see [`latin_fold`]).
pub(super) const FOLD_SIM: f32 = 0.9;

/// Whether a word is in Cyrillic or Armenian letters, whose verbs and nouns change their
/// ending rather than add one (`закрыли` / `закрыть`, `пропавшего` / `пропавших`): two such
/// forms share a stem, and each has its own ending.
fn inflects_both_ends(word: &str) -> bool {
    word.chars()
        .next()
        .is_some_and(|c| matches!(c, '\u{0400}'..='\u{052F}' | '\u{0530}'..='\u{058F}'))
}

/// Similarity of a word and an inflected form of it (one is the other with an ending, or
/// nearly; in Cyrillic and Armenian letters, two endings of up to two and four letters on a
/// stem of four), which all four languages use heavily; 0 when they are not.
pub(super) fn stem_sim(a: &str, b: &str) -> f32 {
    let la = a.chars().count();
    let lb = b.chars().count();
    let (short, long) = (la.min(lb), la.max(lb));
    let prefix = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    if (prefix >= 4 && prefix + 1 >= short)
        || (prefix >= 3 && prefix == short && long - prefix <= 2)
        || (prefix >= 4 && short - prefix <= 2 && long - prefix <= 4 && inflects_both_ends(a))
    {
        0.75 + 0.2 * prefix as f32 / long as f32
    } else {
        0.0
    }
}

/// Similarity of a word and a mistyped form of it (one edit, two for long words); 0 when
/// they are further apart.
pub(super) fn edit_sim(a: &str, b: &str) -> f32 {
    let la = a.chars().count();
    let lb = b.chars().count();
    let (short, long) = (la.min(lb), la.max(lb));
    if short < MIN_FUZZY_CHARS || long - short > 2 {
        return 0.0;
    }
    let d = strsim::osa_distance(a, b);
    let max_edits = if short >= LONG_WORD_CHARS { 2 } else { 1 };
    if d <= max_edits {
        1.0 - d as f32 / long as f32
    } else {
        0.0
    }
}

/// Similarity of two normalised words (0 when they do not count as the same word).
#[must_use]
pub fn word_sim(a: &str, b: &str) -> f32 {
    if a == b {
        return 1.0;
    }
    let s = stem_sim(a, b).max(edit_sim(a, b));
    if s >= MIN_WORD_SIM {
        s
    } else {
        0.0
    }
}

impl Index {
    /// Vocabulary terms similar to a message word, with their similarity, best first.
    /// Candidates come from two indexes, never a scan: terms sharing the first three letters
    /// (inflected forms) and terms one deletion away from the word or from one of its
    /// deletions (typos: a letter added, left out, changed or swapped).
    ///
    /// `budget` is how many more deletions the typo search may build for this message; each
    /// deletion built is taken from it, and a search that would overdraw it is skipped, so a
    /// message's cost is bounded whatever its words (a word longer than every term plus two
    /// costs nothing: it cannot be a typo of one).
    pub(super) fn similar_terms(&self, word: &str, budget: &mut usize) -> Vec<(u32, f32)> {
        let mut out: Vec<(u32, f32)> = Vec::new();
        let mut add = |id: u32, s: f32| {
            if s >= MIN_WORD_SIM {
                out.push((id, s));
            }
        };
        if let Some(&id) = self.term_ids.get(word) {
            add(id, 1.0);
        }
        let len = word.chars().count();
        if len >= 3 {
            let prefix = prefix_chars(word, 3);
            let start = self.sorted.partition_point(|&t| self.terms[t as usize].as_str() < prefix);
            for &t in self.sorted[start..]
                .iter()
                .take_while(|&&t| self.terms[t as usize].starts_with(prefix))
            {
                let term = &self.terms[t as usize];
                if term != word {
                    add(t, stem_sim(word, term));
                }
            }
        }
        // A word the FAQ knows is spelled right; look for typos only in the others.
        let known = self.term_ids.contains_key(word);
        // Another Latin spelling of a term (`handznajoghovi` for `handznajoxovi`).
        if !known && len >= MIN_FUZZY_CHARS {
            if let Some(ids) = latin_fold(word).and_then(|f| self.folds.get(&f)) {
                for &t in ids {
                    add(t, FOLD_SIM);
                }
            }
        }
        if len >= MIN_FUZZY_CHARS && !known && len <= self.max_term_chars + 2 && *budget >= len {
            *budget -= len;
            let mut typo_candidates: Vec<u32> = Vec::new();
            typo_candidates.extend(self.deleted_to(word));
            let mut buf = String::new();
            for_each_deletion(word, &mut buf, |d| {
                if let Some(&id) = self.term_ids.get(d) {
                    typo_candidates.push(id);
                }
                typo_candidates.extend(self.deleted_to(d));
            });
            // Long words may carry two typos: look further only when one edit found nothing.
            let two_edits = len * (len - 1);
            if typo_candidates.is_empty() && len >= LONG_WORD_CHARS && *budget >= two_edits {
                *budget -= two_edits;
                let (mut buf, mut buf2) = (String::new(), String::new());
                for_each_deletion(word, &mut buf, |d| {
                    for_each_deletion(d, &mut buf2, |d2| {
                        if let Some(&id) = self.term_ids.get(d2) {
                            typo_candidates.push(id);
                        }
                        typo_candidates.extend(self.deleted_to(d2));
                    });
                });
            }
            typo_candidates.sort_unstable();
            typo_candidates.dedup();
            for t in typo_candidates {
                let term = &self.terms[t as usize];
                if term != word {
                    add(t, edit_sim(word, term));
                }
            }
        }
        // A term found both ways keeps its better similarity.
        out.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
        out.dedup_by_key(|e| e.0);
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }
}

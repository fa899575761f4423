//! Purpose: text normalisation shared by the FAQ index and incoming messages.
//!
//! Families type on phones, often without Azerbaijani letters (`xeber` for `xəbər`), with
//! `е` for `ё`, with emoji and stray invisible characters. Both sides of a comparison go through
//! [`normalize`], so these differences vanish before matching.

use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// Characters of a message considered for matching; the rest is ignored (a cap, not a slowdown).
pub const MAX_INPUT_CHARS: usize = 1500;
/// Words of a message considered for matching.
pub const MAX_TOKENS: usize = 120;
/// Characters of a word considered for matching: longer words (no language the FAQ is written
/// in has them; a 1,500-letter "word" is noise or an attack) are cut to this length, so no
/// word's cost grows with what someone pastes.
pub const MAX_WORD_CHARS: usize = 40;

/// Lower-cases and folds one character, Azerbaijani- and Turkish-aware, into `out`; characters
/// that are not letters or digits become a space.
fn fold_char(c: char, out: &mut String) {
    match c {
        // Azerbaijani and Turkish dotted and dotless i, before generic lower-casing.
        'İ' | 'I' | 'ı' | 'i' => out.push('i'),
        'Ə' | 'ə' | 'Ä' | 'ä' => out.push('e'),
        'Ş' | 'ş' => out.push('s'),
        'Ç' | 'ç' => out.push('c'),
        'Ğ' | 'ğ' => out.push('g'),
        'Ö' | 'ö' => out.push('o'),
        'Ü' | 'ü' => out.push('u'),
        'Ё' | 'ё' => out.push('е'),
        // The Armenian ligature `և` is `եւ` (modern spelling `եվ`), typed either way.
        'և' => out.push_str("եվ"),
        c if c.is_alphanumeric() => {
            out.extend(c.to_lowercase());
        }
        _ => out.push(' '),
    }
}

/// Whether a character is dropped without a trace: invisible and control characters
/// (zero-width, bidi overrides, BOM...), and the Armenian marks written inside a word
/// (`ինչպե՞ս` is `ինչպես`), which must not split it.
fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{055B}' | '\u{055C}' | '\u{055E}')
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
            | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFF0}'..='\u{FFFB}')
}

/// Normalises text for matching: NFKC, invisible characters removed, case and Azerbaijani
/// letters folded, `ё`→`е`, punctuation and emoji turned into spaces, spaces collapsed.
/// Only the first [`MAX_INPUT_CHARS`] characters are read.
#[must_use]
pub fn normalize(s: &str) -> String {
    let mut folded = String::with_capacity(s.len().min(MAX_INPUT_CHARS * 2));
    let visible = s.chars().filter(|&c| !is_invisible(c)).take(MAX_INPUT_CHARS);
    // Most text is already in NFKC; the quick check spares the decomposition work.
    if is_nfkc_quick(visible.clone()) == IsNormalized::Yes {
        visible.for_each(|c| fold_char(c, &mut folded));
    } else {
        visible.nfkc().for_each(|c| fold_char(c, &mut folded));
    }
    let mut out = String::with_capacity(folded.len());
    for word in folded.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Splits normalised text into words (at most [`MAX_TOKENS`], each cut to at most
/// [`MAX_WORD_CHARS`] characters).
#[must_use]
pub fn tokens(normalized: &str) -> Vec<&str> {
    normalized
        .split(' ')
        .filter(|w| !w.is_empty())
        .take(MAX_TOKENS)
        .map(|w| match w.char_indices().nth(MAX_WORD_CHARS) {
            Some((i, _)) => &w[..i],
            None => w,
        })
        .collect()
}

/// Normalises and splits in one step.
#[must_use]
pub fn words(s: &str) -> Vec<String> {
    let n = normalize(s);
    tokens(&n).into_iter().map(str::to_owned).collect()
}

/// Ends of sentences: full stops, question and exclamation marks (Latin, Armenian, full-width),
/// line breaks.
fn ends_sentence(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '\n' | '\u{0589}' | '\u{FF1F}' | '\u{FF01}' | '…' | ';')
}

/// Splits the part of a message that matching reads into sentences (without empty ones).
fn sentences(s: &str) -> impl Iterator<Item = &str> {
    let end = s.char_indices().nth(MAX_INPUT_CHARS).map_or(s.len(), |(i, _)| i);
    s[..end].split_inclusive(ends_sentence).filter(|p| p.chars().any(char::is_alphanumeric))
}

/// How many sentences a message has.
#[must_use]
pub fn sentence_count(s: &str) -> usize {
    sentences(s).count()
}

/// The last sentence of the part of a message that matching reads (where families most often
/// put their question), when there are several.
#[must_use]
pub fn last_of_several_sentences(s: &str) -> Option<&str> {
    let mut it = sentences(s);
    it.next()?;
    it.last()
}

/// The sentences of a message that ask: those ending in a question mark, or holding the
/// Armenian question mark `՞` (written on the word asked about).
#[must_use]
pub fn question_sentences(s: &str) -> Vec<&str> {
    sentences(s).filter(|p| p.contains(['?', '\u{FF1F}', '\u{055E}'])).collect()
}

/// Words that join two questions in one sentence ("when do you close and who keeps my
/// father's file?"), as [`words`] writes them: "and" in the four languages, in their Latin
/// spellings too (not the Latin "i" and "a", which are English words).
const CONJUNCTIONS: [&str; 12] =
    ["and", "и", "а", "ve", "hem", "եվ", "եւ", "ու", "u", "ev", "yev", "также"];

/// The clauses of a sentence's words: split at each joining word, when both sides keep at
/// least `min_content` words that `is_content` accepts (so "families of the missing and the
/// detained" stays whole). The joining words themselves are dropped.
#[must_use]
pub fn clauses(
    words: &[String],
    min_content: usize,
    is_content: impl Fn(&str) -> bool,
) -> Vec<&[String]> {
    let content = |ws: &[String]| ws.iter().filter(|w| is_content(w)).count();
    let mut out = Vec::new();
    let mut start = 0;
    for (i, w) in words.iter().enumerate() {
        if CONJUNCTIONS.contains(&w.as_str())
            && content(&words[start..i]) >= min_content
            && content(&words[i + 1..]) >= min_content
        {
            out.push(&words[start..i]);
            start = i + 1;
        }
    }
    out.push(&words[start..]);
    out
}

/// Whether the message had more characters than matching reads.
#[must_use]
pub fn is_truncated(s: &str) -> bool {
    s.chars().nth(MAX_INPUT_CHARS).is_some()
}

/// Transliterates Russian Cyrillic into the Latin letters people type on phones
/// (`пропал` → `propal`, `ищет` → `ishchet`). Other characters pass unchanged.
#[must_use]
pub fn cyrillic_to_latin(s: &str) -> String {
    cyrillic_latin(s, false)
}

/// Transliterates Russian Cyrillic the other way people type it in chats (`й` → `j`, `ы` → `i`,
/// `ц` → `c`, `щ` → `sh`: `zdravstvujte`, `zakrilsya`, `ishet`).
#[must_use]
pub fn cyrillic_to_latin_chat(s: &str) -> String {
    cyrillic_latin(s, true)
}

fn cyrillic_latin(s: &str, chat: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let t = match c {
            'й' if chat => "j",
            'ы' if chat => "i",
            'ц' if chat => "c",
            'щ' if chat => "sh",
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' => "g",
            'д' => "d",
            'е' | 'ё' | 'э' => "e",
            'ж' => "zh",
            'з' => "z",
            'и' => "i",
            'й' => "y",
            'к' => "k",
            'л' => "l",
            'м' => "m",
            'н' => "n",
            'о' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'у' => "u",
            'ф' => "f",
            'х' => "h",
            'ц' => "ts",
            'ч' => "ch",
            'ш' => "sh",
            'щ' => "sch",
            'ъ' | 'ь' => "",
            'ы' => "y",
            'ю' => "yu",
            'я' => "ya",
            _ => {
                out.push(c);
                continue;
            }
        };
        out.push_str(t);
    }
    out
}

/// Transliterates Eastern Armenian into the Latin letters Armenians commonly type
/// (`անհայտ` → `anhayt`). Other characters pass unchanged.
#[must_use]
pub fn armenian_to_latin(s: &str) -> String {
    armenian_latin(s, false)
}

/// Transliterates Eastern Armenian the other way it is commonly typed in chats (`ց`, `ծ` → `c`,
/// `ք` → `q`, `խ`, `ղ` → `x`, `ժ` → `j`, word-initial `ե` → `e`: `exbayrs`, `anhet korac`,
/// `yntaniqneri`).
#[must_use]
pub fn armenian_to_latin_chat(s: &str) -> String {
    armenian_latin(s, true)
}

fn armenian_latin(s: &str, chat: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let t = match c {
            'ց' | 'ծ' if chat => "c",
            'ք' if chat => "q",
            'խ' | 'ղ' if chat => "x",
            'ժ' if chat => "j",
            'ե' if chat => "e",
            'ա' => "a",
            'բ' => "b",
            'գ' => "g",
            'դ' => "d",
            'ե' => {
                // Word-initial `ե` is pronounced and typed `ye`.
                if i == 0 || !chars[i - 1].is_alphabetic() {
                    "ye"
                } else {
                    "e"
                }
            }
            'զ' => "z",
            'է' => "e",
            'ը' => "y",
            'թ' => "t",
            'ժ' => "zh",
            'ի' => "i",
            'լ' => "l",
            'խ' => "kh",
            'ծ' => "ts",
            'կ' => "k",
            'հ' => "h",
            'ձ' => "dz",
            'ղ' => "gh",
            'ճ' => "ch",
            'մ' => "m",
            'յ' => "y",
            'ն' => "n",
            'շ' => "sh",
            'ո' => {
                // `ու` is `u`; word-initial `ո` is `vo`.
                if chars.get(i + 1) == Some(&'ւ') {
                    "u"
                } else if i == 0 || !chars[i - 1].is_alphabetic() {
                    "vo"
                } else {
                    "o"
                }
            }
            'ւ' => {
                if i > 0 && chars[i - 1] == 'ո' {
                    ""
                } else {
                    "v"
                }
            }
            'չ' => "ch",
            'պ' => "p",
            'ջ' => "j",
            'ռ' => "r",
            'ս' => "s",
            'վ' => "v",
            'տ' => "t",
            'ր' => "r",
            'ց' => "ts",
            'փ' => "p",
            'ք' => "k",
            'օ' => "o",
            'ֆ' => "f",
            _ => {
                out.push(c);
                continue;
            }
        };
        out.push_str(t);
    }
    out
}

/// The writing system of a word, as far as matching cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    Latin,
    Cyrillic,
    Armenian,
    Other,
}

/// The script of a character.
#[must_use]
pub fn script_of(c: char) -> Script {
    match c {
        'a'..='z' | 'A'..='Z' | '\u{00C0}'..='\u{024F}' => Script::Latin,
        '\u{0400}'..='\u{04FF}' => Script::Cyrillic,
        '\u{0530}'..='\u{058F}' | '\u{FB13}'..='\u{FB17}' => Script::Armenian,
        _ => Script::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_azerbaijani_letters_and_case() {
        assert_eq!(normalize("Xəbər ALA BİLƏRƏMMİ? Oğlum İşdə"), "xeber ala bileremmi oglum isde");
        assert_eq!(normalize("həbsdə"), normalize("hebsde"));
        assert_eq!(normalize("IŞIQ"), "isiq");
    }

    #[test]
    fn folds_yo_and_cyrillic_case() {
        assert_eq!(normalize("Ещё ПРОПАЛ"), "еще пропал");
    }

    #[test]
    fn removes_punctuation_emoji_and_invisible_characters() {
        assert_eq!(
            normalize("Hello!!! 😢😢 where\u{200B}is\u{202E} my   son?"),
            "hello whereis my son"
        );
        assert_eq!(normalize("\u{200B}\u{200D}\u{FEFF}"), "");
        assert_eq!(normalize("🙏🙏🙏"), "");
        assert_eq!(normalize("<b>a&amp;b</b>"), "b a amp b b");
    }

    #[test]
    fn applies_nfkc() {
        // Full-width letters and the `ﬁ` ligature become plain letters.
        assert_eq!(normalize("ＩＣＲＣ ﬁle"), "icrc file");
    }

    #[test]
    fn armenian_marks_inside_words_do_not_split_them() {
        assert_eq!(words("Ինչպե՞ս իմանամ"), vec!["ինչպես", "իմանամ"]);
    }

    #[test]
    fn caps_very_long_input() {
        let long = "word ".repeat(10_000);
        assert!(normalize(&long).chars().count() <= MAX_INPUT_CHARS);
        assert_eq!(words(&long).len(), MAX_TOKENS);
        assert!(is_truncated(&long));
        for letter in ["a", "ж", "ա"] {
            let word = words(&letter.repeat(1500));
            assert_eq!(word, vec![letter.repeat(MAX_WORD_CHARS)], "one word, cut");
        }
        assert!(!is_truncated("short"));
    }

    #[test]
    fn finds_the_questions_of_a_message() {
        let m = "The office closed. My son is held since 2023! Who brings his news now?\nThanks";
        assert_eq!(sentence_count(m), 4);
        assert_eq!(question_sentences(m), vec![" Who brings his news now?"]);
        assert_eq!(question_sentences("Ինչպե՞ս իմանամ։ Շնորհակալ եմ։"), vec!["Ինչպե՞ս իմանամ։"]);
        assert_eq!(sentence_count("?!..."), 0);
        assert_eq!(last_of_several_sentences(m), Some("Thanks"));
        assert_eq!(last_of_several_sentences("Who brings his news now?"), None);
        assert_eq!(
            last_of_several_sentences("Ինչպե՞ս իմանամ։ Շնորհակալ եմ։"),
            Some(" Շնորհակալ եմ։")
        );
        assert_eq!(last_of_several_sentences(""), None);
    }

    #[test]
    fn splits_a_sentence_at_the_word_that_joins_two_questions() {
        let content =
            |w: &str| !["when", "do", "you", "who", "has", "my", "of", "the"].contains(&w);
        let w = words("When do you close and who has my father's file?");
        let parts: Vec<String> = clauses(&w, 1, content).iter().map(|c| c.join(" ")).collect();
        assert_eq!(parts, ["when do you close", "who has my father s file"]);
        // Not where a side would keep fewer content words than asked.
        assert_eq!(clauses(&w, 2, content).len(), 1);
        let w = words("and the missing and");
        assert_eq!(clauses(&w, 1, content).len(), 1);
        for (sentence, n) in [
            ("Ofis nə vaxt bağlanır və sənədlər kimə verilib?", 2),
            ("Почему закрыли офис и что будет с нашими делами?", 2),
            ("Ե՞րբ է փակվում գրասենյակը և կվերադառնա՞ք", 2),
        ] {
            assert_eq!(clauses(&words(sentence), 1, |_| true).len(), n, "{sentence}");
        }
    }

    #[test]
    fn transliterates_russian_and_armenian() {
        assert_eq!(cyrillic_to_latin("пропал без вести, кто ищет"), "propal bez vesti, kto ischet");
        assert_eq!(armenian_to_latin("անհայտ կորած որդի"), "anhayt korats vordi");
        assert_eq!(armenian_to_latin("ուր է"), "ur e");
        assert_eq!(armenian_to_latin_chat("եղբայրս անհետ կորած"), "exbayrs anhet korac");
        assert_eq!(cyrillic_to_latin_chat("здравствуйте, ищет"), "zdravstvujte, ishet");
    }
}

//! Purpose: masking what identifies people in a kept question: digits, phone numbers, e-mail
//! addresses, links and @usernames.

fn is_url(word: &str) -> bool {
    let lower = word.to_lowercase();
    if lower.contains("://") || lower.starts_with("www.") || lower.starts_with("t.me/") {
        return true;
    }
    // A bare domain such as `icrc.org` or `example.az/page`: ASCII labels, a letter TLD.
    let host = lower.split(['/', '?', '#']).next().unwrap_or("");
    let labels: Vec<&str> = host.split('.').collect();
    labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        && labels.last().is_some_and(|tld| {
            (2..=6).contains(&tld.len()) && tld.bytes().all(|b| b.is_ascii_alphabetic())
        })
}

fn is_email(word: &str) -> bool {
    match word.split_once('@') {
        Some((user, domain)) => !user.is_empty() && domain.contains('.') && !domain.ends_with('.'),
        None => false,
    }
}

/// Masks what could identify someone: links become `[link]`, e-mail addresses `[email]`,
/// @usernames `[user]`, and every run of digits, with the spaces, dashes, dots, slashes and
/// brackets between them (phone numbers, dates, document numbers), one `[number]`.
/// Whitespace is collapsed to single spaces.
#[must_use]
pub fn mask(text: &str) -> String {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|word| {
            let core = word.trim_end_matches(|c: char| ".,;:!?)»\"'".contains(c));
            let rest = &word[core.len()..];
            let core_start = core.trim_start_matches(|c: char| "(«\"'".contains(c));
            let lead = &core[..core.len() - core_start.len()];
            if is_email(core_start) {
                format!("{lead}[email]{rest}")
            } else if is_url(core_start) {
                format!("{lead}[link]{rest}")
            } else if core_start.starts_with('@') && core_start.chars().count() > 1 {
                format!("{lead}[user]{rest}")
            } else {
                word.to_string()
            }
        })
        .collect();
    mask_digits(&words.join(" "))
}

/// Replaces each run of digits (with separators inside it, and a leading `+` or `(`) by
/// `[number]`.
fn mask_digits(s: &str) -> String {
    const SEPARATORS: &[char] = &[' ', '-', '.', '/', '(', ')', '\u{2013}'];
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts = c.is_ascii_digit()
            || c.is_numeric()
            // `+994`, `(012)`, `+(994)`, `(+994)`: up to two of `+(` before the first digit.
            || (matches!(c, '+' | '(')
                && chars[i..]
                    .iter()
                    .take(3)
                    .find(|n| !matches!(n, '+' | '('))
                    .is_some_and(char::is_ascii_digit));
        if !starts {
            out.push(c);
            i += 1;
            continue;
        }
        // Extend over digits and short separator runs that lead to more digits.
        let mut k = i;
        while matches!(chars[k], '+' | '(') {
            k += 1;
        }
        let mut end = k;
        while k < chars.len() {
            if chars[k].is_numeric() {
                k += 1;
                end = k;
            } else if SEPARATORS.contains(&chars[k]) {
                let sep_start = k;
                while k < chars.len() && SEPARATORS.contains(&chars[k]) && k - sep_start < 3 {
                    k += 1;
                }
                if !(k < chars.len() && chars[k].is_numeric()) {
                    break;
                }
            } else {
                break;
            }
        }
        // A closing bracket right after the run belongs to it when the run opened one.
        if c == '(' && chars.get(end) == Some(&')') {
            end += 1;
        }
        out.push_str("[number]");
        i = end;
    }
    out
}

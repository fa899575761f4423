//! Purpose: learn from what went unanswered: keep masked questions that ended in a suggestion or
//! the fallback (only when an operator turns it on), forget them after a retention period, group
//! similar ones for `faqbot gaps`, and count outcomes for `/stats`.
//!
//! What is kept is deliberately little: the question with digits, phone numbers, e-mail
//! addresses, links and @usernames masked, its language, the outcome, the closest topic and its
//! score, and the day. No user or chat id, no time of day. Everything here is synchronous and
//! free of Telegram types; the adapter calls [`GapLog::record`] and [`Stats::record`].

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::faq::Faq;
use crate::matcher::{Match, Outcome};

/// The variable that turns keeping questions on: the path of the JSON-lines file.
pub const GAPS_PATH_VAR: &str = "GAPS_PATH";
/// The variable that sets how many days kept questions are kept.
pub const GAPS_RETENTION_DAYS_VAR: &str = "GAPS_RETENTION_DAYS";
/// Days a kept question is kept when [`GAPS_RETENTION_DAYS_VAR`] is not set.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;
/// Lowest similarity (0..1) at which two kept questions go in the same group.
pub const GROUP_SIMILARITY: f32 = 0.5;

/// A calendar day, as days since 1970-01-01 (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i64);

impl Day {
    /// Today, in UTC.
    #[must_use]
    pub fn today() -> Day {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Day(i64::try_from(secs / 86_400).unwrap_or(0))
    }

    /// The day of a calendar date.
    #[must_use]
    pub fn from_ymd(y: i64, m: u32, d: u32) -> Day {
        // Howard Hinnant's days_from_civil.
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(m);
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Day(era * 146_097 + doe - 719_468)
    }

    /// The calendar date `(year, month, day)`.
    #[must_use]
    pub fn ymd(self) -> (i64, u32, u32) {
        // Howard Hinnant's civil_from_days.
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let y = yoe + era * 400 + i64::from(m <= 2);
        (y, m, d)
    }

    /// Reads `YYYY-MM-DD`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Day> {
        let mut parts = s.trim().splitn(3, '-');
        let y: i64 = parts.next()?.parse().ok()?;
        let m: u32 = parts.next()?.parse().ok()?;
        let d: u32 = parts.next()?.parse().ok()?;
        ((1..=12).contains(&m) && (1..=31).contains(&d)).then(|| Day::from_ymd(y, m, d))
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

/// One kept question: one line of the gaps file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gap {
    /// The day it was asked, `YYYY-MM-DD`.
    pub day: String,
    /// The language the bot answered in.
    pub language: String,
    /// `suggest` or `fallback`.
    pub outcome: String,
    /// The question, masked (see [`mask`]).
    pub text: String,
    /// The topic that came closest, if any scored at all.
    pub closest: Option<String>,
    /// Its score (0..1), rounded to 3 decimals.
    pub score: f32,
}

/// The kept record of a question, or `None` when its outcome is not kept (answers, small talk,
/// empty messages) or nothing is left of it after masking.
#[must_use]
pub fn gap_for(question: &str, m: &Match, language: &str, faq: &Faq, day: Day) -> Option<Gap> {
    let outcome = match m.outcome {
        Outcome::Suggest(_) => "suggest",
        Outcome::Fallback => "fallback",
        _ => return None,
    };
    let text = mask(question);
    if text.is_empty() {
        return None;
    }
    let closest = m.ranked.first().and_then(|&(i, _)| faq.topics.get(i)).map(|t| t.id.clone());
    Some(Gap {
        day: day.to_string(),
        language: language.to_string(),
        outcome: outcome.to_string(),
        text,
        closest,
        score: (m.score() * 1000.0).round() / 1000.0,
    })
}

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

/// The kept-questions file, with its retention period. Safe to share between tasks.
#[derive(Debug)]
pub struct GapLog {
    path: PathBuf,
    retention_days: u32,
    /// Serialises writes, and remembers the day of the last pruning (pruning once a day is
    /// enough: entries expire by the day).
    pruned_on: Mutex<Option<Day>>,
}

impl GapLog {
    /// A log at `path` keeping entries for `retention_days` days.
    #[must_use]
    pub fn new(path: impl Into<PathBuf>, retention_days: u32) -> GapLog {
        GapLog { path: path.into(), retention_days, pruned_on: Mutex::new(None) }
    }

    /// The log configured by [`GAPS_PATH_VAR`] and [`GAPS_RETENTION_DAYS_VAR`] read through
    /// `var`: `Ok(None)` when keeping is off (the path is unset or empty).
    pub fn from_vars(var: &dyn Fn(&str) -> Option<String>) -> Result<Option<GapLog>, String> {
        let Some(path) = var(GAPS_PATH_VAR).filter(|p| !p.trim().is_empty()) else {
            return Ok(None);
        };
        let retention = match var(GAPS_RETENTION_DAYS_VAR).filter(|v| !v.trim().is_empty()) {
            None => DEFAULT_RETENTION_DAYS,
            Some(v) => v.trim().parse::<u32>().ok().filter(|&d| d >= 1).ok_or_else(|| {
                format!("{GAPS_RETENTION_DAYS_VAR} must be a whole number of days (1 or more), not `{v}`")
            })?,
        };
        Ok(Some(GapLog::new(path.trim(), retention)))
    }

    /// Like [`GapLog::from_vars`], from the process environment.
    pub fn from_env() -> Result<Option<GapLog>, String> {
        GapLog::from_vars(&|k| std::env::var(k).ok())
    }

    /// The file's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many days entries are kept.
    #[must_use]
    pub fn retention_days(&self) -> u32 {
        self.retention_days
    }

    /// Keeps a question if its outcome was a suggestion or the fallback; returns whether it was
    /// kept. Drops expired entries first (once a day).
    pub fn record(
        &self,
        question: &str,
        m: &Match,
        language: &str,
        faq: &Faq,
    ) -> std::io::Result<bool> {
        self.record_on(Day::today(), question, m, language, faq)
    }

    /// [`GapLog::record`] with the clock given (for tests).
    pub fn record_on(
        &self,
        today: Day,
        question: &str,
        m: &Match,
        language: &str,
        faq: &Faq,
    ) -> std::io::Result<bool> {
        match gap_for(question, m, language, faq, today) {
            Some(gap) => self.append_on(today, &gap).map(|()| true),
            None => Ok(false),
        }
    }

    /// Appends one entry, dropping expired ones first (once a day).
    pub fn append_on(&self, today: Day, gap: &Gap) -> std::io::Result<()> {
        let mut pruned_on =
            self.pruned_on.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if *pruned_on != Some(today) {
            self.prune_locked(today)?;
            *pruned_on = Some(today);
        }
        let mut line = serde_json::to_string(gap).map_err(std::io::Error::other)?;
        line.push('\n');
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&self.path)?;
        file.write_all(line.as_bytes())
    }

    /// The entries still within the retention period, oldest first; rewrites the file without
    /// the expired ones. A missing file is an empty log; unreadable lines are skipped.
    pub fn load_on(&self, today: Day) -> std::io::Result<Vec<Gap>> {
        let _guard = self.pruned_on.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.prune_locked(today)
    }

    /// [`GapLog::load_on`] today.
    pub fn load(&self) -> std::io::Result<Vec<Gap>> {
        self.load_on(Day::today())
    }

    fn prune_locked(&self, today: Day) -> std::io::Result<Vec<Gap>> {
        let file = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut kept = Vec::new();
        let mut dropped = 0usize;
        for line in std::io::BufReader::new(file).lines() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let fresh = serde_json::from_str::<Gap>(&line).ok().and_then(|g| {
                let day = Day::parse(&g.day)?;
                (today.0 - day.0 <= i64::from(self.retention_days)).then_some(g)
            });
            match fresh {
                Some(g) => kept.push(g),
                None => dropped += 1,
            }
        }
        if dropped > 0 {
            let tmp = self.path.with_extension("tmp");
            let mut text = String::new();
            for g in &kept {
                text.push_str(&serde_json::to_string(g).map_err(std::io::Error::other)?);
                text.push('\n');
            }
            std::fs::write(&tmp, text)?;
            std::fs::rename(&tmp, &self.path)?;
        }
        Ok(kept)
    }
}

/// Kept questions that resemble each other.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The question most like the others of the group.
    pub representative: String,
    /// Every question of the group, in the order kept.
    pub questions: Vec<String>,
    /// Closest topics (`None`: no topic scored) with how many questions came closest to each,
    /// most first.
    pub closest: Vec<(Option<String>, usize)>,
    /// Languages with their counts, most first.
    pub languages: Vec<(String, usize)>,
}

impl Group {
    /// How many questions the group holds.
    #[must_use]
    pub fn count(&self) -> usize {
        self.questions.len()
    }
}

/// The words of a masked question that carry meaning (placeholders and `ignore`d words out).
fn content_words(text: &str, ignore: &HashSet<String>) -> Vec<String> {
    let mut out: Vec<String> = crate::text::words(text)
        .into_iter()
        .filter(|w| {
            !ignore.contains(w) && !matches!(w.as_str(), "number" | "email" | "link" | "user")
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Similarity of two word sets (0..1): words count as shared when equal, or the same word
/// with another ending or a typo (as the matcher sees them), over the size of the union.
#[must_use]
pub fn similarity(a: &[String], b: &[String]) -> f32 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let shared =
        a.iter().filter(|x| b.iter().any(|y| crate::matcher::word_sim(x, y) > 0.0)).count();
    let union = a.len() + b.len() - shared;
    if union == 0 {
        0.0
    } else {
        shared as f32 / union as f32
    }
}

fn counted<T: Ord + Clone>(items: impl Iterator<Item = T>) -> Vec<(T, usize)> {
    let mut map: BTreeMap<T, usize> = BTreeMap::new();
    for i in items {
        *map.entry(i).or_insert(0) += 1;
    }
    let mut v: Vec<(T, usize)> = map.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

/// Groups similar questions (word-set similarity at least [`GROUP_SIMILARITY`] to a group's
/// first question), largest group first. `ignore` holds words that say nothing (stop words).
#[must_use]
pub fn group(gaps: &[Gap], ignore: &HashSet<String>) -> Vec<Group> {
    let words: Vec<Vec<String>> = gaps.iter().map(|g| content_words(&g.text, ignore)).collect();
    // Each cluster: indexes into `gaps`, the first being its seed.
    let mut clusters: Vec<Vec<usize>> = Vec::new();
    for i in 0..gaps.len() {
        let best = clusters
            .iter()
            .enumerate()
            .map(|(c, members)| (c, similarity(&words[i], &words[members[0]])))
            .filter(|&(_, s)| s >= GROUP_SIMILARITY)
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        match best {
            Some((c, _)) => clusters[c].push(i),
            None => clusters.push(vec![i]),
        }
    }
    let mut groups: Vec<Group> = clusters
        .into_iter()
        .map(|members| {
            let representative = *members
                .iter()
                .max_by(|&&a, &&b| {
                    let total = |x: usize| -> f32 {
                        members.iter().map(|&y| similarity(&words[x], &words[y])).sum()
                    };
                    total(a).total_cmp(&total(b)).then(b.cmp(&a))
                })
                .unwrap_or(&members[0]);
            Group {
                representative: gaps[representative].text.clone(),
                questions: members.iter().map(|&i| gaps[i].text.clone()).collect(),
                closest: counted(members.iter().map(|&i| gaps[i].closest.clone())),
                languages: counted(members.iter().map(|&i| gaps[i].language.clone())),
            }
        })
        .collect();
    groups.sort_by_key(|g| std::cmp::Reverse(g.count()));
    groups
}

/// The groups as `faqbot gaps` prints them.
#[must_use]
pub fn render_groups(groups: &[Group]) -> String {
    let mut out = String::new();
    for g in groups {
        let closest: Vec<String> = g
            .closest
            .iter()
            .map(|(t, n)| format!("{} ({n})", t.as_deref().unwrap_or("none")))
            .collect();
        let langs: Vec<String> = g.languages.iter().map(|(l, n)| format!("{l} ({n})")).collect();
        let _ = writeln!(out, "{:>4}  {}", g.count(), g.representative);
        let _ = writeln!(
            out,
            "      closest topic: {}; language: {}",
            closest.join(", "),
            langs.join(", ")
        );
        let mut others: Vec<&String> =
            g.questions.iter().filter(|q| **q != g.representative).collect();
        others.dedup();
        for q in others.iter().take(3) {
            let _ = writeln!(out, "      also: {q}");
        }
        if others.len() > 3 {
            let _ = writeln!(out, "      and {} more", others.len() - 3);
        }
    }
    out
}

/// What the bot did since it started, for `/stats`. Holds no message text and no ids of
/// people: only counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    /// The day counting started.
    pub since: Day,
    /// Questions answered outright, per topic id.
    pub answered: BTreeMap<String, u64>,
    /// Topic buttons tapped, per topic id.
    pub tapped: BTreeMap<String, u64>,
    pub suggestions: u64,
    pub fallbacks: u64,
    pub small_talk: u64,
    pub empty: u64,
}

impl Stats {
    /// Empty counts, starting `since`.
    #[must_use]
    pub fn new(since: Day) -> Stats {
        Stats {
            since,
            answered: BTreeMap::new(),
            tapped: BTreeMap::new(),
            suggestions: 0,
            fallbacks: 0,
            small_talk: 0,
            empty: 0,
        }
    }

    /// Counts the outcome of one question (`faq` names the topic of an answer).
    pub fn record(&mut self, outcome: &Outcome, faq: &Faq) {
        match outcome {
            Outcome::Answer { topic: i, .. } => {
                let id = faq.topics.get(*i).map_or_else(|| "?".to_string(), |t| t.id.clone());
                *self.answered.entry(id).or_insert(0) += 1;
            }
            Outcome::Suggest(_) => self.suggestions += 1,
            Outcome::Fallback => self.fallbacks += 1,
            Outcome::SmallTalk(_) => self.small_talk += 1,
            Outcome::Empty => self.empty += 1,
        }
    }

    /// Counts a tap on a topic button.
    pub fn record_tap(&mut self, topic_id: &str) {
        *self.tapped.entry(topic_id.to_string()).or_insert(0) += 1;
    }

    /// Questions counted, of every outcome.
    #[must_use]
    pub fn questions(&self) -> u64 {
        self.answered.values().sum::<u64>()
            + self.suggestions
            + self.fallbacks
            + self.small_talk
            + self.empty
    }

    /// Plain text for operators (English: `/stats` is an operator tool). Topics in the order
    /// of `faq`, then any topic no longer in it.
    #[must_use]
    pub fn render(&self, faq: &Faq) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "Since {}: {} question(s).", self.since, self.questions());
        let _ = writeln!(out, "Answered per topic (questions / button taps):");
        let mut ids: Vec<&str> = faq.topics.iter().map(|t| t.id.as_str()).collect();
        let extra: HashSet<&str> =
            self.answered.keys().chain(self.tapped.keys()).map(String::as_str).collect();
        let mut extra: Vec<&str> = extra.into_iter().filter(|id| !ids.contains(id)).collect();
        extra.sort_unstable();
        ids.extend(extra);
        let counts: HashMap<&str, (u64, u64)> = ids
            .iter()
            .map(|&id| {
                (id, (*self.answered.get(id).unwrap_or(&0), *self.tapped.get(id).unwrap_or(&0)))
            })
            .collect();
        for id in ids {
            let (a, t) = counts[id];
            let _ = writeln!(out, "  {id}: {a} / {t}");
        }
        let _ = writeln!(out, "Suggestions offered: {}", self.suggestions);
        let _ = writeln!(out, "Fallbacks (nothing fitted): {}", self.fallbacks);
        let _ = write!(
            out,
            "Greetings and thanks: {}; empty messages: {}",
            self.small_talk, self.empty
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_through_the_calendar() {
        assert_eq!(Day::from_ymd(1970, 1, 1), Day(0));
        assert_eq!(Day::from_ymd(2025, 9, 30).to_string(), "2025-09-30");
        assert_eq!(Day::from_ymd(2024, 2, 29).0 + 1, Day::from_ymd(2024, 3, 1).0);
        for d in [-1000, 0, 19_000, 20_362, 40_000] {
            assert_eq!(Day::parse(&Day(d).to_string()), Some(Day(d)));
        }
        assert_eq!(Day::parse("2025-13-01"), None);
        assert_eq!(Day::parse("yesterday"), None);
    }

    #[test]
    fn similarity_tolerates_endings_and_rejects_unrelated_words() {
        let w = |s: &str| content_words(s, &HashSet::new());
        assert!(similarity(&w("visa germany price"), &w("germany visa prices")) > 0.9);
        assert!(similarity(&w("visa germany price"), &w("weather tomorrow baku")) < 0.1);
    }
}

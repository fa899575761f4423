//! Purpose: learn from what went unanswered: keep masked questions that ended in a suggestion or
//! the fallback (only when an operator turns it on), forget them after a retention period, group
//! similar ones for `faqbot gaps`, and count outcomes for `/stats`.
//!
//! What is kept is deliberately little: the question with digits, phone numbers, e-mail
//! addresses, links and @usernames masked, its language, the outcome, the closest topic and its
//! score, and the day. No user or chat id, no time of day. Everything here is synchronous and
//! free of Telegram types; the adapter calls [`GapLog::record`] and [`Stats::record`].

mod group;
mod mask;
mod store;

use serde::{Deserialize, Serialize};

use crate::faq::Faq;
use crate::matcher::{Match, Outcome};

pub use group::{group, render_groups, similarity, Group};
pub use mask::mask;
pub use store::GapLog;

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
}

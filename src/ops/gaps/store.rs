//! Purpose: the kept-questions file: appending, reading and pruning expired entries.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::*;
use crate::ops::config::ConfigError;

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
    pub fn from_vars(var: &dyn Fn(&str) -> Option<String>) -> Result<Option<GapLog>, ConfigError> {
        let Some(path) = var(GAPS_PATH_VAR).filter(|p| !p.trim().is_empty()) else {
            return Ok(None);
        };
        let retention = match var(GAPS_RETENTION_DAYS_VAR).filter(|v| !v.trim().is_empty()) {
            None => DEFAULT_RETENTION_DAYS,
            Some(v) => v.trim().parse::<u32>().ok().filter(|&d| d >= 1).ok_or_else(|| {
                ConfigError(format!(
                    "{GAPS_RETENTION_DAYS_VAR} must be a whole number of days (1 or more), not `{v}`"
                ))
            })?,
        };
        Ok(Some(GapLog::new(path.trim(), retention)))
    }

    /// Like [`GapLog::from_vars`], from the process environment.
    pub fn from_env() -> Result<Option<GapLog>, ConfigError> {
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
        let mut line = serde_json::to_string(gap).map_err(std::io::Error::other)?;
        line.push('\n');
        let mut file = self.open_locked()?;
        if *pruned_on != Some(today) {
            let replaced = self.prune_locked(&file, today)?;
            *pruned_on = Some(today);
            if replaced {
                // Append to the pruned copy. (The lock is per open file: a second open of
                // the same file would wait for the first.)
                drop(file);
                file = self.open_locked()?;
            }
        }
        file.write_all(line.as_bytes())
    }

    /// The entries still within the retention period, oldest first. Only reads: expired
    /// entries are left in the file (the bot drops them), so that `faqbot gaps` never races
    /// the bot's appends. A missing file is an empty log; unreadable lines are skipped.
    pub fn load_on(&self, today: Day) -> std::io::Result<Vec<Gap>> {
        match std::fs::File::open(&self.path) {
            Ok(f) => self.fresh_entries(f, today).map(|(kept, _)| kept),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// [`GapLog::load_on`] today.
    pub fn load(&self) -> std::io::Result<Vec<Gap>> {
        self.load_on(Day::today())
    }

    /// Opens the file for appending (created readable by its owner only), holding its lock.
    /// Writers in other processes (a second bot) take the same lock; as pruning replaces the
    /// file, the lock is taken again if the path no longer names the file locked.
    fn open_locked(&self) -> std::io::Result<std::fs::File> {
        loop {
            let mut options = std::fs::OpenOptions::new();
            options.create(true).append(true).read(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let file = options.open(&self.path)?;
            file.lock()?;
            if same_file(&file, &self.path)? {
                return Ok(file);
            }
        }
    }

    /// Replaces the file (locked by the caller, as `file`) by a copy without its expired
    /// entries: written to a temporary file beside it (0600), synced, then renamed over it, so
    /// a reader sees either the old file or the new one, whole. Returns whether it did.
    fn prune_locked(&self, file: &std::fs::File, today: Day) -> std::io::Result<bool> {
        let (kept, dropped) = self.fresh_entries(file, today)?;
        if dropped == 0 {
            return Ok(false);
        }
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        let mut text = String::new();
        for g in &kept {
            text.push_str(&serde_json::to_string(g).map_err(std::io::Error::other)?);
            text.push('\n');
        }
        tmp.write_all(text.as_bytes())?;
        tmp.as_file().sync_all()?;
        tmp.persist(&self.path).map_err(|e| e.error)?;
        Ok(true)
    }

    /// The entries of `file` still within the retention period, and how many were not.
    fn fresh_entries(
        &self,
        file: impl std::io::Read,
        today: Day,
    ) -> std::io::Result<(Vec<Gap>, usize)> {
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
        Ok((kept, dropped))
    }
}

/// Whether `path` still names the open `file`.
fn same_file(file: &std::fs::File, path: &Path) -> std::io::Result<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let (open, named) = (file.metadata()?, std::fs::metadata(path)?);
        Ok(open.dev() == named.dev() && open.ino() == named.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        Ok(true)
    }
}

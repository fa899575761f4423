//! Purpose: the journal in an SQLite file (`STATE_PATH`), readable by its owner only, that
//! holds nothing of an update once it is forgotten.

use std::path::Path;

use rusqlite::{params, Connection};

use super::{Entry, Journal, JournalError};

/// The journal in an SQLite database file.
pub struct SqliteJournal {
    db: Connection,
}

fn error(what: &str) -> impl Fn(rusqlite::Error) -> JournalError + '_ {
    move |e| JournalError(format!("{what}: {e}"))
}

impl SqliteJournal {
    /// Opens the journal at `path`, creating it (mode 0600) if needed. A file readable by
    /// others is made private.
    pub fn open(path: &Path) -> Result<SqliteJournal, JournalError> {
        let io = |e: std::io::Error| JournalError(format!("{}: {e}", path.display()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(path)
                .map_err(io)?;
            let mode = file.metadata().map_err(io)?.permissions().mode();
            if mode & 0o077 != 0 {
                file.set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(io)?;
                log::warn!("{} was readable by others; made it private (0600)", path.display());
            }
        }
        let db = Connection::open(path).map_err(error("cannot open the journal"))?;
        // A rollback journal (deleted after each write) rather than a write-ahead log, which
        // would keep copies of forgotten updates until its next checkpoint; `secure_delete`
        // overwrites what is deleted; `synchronous = FULL` makes each write durable before it
        // returns (the point of the journal). SQLite gives its journal file the mode of the
        // database.
        db.execute_batch(
            "PRAGMA journal_mode = DELETE;
             PRAGMA synchronous = FULL;
             PRAGMA secure_delete = ON;
             CREATE TABLE IF NOT EXISTS updates (
                 update_id INTEGER PRIMARY KEY,
                 body TEXT NOT NULL,
                 attempts INTEGER NOT NULL DEFAULT 0
             );",
        )
        .map_err(error("cannot set up the journal"))?;
        Ok(SqliteJournal { db })
    }
}

impl Journal for SqliteJournal {
    fn append(&mut self, updates: &[(i64, String)]) -> Result<(), JournalError> {
        let tx = self.db.transaction().map_err(error("appending"))?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO updates (update_id, body, attempts) VALUES (?1, ?2, 1)",
                )
                .map_err(error("appending"))?;
            for (id, body) in updates {
                insert.execute(params![id, body]).map_err(error("appending"))?;
            }
        }
        tx.commit().map_err(error("appending"))
    }

    fn remove(&mut self, update_ids: &[i64]) -> Result<(), JournalError> {
        let tx = self.db.transaction().map_err(error("removing"))?;
        {
            let mut delete = tx
                .prepare_cached("DELETE FROM updates WHERE update_id = ?1")
                .map_err(error("removing"))?;
            for id in update_ids {
                delete.execute(params![id]).map_err(error("removing"))?;
            }
        }
        tx.commit().map_err(error("removing"))
    }

    fn replay(&mut self) -> Result<Vec<Entry>, JournalError> {
        let tx = self.db.transaction().map_err(error("replaying"))?;
        tx.execute("UPDATE updates SET attempts = attempts + 1", []).map_err(error("replaying"))?;
        let entries = {
            let mut select = tx
                .prepare("SELECT update_id, body, attempts FROM updates ORDER BY update_id")
                .map_err(error("replaying"))?;
            let rows = select
                .query_map([], |row| {
                    Ok(Entry { update_id: row.get(0)?, body: row.get(1)?, attempts: row.get(2)? })
                })
                .map_err(error("replaying"))?;
            rows.collect::<Result<Vec<_>, _>>().map_err(error("replaying"))?
        };
        tx.commit().map_err(error("replaying"))?;
        Ok(entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_updates_across_reopening_in_order_without_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut j = SqliteJournal::open(&path).unwrap();
        j.append(&[(7, "seven".into()), (3, "three".into())]).unwrap();
        j.append(&[(7, "seven again".into()), (9, "nine".into())]).unwrap();
        j.remove(&[9, 1234]).unwrap();
        drop(j);
        let mut j = SqliteJournal::open(&path).unwrap();
        let entries = j.replay().unwrap();
        assert_eq!(
            entries,
            [
                Entry { update_id: 3, body: "three".into(), attempts: 2 },
                Entry { update_id: 7, body: "seven".into(), attempts: 2 },
            ]
        );
        assert_eq!(j.replay().unwrap()[0].attempts, 3);
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_private_and_holds_nothing_once_forgotten() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut j = SqliteJournal::open(&path).unwrap();
        let secret = "where is my brother Arshak Sargsyan";
        j.append(&[(1, secret.repeat(20))]).unwrap();
        j.remove(&[1]).unwrap();
        drop(j);
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let bytes = std::fs::read(&path).unwrap();
        let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!found, "a forgotten update is still in the file");
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let name = entry.unwrap().file_name();
            assert_eq!(name, "state.db", "a file besides the database is left: {name:?}");
        }

        // An existing file readable by others is made private.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        drop(SqliteJournal::open(&path).unwrap());
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

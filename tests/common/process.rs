//! The real `faqbot` binary, run against a fake server, its stderr captured.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::fake_api::{FakeApi, TOKEN};

/// A running bot. Killed when dropped.
pub struct BotProcess {
    child: Mutex<Child>,
    pid: u32,
    log: Arc<Mutex<Vec<String>>>,
    /// The journal made for this process alone (when the test named none): removed on drop.
    own_state: Option<PathBuf>,
}

impl BotProcess {
    /// Starts the bot against `api`, serving the shipped faq.json, at the default log level,
    /// with `env` added (which may name another `FAQ_PATH`). Unless `env` names a
    /// `STATE_PATH` (to restart a bot on the journal of an earlier one), the bot gets a journal
    /// of its own. The binary is the one cargo built
    /// for the tests, or the one named by `FAQBOT_BIN` (the benchmark uses it to measure the
    /// binary `cargo build --release` ships).
    pub fn start(api: &FakeApi, env: &[(&str, &str)]) -> BotProcess {
        let mut command = match std::env::var_os("FAQBOT_BIN") {
            Some(binary) => super::clean_command(binary),
            None => super::faqbot(),
        };
        command
            .env("TELOXIDE_TOKEN", TOKEN)
            .env("TELOXIDE_API_URL", api.url())
            .env("FAQ_PATH", super::shipped_faq())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let own_state = (!env.iter().any(|(k, _)| *k == "STATE_PATH")).then(fresh_state_path);
        if let Some(path) = &own_state {
            command.env("STATE_PATH", path);
        }
        let mut child = command.spawn().expect("start faqbot");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push(line);
            }
        });
        BotProcess { pid: child.id(), child: Mutex::new(child), log, own_state }
    }

    /// The bot's resident memory in KiB (VmRSS), where /proc tells it.
    pub fn resident_kib(&self) -> Option<u64> {
        self.status_kib("VmRSS")
    }

    /// A memory figure in KiB from /proc/PID/status: `VmRSS`, `RssAnon` (heap and stacks),
    /// `RssFile` (the program's code and libraries), `VmHWM` (the peak).
    pub fn status_kib(&self, field: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let line = status.lines().find(|l| l.split(':').next() == Some(field))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// Resident KiB per mapping (the program, each library, `[heap]`, `[anon]`), from
    /// /proc/PID/smaps, largest first: where the memory goes.
    pub fn resident_by_mapping(&self) -> Vec<(String, u64)> {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{}/smaps", self.pid)) else {
            return Vec::new();
        };
        let mut per: HashMap<String, u64> = HashMap::new();
        let mut name = String::new();
        for line in text.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.first().is_some_and(|f| f.contains('-') && !f.ends_with(':')) {
                name = fields.get(5).map_or("[anon]", |n| n).to_string();
            } else if fields.first() == Some(&"Rss:") {
                *per.entry(name.clone()).or_default() +=
                    fields.get(1).and_then(|k| k.parse::<u64>().ok()).unwrap_or(0);
            }
        }
        let mut per: Vec<(String, u64)> = per.into_iter().collect();
        per.sort_by_key(|p| std::cmp::Reverse(p.1));
        per
    }

    /// Everything the bot wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Lines of stderr containing `needle`.
    pub fn lines_with(&self, needle: &str) -> Vec<String> {
        self.log.lock().unwrap().iter().filter(|l| l.contains(needle)).cloned().collect()
    }

    /// Waits until stderr contains `needle`.
    pub async fn wait_log(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.stderr().contains(needle) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// Sends a signal (`libc::SIGTERM`, `libc::SIGINT`).
    pub fn signal(&self, signal: i32) {
        let pid = libc::pid_t::try_from(self.pid).unwrap();
        // SAFETY: `kill` with a pid of our own child and a valid signal number.
        let rc = unsafe { libc::kill(pid, signal) };
        assert_eq!(rc, 0, "kill failed");
    }

    /// Waits for the process to exit; its status and how long it took, or None on timeout.
    pub async fn wait_exit(&self, timeout: Duration) -> Option<(ExitStatus, Duration)> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Some(status) = self.child.lock().unwrap().try_wait().unwrap() {
                return Some((status, start.elapsed()));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }

    /// Whether the process is still running.
    pub fn is_running(&self) -> bool {
        self.child.lock().unwrap().try_wait().unwrap().is_none()
    }
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        let child = self.child.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = child.kill();
        let _ = child.wait();
        if let Some(path) = &self.own_state {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A path for a journal no other bot uses.
pub fn fresh_state_path() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!(
        "faqbot-{}-{}-state-{n}.db",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ))
}

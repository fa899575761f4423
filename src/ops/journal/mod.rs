//! Purpose: the journal of received updates, so that no question is lost to a crash or a stop:
//! an update is kept before Telegram is told it was received, forgotten once its reply is sent
//! (or once it is known to need none), and every update still kept is handled again at the
//! next start, in order.
//!
//! The store sits behind the small, blocking [`Journal`] trait ([`SqliteJournal`]), run on a
//! thread of its own so the async runtime never waits on a disk; or it is shared by several
//! replicas ([`SharedJournal`]: Redis, see `ops::store::journal`), which takes updates in and
//! hands them out itself. The bot talks to either through a [`JournalHandle`].

mod sqlite;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

pub use sqlite::SqliteJournal;

/// The variable naming the journal's file.
pub const STATE_PATH_VAR: &str = "STATE_PATH";
/// The journal's file when [`STATE_PATH_VAR`] is not set: in the working directory.
pub const DEFAULT_STATE_PATH: &str = "faqbot-state.db";

/// One update kept in the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Telegram's `update_id`.
    pub update_id: i64,
    /// The update, as JSON.
    pub body: String,
    /// How many times the bot started handling it, this start included.
    pub attempts: u32,
}

/// A journal store failed (the disk is full, the file is damaged, ...).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct JournalError(pub String);

/// A durable store of received updates. Its calls block; [`JournalHandle`] runs them on a
/// thread of its own. Duplicates are removed by `update_id`.
pub trait Journal: Send + 'static {
    /// Keeps updates (`update_id`, JSON), durably once this returns; an update already kept is
    /// left as it is.
    fn append(&mut self, updates: &[(i64, String)]) -> Result<(), JournalError>;

    /// Forgets updates (their replies were sent, or they need none); unknown ids are ignored.
    fn remove(&mut self, update_ids: &[i64]) -> Result<(), JournalError>;

    /// Every update kept, oldest (lowest `update_id`) first, each counted as attempted once
    /// more: called once at start, before handling them again.
    fn replay(&mut self) -> Result<Vec<Entry>, JournalError>;
}

/// A journal shared by several replicas (Redis): updates come in and go out through it
/// directly; the handle only tells it when an update is finished.
pub trait SharedJournal: Send + Sync + 'static {
    /// Forgets an update whose work is done. Does not wait.
    fn forget(&self, update_id: i64);

    /// Waits until every update forgotten so far is written (or given up).
    fn flush(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>>;
}

#[derive(Clone)]
enum Backend {
    /// The journal's own thread.
    Thread(mpsc::Sender<Command>),
    Shared(Arc<dyn SharedJournal>),
}

enum Command {
    Append(Vec<(i64, String)>, tokio::sync::oneshot::Sender<Result<(), JournalError>>),
    Remove(i64),
    Replay(tokio::sync::oneshot::Sender<Result<Vec<Entry>, JournalError>>),
    Flush(tokio::sync::oneshot::Sender<()>),
}

struct Flags {
    /// Set when the bot stops with work left: from then on nothing is forgotten, so what was
    /// not finished is handled after the restart.
    holding: AtomicBool,
    /// Updates being handled or waiting for their reply to be sent ([`Ack`]s alive).
    unfinished: AtomicUsize,
}

/// The journal, as the async bot uses it: each call is carried out, in order, on the journal's
/// own thread. Cheap to clone.
#[derive(Clone)]
pub struct JournalHandle {
    backend: Backend,
    flags: Arc<Flags>,
}

impl JournalHandle {
    /// Starts the thread that owns `journal`.
    pub fn spawn(journal: Box<dyn Journal>) -> std::io::Result<JournalHandle> {
        let (commands, inbox) = mpsc::channel();
        std::thread::Builder::new().name("journal".into()).spawn(move || serve(journal, inbox))?;
        Ok(JournalHandle::with(Backend::Thread(commands)))
    }

    /// A handle on a journal shared by several replicas: its updates come in and go out
    /// through it, so [`JournalHandle::append`] and [`JournalHandle::replay`] have nothing to do.
    #[must_use]
    pub fn shared(journal: Arc<dyn SharedJournal>) -> JournalHandle {
        JournalHandle::with(Backend::Shared(journal))
    }

    fn with(backend: Backend) -> JournalHandle {
        let flags = Arc::new(Flags { holding: AtomicBool::new(false), unfinished: 0.into() });
        JournalHandle { backend, flags }
    }

    /// Keeps `updates` durably; returns once they are on disk.
    pub async fn append(&self, updates: Vec<(i64, String)>) -> Result<(), JournalError> {
        if updates.is_empty() {
            return Ok(());
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send(Command::Append(updates, tx))?;
        rx.await.map_err(|_| gone())?
    }

    /// Every update kept, oldest first (see [`Journal::replay`]).
    pub async fn replay(&self) -> Result<Vec<Entry>, JournalError> {
        if let Backend::Shared(_) = &self.backend {
            return Ok(Vec::new());
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send(Command::Replay(tx))?;
        rx.await.map_err(|_| gone())?
    }

    /// Forgets an update, unless the journal is holding (see [`JournalHandle::hold`]). Does
    /// not wait: removals are written in batches.
    pub fn remove(&self, update_id: i64) {
        if !self.flags.holding.load(Ordering::SeqCst) {
            match &self.backend {
                Backend::Thread(_) => {
                    let _ = self.send(Command::Remove(update_id));
                }
                Backend::Shared(journal) => journal.forget(update_id),
            }
        }
    }

    /// Waits until everything asked of the journal so far is written.
    pub async fn flush(&self) {
        if let Backend::Shared(journal) = &self.backend {
            return journal.flush().await;
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        if self.send(Command::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }

    /// From now on forgets nothing: the bot is stopping with work left, which must be done
    /// after the restart. Returns how many updates are unfinished.
    pub fn hold(&self) -> usize {
        self.flags.holding.store(true, Ordering::SeqCst);
        self.unfinished()
    }

    /// How many updates are being handled or wait for their reply to be sent.
    #[must_use]
    pub fn unfinished(&self) -> usize {
        self.flags.unfinished.load(Ordering::SeqCst)
    }

    /// Marks the start of handling an update: the returned [`Ack`] (and its clones) stand for
    /// the work left on it, and the update is forgotten when the last of them is dropped.
    /// `slot`, if any, is released at the same time (see the bound on replies waiting).
    #[must_use]
    pub fn ack(&self, update_id: i64, slot: Option<tokio::sync::OwnedSemaphorePermit>) -> Ack {
        self.flags.unfinished.fetch_add(1, Ordering::SeqCst);
        Ack(Arc::new(AckInner { update_id, journal: self.clone(), _slot: slot }))
    }

    fn send(&self, command: Command) -> Result<(), JournalError> {
        match &self.backend {
            Backend::Thread(commands) => commands.send(command).map_err(|_| gone()),
            Backend::Shared(_) => {
                Err(JournalError("the shared journal takes updates in through the webhook".into()))
            }
        }
    }
}

fn gone() -> JournalError {
    JournalError("the journal's thread has stopped".into())
}

/// The work left on one update: held by its handler, then by its replies until they are sent.
/// When the last clone is dropped, the update is forgotten by the journal (a reply that could
/// not be delivered for good was logged by its sender, and is not tried again).
#[derive(Clone)]
pub struct Ack(Arc<AckInner>);

impl Ack {
    /// The update's id.
    #[must_use]
    pub fn update_id(&self) -> i64 {
        self.0.update_id
    }
}

struct AckInner {
    update_id: i64,
    journal: JournalHandle,
    _slot: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl Drop for AckInner {
    fn drop(&mut self) {
        self.journal.remove(self.update_id);
        self.journal.flags.unfinished.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The journal's thread: carries out commands in order; removals that arrive together are
/// written in one transaction.
fn serve(mut journal: Box<dyn Journal>, inbox: mpsc::Receiver<Command>) {
    let mut next = inbox.recv().ok();
    while let Some(command) = next.take() {
        match command {
            Command::Append(updates, reply) => {
                let _ = reply.send(journal.append(&updates));
            }
            Command::Replay(reply) => {
                let _ = reply.send(journal.replay());
            }
            Command::Flush(reply) => {
                let _ = reply.send(());
            }
            Command::Remove(first) => {
                let mut ids = vec![first];
                loop {
                    match inbox.try_recv() {
                        Ok(Command::Remove(id)) => ids.push(id),
                        Ok(other) => {
                            next = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                if let Err(e) = journal.remove(&ids) {
                    log::error!(
                        "the journal could not forget {} answered update(s): {e}",
                        ids.len()
                    );
                }
            }
        }
        if next.is_none() {
            next = inbox.recv().ok();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A journal in memory that records its calls.
    #[derive(Clone, Default)]
    struct Memory(Arc<Mutex<Vec<(i64, String)>>>);

    impl Journal for Memory {
        fn append(&mut self, updates: &[(i64, String)]) -> Result<(), JournalError> {
            let mut m = self.0.lock().unwrap();
            for u in updates {
                if !m.iter().any(|(id, _)| *id == u.0) {
                    m.push(u.clone());
                }
            }
            Ok(())
        }
        fn remove(&mut self, ids: &[i64]) -> Result<(), JournalError> {
            self.0.lock().unwrap().retain(|(id, _)| !ids.contains(id));
            Ok(())
        }
        fn replay(&mut self) -> Result<Vec<Entry>, JournalError> {
            let m = self.0.lock().unwrap();
            Ok(m.iter()
                .map(|(id, body)| Entry { update_id: *id, body: body.clone(), attempts: 1 })
                .collect())
        }
    }

    #[tokio::test]
    async fn an_update_is_forgotten_when_its_last_ack_is_dropped_unless_holding() {
        let memory = Memory::default();
        let journal = JournalHandle::spawn(Box::new(memory.clone())).unwrap();
        journal.append(vec![(1, "a".into()), (2, "b".into()), (3, "c".into())]).await.unwrap();
        let one = journal.ack(1, None);
        let reply = one.clone();
        drop(one);
        journal.flush().await;
        assert_eq!(memory.0.lock().unwrap().len(), 3, "a reply still holds update 1");
        assert_eq!(journal.unfinished(), 1);
        drop(reply);
        let two = journal.ack(2, None);
        journal.flush().await;
        let ids: Vec<i64> = journal.replay().await.unwrap().iter().map(|e| e.update_id).collect();
        assert_eq!(ids, [2, 3]);
        assert_eq!(journal.hold(), 1, "update 2 is unfinished");
        drop(two);
        journal.flush().await;
        let ids: Vec<i64> = journal.replay().await.unwrap().iter().map(|e| e.update_id).collect();
        assert_eq!(ids, [2, 3], "holding: nothing is forgotten");
        assert_eq!(journal.unfinished(), 0);
    }

    #[tokio::test]
    async fn a_released_slot_goes_back_with_the_last_ack() {
        let journal = JournalHandle::spawn(Box::new(Memory::default())).unwrap();
        let slots = Arc::new(tokio::sync::Semaphore::new(1));
        let ack = journal.ack(1, Some(slots.clone().try_acquire_owned().unwrap()));
        assert!(slots.clone().try_acquire_owned().is_err());
        let reply = ack.clone();
        drop(ack);
        assert!(slots.clone().try_acquire_owned().is_err(), "the reply is not sent yet");
        drop(reply);
        assert!(slots.try_acquire_owned().is_ok());
    }
}

//! Purpose: the first step of the handler tree: each update takes one of a bounded number of
//! slots (so a saturated bot slows its intake instead of piling up replies in memory), and an
//! [`Ack`] that stands for the work left on it. The handlers' replies carry the ack (see
//! `send::deliver`); when the last reply is sent, or the handler ends without one, the update
//! is forgotten by the journal and its slot freed.
//!
//! The listeners take the slot before they hand an update to the dispatcher ([`Intake::admit`]),
//! so that no more updates than there are slots wait inside it: teloxide gives each chat a
//! worker task of its own, and a thousand people writing at once would otherwise make a
//! thousand workers, each holding its update, until the pacing lets their replies out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures_util::stream::{Stream, StreamExt};
use teloxide::dispatching::{DpHandlerDescription, UpdateHandler};
use teloxide::dptree;
use teloxide::dptree::HandlerDescription;
use teloxide::types::{Update, UpdateId};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::HandlerError;
use crate::ops::journal::{Ack, JournalHandle};

/// Updates handled or with replies waiting to be sent, at most: at 25 messages a second, about
/// 8 seconds of sending. Beyond it, the listeners hand the dispatcher nothing more, polling
/// stops fetching, and Telegram keeps the updates. Each update waiting inside the dispatcher
/// costs memory (its chat's worker task, the update): the resilience benchmark measured 29.3 MB
/// after 1,000 questions with 500 slots taken inside the tree, 23.2 MB with 500 taken by the
/// listener, 19.9 MB with 200 (`release` build), at the same 25 messages a second.
pub const REPLY_SLOTS: usize = 200;

/// What the first step of the tree needs: the journal and the slots. A dependency of the
/// dispatcher; without it (in tests of the tree alone) updates are handled as they come.
/// Cheap to clone: the listener and the dispatcher share one.
#[derive(Clone)]
pub struct Intake {
    pub journal: JournalHandle,
    pub slots: Arc<Semaphore>,
    /// Slots taken by the listener for updates it handed over, until the tree takes them up.
    admitted: Arc<Mutex<HashMap<UpdateId, OwnedSemaphorePermit>>>,
}

impl Intake {
    /// An intake with [`REPLY_SLOTS`] slots.
    #[must_use]
    pub fn new(journal: JournalHandle) -> Intake {
        Intake::with_slots(journal, REPLY_SLOTS)
    }

    /// An intake with `slots` slots.
    #[must_use]
    pub fn with_slots(journal: JournalHandle, slots: usize) -> Intake {
        Intake { journal, slots: Arc::new(Semaphore::new(slots)), admitted: Arc::default() }
    }

    /// `updates`, each handed on only once it has a slot: a listener's stream, so that a
    /// saturated bot takes no more updates than it has slots for (the rest wait where they are:
    /// with Telegram, or in the journal).
    pub fn admit<S>(&self, updates: S) -> impl Stream<Item = Update> + Send + 'static
    where
        S: Stream<Item = Update> + Send + 'static,
    {
        let intake = self.clone();
        updates.then(move |update| {
            let intake = intake.clone();
            async move {
                if let Ok(slot) = Arc::clone(&intake.slots).acquire_owned().await {
                    intake.admitted_map().insert(update.id, slot);
                }
                update
            }
        })
    }

    /// The slot the listener took for `update`, or a new one.
    async fn slot_for(&self, update: UpdateId) -> Option<OwnedSemaphorePermit> {
        let admitted = self.admitted_map().remove(&update);
        match admitted {
            Some(slot) => Some(slot),
            None => Arc::clone(&self.slots).acquire_owned().await.ok(),
        }
    }

    fn admitted_map(&self) -> MutexGuard<'_, HashMap<UpdateId, OwnedSemaphorePermit>> {
        self.admitted.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

tokio::task_local! {
    /// The ack of the update being handled by this task.
    static CURRENT: Ack;
}

/// The ack of the update the calling handler works on, if any.
#[must_use]
pub fn current_ack() -> Option<Ack> {
    CURRENT.try_with(Ack::clone).ok()
}

/// The first step of the handler tree: waits for a slot, then runs the rest of the tree with
/// the update's [`Ack`] at hand for [`current_ack`].
#[must_use]
pub fn layer() -> UpdateHandler<HandlerError> {
    dptree::from_fn_with_description(
        DpHandlerDescription::entry(),
        |deps: dptree::di::DependencyMap, cont| async move {
            let (Some(intake), Some(update)) = (deps.try_get::<Intake>(), deps.try_get::<Update>())
            else {
                return cont(deps).await;
            };
            let slot = intake.slot_for(update.id).await;
            let ack = intake.journal.ack(i64::from(update.id.0), slot);
            CURRENT.scope(ack, cont(deps)).await
        },
        dptree::HandlerSignature::Entry,
    )
}

//! Purpose: the first step of the handler tree: each update takes one of a bounded number of
//! slots (so a saturated bot slows its intake instead of piling up replies in memory), and an
//! [`Ack`] that stands for the work left on it. The handlers' replies carry the ack (see
//! `send::deliver`); when the last reply is sent, or the handler ends without one, the update
//! is forgotten by the journal and its slot freed.

use std::sync::Arc;

use teloxide::dispatching::{DpHandlerDescription, UpdateHandler};
use teloxide::dptree;
use teloxide::dptree::HandlerDescription;
use teloxide::types::Update;
use tokio::sync::Semaphore;

use super::HandlerError;
use crate::ops::journal::{Ack, JournalHandle};

/// Updates handled or with replies waiting to be sent, at most: at 25 messages a second, about
/// 20 seconds of sending. Beyond it, the dispatcher stops taking updates, the listener stops
/// fetching, and Telegram keeps them.
pub const REPLY_SLOTS: usize = 500;

/// What the first step of the tree needs: the journal and the slots. A dependency of the
/// dispatcher; without it (in tests of the tree alone) updates are handled as they come.
pub struct Intake {
    pub journal: JournalHandle,
    pub slots: Arc<Semaphore>,
}

impl Intake {
    /// An intake with [`REPLY_SLOTS`] slots.
    #[must_use]
    pub fn new(journal: JournalHandle) -> Intake {
        Intake { journal, slots: Arc::new(Semaphore::new(REPLY_SLOTS)) }
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
            let slot = Arc::clone(&intake.slots).acquire_owned().await.ok();
            let ack = intake.journal.ack(i64::from(update.id.0), slot);
            CURRENT.scope(ack, cont(deps)).await
        },
        dptree::HandlerSignature::Entry,
    )
}

//! Purpose: hold the replies waiting to be sent, per chat and in order, so that a handler
//! hands its reply over and returns at once instead of waiting for the chat's turn under
//! Telegram's flood limits.
//!
//! Why: teloxide keeps one worker (a task and a queue) per chat for as long as it has seen
//! as many chats busy at once, and a handler waiting for its sending slot keeps its chat busy.
//! A thousand people writing at once then left a thousand workers alive for good, about 20 KB
//! each. With the waiting moved here, the workers finish in microseconds and teloxide drops
//! them; a chat is kept here only while it has something to send.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Items waiting per chat. A chat is present exactly while one sender works through its
/// queue: [`Outbox::push`] says when a sender must be started, and [`Outbox::next`] forgets
/// the chat when its queue is empty, under the same lock, so no item is ever left behind.
pub struct Outbox<T> {
    queues: Mutex<HashMap<i64, VecDeque<T>>>,
}

impl<T> Default for Outbox<T> {
    fn default() -> Self {
        Outbox { queues: Mutex::new(HashMap::new()) }
    }
}

impl<T> Outbox<T> {
    /// Queues `item` for `chat`; true when the chat had no sender, so the caller must start
    /// one (which takes its items from [`Outbox::next`]).
    pub fn push(&self, chat: i64, item: T) -> bool {
        let mut queues = self.lock();
        match queues.get_mut(&chat) {
            Some(queue) => {
                queue.push_back(item);
                false
            }
            None => {
                queues.insert(chat, VecDeque::from([item]));
                true
            }
        }
    }

    /// The chat's next item, in the order pushed; `None` when there is none left, and then
    /// the chat is forgotten and its sender must stop.
    pub fn next(&self, chat: i64) -> Option<T> {
        let mut queues = self.lock();
        let item = queues.get_mut(&chat).and_then(VecDeque::pop_front);
        if item.is_none() {
            queues.remove(&chat);
        }
        item
    }

    /// How many chats have something being sent or waiting.
    pub fn busy_chats(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, VecDeque<T>>> {
        // A panic while holding this lock cannot leave the map half-changed (every change is
        // one call), so a poisoned lock is safe to use.
        self.queues.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sender_per_chat_items_in_order_and_none_left_behind() {
        let outbox = Outbox::default();
        assert!(outbox.push(1, "a"), "the first item starts a sender");
        assert!(!outbox.push(1, "b"), "a second item joins the running sender");
        assert!(outbox.push(2, "x"), "another chat gets its own sender");
        assert_eq!(outbox.busy_chats(), 2);
        assert_eq!(outbox.next(1), Some("a"));
        // Pushed while the sender is sending "a": still its job, not a second sender's.
        assert!(!outbox.push(1, "c"));
        assert_eq!(outbox.next(1), Some("b"));
        assert_eq!(outbox.next(1), Some("c"));
        assert_eq!(outbox.next(1), None);
        assert_eq!(outbox.busy_chats(), 1, "chat 1 is forgotten once its queue is empty");
        // After its sender stopped, the chat's next item starts a new one.
        assert!(outbox.push(1, "d"));
        assert_eq!(outbox.next(2), Some("x"));
        assert_eq!(outbox.next(2), None);
        assert_eq!(outbox.next(1), Some("d"));
        assert_eq!(outbox.next(1), None);
        assert_eq!(outbox.busy_chats(), 0);
    }
}

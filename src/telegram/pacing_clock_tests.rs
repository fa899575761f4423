//! Purpose: the outgoing pacing on tokio's paused clock: exact times instead of wall-clock
//! windows, so the checks neither flake on a busy machine nor take seconds.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::pacing::{OutgoingGate, SendLimits};

/// When each of `chats` (one message each, in this order) gets its slot, from the start.
async fn slots(gate: Arc<OutgoingGate>, chats: &[i64]) -> Vec<Duration> {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for &chat in chats {
        let gate = Arc::clone(&gate);
        tasks.push(tokio::spawn(async move {
            gate.wait(chat).await;
            Instant::now() - start
        }));
        // Queued in this order.
        tokio::task::yield_now().await;
    }
    let mut times = Vec::new();
    for t in tasks {
        times.push(t.await.unwrap());
    }
    times
}

#[tokio::test(start_paused = true)]
async fn all_chats_together_get_at_most_25_messages_a_second() {
    let gate = Arc::new(OutgoingGate::new(SendLimits::default()));
    let chats: Vec<i64> = (0..100).collect();
    let times = slots(gate, &chats).await;
    // One every 40 ms, in order: 100 messages take 3.96 s.
    for (i, t) in times.iter().enumerate() {
        assert_eq!(*t, Duration::from_millis(40) * u32::try_from(i).unwrap(), "message {i}");
    }
    for (i, t) in times.iter().enumerate() {
        let within = times[i..].iter().take_while(|u| **u - *t < Duration::from_secs(1)).count();
        assert!(within <= 25, "{within} messages in the second from {t:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn one_chat_gets_a_burst_of_two_then_one_message_every_1_1_s() {
    let gate = Arc::new(OutgoingGate::new(SendLimits::default()));
    let times = slots(Arc::clone(&gate), &[7; 5]).await;
    let ms = |m| Duration::from_millis(m);
    assert_eq!(times, [ms(0), ms(40), ms(1100), ms(2200), ms(3300)]);
    // After a pause as long as the burst's refill, a burst again.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let again = slots(gate, &[7, 7, 7]).await;
    assert_eq!(again, [ms(0), ms(40), ms(1100)]);
}

#[tokio::test(start_paused = true)]
async fn a_hold_after_429_delays_that_chat_only() {
    let gate = Arc::new(OutgoingGate::new(SendLimits::default()));
    gate.hold(7, Instant::now() + Duration::from_secs(5));
    let times = slots(gate, &[7, 8]).await;
    assert!(times[0] >= Duration::from_secs(5), "the held chat went at {:?}", times[0]);
    assert!(times[1] < Duration::from_millis(100), "another chat waited {:?}", times[1]);
}

#[tokio::test(start_paused = true)]
async fn a_send_booked_before_a_429_waits_out_the_hold() {
    let gate = Arc::new(OutgoingGate::new(SendLimits::default()));
    let start = Instant::now();
    // Two sends to one chat: the burst lets the first go now, the second is booked for 40 ms
    // (the bot's overall pace), then a third for 1.1 s.
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let gate = Arc::clone(&gate);
        tasks.push(tokio::spawn(async move {
            gate.wait(7).await;
            Instant::now() - start
        }));
        tokio::task::yield_now().await;
    }
    // Telegram answers the first with 429, retry after 5 s, while the others wait for their
    // slots: they must not go before the hold ends.
    tokio::time::sleep(Duration::from_millis(20)).await;
    gate.hold(7, start + Duration::from_secs(5));
    let mut times = Vec::new();
    for t in tasks {
        times.push(t.await.unwrap());
    }
    assert_eq!(times[0], Duration::ZERO);
    for t in &times[1..] {
        assert!(*t >= Duration::from_secs(5), "a send went at {t:?}, inside the hold: {times:?}");
    }
    // After the hold, the chat's pace applies again: the two do not go at once.
    assert!(times[2] - times[1] >= Duration::from_millis(1000), "{times:?}");
}

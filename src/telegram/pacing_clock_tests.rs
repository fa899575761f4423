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

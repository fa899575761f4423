//! A minimal HTTP/1.1 client over a TCP stream, for what Telegram and monitoring do to the
//! bot: post an update to its webhook, read `/healthz` and `/metrics`.

use std::net::{SocketAddr, TcpListener};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The header in which Telegram sends a webhook's secret.
pub const SECRET_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";

/// A free port of 127.0.0.1 (bound then released), for the bot or a server to listen on.
///
/// Taken below the kernel's ephemeral range (`ip_local_port_range`), where outgoing connections
/// take their ports: a port from that range, released for the bot to bind, could meanwhile be
/// taken by one of the many connections the tests make, and the bot would fail to start (seen
/// twice in some thirty runs of `tests/replicas.rs`). Each call takes the next port of this
/// process's own sequence, which starts at an offset given by its pid.
pub fn free_addr() -> SocketAddr {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let ephemeral_from: u32 = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse().ok())
        .unwrap_or(32768);
    const LOWEST: u32 = 15000;
    if ephemeral_from > LOWEST + 1000 {
        let span = ephemeral_from - LOWEST;
        let start = std::process::id().wrapping_mul(7919) % span;
        for _ in 0..span {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let port = LOWEST + (start + n) % span;
            if let Ok(listener) = TcpListener::bind(("127.0.0.1", port as u16)) {
                return listener.local_addr().unwrap();
            }
        }
    }
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

/// Sends one request (`Connection: close`); returns the status and the body, or status 0 when
/// the connection failed.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let Ok(mut stream) = TcpStream::connect(addr).await else { return (0, String::new()) };
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    if stream.write_all(head.as_bytes()).await.is_err() || stream.write_all(body).await.is_err() {
        return (0, String::new());
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    let status = answer.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_string();
    (status, body)
}

/// `GET path`: the status and the body.
pub async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    request(addr, "GET", path, &[], b"").await
}

/// Posts `body` to a webhook at `addr` and `path`, as Telegram does (JSON, with the secret
/// header when `secret` is given).
pub async fn post_webhook(
    addr: SocketAddr,
    path: &str,
    secret: Option<&str>,
    body: &[u8],
) -> (u16, String) {
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(secret) = secret {
        headers.push((SECRET_HEADER, secret));
    }
    request(addr, "POST", path, &headers, body).await
}

/// The value of the series `series` (with its labels) in a Prometheus text, 0 when absent.
pub fn metric_value(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

//! A minimal HTTP/1.1 client over a TCP stream, for what Telegram and monitoring do to the
//! bot: post an update to its webhook, read `/healthz` and `/metrics`.

use std::net::{SocketAddr, TcpListener};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The header in which Telegram sends a webhook's secret.
pub const SECRET_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";

/// A free port of 127.0.0.1 (bound then released), for the bot to listen on.
pub fn free_addr() -> SocketAddr {
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

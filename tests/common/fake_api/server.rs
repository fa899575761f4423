//! The HTTP side of the fake Bot API: reading requests, answering each method as Telegram
//! would (faults and limits included), and long-polling `getUpdates`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::*;

enum Answer {
    Json(u16, Value),
    Drop,
}

fn ok(result: Value) -> Answer {
    Answer::Json(200, json!({ "ok": true, "result": result }))
}

fn error(code: u16, description: &str) -> Answer {
    Answer::Json(code, json!({ "ok": false, "error_code": code, "description": description }))
}

fn too_many(retry_after: u64) -> Answer {
    Answer::Json(
        429,
        json!({
            "ok": false,
            "error_code": 429,
            "description": format!("Too Many Requests: retry after {retry_after}"),
            "parameters": { "retry_after": retry_after },
        }),
    )
}

pub(super) async fn serve_connection(stream: TcpStream, inner: Arc<Inner>) {
    let mut stream = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        match stream.read_line(&mut request_line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let mut length = 0usize;
        let mut content_type = String::new();
        loop {
            let mut line = String::new();
            if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                } else if name.eq_ignore_ascii_case("content-type") {
                    content_type = value.trim().to_string();
                }
            }
        }
        let mut body = vec![0; length];
        if stream.read_exact(&mut body).await.is_err() {
            return;
        }
        let path = request_line.split_whitespace().nth(1).unwrap_or_default().to_string();
        let answer = handle(&inner, &path, &content_type, &body).await;
        let Answer::Json(status, value) = answer else {
            // Dropped: close the connection without a word.
            return;
        };
        let body = value.to_string();
        let reason = match status {
            200 => "OK",
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            409 => "Conflict",
            429 => "Too Many Requests",
            _ => "Internal Server Error",
        };
        let head = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: keep-alive\r\n\r\n",
            body.len()
        );
        if stream.get_mut().write_all(head.as_bytes()).await.is_err()
            || stream.get_mut().write_all(body.as_bytes()).await.is_err()
        {
            return;
        }
    }
}

/// The fields of a `multipart/form-data` body (how teloxide sends `setWebhook`), as strings.
fn multipart_fields(content_type: &str, body: &[u8]) -> Option<Value> {
    let boundary = content_type.split(';').find_map(|p| p.trim().strip_prefix("boundary="))?;
    let boundary = format!("--{}", boundary.trim_matches('"'));
    let body = String::from_utf8_lossy(body);
    let mut fields = serde_json::Map::new();
    for part in body.split(boundary.as_str()).skip(1) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else { continue };
        let Some(name) = head.split("name=\"").nth(1).and_then(|n| n.split('"').next()) else {
            continue;
        };
        let value = value.strip_suffix("\r\n").unwrap_or(value);
        fields.insert(name.to_string(), Value::String(value.to_string()));
    }
    Some(Value::Object(fields))
}

async fn handle(inner: &Inner, path: &str, content_type: &str, body: &[u8]) -> Answer {
    let at = inner.started.elapsed();
    let Some((token, method)) = path.strip_prefix("/bot").and_then(|p| p.rsplit_once('/')) else {
        inner.state.lock().unwrap().violations.push("a request outside /bot<TOKEN>/".into());
        return error(404, "Not Found");
    };
    let method = method.to_ascii_lowercase();
    let params: Value = if body.is_empty() {
        json!({})
    } else if content_type.starts_with("multipart/form-data") {
        match multipart_fields(content_type, body) {
            Some(v) => v,
            None => {
                inner.state.lock().unwrap().violations.push(format!("{method}: bad multipart"));
                return error(400, "Bad Request: bad multipart body");
            }
        }
    } else {
        match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(_) => {
                inner.state.lock().unwrap().violations.push(format!("{method}: body is not JSON"));
                return error(400, "Bad Request: body is not JSON");
            }
        }
    };
    if token != TOKEN {
        inner.state.lock().unwrap().violations.push(format!("{method}: wrong token"));
        return error(401, "Unauthorized");
    }
    if method == "getupdates" {
        return get_updates(inner, params, at).await;
    }
    if method == "sendmessage" {
        let delay = inner.state.lock().unwrap().faults.send_delay;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
    let at = inner.started.elapsed();
    let (answer, outcome, delay) = {
        let mut s = inner.state.lock().unwrap();
        let delay = if s.faults.slow > 0.0 && s.random() < s.faults.slow {
            s.faults.slow_max.mul_f64(s.random())
        } else {
            Duration::ZERO
        };
        let (answer, outcome) = answer_method(&mut s, &method, &params, at);
        if let Outcome::Refused(reason) = &outcome {
            s.violations.push(format!("{method}: {reason}"));
        }
        (answer, outcome, delay)
    };
    inner.state.lock().unwrap().requests.push(Request { method, params, at, outcome });
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    answer
}

fn answer_method(s: &mut State, method: &str, params: &Value, at: Duration) -> (Answer, Outcome) {
    match method {
        "getme" => {
            s.get_me_calls += 1;
            if s.get_me_calls <= s.faults.get_me_failures {
                return (Answer::Drop, Outcome::Fault("drop"));
            }
            let mut me = bot_user();
            me["can_join_groups"] = json!(true);
            me["can_read_all_group_messages"] = json!(false);
            me["supports_inline_queries"] = json!(false);
            me["can_connect_to_business"] = json!(false);
            me["has_main_web_app"] = json!(false);
            (ok(me), Outcome::Ok)
        }
        "setwebhook" => {
            if let Err(e) = limits::check_set_webhook(params) {
                return (error(400, &format!("Bad Request: {e}")), Outcome::Refused(e));
            }
            s.webhook = Some(params.clone());
            (ok(json!(true)), Outcome::Ok)
        }
        "deletewebhook" | "setmycommands" | "deletemycommands" | "close" | "logout" => {
            if method == "deletewebhook" {
                s.webhook = None;
            }
            if method == "setmycommands" {
                if let Err(e) = limits::check_commands(params) {
                    return (error(400, &format!("Bad Request: {e}")), Outcome::Refused(e));
                }
            }
            (ok(json!(true)), Outcome::Ok)
        }
        "getwebhookinfo" => {
            let url = s.webhook.as_ref().map_or(json!(""), |w| w["url"].clone());
            let mut info =
                json!({ "url": url, "has_custom_certificate": false, "pending_update_count": 0 });
            if let Some((date, message)) = &s.webhook_error {
                info["last_error_date"] = json!(date);
                info["last_error_message"] = json!(message);
            }
            (ok(info), Outcome::Ok)
        }
        "answercallbackquery" => {
            let id = params["callback_query_id"].as_str().unwrap_or_default().to_string();
            if !s.callbacks.contains(&id) {
                let e = "query id is invalid".to_string();
                return (error(400, &format!("Bad Request: {e}")), Outcome::Refused(e));
            }
            if !s.answered.insert(id) {
                let e = "query is answered twice".to_string();
                return (error(400, &format!("Bad Request: {e}")), Outcome::Refused(e));
            }
            if let Err(e) = limits::check_answer_callback(params) {
                return (error(400, &format!("Bad Request: {e}")), Outcome::Refused(e));
            }
            (ok(json!(true)), Outcome::Ok)
        }
        "sendmessage" => send_message(s, params, at),
        other => {
            let e = format!("unknown method {other}");
            (error(404, "Not Found: method not found"), Outcome::Refused(e))
        }
    }
}

fn send_message(s: &mut State, params: &Value, at: Duration) -> (Answer, Outcome) {
    let Some(chat_id) = params["chat_id"].as_i64() else {
        let e = "chat_id is not a number".to_string();
        return (error(400, &format!("Bad Request: {e}")), Outcome::Refused(e));
    };
    let Some(chat) = s.chats.get(&chat_id).cloned() else {
        let e = "chat not found".to_string();
        return (error(400, &format!("Bad Request: {e}")), Outcome::Refused(e));
    };
    // Injected faults come first: the message is then not delivered.
    let scripted = match s.scripts.get_mut(&chat_id).and_then(VecDeque::pop_front) {
        Some(answer) => Some(answer),
        None => s.always.get(&chat_id).copied(),
    };
    let roll = s.random();
    let f = &s.faults;
    let fault = scripted.or(if roll < f.send_429 {
        Some(Scripted::TooMany { retry_after: f.retry_after })
    } else if roll < f.send_429 + f.send_500 {
        Some(Scripted::ServerError)
    } else if roll < f.send_429 + f.send_500 + f.send_drop {
        Some(Scripted::Drop)
    } else {
        None
    });
    match fault {
        Some(Scripted::TooMany { retry_after }) => {
            return (too_many(retry_after), Outcome::Fault("429"));
        }
        Some(Scripted::ServerError) => {
            return (error(500, "Internal Server Error"), Outcome::Fault("500"));
        }
        Some(Scripted::Drop) => return (Answer::Drop, Outcome::Fault("drop")),
        Some(Scripted::Blocked) => {
            return (error(403, "Forbidden: bot was blocked by the user"), Outcome::Fault("403"));
        }
        None => {}
    }
    let visible = match limits::check_send_message(params) {
        Ok(v) => v,
        Err(e) => return (error(400, &format!("Bad Request: {e}")), Outcome::Refused(e)),
    };
    if !s.flood_allows(chat_id, Instant::now()) {
        s.floods += 1;
        return (too_many(1), Outcome::Flood);
    }
    let id = s.next_message + 1;
    s.next_message = id;
    let text = params["text"].as_str().unwrap_or_default().to_string();
    let markup = params.get("reply_markup");
    let mut message = json!({
        "message_id": id,
        "date": unix_now(),
        "chat": chat,
        "from": bot_user(),
        "text": visible,
    });
    if let Some(markup) = markup {
        message["reply_markup"] = markup.clone();
    }
    s.sent.push(Sent {
        chat: chat_id,
        text,
        visible,
        buttons: buttons_of(markup),
        at,
        message: message.clone(),
    });
    (ok(message), Outcome::Ok)
}

async fn get_updates(inner: &Inner, params: Value, at: Duration) -> Answer {
    let offset = params["offset"].as_i64().unwrap_or(0);
    let limit = params["limit"].as_u64().unwrap_or(100).clamp(1, 100) as usize;
    let asked = Duration::from_secs(params["timeout"].as_u64().unwrap_or(0));
    let (fail, cap) = {
        let mut s = inner.state.lock().unwrap();
        let fail = s.faults.updates_fail > 0.0 && s.random() < s.faults.updates_fail;
        let drop = fail && s.random() < 0.5;
        let outcome = match (fail, drop) {
            (false, _) => Outcome::Ok,
            (true, true) => Outcome::Fault("drop"),
            (true, false) => Outcome::Fault("500"),
        };
        s.requests.push(Request {
            method: "getupdates".into(),
            params: params.clone(),
            at,
            outcome,
        });
        if s.webhook.is_some() {
            // As Telegram: no getUpdates while a webhook is set.
            s.violations.push("getUpdates while a webhook is set".into());
            std::mem::drop(s);
            return error(409, "Conflict: can't use getUpdates method while webhook is active");
        }
        (fail.then_some(drop), s.faults.poll_cap)
    };
    match fail {
        Some(true) => return Answer::Drop,
        Some(false) => return error(500, "Internal Server Error"),
        None => {}
    }
    let deadline = tokio::time::Instant::now() + asked.min(cap);
    loop {
        let news = inner.news.notified();
        tokio::pin!(news);
        news.as_mut().enable();
        {
            let mut s = inner.state.lock().unwrap();
            if offset > 0 {
                s.queue.retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
                s.confirmed = s.confirmed.max(offset);
            }
            let ready: Vec<Value> = s.queue.iter().take(limit).cloned().collect();
            if !ready.is_empty() || tokio::time::Instant::now() >= deadline {
                return ok(Value::Array(ready));
            }
        }
        let _ = tokio::time::timeout_at(deadline, news).await;
    }
}

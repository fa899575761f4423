//! The Bot API's published limits, checked on every request the bot makes.

use serde_json::Value;

/// Telegram's limit on a message's text, after entity parsing (UTF-16 code units).
pub const TEXT_LIMIT: usize = 4096;
/// `callback_data` of a button, in bytes.
pub const CALLBACK_DATA_MAX: usize = 64;
/// `answerCallbackQuery` text, in characters.
pub const CALLBACK_ANSWER_MAX: usize = 200;

/// Tags Telegram's HTML parse mode accepts.
const ALLOWED_TAGS: &[&str] = &[
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
];

/// Parses Telegram HTML: returns the visible text, or why Telegram would refuse it ("Can't
/// parse entities").
pub fn parse_html(html: &str) -> Result<String, String> {
    let mut visible = String::new();
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                let end = rest.find('>').ok_or("unclosed '<'")?;
                let inner = &rest[1..end];
                rest = &rest[end + 1..];
                if let Some(name) = inner.strip_prefix('/') {
                    let name = name.trim().to_ascii_lowercase();
                    match stack.pop() {
                        Some(open) if open == name => {}
                        Some(open) => return Err(format!("</{name}> closes <{open}>")),
                        None => return Err(format!("</{name}> without an opening tag")),
                    }
                } else {
                    let name: String = inner
                        .chars()
                        .take_while(|c| !c.is_whitespace() && *c != '/')
                        .collect::<String>()
                        .to_ascii_lowercase();
                    if !ALLOWED_TAGS.contains(&name.as_str()) {
                        return Err(format!("unsupported tag <{name}>"));
                    }
                    if inner.ends_with('/') {
                        return Err(format!("self-closing <{name}/>"));
                    }
                    let attrs = inner[name.len()..].trim();
                    match name.as_str() {
                        "a" if !attrs.starts_with("href=") => return Err("<a> without href".into()),
                        "span" if attrs != "class=\"tg-spoiler\"" => {
                            return Err("<span> without class=\"tg-spoiler\"".into())
                        }
                        "a" | "span" | "pre" | "code" | "blockquote" | "tg-emoji" => {}
                        _ if !attrs.is_empty() => {
                            return Err(format!("<{name}> takes no attributes"))
                        }
                        _ => {}
                    }
                    stack.push(name);
                }
            }
            '&' => {
                let end = rest.find(';').filter(|&e| e <= 10).ok_or("a bare '&'")?;
                let entity = &rest[1..end];
                let decoded = match entity {
                    "lt" => '<',
                    "gt" => '>',
                    "amp" => '&',
                    "quot" => '"',
                    _ => {
                        let number = entity.strip_prefix('#').ok_or("unsupported named entity")?;
                        let code = match number.strip_prefix(['x', 'X']) {
                            Some(hex) => u32::from_str_radix(hex, 16),
                            None => number.parse(),
                        }
                        .map_err(|_| "bad numeric entity")?;
                        char::from_u32(code).ok_or("bad numeric entity")?
                    }
                };
                visible.push(decoded);
                rest = &rest[end + 1..];
            }
            '>' => return Err("a bare '>'".into()),
            c => {
                visible.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    if let Some(open) = stack.pop() {
        return Err(format!("<{open}> is never closed"));
    }
    Ok(visible)
}

/// Checks `sendMessage` parameters; returns the visible text, or why Telegram would answer
/// 400.
pub fn check_send_message(params: &Value) -> Result<String, String> {
    let text = params["text"].as_str().ok_or("no text")?;
    let visible = match params["parse_mode"].as_str() {
        None => text.to_string(),
        Some("HTML") => parse_html(text).map_err(|e| format!("can't parse entities: {e}"))?,
        Some(other) => return Err(format!("parse mode {other} is not checked by the fake")),
    };
    let len = visible.encode_utf16().count();
    if visible.trim().is_empty() {
        return Err("message text is empty".into());
    }
    if len > TEXT_LIMIT {
        return Err(format!("message is too long ({len} > {TEXT_LIMIT})"));
    }
    if let Some(markup) = params.get("reply_markup") {
        check_markup(markup)?;
    }
    Ok(visible)
}

fn check_markup(markup: &Value) -> Result<(), String> {
    let rows =
        markup["inline_keyboard"].as_array().ok_or("reply_markup is not an inline keyboard")?;
    for button in rows.iter().flat_map(|r| r.as_array().into_iter().flatten()) {
        let text = button["text"].as_str().unwrap_or_default();
        if text.trim().is_empty() {
            return Err("a button without text".into());
        }
        match button.get("callback_data").and_then(Value::as_str) {
            Some(data) if data.is_empty() || data.len() > CALLBACK_DATA_MAX => {
                return Err(format!("callback_data of {} bytes", data.len()))
            }
            Some(_) => {}
            None if button.get("url").is_some() => {}
            None => return Err("a button with neither callback_data nor url".into()),
        }
    }
    Ok(())
}

/// Checks `answerCallbackQuery` parameters (the query id is checked by the server).
pub fn check_answer_callback(params: &Value) -> Result<(), String> {
    if let Some(text) = params.get("text").and_then(Value::as_str) {
        let len = text.chars().count();
        if len > CALLBACK_ANSWER_MAX {
            return Err(format!("answer text of {len} characters"));
        }
    }
    Ok(())
}

/// Checks `setMyCommands` parameters.
pub fn check_commands(params: &Value) -> Result<(), String> {
    let commands = params["commands"].as_array().ok_or("no commands")?;
    if commands.is_empty() || commands.len() > 100 {
        return Err(format!("{} commands", commands.len()));
    }
    for c in commands {
        let name = c["command"].as_str().unwrap_or_default();
        if name.is_empty()
            || name.len() > 32
            || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(format!("bad command name {name:?}"));
        }
        let desc = c["description"].as_str().unwrap_or_default();
        let len = desc.chars().count();
        if len == 0 || len > 256 {
            return Err(format!("description of /{name} has {len} characters"));
        }
    }
    if let Some(code) = params.get("language_code").and_then(Value::as_str) {
        if !(code.is_empty() || (code.len() == 2 && code.bytes().all(|b| b.is_ascii_lowercase()))) {
            return Err(format!("bad language_code {code:?}"));
        }
    }
    Ok(())
}

#[test]
fn html_checks_catch_what_telegram_refuses() {
    assert_eq!(parse_html("<b>a &amp; b</b>\n<i>c</i>").unwrap(), "a & b\nc");
    assert_eq!(parse_html("&#65;&#x42;&lt;").unwrap(), "AB<");
    for bad in ["<b>x", "<b>x</i>", "<div>x</div>", "a < b", "a > b", "&nbsp;", "x & y", "<br/>"] {
        assert!(parse_html(bad).is_err(), "{bad}");
    }
}

/// `setWebhook`: an HTTPS URL, and a secret token of 1 to 256 of `A-Z a-z 0-9 _ -`, as the Bot
/// API requires.
pub fn check_set_webhook(params: &Value) -> Result<(), String> {
    let url = params["url"].as_str().unwrap_or_default();
    if !url.starts_with("https://") {
        return Err(format!("bad webhook: an HTTPS URL must be provided, not {url:?}"));
    }
    if let Some(secret) = params.get("secret_token") {
        let secret = secret.as_str().unwrap_or_default();
        let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        if secret.is_empty() || secret.len() > 256 || !secret.chars().all(allowed) {
            return Err("bad webhook: secret token contains unallowed characters".into());
        }
    }
    Ok(())
}

//! Purpose: rendering a reply: Telegram HTML (escaped) or plain text, split within Telegram's
//! length limit as Telegram counts it (UTF-16 units).

use crate::faq::TELEGRAM_TEXT_LIMIT;

use super::{Block, Reply};

/// Escapes text for Telegram's HTML parse mode.
#[must_use]
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Length as Telegram counts it (UTF-16 code units).
#[must_use]
pub fn telegram_len(s: &str) -> usize {
    s.encode_utf16().count()
}

impl Block {
    fn render(&self, html: bool) -> String {
        let esc = |s: &str| if html { escape_html(s) } else { s.to_string() };
        let wrap = |tag: &str, s: &str| {
            if html {
                format!("<{tag}>{}</{tag}>", escape_html(s))
            } else {
                s.to_string()
            }
        };
        match self {
            Block::Heading(s) => wrap("b", s),
            Block::Text(s) => esc(s),
            Block::Note(s) => wrap("i", s),
            Block::Contact { name, note, details } => {
                let mut lines = vec![wrap("b", name)];
                if !note.is_empty() {
                    lines.push(esc(note));
                }
                for (label, value) in details {
                    lines.push(format!("{}: {}", esc(label), esc(value)));
                }
                lines.join("\n")
            }
        }
    }

    /// Splits a block whose text alone exceeds `limit` at paragraph, line or word boundaries.
    fn split(self, limit: usize) -> Vec<Block> {
        if telegram_len(&self.render(false)) <= limit {
            return vec![self];
        }
        let (text, make): (String, fn(String) -> Block) = match self {
            Block::Text(s) => (s, Block::Text),
            Block::Note(s) => (s, Block::Note),
            Block::Heading(s) => (s, Block::Heading),
            Block::Contact { .. } => (self.render(false), Block::Text),
        };
        split_text(&text, limit).into_iter().map(make).collect()
    }
}

/// Splits text into pieces of at most `limit` UTF-16 units, preferring paragraph, then line,
/// then word boundaries, and cutting a word only when it alone is too long.
#[must_use]
pub fn split_text(text: &str, limit: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut rest = text.trim();
    while telegram_len(rest) > limit {
        // The longest prefix that fits, in characters.
        let mut units = 0;
        let mut fit = 0;
        for (i, c) in rest.char_indices() {
            units += c.len_utf16();
            if units > limit {
                break;
            }
            fit = i + c.len_utf8();
        }
        let head = &rest[..fit];
        let cut = ["\n\n", "\n", " "]
            .iter()
            .find_map(|sep| head.rfind(sep).filter(|&i| i > 0))
            .unwrap_or(fit);
        pieces.push(rest[..cut].trim_end().to_string());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        pieces.push(rest.to_string());
    }
    pieces
}

impl Reply {
    /// Plain text, for terminals and logs of tests.
    #[must_use]
    pub fn to_plain(&self) -> String {
        self.blocks.iter().map(|b| b.render(false)).collect::<Vec<_>>().join("\n\n")
    }

    /// The reply as Telegram HTML messages, each at most `limit` visible characters
    /// (Telegram: 4096). Buttons go with the last message.
    #[must_use]
    pub fn html_chunks(&self, limit: usize) -> Vec<String> {
        let blocks: Vec<Block> = self.blocks.iter().cloned().flat_map(|b| b.split(limit)).collect();
        let mut chunks = Vec::new();
        let mut html = String::new();
        let mut visible = 0;
        for b in blocks {
            let len = telegram_len(&b.render(false));
            let sep = if html.is_empty() { 0 } else { 2 };
            if !html.is_empty() && visible + sep + len > limit {
                chunks.push(std::mem::take(&mut html));
                visible = 0;
            }
            if !html.is_empty() {
                html.push_str("\n\n");
                visible += 2;
            }
            html.push_str(&b.render(true));
            visible += len;
        }
        if !html.is_empty() {
            chunks.push(html);
        }
        chunks
    }

    /// The reply as Telegram HTML messages within Telegram's limit.
    #[must_use]
    pub fn telegram_chunks(&self) -> Vec<String> {
        self.html_chunks(TELEGRAM_TEXT_LIMIT)
    }
}

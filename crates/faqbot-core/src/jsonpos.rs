//! Purpose: find the line and column of each value in a JSON text, by JSON pointer.
//!
//! serde_json gives positions only for syntax errors; validation findings (a duplicate id, an
//! unknown contact) need the place of a value in a file that already parsed. This scanner walks
//! the text once and records where every value starts.

use std::collections::HashMap;

/// Start positions (1-based line and column, in characters) of the values in a JSON text.
#[derive(Debug, Default)]
pub struct Positions {
    map: HashMap<String, (usize, usize)>,
}

impl Positions {
    /// Position of the value at `pointer` (`/topics/3/id`), or of its nearest enclosing value.
    #[must_use]
    pub fn find(&self, pointer: &str) -> (usize, usize) {
        let mut p = pointer;
        loop {
            if let Some(&pos) = self.map.get(p) {
                return pos;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return (1, 1),
            }
        }
    }
}

/// An object key as a JSON pointer writes it (`~` as `~0`, `/` as `~1`).
#[must_use]
pub fn pointer_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Scans `src` (valid JSON) and returns the positions of all values.
#[must_use]
pub fn positions(src: &str) -> Positions {
    let mut s =
        Scanner { chars: src.chars().collect(), i: 0, line: 1, col: 1, out: HashMap::new() };
    s.skip_ws();
    s.value(String::new());
    Positions { map: s.out }
}

struct Scanner {
    chars: Vec<char>,
    i: usize,
    line: usize,
    col: usize,
    out: HashMap<String, (usize, usize)>,
}

impl Scanner {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(c) if c.is_whitespace()) {
            self.bump();
        }
    }

    fn value(&mut self, pointer: String) {
        self.out.insert(pointer.clone(), (self.line, self.col));
        match self.peek() {
            Some('{') => {
                self.bump();
                loop {
                    self.skip_ws();
                    match self.peek() {
                        Some('"') => {
                            let key = self.string();
                            self.skip_ws();
                            if self.peek() == Some(':') {
                                self.bump();
                            }
                            self.skip_ws();
                            self.value(format!("{pointer}/{}", pointer_token(&key)));
                            self.skip_ws();
                            if self.peek() == Some(',') {
                                self.bump();
                            }
                        }
                        Some('}') => {
                            self.bump();
                            return;
                        }
                        None => return,
                        Some(_) => {
                            self.bump();
                        }
                    }
                }
            }
            Some('[') => {
                self.bump();
                let mut index = 0;
                loop {
                    self.skip_ws();
                    match self.peek() {
                        Some(']') => {
                            self.bump();
                            return;
                        }
                        None => return,
                        Some(',') => {
                            self.bump();
                        }
                        Some(_) => {
                            self.value(format!("{pointer}/{index}"));
                            index += 1;
                        }
                    }
                }
            }
            Some('"') => {
                self.string();
            }
            Some(_) => {
                while matches!(self.peek(), Some(c) if !c.is_whitespace() && !matches!(c, ',' | '}' | ']'))
                {
                    self.bump();
                }
            }
            None => {}
        }
    }

    /// Reads a string literal (at its opening quote) and returns its content with the escapes
    /// decoded, as serde_json reads it (so that a key's pointer is the one validation builds).
    fn string(&mut self) -> String {
        let mut out = String::new();
        self.bump();
        while let Some(c) = self.bump() {
            match c {
                '"' => break,
                '\\' => match self.bump() {
                    Some('b') => out.push('\u{8}'),
                    Some('f') => out.push('\u{c}'),
                    Some('n') => out.push('\n'),
                    Some('r') => out.push('\r'),
                    Some('t') => out.push('\t'),
                    Some('u') => out.push(self.unicode_escape()),
                    Some(e) => out.push(e),
                    None => break,
                },
                c => out.push(c),
            }
        }
        out
    }

    /// Decodes the rest of a `\uXXXX` escape (after its `u`), and a low surrogate's escape
    /// after a high one. A malformed escape gives U+FFFD (the text parsed, so it cannot occur).
    fn unicode_escape(&mut self) -> char {
        let high = self.hex4();
        if let Some(h @ 0xD800..=0xDBFF) = high {
            if self.peek() == Some('\\') && self.chars.get(self.i + 1) == Some(&'u') {
                self.bump();
                self.bump();
                if let Some(l @ 0xDC00..=0xDFFF) = self.hex4() {
                    let c = 0x10000 + ((h - 0xD800) << 10) + (l - 0xDC00);
                    return char::from_u32(c).unwrap_or('\u{FFFD}');
                }
            }
            return '\u{FFFD}';
        }
        high.and_then(char::from_u32).unwrap_or('\u{FFFD}')
    }

    /// Reads four hex digits.
    fn hex4(&mut self) -> Option<u32> {
        let mut v = 0;
        for _ in 0..4 {
            v = v * 16 + self.peek()?.to_digit(16)?;
            self.bump();
        }
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_values_by_pointer() {
        let src = "{\n  \"a\": [1, {\"b\": \"x\"}],\n  \"c\": {\"d/e\": true}\n}";
        let p = positions(src);
        assert_eq!(p.find(""), (1, 1));
        assert_eq!(p.find("/a"), (2, 8));
        assert_eq!(p.find("/a/0"), (2, 9));
        assert_eq!(p.find("/a/1/b"), (2, 18));
        assert_eq!(p.find("/c/d~1e"), (3, 16));
    }

    #[test]
    fn unknown_pointer_falls_back_to_enclosing_value() {
        let p = positions("{\"a\": {\"b\": 1}}");
        assert_eq!(p.find("/a/missing"), (1, 7));
        assert_eq!(p.find("/nothing/here"), (1, 1));
    }

    #[test]
    fn keys_are_found_by_their_decoded_text() {
        // `"\u0259"` is `ə`, `"a\"b"` is `a"b`, `"d\/e"` is `d/e` and `"\ud83d\ude00"` one
        // emoji: serde_json reads the keys so, and validation builds its pointers from them.
        let src = r#"{"\u0259": 1, "a\"b": 2, "d\/e": 3, "\ud83d\ude00": 4, "t\tx": 5}"#;
        let p = positions(src);
        assert_eq!(p.find("/ə"), (1, 12));
        assert_eq!(p.find("/a\"b"), (1, 23));
        assert_eq!(p.find("/d~1e"), (1, 34));
        assert_eq!(p.find("/\u{1F600}"), (1, 53));
        assert_eq!(p.find("/t\tx"), (1, 64));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let p = positions("{\"ə\": \"ş\", \"x\": 1}");
        assert_eq!(p.find("/x"), (1, 17));
    }
}

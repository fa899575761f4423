//! Expected replies, computed by the binary's own core through its command line: `faqbot chat`
//! prints each reply as Telegram shows it (plain text, then numbered buttons), and
//! `faqbot ask --json` tells how a question is classified. One process answers a whole list.

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use serde_json::Value;

/// A reply as the core builds it: its text as Telegram shows it, and its buttons' labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub text: String,
    pub buttons: Vec<Vec<String>>,
}

impl Expected {
    /// The reply as messages (Telegram shows one message of up to 4096 UTF-16 units; the
    /// tests use replies that fit one).
    pub fn messages(&self) -> Vec<String> {
        let len = self.text.encode_utf16().count();
        assert!(len <= 4096, "a reply of {len} units would be split: {:.200}", self.text);
        vec![self.text.clone()]
    }
}

fn run(args: &[&str], faq: &Path, language: Option<&str>, input: &str) -> String {
    let mut command = super::faqbot();
    command.args(args).arg("--faq").arg(faq);
    if let Some(code) = language {
        command.args(["--lang", code]);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start faqbot");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "faqbot {args:?}: {}", super::stderr(&output));
    super::stdout(&output)
}

/// The replies of the bot to `inputs` sent one after the other by someone whose Telegram is in
/// `language`: questions, and commands as `faqbot chat` has them (`/start`, `/help`,
/// `/topics`, `/contacts`, `/language`; any other is unknown).
pub fn replies(faq: &Path, language: Option<&str>, inputs: &[&str]) -> Vec<Expected> {
    for input in inputs {
        let line = input.trim();
        assert!(
            !line.is_empty() && !line.contains('\n') && line.parse::<usize>().is_err(),
            "`faqbot chat` cannot ask {input:?}"
        );
    }
    let out = run(&["chat"], faq, language, &(inputs.join("\n") + "\n"));
    let lines: Vec<&str> = out.lines().collect();
    // Each reply follows the echo of its input (`> ...`) and ends with an empty line.
    let mut starts = Vec::new();
    let mut from = 0;
    for input in inputs {
        let echo = format!("> {}", input.trim());
        let at = from
            + lines[from..]
                .iter()
                .position(|l| *l == echo)
                .unwrap_or_else(|| panic!("no {echo:?} in `faqbot chat` output:\n{out}"));
        starts.push(at + 1);
        from = at + 1;
    }
    let ends = starts.iter().skip(1).map(|s| s - 1).chain([lines.len()]);
    starts.iter().zip(ends).map(|(&start, end)| parse_reply(&lines[start..end])).collect()
}

/// The reply to one input.
pub fn reply(faq: &Path, language: Option<&str>, input: &str) -> Expected {
    replies(faq, language, &[input]).remove(0)
}

/// Reads one reply of `faqbot chat`: text lines, then rows of buttons (`[1] A   [2] B`)
/// numbered from 1, then an empty line.
fn parse_reply(lines: &[&str]) -> Expected {
    let lines = lines.strip_suffix(&[""]).unwrap_or(lines);
    for first in 0..lines.len() {
        if let Some(buttons) = parse_rows(&lines[first..]) {
            return Expected { text: lines[..first].join("\n"), buttons };
        }
    }
    Expected { text: lines.join("\n"), buttons: Vec::new() }
}

fn parse_rows(lines: &[&str]) -> Option<Vec<Vec<String>>> {
    let mut number = 1;
    let mut rows = Vec::new();
    for line in lines {
        let mut rest = line.strip_prefix(&format!("[{number}] "))?;
        let mut row = Vec::new();
        loop {
            number += 1;
            let next = format!("   [{number}] ");
            match rest.find(&next) {
                Some(i) => {
                    row.push(rest[..i].to_string());
                    rest = &rest[i + next.len()..];
                }
                None => {
                    row.push(rest.to_string());
                    break;
                }
            }
        }
        rows.push(row);
    }
    (!rows.is_empty()).then_some(rows)
}

/// `faqbot ask --json` for each question: `language`, `topic`, `score`, `suggestions`,
/// `outcome`.
pub fn classify(faq: &Path, language: Option<&str>, questions: &[&str]) -> Vec<Value> {
    assert!(questions.iter().all(|q| !q.trim().is_empty() && !q.contains('\n')));
    let out = run(&["ask", "--json"], faq, language, &(questions.join("\n") + "\n"));
    let lines: Vec<Value> =
        out.lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect();
    assert_eq!(lines.len(), questions.len(), "{out}");
    lines
}

//! Formatting the nft text inside Rust sources (NFT-29): the string literals of `nft!`
//! invocations (`nft!(r"…")`, `nft!("…")`, `nft!(NAME = EXPR, …; r#"…"#)`) are reformatted as
//! [`format_str`](super::format_str) formats files, comments included.

use linx_nft_syntax::Diagnostics;

use super::{CompileError, format_str};

/// The result of [`format_rust`]: the new source and the literals left as they were.
///
/// ```
/// // `\q` is no Rust escape: the literal is left as it is and listed.
/// let r = linx::nft::format_rust("f.rs", "nft!(\"add table ip t \\q\")").unwrap();
/// assert_eq!(r.kept[0].0, 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RustFormatted {
    /// The Rust source with the macro literals reformatted.
    pub text: String,
    /// Literals kept unchanged, as (1-based line of the literal, reason).
    pub kept: Vec<(usize, String)>,
}

/// Reformats the nft text of every `nft!` invocation whose text is a string literal in the
/// Rust source `src`, `#` comments included (see [`format_str`]). A raw literal (`r"…"`,
/// `r#"…"#`, …) stays raw and gets more `#`s when the new text needs them; a plain literal
/// (`"…"`) is read with its escapes and written back with `\` and `"` escaped and real line
/// breaks (a literal with an escape this scan does not know is left unchanged and listed in
/// [`RustFormatted::kept`]). A literal that starts with a newline keeps it. The token form
/// `nft!{ … }` and `nft_file!` are left alone: their text is Rust tokens, not a string.
///
/// ```
/// let src = "fn f() -> linx::nft::Script {\n    linx::nft!(r\"table inet t { chain c { tcp dport {22,80} accept; }; }\")\n}\n";
/// let out = linx::nft::format_rust("f.rs", src).unwrap();
/// assert!(out.text.contains("r\"table inet t {\n\tchain c {\n\t\ttcp dport { 22, 80 } accept\n\t}\n}\n\")"));
/// assert!(out.kept.is_empty());
/// ```
///
/// # Errors
/// The located diagnostics of the first literal that does not parse (the file is then not
/// changed); the location names the Rust file and the literal's line.
pub fn format_rust(name: &str, src: &str) -> Result<RustFormatted, CompileError> {
    let lits = macro_literals(src);
    let mut out = String::with_capacity(src.len());
    let mut kept = Vec::new();
    let mut pos = 0;
    for lit in lits {
        let line = src[..lit.start].matches('\n').count() + 1;
        let source = &src[lit.content.0..lit.content.1];
        let cooked;
        let content = if lit.raw {
            source
        } else {
            match unescape(source) {
                Some(v) => {
                    cooked = v;
                    &cooked
                }
                None => {
                    kept.push((
                        line,
                        "an escape sequence this formatter does not read".to_string(),
                    ));
                    continue;
                }
            }
        };
        let lname = format!("{name}:{line} (nft! literal)");
        let mut formatted = match format_str(&lname, content) {
            Ok(f) => f,
            Err(mut e) => {
                let mut d = Diagnostics::new();
                for x in e.diagnostics.into_vec() {
                    d.push(x.with_note(format!("in the nft! literal at {name}:{line}"), None));
                }
                e.diagnostics = d;
                return Err(e);
            }
        };
        if content.starts_with('\n') {
            formatted.insert(0, '\n');
        }
        out.push_str(&src[pos..lit.start]);
        if !lit.raw {
            out.push('"');
            out.push_str(&formatted.replace('\\', "\\\\").replace('"', "\\\""));
            out.push('"');
            pos = lit.end;
            continue;
        }
        let mut hashes = lit.hashes;
        while formatted.contains(&format!("\"{}", "#".repeat(hashes))) {
            hashes += 1;
        }
        out.push_str(&src[lit.start..lit.prefix_end]);
        let h = "#".repeat(hashes);
        out.push_str(&h);
        out.push('"');
        out.push_str(&formatted);
        out.push('"');
        out.push_str(&h);
        pos = lit.end;
    }
    out.push_str(&src[pos..]);
    Ok(RustFormatted { text: out, kept })
}

/// A string literal in the source: whole range, the `r`/`br` prefix's end, the content, the
/// number of `#`; `raw` false for a plain `"…"` (no prefix, no `#`).
struct RawLit {
    start: usize,
    prefix_end: usize,
    content: (usize, usize),
    end: usize,
    hashes: usize,
    raw: bool,
}

/// The value of a plain string literal's body, or `None` for an escape it does not know.
fn unescape(body: &str) -> Option<String> {
    let mut out = String::with_capacity(body.len());
    let mut it = body.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next()? {
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            '0' => out.push('\0'),
            '\\' => out.push('\\'),
            '\'' => out.push('\''),
            '"' => out.push('"'),
            'x' => {
                let h: String = [it.next()?, it.next()?].iter().collect();
                let v = u8::from_str_radix(&h, 16).ok().filter(|v| *v < 0x80)?;
                out.push(char::from(v));
            }
            'u' => {
                if it.next()? != '{' {
                    return None;
                }
                let mut h = String::new();
                loop {
                    match it.next()? {
                        '}' => break,
                        '_' => {}
                        d => h.push(d),
                    }
                }
                out.push(char::from_u32(u32::from_str_radix(&h, 16).ok()?)?);
            }
            // A line continuation skips the line break and the next line's leading whitespace.
            '\n' | '\r' => {
                while it.peek().is_some_and(|c| c.is_whitespace()) {
                    it.next();
                }
            }
            _ => return None,
        }
    }
    Some(out)
}

/// A lexical token of Rust, as far as this scan needs: an identifier, a raw string, any other
/// literal or punctuation.
enum Tok {
    Ident(usize, usize),
    Raw(RawLit),
    Other(u8),
    Literal,
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

fn ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

impl Scanner<'_> {
    /// The next token, skipping whitespace and comments; `None` at the end.
    fn next(&mut self) -> Option<Tok> {
        let b = self.b;
        loop {
            while self.i < b.len() && b[self.i].is_ascii_whitespace() {
                self.i += 1;
            }
            if self.i + 1 < b.len() && b[self.i] == b'/' && b[self.i + 1] == b'/' {
                while self.i < b.len() && b[self.i] != b'\n' {
                    self.i += 1;
                }
                continue;
            }
            if self.i + 1 < b.len() && b[self.i] == b'/' && b[self.i + 1] == b'*' {
                let mut depth = 0usize;
                while self.i < b.len() {
                    if self.i + 1 < b.len() && b[self.i] == b'/' && b[self.i + 1] == b'*' {
                        depth += 1;
                        self.i += 2;
                    } else if self.i + 1 < b.len() && b[self.i] == b'*' && b[self.i + 1] == b'/' {
                        depth -= 1;
                        self.i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        self.i += 1;
                    }
                }
                continue;
            }
            break;
        }
        if self.i >= b.len() {
            return None;
        }
        let start = self.i;
        let c = b[start];
        if ident_char(c) && !c.is_ascii_digit() {
            while self.i < b.len() && ident_char(b[self.i]) {
                self.i += 1;
            }
            let word = &b[start..self.i];
            if matches!(word, b"r" | b"br" | b"cr")
                && self.i < b.len()
                && (b[self.i] == b'"' || b[self.i] == b'#')
            {
                if let Some(t) = self.raw(start) {
                    return Some(t);
                }
            }
            if matches!(word, b"b" | b"c") && self.i < b.len() && b[self.i] == b'"' {
                self.string();
                return Some(Tok::Literal);
            }
            return Some(Tok::Ident(start, self.i));
        }
        if c.is_ascii_digit() {
            while self.i < b.len() && (ident_char(b[self.i]) || b[self.i] == b'.') {
                self.i += 1;
            }
            return Some(Tok::Literal);
        }
        if c == b'"' {
            self.string();
            if self.b.get(self.i.wrapping_sub(1)) == Some(&b'"') && self.i > start + 1 {
                return Some(Tok::Raw(RawLit {
                    start,
                    prefix_end: start,
                    content: (start + 1, self.i - 1),
                    end: self.i,
                    hashes: 0,
                    raw: false,
                }));
            }
            return Some(Tok::Literal);
        }
        if c == b'\'' {
            // A char literal ('x', '\n', '\u{…}') or a lifetime.
            if self.i + 1 < b.len() && b[self.i + 1] == b'\\' {
                self.i += 2;
                while self.i < b.len() && b[self.i] != b'\'' {
                    self.i += 1;
                }
                self.i += 1;
                return Some(Tok::Literal);
            }
            let rest = &self.b[self.i + 1..];
            let ch_len = std::str::from_utf8(&rest[..rest.len().min(4)])
                .ok()
                .or_else(|| {
                    (1..4)
                        .rev()
                        .find_map(|n| std::str::from_utf8(&rest[..n.min(rest.len())]).ok())
                })
                .and_then(|s| s.chars().next())
                .map_or(1, char::len_utf8);
            if rest.len() > ch_len && rest[ch_len] == b'\'' {
                self.i += 2 + ch_len;
                return Some(Tok::Literal);
            }
            self.i += 1;
            return Some(Tok::Other(b'\''));
        }
        self.i += 1;
        Some(Tok::Other(c))
    }

    fn string(&mut self) {
        let b = self.b;
        while self.i < b.len() && b[self.i] != b'"' {
            self.i += 1;
        }
        self.i += 1;
        while self.i < b.len() && b[self.i] != b'"' {
            if b[self.i] == b'\\' {
                self.i += 1;
            }
            self.i += 1;
        }
        self.i = (self.i + 1).min(b.len());
    }

    /// A raw string starting at `start` (the prefix is consumed, `self.i` is at `#` or `"`).
    fn raw(&mut self, start: usize) -> Option<Tok> {
        let b = self.b;
        let prefix_end = self.i;
        let mut j = self.i;
        while j < b.len() && b[j] == b'#' {
            j += 1;
        }
        if j >= b.len() || b[j] != b'"' {
            return None;
        }
        let hashes = j - prefix_end;
        let content_start = j + 1;
        let mut k = content_start;
        while k < b.len() {
            if b[k] == b'"'
                && b[k + 1..]
                    .iter()
                    .take(hashes)
                    .filter(|&&c| c == b'#')
                    .count()
                    == hashes
            {
                let end = k + 1 + hashes;
                self.i = end;
                return Some(Tok::Raw(RawLit {
                    start,
                    prefix_end,
                    content: (content_start, k),
                    end,
                    hashes,
                    raw: true,
                }));
            }
            k += 1;
        }
        self.i = b.len();
        Some(Tok::Literal)
    }
}

/// The raw string literals that are the text of an `nft!` invocation: the first token of the
/// arguments, or the first after a top-level `;`.
fn macro_literals(src: &str) -> Vec<RawLit> {
    let mut s = Scanner {
        b: src.as_bytes(),
        i: 0,
    };
    let mut out = Vec::new();
    let mut prev_nft = 0u8; // 1: saw `nft`, 2: saw `nft !`
    while let Some(t) = s.next() {
        match t {
            Tok::Ident(a, b) => {
                prev_nft = u8::from(&src[a..b] == "nft");
            }
            Tok::Other(b'!') if prev_nft == 1 => prev_nft = 2,
            Tok::Other(b'(' | b'[' | b'{') if prev_nft == 2 => {
                prev_nft = 0;
                let mut depth = 1usize;
                let mut at_start = true;
                while let Some(t) = s.next() {
                    match t {
                        Tok::Raw(r) if depth == 1 && at_start => {
                            out.push(r);
                            at_start = false;
                        }
                        Tok::Other(b'(' | b'[' | b'{') => {
                            depth += 1;
                            at_start = false;
                        }
                        Tok::Other(b')' | b']' | b'}') => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        Tok::Other(b';') if depth == 1 => at_start = true,
                        _ => at_start = false,
                    }
                }
            }
            _ => prev_nft = 0,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nft_29_literals_of_nft_invocations_change_with_their_comments() {
        let src = r##"// nft!(r"table ip x { }") in a comment stays
fn f() {
    let a = "nft!(r\"x\")";
    let b = nft!(r"table ip t { chain c { accept; }; }");
    let c = linx::nft!(p = g(1, [2; 3]); r#"table ip u { chain c { tcp dport $p accept; }; }"#);
    let d = nft!{ table ip v { chain c { accept; }; } };
    let e = nft!(r"
# a comment
table ip w { chain c { # the only chain
accept; }; }");
    let f = nft_file!("x.nft");
    let l: &'static str = "'";
}
"##;
        let out = format_rust("f.rs", src).unwrap();
        let want = r##"// nft!(r"table ip x { }") in a comment stays
fn f() {
    let a = "nft!(r\"x\")";
    let b = nft!(r"table ip t {
	chain c {
		accept
	}
}
");
    let c = linx::nft!(p = g(1, [2; 3]); r#"table ip u {
	chain c {
		tcp dport $p accept
	}
}
"#);
    let d = nft!{ table ip v { chain c { accept; }; } };
    let e = nft!(r"
# a comment
table ip w {
	chain c { # the only chain
		accept
	}
}
");
    let f = nft_file!("x.nft");
    let l: &'static str = "'";
}
"##;
        assert_eq!(out.text, want);
        assert!(out.kept.is_empty(), "{:?}", out.kept);
        // Idempotent.
        assert_eq!(format_rust("f.rs", &out.text).unwrap().text, out.text);
    }

    #[test]
    fn nft_29_raw_string_hashes_are_kept_and_quoted_hashes_are_not_comments() {
        let src = "nft!(r##\"table ip t { chain c { log prefix \"#x\"; }; }\"##)";
        let out = format_rust("f.rs", src).unwrap();
        assert!(out.kept.is_empty());
        assert_eq!(
            out.text,
            "nft!(r##\"table ip t {\n\tchain c {\n\t\tlog prefix \"#x\"\n\t}\n}\n\"##)"
        );
    }

    #[test]
    fn nft_29_plain_literals_are_read_with_their_escapes_and_written_back_escaped() {
        let src =
            "nft!(\"table ip t { chain c { log prefix \\\"a\\\\b\\\" # note\\n accept; }; }\")";
        let out = format_rust("f.rs", src).unwrap();
        assert!(out.kept.is_empty(), "{:?}", out.kept);
        assert_eq!(
            out.text,
            "nft!(\"table ip t {\n\tchain c {\n\t\tlog prefix \\\"a\\\\b\\\" # note\n\t\taccept\n\t}\n}\n\")"
        );
        assert_eq!(format_rust("f.rs", &out.text).unwrap().text, out.text);
        // A line continuation is read as Rust reads it.
        assert_eq!(unescape("a\\\n    b\\u{41}\\x42"), Some("abAB".to_string()));
        // An escape Rust does not have: left alone and listed.
        let out = format_rust("f.rs", "nft!(\"table ip t \\q\")").unwrap();
        assert_eq!(out.kept.len(), 1);
        assert_eq!(out.text, "nft!(\"table ip t \\q\")");
    }

    #[test]
    fn nft_29_a_literal_that_does_not_parse_is_a_located_error() {
        let src = "\n\nnft!(r\"tabel ip t\")";
        let e = format_rust("f.rs", src).unwrap_err();
        let m = e.to_string();
        assert!(m.contains("f.rs:3 (nft! literal):1:1"), "{m}");
    }
}

//! Recovering nft text from Rust tokens (`nft!{ … }`), and mapping byte spans of that text back
//! to the tokens.
//!
//! Each token's text is its `source_text` (or its printed form when the compiler has none, e.g.
//! for tokens made by another macro); the whitespace between tokens is rebuilt from their
//! line and column: a token on a later line starts a new line (nft ends statements at
//! newlines) indented to its column, a token further right on the same line is preceded by as
//! many spaces as the gap. Adjacent tokens stay adjacent, so `10.0.0.0/24`, `$port`, `1h30m` and
//! `eth0.10` come back as written.

use proc_macro::{Delimiter, Span, TokenStream, TokenTree};

/// One token of the recovered text: its byte range and its span.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Piece {
    pub start: usize,
    pub end: usize,
    pub span: Span,
}

/// The text and where each token landed in it.
#[derive(Debug, Default)]
pub(crate) struct Recovered {
    pub text: String,
    pub pieces: Vec<Piece>,
    line: usize,
    column: usize,
}

impl Recovered {
    fn push(&mut self, text: &str, span: Span) {
        let (line, column) = (span.line(), span.column());
        if self.pieces.is_empty() {
            self.line = line;
            self.column = column;
        } else if line > self.line {
            for _ in self.line..line {
                self.text.push('\n');
            }
            for _ in 0..column {
                self.text.push(' ');
            }
        } else if line == self.line && column >= self.column {
            for _ in self.column..column {
                self.text.push(' ');
            }
        } else {
            // Positions that go backwards (tokens from another expansion): keep them apart.
            self.text.push(' ');
        }
        let start = self.text.len();
        self.text.push_str(text);
        self.pieces.push(Piece {
            start,
            end: self.text.len(),
            span,
        });
        let end = span.end();
        let (el, ec) = (end.line(), end.column());
        if el > line || (el == line && ec >= column) {
            self.line = el;
            self.column = ec;
        } else {
            // No usable end position: count the text.
            let newlines = text.matches('\n').count();
            if newlines == 0 {
                self.column = column + text.chars().count();
            } else {
                self.line = line + newlines;
                self.column = text.rsplit('\n').next().map_or(0, |l| l.chars().count());
            }
        }
    }

    fn walk(&mut self, ts: TokenStream) {
        for tt in ts {
            match tt {
                TokenTree::Group(g) => {
                    let (open, close) = match g.delimiter() {
                        Delimiter::Brace => ("{", "}"),
                        Delimiter::Parenthesis => ("(", ")"),
                        Delimiter::Bracket => ("[", "]"),
                        Delimiter::None => ("", ""),
                    };
                    if open.is_empty() {
                        self.walk(g.stream());
                    } else {
                        self.push(open, g.span_open());
                        self.walk(g.stream());
                        self.push(close, g.span_close());
                    }
                }
                other => {
                    let span = other.span();
                    let text = span.source_text().unwrap_or_else(|| other.to_string());
                    self.push(&text, span);
                }
            }
        }
    }

    /// The tokens covering the byte range `start..end` of the text: the first and the last
    /// (the same token for a one-token range); the last token when the range is past the end.
    pub(crate) fn covering(&self, start: usize, end: usize) -> Option<(Span, Span)> {
        let last = self.pieces.last()?;
        let first = self.pieces.iter().find(|p| p.end > start).unwrap_or(last);
        let end = end.max(start + 1);
        let final_piece = self
            .pieces
            .iter()
            .rev()
            .find(|p| p.start < end)
            .unwrap_or(first);
        if final_piece.start < first.start {
            return Some((first.span, first.span));
        }
        Some((first.span, final_piece.span))
    }
}

/// The nft text written as Rust tokens, with the position of every token.
pub(crate) fn recover(ts: TokenStream) -> Recovered {
    let mut r = Recovered::default();
    r.walk(ts);
    r.text.push('\n');
    r
}

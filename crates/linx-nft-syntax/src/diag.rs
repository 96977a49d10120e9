//! Diagnostics: located errors and warnings, rendered as `file:line:col: error: message` with the
//! source line and a caret underline, plus notes ("in file included from a.nft:3") and did-you-mean
//! suggestions.
//!
//! Two classes of error are kept apart: [`Class::Invalid`] (nft rejects this input too) and
//! [`Class::Unsupported`] (valid nft that linx does not reproduce), so users can tell "this is
//! wrong" from "linx cannot".

use crate::source::{SourceMap, Span};
use std::fmt::{self, Write as _};

/// How bad a diagnostic is.
///
/// ```
/// use linx_nft_syntax::diag::Severity;
/// assert_eq!(Severity::Error.to_string(), "error");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The input is rejected.
    Error,
    /// The input is accepted, but something deserves attention.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// Why an error is an error.
///
/// ```
/// use linx_nft_syntax::diag::Class;
/// assert_ne!(Class::Invalid, Class::Unsupported);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    /// Not valid nft syntax (nft rejects it as well).
    Invalid,
    /// Valid nft that linx refuses rather than approximating; rendered as `unsupported: …`.
    Unsupported,
}

/// A note attached to a diagnostic, optionally located.
///
/// ```
/// use linx_nft_syntax::diag::Note;
/// let n = Note::new("defined here", None);
/// assert_eq!(n.message, "defined here");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The text.
    pub message: String,
    /// Where it points, if anywhere.
    pub span: Option<Span>,
}

impl Note {
    /// A note.
    ///
    /// ```
    /// let n = linx_nft_syntax::diag::Note::new("x", None);
    /// assert!(n.span.is_none());
    /// ```
    pub fn new(message: impl Into<String>, span: Option<Span>) -> Note {
        Note {
            message: message.into(),
            span,
        }
    }
}

/// One located message.
///
/// ```
/// use linx_nft_syntax::{diag::Diagnostic, SourceMap, Span};
/// let mut sm = SourceMap::new();
/// let id = sm.add("a.nft", "tcp dprt 22\n", None);
/// let d = Diagnostic::error(Span::new(id, 4, 8), "unknown tcp field 'dprt'")
///     .with_suggestion("dport");
/// let text = d.render(&sm);
/// assert!(text.starts_with("a.nft:1:5: error: unknown tcp field 'dprt'; did you mean 'dport'?"));
/// assert!(text.contains("    ^^^^"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Invalid or unsupported.
    pub class: Class,
    /// The main message (without the location prefix).
    pub message: String,
    /// The offending tokens.
    pub span: Option<Span>,
    /// Extra notes.
    pub notes: Vec<Note>,
    /// A did-you-mean suggestion.
    pub suggestion: Option<String>,
}

impl Diagnostic {
    /// An invalid-input error at `span`.
    ///
    /// ```
    /// use linx_nft_syntax::{diag::{Diagnostic, Severity}, Span};
    /// assert_eq!(Diagnostic::error(Span::DUMMY, "x").severity, Severity::Error);
    /// ```
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            class: Class::Invalid,
            message: message.into(),
            span: Some(span),
            notes: Vec::new(),
            suggestion: None,
        }
    }

    /// An `unsupported: <construct>` error at `span`.
    ///
    /// ```
    /// use linx_nft_syntax::{diag::{Class, Diagnostic}, Span};
    /// let d = Diagnostic::unsupported(Span::DUMMY, "list command");
    /// assert_eq!(d.class, Class::Unsupported);
    /// assert_eq!(d.message, "unsupported: list command");
    /// ```
    pub fn unsupported(span: Span, construct: impl AsRef<str>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            class: Class::Unsupported,
            message: format!("unsupported: {}", construct.as_ref()),
            span: Some(span),
            notes: Vec::new(),
            suggestion: None,
        }
    }

    /// A warning at `span`.
    ///
    /// ```
    /// use linx_nft_syntax::{diag::{Diagnostic, Severity}, Span};
    /// assert_eq!(Diagnostic::warning(Span::DUMMY, "x").severity, Severity::Warning);
    /// ```
    pub fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            class: Class::Invalid,
            message: message.into(),
            span: Some(span),
            notes: Vec::new(),
            suggestion: None,
        }
    }

    /// Adds a note.
    ///
    /// ```
    /// use linx_nft_syntax::{diag::Diagnostic, Span};
    /// let d = Diagnostic::error(Span::DUMMY, "x").with_note("y", None);
    /// assert_eq!(d.notes.len(), 1);
    /// ```
    pub fn with_note(mut self, message: impl Into<String>, span: Option<Span>) -> Diagnostic {
        self.notes.push(Note::new(message, span));
        self
    }

    /// Adds a did-you-mean suggestion.
    ///
    /// ```
    /// use linx_nft_syntax::{diag::Diagnostic, Span};
    /// let d = Diagnostic::error(Span::DUMMY, "x").with_suggestion("accept");
    /// assert_eq!(d.suggestion.as_deref(), Some("accept"));
    /// ```
    pub fn with_suggestion(mut self, suggestion: impl Into<String>) -> Diagnostic {
        self.suggestion = Some(suggestion.into());
        self
    }

    /// Adds a suggestion if there is one.
    ///
    /// ```
    /// use linx_nft_syntax::{diag::Diagnostic, Span};
    /// let d = Diagnostic::error(Span::DUMMY, "x").maybe_suggest(None::<String>);
    /// assert!(d.suggestion.is_none());
    /// ```
    pub fn maybe_suggest(self, suggestion: Option<impl Into<String>>) -> Diagnostic {
        match suggestion {
            Some(s) => self.with_suggestion(s),
            None => self,
        }
    }

    /// True for errors (of either class).
    ///
    /// ```
    /// use linx_nft_syntax::{diag::Diagnostic, Span};
    /// assert!(Diagnostic::error(Span::DUMMY, "x").is_error());
    /// ```
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The message with the suggestion appended.
    ///
    /// ```
    /// use linx_nft_syntax::{diag::Diagnostic, Span};
    /// let d = Diagnostic::error(Span::DUMMY, "unknown statement 'acept'").with_suggestion("accept");
    /// assert_eq!(d.full_message(), "unknown statement 'acept'; did you mean 'accept'?");
    /// ```
    pub fn full_message(&self) -> String {
        match &self.suggestion {
            Some(s) => format!("{}; did you mean '{}'?", self.message, s),
            None => self.message.clone(),
        }
    }

    /// `file:line:col` of the primary span ("" when the diagnostic has no location).
    ///
    /// ```
    /// use linx_nft_syntax::{diag::Diagnostic, SourceMap, Span};
    /// let mut sm = SourceMap::new();
    /// let id = sm.add("a.nft", "x\ny\n", None);
    /// assert_eq!(Diagnostic::error(Span::new(id, 2, 3), "m").location_string(&sm), "a.nft:2:1");
    /// ```
    pub fn location_string(&self, sources: &SourceMap) -> String {
        match self.span {
            Some(span) if !span.is_dummy() && sources.file(span.file).is_some() => {
                let loc = sources.location(span);
                format!("{}:{}:{}", sources.name(span.file), loc.line, loc.column)
            }
            _ => String::new(),
        }
    }

    /// Renders the diagnostic: the header line, the source line, a caret underline covering the
    /// span (up to the end of its first line), then the notes and the include chain.
    ///
    /// ```
    /// use linx_nft_syntax::{diag::Diagnostic, SourceMap, Span};
    /// let mut sm = SourceMap::new();
    /// let id = sm.add("a.nft", "ip saddr 1.2.3.4.5 accept\n", None);
    /// let out = Diagnostic::error(Span::new(id, 16, 18), "unexpected '.5'").render(&sm);
    /// assert_eq!(out, "a.nft:1:17: error: unexpected '.5'\nip saddr 1.2.3.4.5 accept\n                ^^\n");
    /// ```
    pub fn render(&self, sources: &SourceMap) -> String {
        let mut out = String::new();
        let loc = self.location_string(sources);
        if loc.is_empty() {
            let _ = writeln!(out, "{}: {}", self.severity, self.full_message());
        } else {
            let _ = writeln!(out, "{}: {}: {}", loc, self.severity, self.full_message());
        }
        if let Some(span) = self.span {
            render_excerpt(&mut out, sources, span);
        }
        for note in &self.notes {
            match note.span {
                Some(span) if !span.is_dummy() && sources.file(span.file).is_some() => {
                    let l = sources.location(span);
                    let _ = writeln!(
                        out,
                        "{}:{}:{}: note: {}",
                        sources.name(span.file),
                        l.line,
                        l.column,
                        note.message
                    );
                }
                _ => {
                    let _ = writeln!(out, "note: {}", note.message);
                }
            }
        }
        if let Some(span) = self.span {
            if !span.is_dummy() {
                for inc in sources.include_chain(span.file) {
                    let l = sources.location(inc);
                    let _ = writeln!(
                        out,
                        "note: in file included from {}:{}",
                        sources.name(inc.file),
                        l.line
                    );
                }
            }
        }
        out
    }

    /// A one-line JSON object (no external dependency): `file`, `line`, `column`, `end_line`,
    /// `end_column`, `severity`, `class`, `message`, `suggestion`, `notes`, `included_from`.
    ///
    /// ```
    /// use linx_nft_syntax::{diag::Diagnostic, SourceMap, Span};
    /// let mut sm = SourceMap::new();
    /// let id = sm.add("a.nft", "x \"y\"\n", None);
    /// let j = Diagnostic::error(Span::new(id, 2, 5), "bad \"y\"").to_json(&sm);
    /// assert!(j.contains("\"line\":1,\"column\":3"));
    /// assert!(j.contains("\"message\":\"bad \\\"y\\\"\""));
    /// ```
    pub fn to_json(&self, sources: &SourceMap) -> String {
        let mut o = String::from("{");
        match self.span {
            Some(span) if !span.is_dummy() && sources.file(span.file).is_some() => {
                let s = sources.location(span);
                let e = sources.end_location(span);
                let _ = write!(
                    o,
                    "\"file\":{},\"line\":{},\"column\":{},\"end_line\":{},\"end_column\":{},",
                    json_str(sources.name(span.file)),
                    s.line,
                    s.column,
                    e.line,
                    e.column
                );
            }
            _ => o.push_str("\"file\":null,"),
        }
        let _ = write!(
            o,
            "\"severity\":\"{}\",\"class\":\"{}\",\"message\":{},",
            self.severity,
            match self.class {
                Class::Invalid => "invalid",
                Class::Unsupported => "unsupported",
            },
            json_str(&self.message)
        );
        match &self.suggestion {
            Some(s) => {
                let _ = write!(o, "\"suggestion\":{},", json_str(s));
            }
            None => o.push_str("\"suggestion\":null,"),
        }
        o.push_str("\"notes\":[");
        for (i, n) in self.notes.iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            o.push_str(&json_str(&n.message));
        }
        o.push_str("],\"included_from\":[");
        if let Some(span) = self.span {
            for (i, inc) in sources.include_chain(span.file).iter().enumerate() {
                if i > 0 {
                    o.push(',');
                }
                let l = sources.location(*inc);
                let _ = write!(
                    o,
                    "{{\"file\":{},\"line\":{}}}",
                    json_str(sources.name(inc.file)),
                    l.line
                );
            }
        }
        o.push_str("]}");
        o
    }
}

fn json_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn render_excerpt(out: &mut String, sources: &SourceMap, span: Span) {
    if span.is_dummy() || sources.file(span.file).is_none() {
        return;
    }
    let start = sources.location(span);
    let Some(line) = sources.line_text(span.file, start.line) else {
        return;
    };
    let end = sources.end_location(span);
    let line_chars = line.chars().count() as u32;
    let first_col = start.column.max(1);
    let last_col = if end.line == start.line {
        end.column.max(first_col)
    } else {
        line_chars.max(first_col)
    };
    let _ = writeln!(out, "{line}");
    let mut caret = String::new();
    // Keep tabs so the caret lines up with the source line.
    for (i, c) in line.chars().enumerate() {
        if i as u32 + 1 >= first_col {
            break;
        }
        caret.push(if c == '\t' { '\t' } else { ' ' });
    }
    for _ in first_col..=last_col {
        caret.push('^');
    }
    let _ = writeln!(out, "{caret}");
}

/// The maximum number of errors rendered by [`Diagnostics::render`] (like nft's parser).
pub const MAX_REPORTED_ERRORS: usize = 10;

/// A list of diagnostics in source order of discovery.
///
/// ```
/// use linx_nft_syntax::{diag::{Diagnostic, Diagnostics}, Span};
/// let mut d = Diagnostics::new();
/// d.push(Diagnostic::warning(Span::DUMMY, "w"));
/// assert!(!d.has_errors());
/// d.push(Diagnostic::error(Span::DUMMY, "e"));
/// assert_eq!(d.error_count(), 1);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics {
    list: Vec<Diagnostic>,
}

impl Diagnostics {
    /// An empty list.
    ///
    /// ```
    /// assert!(linx_nft_syntax::diag::Diagnostics::new().is_empty());
    /// ```
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }

    /// Appends one.
    ///
    /// ```
    /// use linx_nft_syntax::{diag::{Diagnostic, Diagnostics}, Span};
    /// let mut d = Diagnostics::new();
    /// d.push(Diagnostic::error(Span::DUMMY, "e"));
    /// assert_eq!(d.len(), 1);
    /// ```
    pub fn push(&mut self, d: Diagnostic) {
        self.list.push(d);
    }

    /// Appends all of `other`.
    ///
    /// ```
    /// use linx_nft_syntax::diag::Diagnostics;
    /// let mut a = Diagnostics::new();
    /// a.extend(Diagnostics::new());
    /// assert!(a.is_empty());
    /// ```
    pub fn extend(&mut self, other: Diagnostics) {
        self.list.extend(other.list);
    }

    /// All diagnostics.
    ///
    /// ```
    /// assert!(linx_nft_syntax::diag::Diagnostics::new().iter().next().is_none());
    /// ```
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.list.iter()
    }

    /// Number of diagnostics.
    ///
    /// ```
    /// assert_eq!(linx_nft_syntax::diag::Diagnostics::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// True if there are none.
    ///
    /// ```
    /// assert!(linx_nft_syntax::diag::Diagnostics::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Number of errors.
    ///
    /// ```
    /// assert_eq!(linx_nft_syntax::diag::Diagnostics::new().error_count(), 0);
    /// ```
    pub fn error_count(&self) -> usize {
        self.list.iter().filter(|d| d.is_error()).count()
    }

    /// True if at least one error.
    ///
    /// ```
    /// assert!(!linx_nft_syntax::diag::Diagnostics::new().has_errors());
    /// ```
    pub fn has_errors(&self) -> bool {
        self.list.iter().any(|d| d.is_error())
    }

    /// The errors only.
    ///
    /// ```
    /// assert_eq!(linx_nft_syntax::diag::Diagnostics::new().errors().count(), 0);
    /// ```
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.list.iter().filter(|d| d.is_error())
    }

    /// Renders every warning and the first [`MAX_REPORTED_ERRORS`] errors, then
    /// "and N more errors" if some were left out.
    ///
    /// ```
    /// use linx_nft_syntax::{diag::{Diagnostic, Diagnostics}, SourceMap, Span};
    /// let sm = SourceMap::new();
    /// let mut d = Diagnostics::new();
    /// for i in 0..12 { d.push(Diagnostic::error(Span::DUMMY, format!("e{i}"))); }
    /// let out = d.render(&sm);
    /// assert!(out.contains("e9") && !out.contains("e10"));
    /// assert!(out.ends_with("and 2 more errors\n"));
    /// ```
    pub fn render(&self, sources: &SourceMap) -> String {
        let mut out = String::new();
        let mut shown = 0usize;
        let mut hidden = 0usize;
        for d in &self.list {
            if d.is_error() {
                if shown >= MAX_REPORTED_ERRORS {
                    hidden += 1;
                    continue;
                }
                shown += 1;
            }
            out.push_str(&d.render(sources));
        }
        if hidden > 0 {
            let _ = writeln!(
                out,
                "and {hidden} more error{}",
                if hidden == 1 { "" } else { "s" }
            );
        }
        out
    }

    /// A JSON array of [`Diagnostic::to_json`] objects (all of them, uncapped).
    ///
    /// ```
    /// use linx_nft_syntax::{diag::Diagnostics, SourceMap};
    /// assert_eq!(Diagnostics::new().to_json(&SourceMap::new()), "[]");
    /// ```
    pub fn to_json(&self, sources: &SourceMap) -> String {
        let mut o = String::from("[");
        for (i, d) in self.list.iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            o.push_str(&d.to_json(sources));
        }
        o.push(']');
        o
    }

    /// Consumes the list.
    ///
    /// ```
    /// assert!(linx_nft_syntax::diag::Diagnostics::new().into_vec().is_empty());
    /// ```
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.list
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

/// Damerau–Levenshtein distance (optimal string alignment), as nft's misspell helper uses.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + cost);
            }
            d[i][j] = v;
        }
    }
    d[n][m]
}

/// The closest candidate to `word`, if it is close enough to be a plausible typo (the threshold
/// grows with the word length, as in nft).
///
/// ```
/// use linx_nft_syntax::diag::did_you_mean;
/// assert_eq!(did_you_mean("acept", ["accept", "drop"]), Some("accept".to_string()));
/// assert_eq!(did_you_mean("xyz", ["accept", "drop"]), None);
/// ```
pub fn did_you_mean<I, S>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let wl = word.chars().count();
    let mut best: Option<(usize, String)> = None;
    for c in candidates {
        let c = c.as_ref();
        if c == word {
            continue;
        }
        let cl = c.chars().count();
        let max_len = wl.max(cl);
        let min_len = wl.min(cl);
        if max_len <= 1 {
            continue;
        }
        let threshold = if max_len - min_len <= 1 {
            max_len.div_ceil(3).max(1)
        } else {
            (max_len + 2).div_ceil(3)
        };
        let dist = distance(c, word);
        if dist > threshold {
            continue;
        }
        if best.as_ref().is_none_or(|(d, _)| dist < *d) {
            best = Some((dist, c.to_string()));
        }
    }
    best.map(|(_, s)| s)
}

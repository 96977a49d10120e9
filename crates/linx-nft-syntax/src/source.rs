//! Source files, byte spans and line/column locations.
//!
//! Every token and AST node carries a [`Span`]: the file it came from and a byte range in that
//! file. A [`SourceMap`] owns the text of every file read during one parse (the main file and
//! everything it includes) and turns spans into 1-based line and column numbers. It also records,
//! for every included file, the span of the `include` directive that pulled it in, so diagnostics
//! can print "in file included from a.nft:3".

use std::fmt;

/// Identifies one file in a [`SourceMap`].
///
/// ```
/// use linx_nft_syntax::SourceMap;
/// let mut sources = SourceMap::new();
/// let id = sources.add("a.nft", "flush ruleset\n", None);
/// assert_eq!(sources.name(id), "a.nft");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range inside one source file.
///
/// Spans are half-open (`start..end`) byte offsets. [`Span::DUMMY`] marks synthesized nodes
/// (for example ASTs built in code); equality of ASTs "spans aside" is provided by
/// [`crate::ast::Script::without_spans`].
///
/// ```
/// use linx_nft_syntax::{FileId, Span};
/// let a = Span::new(FileId(0), 2, 5);
/// let b = Span::new(FileId(0), 7, 9);
/// assert_eq!(a.to(b), Span::new(FileId(0), 2, 9));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// The file.
    pub file: FileId,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span that points nowhere (synthesized nodes).
    pub const DUMMY: Span = Span {
        file: FileId(u32::MAX),
        start: 0,
        end: 0,
    };

    /// A span from `start` to `end` in `file`.
    ///
    /// ```
    /// use linx_nft_syntax::{FileId, Span};
    /// assert_eq!(Span::new(FileId(1), 0, 3).len(), 3);
    /// ```
    pub fn new(file: FileId, start: u32, end: u32) -> Span {
        Span { file, start, end }
    }

    /// The span covering `self` and `other` (same file; otherwise `self`).
    ///
    /// ```
    /// use linx_nft_syntax::{FileId, Span};
    /// let s = Span::new(FileId(0), 4, 6).to(Span::new(FileId(0), 1, 2));
    /// assert_eq!((s.start, s.end), (1, 6));
    /// ```
    pub fn to(self, other: Span) -> Span {
        if self.is_dummy() {
            return other;
        }
        if other.is_dummy() || other.file != self.file {
            return self;
        }
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// Length in bytes.
    ///
    /// ```
    /// use linx_nft_syntax::Span;
    /// assert_eq!(Span::DUMMY.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start) as usize
    }

    /// True for an empty span.
    ///
    /// ```
    /// use linx_nft_syntax::Span;
    /// assert!(Span::DUMMY.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True for [`Span::DUMMY`].
    ///
    /// ```
    /// use linx_nft_syntax::Span;
    /// assert!(Span::DUMMY.is_dummy());
    /// ```
    pub fn is_dummy(&self) -> bool {
        self.file.0 == u32::MAX
    }
}

/// A 1-based line and column (columns count characters, not bytes).
///
/// ```
/// use linx_nft_syntax::SourceMap;
/// let mut sm = SourceMap::new();
/// let id = sm.add("x.nft", "a\nbc\n", None);
/// let loc = sm.location(linx_nft_syntax::Span::new(id, 3, 4));
/// assert_eq!((loc.line, loc.column), (2, 2));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1, in characters.
    pub column: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One source file: its name as shown in diagnostics, its text, and where it was included from.
#[derive(Clone, Debug)]
pub struct SourceFile {
    name: String,
    text: String,
    line_starts: Vec<u32>,
    included_from: Option<Span>,
}

impl SourceFile {
    /// The name shown in diagnostics.
    ///
    /// ```
    /// use linx_nft_syntax::SourceMap;
    /// let mut sm = SourceMap::new();
    /// let id = sm.add("x.nft", "", None);
    /// assert_eq!(sm.file(id).map(|f| f.name()), Some("x.nft"));
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The full text.
    ///
    /// ```
    /// use linx_nft_syntax::SourceMap;
    /// let mut sm = SourceMap::new();
    /// let id = sm.add("x.nft", "flush ruleset\n", None);
    /// assert_eq!(sm.file(id).map(|f| f.text()), Some("flush ruleset\n"));
    /// ```
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The span of the `include` directive that read this file, if any.
    ///
    /// ```
    /// use linx_nft_syntax::SourceMap;
    /// let mut sm = SourceMap::new();
    /// let id = sm.add("x.nft", "", None);
    /// assert!(sm.file(id).and_then(|f| f.included_from()).is_none());
    /// ```
    pub fn included_from(&self) -> Option<Span> {
        self.included_from
    }
}

/// All files read during one parse.
///
/// ```
/// use linx_nft_syntax::{SourceMap, Span};
/// let mut sm = SourceMap::new();
/// let id = sm.add("main.nft", "table ip t {\n}\n", None);
/// assert_eq!(sm.line_text(id, 1), Some("table ip t {"));
/// assert_eq!(sm.snippet(Span::new(id, 6, 8)), "ip");
/// ```
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    ///
    /// ```
    /// assert!(linx_nft_syntax::SourceMap::new().is_empty());
    /// ```
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file and returns its id.
    ///
    /// ```
    /// let mut sm = linx_nft_syntax::SourceMap::new();
    /// let a = sm.add("a.nft", "", None);
    /// let b = sm.add("b.nft", "", None);
    /// assert_ne!(a, b);
    /// ```
    pub fn add(
        &mut self,
        name: impl Into<String>,
        text: impl Into<String>,
        included_from: Option<Span>,
    ) -> FileId {
        let text = text.into();
        let mut line_starts = vec![0u32];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i as u32 + 1);
            }
        }
        let id = FileId(self.files.len() as u32);
        self.files.push(SourceFile {
            name: name.into(),
            text,
            line_starts,
            included_from,
        });
        id
    }

    /// Number of files.
    ///
    /// ```
    /// assert_eq!(linx_nft_syntax::SourceMap::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True if no file was added.
    ///
    /// ```
    /// assert!(linx_nft_syntax::SourceMap::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The file with this id.
    ///
    /// ```
    /// let sm = linx_nft_syntax::SourceMap::new();
    /// assert!(sm.file(linx_nft_syntax::FileId(3)).is_none());
    /// ```
    pub fn file(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// The text of a file ("" for an unknown id).
    ///
    /// ```
    /// let mut sm = linx_nft_syntax::SourceMap::new();
    /// let id = sm.add("a", "x", None);
    /// assert_eq!(sm.text(id), "x");
    /// ```
    pub fn text(&self, id: FileId) -> &str {
        self.file(id).map(|f| f.text.as_str()).unwrap_or("")
    }

    /// The name of a file (`"<unknown>"` for an unknown id).
    ///
    /// ```
    /// let sm = linx_nft_syntax::SourceMap::new();
    /// assert_eq!(sm.name(linx_nft_syntax::FileId(0)), "<unknown>");
    /// ```
    pub fn name(&self, id: FileId) -> &str {
        self.file(id)
            .map(|f| f.name.as_str())
            .unwrap_or("<unknown>")
    }

    /// The text a span covers ("" if it does not fit).
    ///
    /// ```
    /// let mut sm = linx_nft_syntax::SourceMap::new();
    /// let id = sm.add("a", "hello", None);
    /// assert_eq!(sm.snippet(linx_nft_syntax::Span::new(id, 1, 3)), "el");
    /// ```
    pub fn snippet(&self, span: Span) -> &str {
        let text = self.text(span.file);
        text.get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }

    /// Line and column of the start of a span.
    ///
    /// ```
    /// let mut sm = linx_nft_syntax::SourceMap::new();
    /// let id = sm.add("a", "ab\ncd", None);
    /// let l = sm.location(linx_nft_syntax::Span::new(id, 4, 5));
    /// assert_eq!(l.to_string(), "2:2");
    /// ```
    pub fn location(&self, span: Span) -> Location {
        self.offset_location(span.file, span.start)
    }

    /// Line and column of the last character of a span (its start for an empty span).
    ///
    /// ```
    /// let mut sm = linx_nft_syntax::SourceMap::new();
    /// let id = sm.add("a", "abcd", None);
    /// assert_eq!(sm.end_location(linx_nft_syntax::Span::new(id, 1, 3)).column, 3);
    /// ```
    pub fn end_location(&self, span: Span) -> Location {
        if span.end > span.start {
            // The start of the last character.
            let text = self.text(span.file);
            let mut last = span.end as usize - 1;
            while last > span.start as usize && !text.is_char_boundary(last) {
                last -= 1;
            }
            self.offset_location(span.file, last as u32)
        } else {
            self.location(span)
        }
    }

    fn offset_location(&self, file: FileId, offset: u32) -> Location {
        let Some(f) = self.file(file) else {
            return Location { line: 0, column: 0 };
        };
        let line_idx = match f.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let line_start = f.line_starts.get(line_idx).copied().unwrap_or(0) as usize;
        let offset = (offset as usize).min(f.text.len());
        let column = f
            .text
            .get(line_start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(0);
        Location {
            line: line_idx as u32 + 1,
            column: column as u32 + 1,
        }
    }

    /// The text of a 1-based line, without its newline.
    ///
    /// ```
    /// let mut sm = linx_nft_syntax::SourceMap::new();
    /// let id = sm.add("a", "one\ntwo\n", None);
    /// assert_eq!(sm.line_text(id, 2), Some("two"));
    /// assert_eq!(sm.line_text(id, 9), None);
    /// ```
    pub fn line_text(&self, file: FileId, line: u32) -> Option<&str> {
        let f = self.file(file)?;
        let idx = (line as usize).checked_sub(1)?;
        let start = *f.line_starts.get(idx)? as usize;
        let end = f
            .line_starts
            .get(idx + 1)
            .map(|e| *e as usize - 1)
            .unwrap_or(f.text.len());
        f.text.get(start..end)
    }

    /// The chain of `include` directives that led to `file`, innermost first.
    ///
    /// ```
    /// use linx_nft_syntax::{SourceMap, Span};
    /// let mut sm = SourceMap::new();
    /// let main = sm.add("main.nft", "include \"a.nft\"\n", None);
    /// let inc = sm.add("a.nft", "", Some(Span::new(main, 0, 15)));
    /// assert_eq!(sm.include_chain(inc), vec![Span::new(main, 0, 15)]);
    /// ```
    pub fn include_chain(&self, file: FileId) -> Vec<Span> {
        let mut out = Vec::new();
        let mut cur = file;
        while let Some(span) = self.file(cur).and_then(|f| f.included_from) {
            if out.len() > 64 {
                break;
            }
            out.push(span);
            cur = span.file;
        }
        out
    }
}

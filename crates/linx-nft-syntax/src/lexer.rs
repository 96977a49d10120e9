//! The scanner: nft text to tokens, as nft's flex scanner splits it.
//!
//! The scanner never fails. Anything it cannot classify becomes a [`TokenKind::Junk`] token that
//! the parser reports with its location. Word-like lexemes follow the longest-match rule of nft's
//! scanner (nftables 1.0.6), with its tie-breaking order:
//!
//! * `#` comments run to the end of the line; a line holding only a comment produces no newline
//!   token (as nft), and a comment at the very end of a file without a final newline is junk (as
//!   nft). There are no `/* */` comments.
//! * `\` directly followed by a newline continues the line.
//! * quoted strings have no escapes and may span lines.
//! * numbers: decimal, `0x` hex and leading-zero octal (`010` is 8); there are no `0b` literals.
//! * time strings (`1h30m`, `250ms`), IPv4, IPv6 (also `[…]` bracketed and with embedded IPv4 in
//!   the `::ffff:a.b.c.d` and `::a.b.c.d` forms), MAC addresses and class ids are single words;
//!   so are dotted and dashed names (`eth0.10`, `br-lan`, `mbytes/second`).
//!
//! Keywords are not decided here: a word is a keyword only where the parser expects one, except
//! the operator words `eq ne lt gt le ge and or xor not lshift rshift`, which nft always treats
//! as operators.

use crate::source::{FileId, Span};

/// The kind of a token.
///
/// ```
/// use linx_nft_syntax::lexer::{tokenize, TokenKind};
/// use linx_nft_syntax::FileId;
/// let kinds: Vec<_> = tokenize("ct mark and 0xff", FileId(0)).iter().map(|t| t.kind).collect();
/// assert_eq!(kinds, [TokenKind::Word, TokenKind::Word, TokenKind::Amp, TokenKind::Number, TokenKind::Eof]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// A bare word: names, symbolic constants, addresses, time strings (nft's `STRING`).
    Word,
    /// A decimal, hex or octal number (nft's `NUM`).
    Number,
    /// A double-quoted string; the token text is the content without the quotes.
    Quoted,
    /// A word with a `*` wildcard, such as `eth*` (nft's `ASTERISK_STRING`).
    Asterisk,
    /// End of line.
    Newline,
    /// `;`
    Semicolon,
    /// `,`
    Comma,
    /// `.`
    Dot,
    /// `:`
    Colon,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `==` or `eq`
    EqEq,
    /// `!=` or `ne`
    Ne,
    /// `<` or `lt`
    Lt,
    /// `<=` or `le`
    Le,
    /// `>` or `gt`
    Gt,
    /// `>=` or `ge`
    Ge,
    /// `<<` or `lshift`
    Shl,
    /// `>>` or `rshift`
    Shr,
    /// `^` or `xor`
    Caret,
    /// `&` or `and`
    Amp,
    /// `|` or `or`
    Pipe,
    /// `!` or `not`
    Bang,
    /// `/`
    Slash,
    /// `-`
    Dash,
    /// `*`
    Star,
    /// `@`
    At,
    /// `$`
    Dollar,
    /// `=`
    Assign,
    /// `+`
    Plus,
    /// A character nft's scanner does not accept here.
    Junk,
    /// End of input.
    Eof,
}

impl TokenKind {
    /// How the token kind is named in "unexpected …" messages.
    ///
    /// ```
    /// use linx_nft_syntax::lexer::TokenKind;
    /// assert_eq!(TokenKind::Newline.describe(), "newline");
    /// ```
    pub fn describe(self) -> &'static str {
        match self {
            TokenKind::Word => "string",
            TokenKind::Number => "number",
            TokenKind::Quoted => "quoted string",
            TokenKind::Asterisk => "string with wildcard",
            TokenKind::Newline => "newline",
            TokenKind::Semicolon => "semicolon",
            TokenKind::Comma => "comma",
            TokenKind::Dot => "'.'",
            TokenKind::Colon => "colon",
            TokenKind::LBrace => "'{'",
            TokenKind::RBrace => "'}'",
            TokenKind::LBracket => "'['",
            TokenKind::RBracket => "']'",
            TokenKind::LParen => "'('",
            TokenKind::RParen => "')'",
            TokenKind::EqEq => "'=='",
            TokenKind::Ne => "'!='",
            TokenKind::Lt => "'<'",
            TokenKind::Le => "'<='",
            TokenKind::Gt => "'>'",
            TokenKind::Ge => "'>='",
            TokenKind::Shl => "'<<'",
            TokenKind::Shr => "'>>'",
            TokenKind::Caret => "'^'",
            TokenKind::Amp => "'&'",
            TokenKind::Pipe => "'|'",
            TokenKind::Bang => "'!'",
            TokenKind::Slash => "'/'",
            TokenKind::Dash => "'-'",
            TokenKind::Star => "'*'",
            TokenKind::At => "'@'",
            TokenKind::Dollar => "'$'",
            TokenKind::Assign => "'='",
            TokenKind::Plus => "'+'",
            TokenKind::Junk => "junk",
            TokenKind::Eof => "end of file",
        }
    }
}

/// What a [`TokenKind::Word`] looks like (informational; nft treats them all as strings).
///
/// ```
/// use linx_nft_syntax::lexer::{tokenize, WordClass};
/// use linx_nft_syntax::FileId;
/// let t = tokenize("fe80::1 1h30m br-lan 02:00:00:00:00:01", FileId(0));
/// let classes: Vec<_> = t.iter().take(4).map(|t| t.class).collect();
/// assert_eq!(classes, [WordClass::Ipv6, WordClass::Time, WordClass::Plain, WordClass::Mac]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WordClass {
    /// Letters, digits, `_ . - /` (starting with a letter, `_` or `.`), or anything not a word.
    Plain,
    /// Dotted-quad IPv4 address.
    Ipv4,
    /// IPv6 address (the token text has no brackets).
    Ipv6,
    /// Ethernet address.
    Mac,
    /// Time string such as `1h30m`.
    Time,
    /// `major:minor` class id.
    ClassId,
    /// `8021q` / `8021ad`, which nft scans as strings.
    Other,
    /// A number too large for 64 bits, which nft scans as a string.
    BigNumber,
}

/// One token.
///
/// ```
/// use linx_nft_syntax::lexer::{tokenize, TokenKind};
/// use linx_nft_syntax::FileId;
/// let toks = tokenize("comment \"a\\b\"", FileId(0));
/// assert_eq!(toks[1].kind, TokenKind::Quoted);
/// assert_eq!(toks[1].text, "a\\b");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    /// Kind.
    pub kind: TokenKind,
    /// Word class (only meaningful for [`TokenKind::Word`]).
    pub class: WordClass,
    /// The lexeme (for quoted strings and bracketed IPv6 addresses, without the delimiters).
    pub text: &'a str,
    /// Where it is.
    pub span: Span,
}

impl Token<'_> {
    /// True if this is a bare word whose text is exactly `kw`.
    ///
    /// ```
    /// use linx_nft_syntax::lexer::tokenize;
    /// use linx_nft_syntax::FileId;
    /// assert!(tokenize("accept", FileId(0))[0].is_word("accept"));
    /// ```
    pub fn is_word(&self, kw: &str) -> bool {
        self.kind == TokenKind::Word && self.class == WordClass::Plain && self.text == kw
    }
}

// ---------------------------------------------------------------------------------------------
// A tiny regular-expression engine, used to reproduce flex's longest match for the address-like
// patterns of nft's scanner (the IPv6 one has dozens of alternatives).

enum Pat {
    Byte(u8),
    Hex,
    Digit,
    FF,
    Seq(Vec<Pat>),
    Alt(Vec<Pat>),
    Rep(Box<Pat>, usize, usize),
}

fn pat_ends(p: &Pat, s: &[u8], from: &[usize]) -> Vec<usize> {
    let mut out = Vec::new();
    match p {
        Pat::Byte(b) => {
            for &i in from {
                if s.get(i) == Some(b) {
                    out.push(i + 1);
                }
            }
        }
        Pat::Hex => {
            for &i in from {
                if s.get(i).is_some_and(|c| c.is_ascii_hexdigit()) {
                    out.push(i + 1);
                }
            }
        }
        Pat::Digit => {
            for &i in from {
                if s.get(i).is_some_and(|c| c.is_ascii_digit()) {
                    out.push(i + 1);
                }
            }
        }
        Pat::FF => {
            for &i in from {
                if matches!(s.get(i), Some(b'f' | b'F')) {
                    out.push(i + 1);
                }
            }
        }
        Pat::Seq(parts) => {
            let mut cur = from.to_vec();
            for part in parts {
                if cur.is_empty() {
                    break;
                }
                cur = pat_ends(part, s, &cur);
            }
            out = cur;
        }
        Pat::Alt(alts) => {
            for a in alts {
                out.extend(pat_ends(a, s, from));
            }
        }
        Pat::Rep(inner, min, max) => {
            let mut cur = from.to_vec();
            if *min == 0 {
                out.extend_from_slice(from);
            }
            let mut k = 0;
            while k < *max {
                k += 1;
                cur = pat_ends(inner, s, &cur);
                if cur.is_empty() {
                    break;
                }
                if k >= *min {
                    out.extend_from_slice(&cur);
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn longest(p: &Pat, s: &[u8], at: usize) -> usize {
    pat_ends(p, s, &[at]).last().map(|e| e - at).unwrap_or(0)
}

fn lit(s: &str) -> Pat {
    Pat::Seq(s.bytes().map(Pat::Byte).collect())
}

fn ip4_pat() -> Pat {
    Pat::Seq(vec![
        Pat::Rep(
            Box::new(Pat::Seq(vec![
                Pat::Rep(Box::new(Pat::Digit), 1, 3),
                Pat::Byte(b'.'),
            ])),
            3,
            3,
        ),
        Pat::Rep(Box::new(Pat::Digit), 1, 3),
    ])
}

fn hex4() -> Pat {
    Pat::Rep(Box::new(Pat::Hex), 1, 4)
}

fn ip6_pat() -> Pat {
    let h_colon = || Pat::Seq(vec![hex4(), Pat::Byte(b':')]);
    let colon_h = || Pat::Seq(vec![Pat::Byte(b':'), hex4()]);
    let mut alts = vec![Pat::Seq(vec![Pat::Rep(Box::new(h_colon()), 7, 7), hex4()])];
    for n in (1..=7usize).rev() {
        for k in 0..=n {
            let p = if k == 0 {
                Pat::Seq(vec![Pat::Byte(b':'), Pat::Rep(Box::new(colon_h()), n, n)])
            } else if k == n {
                Pat::Seq(vec![Pat::Rep(Box::new(h_colon()), n, n), Pat::Byte(b':')])
            } else {
                Pat::Seq(vec![
                    Pat::Rep(Box::new(h_colon()), k, k),
                    Pat::Rep(Box::new(colon_h()), n - k, n - k),
                ])
            };
            alts.push(p);
        }
        if n == 2 {
            // ::ffff:a.b.c.d and ::a.b.c.d (RFC 4291 embedded IPv4)
            alts.push(Pat::Seq(vec![
                lit("::"),
                Pat::Rep(Box::new(Pat::FF), 4, 4),
                Pat::Byte(b':'),
                ip4_pat(),
            ]));
            alts.push(Pat::Seq(vec![lit("::"), ip4_pat()]));
        }
    }
    alts.push(lit("::"));
    Pat::Alt(alts)
}

fn mac_pat() -> Pat {
    Pat::Seq(vec![
        Pat::Rep(
            Box::new(Pat::Seq(vec![
                Pat::Rep(Box::new(Pat::Hex), 1, 2),
                Pat::Byte(b':'),
            ])),
            5,
            5,
        ),
        Pat::Rep(Box::new(Pat::Hex), 1, 2),
    ])
}

fn classid_pat() -> Pat {
    Pat::Seq(vec![hex4(), Pat::Byte(b':'), hex4()])
}

fn time_pat() -> Pat {
    let group = |unit: &str| {
        Pat::Rep(
            Box::new(Pat::Seq(vec![
                Pat::Rep(Box::new(Pat::Digit), 1, usize::MAX),
                lit(unit),
            ])),
            0,
            1,
        )
    };
    Pat::Seq(vec![
        group("d"),
        group("h"),
        group("m"),
        group("s"),
        group("ms"),
    ])
}

struct Patterns {
    ip6: Pat,
    mac: Pat,
    classid: Pat,
    time: Pat,
}

fn patterns() -> &'static Patterns {
    static P: std::sync::OnceLock<Patterns> = std::sync::OnceLock::new();
    P.get_or_init(|| Patterns {
        ip6: ip6_pat(),
        mac: mac_pat(),
        classid: classid_pat(),
        time: time_pat(),
    })
}

// ---------------------------------------------------------------------------------------------

fn is_string_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'.'
}

fn is_string_cont(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'/' | b'-' | b'_' | b'.')
}

fn string_len(s: &[u8], i: usize) -> usize {
    match s.get(i) {
        Some(&c) if is_string_start(c) => {
            let mut j = i + 1;
            while j < s.len() && is_string_cont(s[j]) {
                j += 1;
            }
            j - i
        }
        _ => 0,
    }
}

fn asterisk_len(s: &[u8], i: usize) -> usize {
    let n = string_len(s, i);
    let mut best = 0;
    if n > 0 {
        match s.get(i + n) {
            Some(b'*') => best = best.max(n + 1),
            Some(b'\\') if s.get(i + n + 1) == Some(&b'*') => {
                let m = string_len(s, i + n + 2);
                best = best.max(n + 2 + m);
            }
            _ => {}
        }
    } else if s.get(i) == Some(&b'\\') && s.get(i + 1) == Some(&b'*') {
        best = 2;
    }
    best
}

fn number_len(s: &[u8], i: usize) -> usize {
    if s.get(i) == Some(&b'0')
        && matches!(s.get(i + 1), Some(b'x' | b'X'))
        && s.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit())
    {
        let mut j = i + 2;
        while j < s.len() && s[j].is_ascii_hexdigit() {
            j += 1;
        }
        return j - i;
    }
    let mut j = i;
    while j < s.len() && s[j].is_ascii_digit() {
        j += 1;
    }
    j - i
}

/// The value nft gives a number lexeme (`strtoull(text, NULL, 0)`): decimal, `0x` hex, or octal
/// when it starts with `0` (digits after an `8` or `9` are ignored, as `strtoull` stops there).
/// `None` if it does not fit 64 bits (nft then scans it as a string).
///
/// ```
/// use linx_nft_syntax::lexer::number_value;
/// assert_eq!(number_value("010"), Some(8));
/// assert_eq!(number_value("0x1F"), Some(31));
/// assert_eq!(number_value("22"), Some(22));
/// assert_eq!(number_value("18446744073709551616"), None);
/// ```
pub fn number_value(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() > 2 && b[0] == b'0' && (b[1] == b'x' || b[1] == b'X') {
        let mut v: u64 = 0;
        for &c in &b[2..] {
            let d = (c as char).to_digit(16)? as u64;
            v = v.checked_mul(16)?.checked_add(d)?;
        }
        return Some(v);
    }
    if b.len() > 1 && b[0] == b'0' {
        let mut v: u64 = 0;
        for &c in &b[1..] {
            if !(b'0'..=b'7').contains(&c) {
                break;
            }
            v = v.checked_mul(8)?.checked_add((c - b'0') as u64)?;
        }
        return Some(v);
    }
    let mut v: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    Some(v)
}

fn ip6_possible(s: &[u8], i: usize) -> bool {
    let mut j = i;
    let mut colons = 0;
    let mut double = false;
    while j < s.len() && (s[j].is_ascii_hexdigit() || s[j] == b':' || s[j] == b'.') {
        if s[j] == b':' {
            colons += 1;
            if j > i && s[j - 1] == b':' {
                double = true;
            }
        }
        j += 1;
    }
    colons >= 2 && (double || colons >= 7)
}

fn addr_len(s: &[u8], i: usize) -> (usize, WordClass) {
    let p = patterns();
    let mut best = (0, WordClass::Plain);
    let c = s[i];
    if c.is_ascii_hexdigit() {
        // MAC: needs five colons in the run.
        let mut j = i;
        let mut colons = 0;
        while j < s.len() && (s[j].is_ascii_hexdigit() || s[j] == b':') && j - i < 18 {
            if s[j] == b':' {
                colons += 1;
            }
            j += 1;
        }
        if colons >= 5 {
            let n = longest(&p.mac, s, i);
            if n > best.0 {
                best = (n, WordClass::Mac);
            }
        }
    }
    if c.is_ascii_digit() {
        let n = ip4_len(s, i);
        if n > best.0 {
            best = (n, WordClass::Ipv4);
        }
    }
    if (c.is_ascii_hexdigit() || c == b':') && ip6_possible(s, i) {
        let n = longest(&p.ip6, s, i);
        if n > best.0 {
            best = (n, WordClass::Ipv6);
        }
    }
    best
}

/// Longest match of `([0-9]{1,3}\.){3}[0-9]{1,3}` at `i` (deterministic: each group takes as
/// many digits as it can, which is what the longest match needs).
fn ip4_len(s: &[u8], i: usize) -> usize {
    let mut j = i;
    for group in 0..4 {
        let start = j;
        while j < s.len() && s[j].is_ascii_digit() && j - start < 3 {
            j += 1;
        }
        if j == start {
            return 0;
        }
        if group < 3 {
            if s.get(j) != Some(&b'.') {
                return 0;
            }
            j += 1;
        }
    }
    j - i
}

fn classid_len(s: &[u8], i: usize) -> usize {
    if !s[i].is_ascii_hexdigit() {
        return 0;
    }
    // Quick rejection: a colon must follow one to four hex digits.
    let mut j = i;
    while j < s.len() && s[j].is_ascii_hexdigit() && j - i < 4 {
        j += 1;
    }
    if s.get(j) != Some(&b':') {
        return 0;
    }
    let ends = pat_ends(&patterns().classid, s, &[i]);
    ends.iter()
        .rev()
        .find(|&&e| {
            matches!(
                s.get(e),
                Some(b' ' | b'\t' | b'\n' | b':' | b'-' | b'}' | b',')
            )
        })
        .map(|e| e - i)
        .unwrap_or(0)
}

fn time_len(s: &[u8], i: usize) -> usize {
    if !s[i].is_ascii_digit() {
        return 0;
    }
    // Quick rejection: the leading digits must be followed by a unit letter.
    let mut j = i;
    while j < s.len() && s[j].is_ascii_digit() {
        j += 1;
    }
    if !matches!(s.get(j), Some(b'd' | b'h' | b'm' | b's')) {
        return 0;
    }
    longest(&patterns().time, s, i)
}

fn operator_word(w: &str) -> Option<TokenKind> {
    Some(match w {
        "eq" => TokenKind::EqEq,
        "ne" => TokenKind::Ne,
        "le" => TokenKind::Le,
        "lt" => TokenKind::Lt,
        "ge" => TokenKind::Ge,
        "gt" => TokenKind::Gt,
        "lshift" => TokenKind::Shl,
        "rshift" => TokenKind::Shr,
        "xor" => TokenKind::Caret,
        "and" => TokenKind::Amp,
        "or" => TokenKind::Pipe,
        "not" => TokenKind::Bang,
        _ => return None,
    })
}

fn punct(s: &[u8], i: usize) -> Option<(usize, TokenKind)> {
    let two = |a: u8, b: u8| s.get(i) == Some(&a) && s.get(i + 1) == Some(&b);
    if two(b'=', b'=') {
        return Some((2, TokenKind::EqEq));
    }
    if two(b'!', b'=') {
        return Some((2, TokenKind::Ne));
    }
    if two(b'<', b'=') {
        return Some((2, TokenKind::Le));
    }
    if two(b'>', b'=') {
        return Some((2, TokenKind::Ge));
    }
    if two(b'<', b'<') {
        return Some((2, TokenKind::Shl));
    }
    if two(b'>', b'>') {
        return Some((2, TokenKind::Shr));
    }
    let k = match s.get(i)? {
        b'<' => TokenKind::Lt,
        b'>' => TokenKind::Gt,
        b',' => TokenKind::Comma,
        b'.' => TokenKind::Dot,
        b':' => TokenKind::Colon,
        b';' => TokenKind::Semicolon,
        b'{' => TokenKind::LBrace,
        b'}' => TokenKind::RBrace,
        b'[' => TokenKind::LBracket,
        b']' => TokenKind::RBracket,
        b'(' => TokenKind::LParen,
        b')' => TokenKind::RParen,
        b'^' => TokenKind::Caret,
        b'&' => TokenKind::Amp,
        b'|' => TokenKind::Pipe,
        b'!' => TokenKind::Bang,
        b'/' => TokenKind::Slash,
        b'-' => TokenKind::Dash,
        b'*' => TokenKind::Star,
        b'@' => TokenKind::At,
        b'$' => TokenKind::Dollar,
        b'=' => TokenKind::Assign,
        b'+' => TokenKind::Plus,
        _ => return None,
    };
    Some((1, k))
}

/// A streaming scanner over one file.
///
/// ```
/// use linx_nft_syntax::lexer::{Lexer, TokenKind};
/// use linx_nft_syntax::FileId;
/// let mut lx = Lexer::new("accept # done\n", FileId(0));
/// assert_eq!(lx.next_token().text, "accept");
/// assert_eq!(lx.next_token().kind, TokenKind::Newline);
/// assert_eq!(lx.next_token().kind, TokenKind::Eof);
/// ```
pub struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    file: FileId,
    line_start: bool,
}

impl<'a> Lexer<'a> {
    /// A scanner over `src`, whose spans belong to `file`.
    ///
    /// ```
    /// let _ = linx_nft_syntax::lexer::Lexer::new("", linx_nft_syntax::FileId(0));
    /// ```
    pub fn new(src: &'a str, file: FileId) -> Lexer<'a> {
        Lexer {
            src,
            bytes: src.as_bytes(),
            pos: 0,
            file,
            line_start: true,
        }
    }

    fn tok(&self, kind: TokenKind, class: WordClass, start: usize, end: usize) -> Token<'a> {
        Token {
            kind,
            class,
            text: self.src.get(start..end).unwrap_or(""),
            span: Span::new(self.file, start as u32, end as u32),
        }
    }

    /// The next token; [`TokenKind::Eof`] forever at the end.
    ///
    /// ```
    /// use linx_nft_syntax::lexer::{Lexer, TokenKind};
    /// let mut lx = Lexer::new("", linx_nft_syntax::FileId(0));
    /// assert_eq!(lx.next_token().kind, TokenKind::Eof);
    /// assert_eq!(lx.next_token().kind, TokenKind::Eof);
    /// ```
    pub fn next_token(&mut self) -> Token<'a> {
        let s = self.bytes;
        loop {
            let i = self.pos;
            let Some(&c) = s.get(i) else {
                return self.tok(TokenKind::Eof, WordClass::Plain, i, i);
            };
            match c {
                b' ' | b'\t' => {
                    self.pos += 1;
                    continue;
                }
                b'\n' => {
                    self.pos += 1;
                    self.line_start = true;
                    return self.tok(TokenKind::Newline, WordClass::Plain, i, i + 1);
                }
                b'\\' if s.get(i + 1) == Some(&b'\n') => {
                    self.pos += 2;
                    self.line_start = false;
                    continue;
                }
                b'#' => {
                    let mut j = i;
                    while j < s.len() && s[j] != b'\n' {
                        j += 1;
                    }
                    if j >= s.len() {
                        // nft's comment rule needs the newline: at end of file '#' is junk.
                        self.pos = i + 1;
                        self.line_start = false;
                        return self.tok(TokenKind::Junk, WordClass::Plain, i, i + 1);
                    }
                    if self.line_start {
                        // A line holding only a comment disappears with its newline.
                        self.pos = j + 1;
                    } else {
                        self.pos = j;
                    }
                    continue;
                }
                b'"' => {
                    self.line_start = false;
                    if let Some(rel) = s[i + 1..].iter().position(|&b| b == b'"') {
                        let end = i + 1 + rel;
                        self.pos = end + 1;
                        return Token {
                            kind: TokenKind::Quoted,
                            class: WordClass::Plain,
                            text: self.src.get(i + 1..end).unwrap_or(""),
                            span: Span::new(self.file, i as u32, (end + 1) as u32),
                        };
                    }
                    self.pos = i + 1;
                    return self.tok(TokenKind::Junk, WordClass::Plain, i, i + 1);
                }
                _ => {}
            }
            self.line_start = false;
            return self.scan_word(i);
        }
    }

    fn scan_word(&mut self, i: usize) -> Token<'a> {
        let s = self.bytes;
        let c = s[i];
        if !c.is_ascii() || (c < 0x20 && c != b'\t') || c == 0x7f {
            // One junk token per character.
            let len = self.src[i..]
                .chars()
                .next()
                .map(|ch| ch.len_utf8())
                .unwrap_or(1);
            self.pos = i + len;
            return self.tok(TokenKind::Junk, WordClass::Plain, i, i + len);
        }
        // Candidates: (length, priority, kind, class). Lower priority wins ties, following the
        // rule order of nft's scanner.
        let mut best: (usize, u8, TokenKind, WordClass) =
            (0, 255, TokenKind::Junk, WordClass::Plain);
        let mut consider = |len: usize, prio: u8, kind: TokenKind, class: WordClass| {
            if len > best.0 || (len == best.0 && len > 0 && prio < best.1) {
                best = (len, prio, kind, class);
            }
        };
        if let Some((len, kind)) = punct(s, i) {
            consider(len, 0, kind, WordClass::Plain);
        }
        let sl = string_len(s, i);
        if sl > 0 {
            let w = &self.src[i..i + sl];
            if let Some(op) = operator_word(w) {
                consider(sl, 1, op, WordClass::Plain);
            } else {
                consider(sl, 1, TokenKind::Word, WordClass::Plain);
            }
        }
        for special in ["8021ad", "8021q"] {
            if s[i..].starts_with(special.as_bytes()) {
                consider(special.len(), 2, TokenKind::Word, WordClass::Other);
            }
        }
        if c.is_ascii_hexdigit() || c == b':' {
            let (n, class) = addr_len(s, i);
            consider(n, 3, TokenKind::Word, class);
        }
        if c == b'[' && ip6_possible(s, i + 1) {
            let n = longest(&patterns().ip6, s, i + 1);
            if n > 0 && s.get(i + 1 + n) == Some(&b']') {
                consider(n + 2, 4, TokenKind::Word, WordClass::Ipv6);
            }
        }
        if c.is_ascii_digit() {
            consider(time_len(s, i), 5, TokenKind::Word, WordClass::Time);
            consider(number_len(s, i), 6, TokenKind::Number, WordClass::Plain);
            consider(classid_len(s, i), 7, TokenKind::Word, WordClass::ClassId);
        } else if c.is_ascii_hexdigit() {
            consider(classid_len(s, i), 7, TokenKind::Word, WordClass::ClassId);
        }
        consider(asterisk_len(s, i), 8, TokenKind::Asterisk, WordClass::Plain);
        // A plain string that is not a keyword ranks last, but it has the same length as the
        // keyword candidate above, which is already recorded with a better priority.
        let (len, prio, mut kind, mut class) = best;
        if len == 0 {
            let len = self.src[i..]
                .chars()
                .next()
                .map(|ch| ch.len_utf8())
                .unwrap_or(1);
            self.pos = i + len;
            return self.tok(TokenKind::Junk, WordClass::Plain, i, i + len);
        }
        self.pos = i + len;
        if prio == 4 {
            // [ipv6] — the text drops the brackets.
            return Token {
                kind,
                class,
                text: self.src.get(i + 1..i + len - 1).unwrap_or(""),
                span: Span::new(self.file, i as u32, (i + len) as u32),
            };
        }
        if kind == TokenKind::Number && number_value(&self.src[i..i + len]).is_none() {
            kind = TokenKind::Word;
            class = WordClass::BigNumber;
        }
        self.tok(kind, class, i, i + len)
    }
}

/// Scans a whole text; the last token is always [`TokenKind::Eof`].
///
/// ```
/// use linx_nft_syntax::lexer::{tokenize, TokenKind};
/// use linx_nft_syntax::FileId;
/// let t = tokenize("ip saddr 10.0.0.0/8 tcp dport 010\n", FileId(0));
/// let texts: Vec<_> = t.iter().map(|t| t.text).collect();
/// assert_eq!(texts, ["ip", "saddr", "10.0.0.0", "/", "8", "tcp", "dport", "010", "\n", ""]);
/// assert_eq!(t[7].kind, TokenKind::Number);
/// ```
pub fn tokenize(src: &str, file: FileId) -> Vec<Token<'_>> {
    let mut lx = Lexer::new(src, file);
    let mut out = Vec::with_capacity(src.len() / 4 + 1);
    loop {
        let t = lx.next_token();
        let eof = t.kind == TokenKind::Eof;
        out.push(t);
        if eof {
            break;
        }
    }
    out
}

/// The [`WordClass`] the scanner would give `text` if it were a whole token, or `None` if the
/// scanner would not read `text` as exactly one word token.
///
/// ```
/// use linx_nft_syntax::lexer::{classify_word, WordClass};
/// assert_eq!(classify_word("br-lan"), Some(WordClass::Plain));
/// assert_eq!(classify_word("10.0.0.1"), Some(WordClass::Ipv4));
/// assert_eq!(classify_word("a b"), None);
/// ```
pub fn classify_word(text: &str) -> Option<WordClass> {
    let toks = tokenize(text, FileId(0));
    match toks.as_slice() {
        [t, eof] if t.kind == TokenKind::Word && eof.kind == TokenKind::Eof && t.text == text => {
            Some(t.class)
        }
        _ => None,
    }
}

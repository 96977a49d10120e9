//! The typed, located syntax tree of an nft script.
//!
//! The tree keeps what later stages need: a [`Span`] on every node and the literal text of every
//! value (`ssh`, `22` and `0x16` stay distinguishable; typing happens later, per selector). Two
//! stages produce it:
//!
//! * the parser gives the *source* tree, which still holds `include`, `define`, `redefine` and
//!   `undefine` directives and `$name` references ([`Var`] with `value: None`);
//! * [`crate::expand`] gives the *expanded* tree: directives are gone (included files are parsed
//!   in place) and every [`Var`] carries the value it had at its use site.
//!
//! Field names (payload fields, meta and ct keys, …) are interned as `&'static str` taken from
//! the tables in [`crate::keywords`], so they are always one of the names nft knows.

use crate::source::Span;

/// A name as written (table, chain, set, object, define names; unquoted in nft).
///
/// ```
/// use linx_nft_syntax::ast::Ident;
/// let i = Ident::new("filter");
/// assert_eq!(i.name, "filter");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it is.
    pub span: Span,
}

impl Ident {
    /// A synthesized name (dummy span).
    ///
    /// ```
    /// assert!(linx_nft_syntax::ast::Ident::new("x").span.is_dummy());
    /// ```
    pub fn new(name: impl Into<String>) -> Ident {
        Ident {
            name: name.into(),
            span: Span::DUMMY,
        }
    }
}

/// A string argument as written: quoted or a bare word (nft's `string`).
///
/// ```
/// use linx_nft_syntax::ast::Str;
/// let s = Str::quoted("drop invalid");
/// assert!(s.quoted && s.text == "drop invalid");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Str {
    /// The text (for quoted strings without the quotes; backslashes kept as written).
    pub text: String,
    /// Written with double quotes.
    pub quoted: bool,
    /// Where it is.
    pub span: Span,
}

impl Str {
    /// A synthesized quoted string.
    ///
    /// ```
    /// assert!(linx_nft_syntax::ast::Str::quoted("x").quoted);
    /// ```
    pub fn quoted(text: impl Into<String>) -> Str {
        Str {
            text: text.into(),
            quoted: true,
            span: Span::DUMMY,
        }
    }
}

/// A number literal: the text as written (`22`, `0x16`, `026`) and its value.
///
/// ```
/// use linx_nft_syntax::ast::Num;
/// assert_eq!(Num::new("010").value(), 8);
/// assert_eq!(Num::from_u64(7).text, "7");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Num {
    /// The literal text.
    pub text: String,
    /// Where it is.
    pub span: Span,
}

impl Num {
    /// A synthesized literal from its text.
    ///
    /// ```
    /// assert_eq!(linx_nft_syntax::ast::Num::new("0x10").value(), 16);
    /// ```
    pub fn new(text: impl Into<String>) -> Num {
        Num {
            text: text.into(),
            span: Span::DUMMY,
        }
    }

    /// A synthesized decimal literal.
    ///
    /// ```
    /// assert_eq!(linx_nft_syntax::ast::Num::from_u64(5).value(), 5);
    /// ```
    pub fn from_u64(v: u64) -> Num {
        Num::new(v.to_string())
    }

    /// The value as nft computes it (`strtoull(text, NULL, 0)`); 0 if the text is not a number
    /// (a negative define value such as `-100` has the value 0; see [`Num::signed_value`]).
    ///
    /// ```
    /// assert_eq!(linx_nft_syntax::ast::Num::new("0x1f").value(), 31);
    /// ```
    pub fn value(&self) -> u64 {
        crate::lexer::number_value(&self.text).unwrap_or(0)
    }

    /// The value with the sign of a negative define value (`define prio = -100`).
    ///
    /// ```
    /// assert_eq!(linx_nft_syntax::ast::Num::new("-100").signed_value(), Some(-100));
    /// assert_eq!(linx_nft_syntax::ast::Num::new("010").signed_value(), Some(8));
    /// ```
    pub fn signed_value(&self) -> Option<i128> {
        match self.text.strip_prefix('-') {
            Some(rest) => crate::lexer::number_value(rest).map(|v| -(v as i128)),
            None => crate::lexer::number_value(&self.text).map(|v| v as i128),
        }
    }
}

/// A `$name` reference. `value` is `None` in the source tree and the define's value (itself
/// expanded) after [`crate::expand`].
///
/// ```
/// use linx_nft_syntax::ast::Var;
/// let v = Var::new("WAN");
/// assert!(v.value.is_none());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Var {
    /// The name without `$`.
    pub name: String,
    /// The `$name` tokens.
    pub span: Span,
    /// The value bound at the use site, after expansion.
    pub value: Option<Box<Expr>>,
}

impl Var {
    /// A synthesized unresolved reference.
    ///
    /// ```
    /// assert_eq!(linx_nft_syntax::ast::Var::new("x").name, "x");
    /// ```
    pub fn new(name: impl Into<String>) -> Var {
        Var {
            name: name.into(),
            span: Span::DUMMY,
            value: None,
        }
    }
}

/// Address family of a table (`ip` when omitted).
///
/// ```
/// use linx_nft_syntax::ast::Family;
/// assert_eq!(Family::Inet.as_str(), "inet");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// `ip`
    Ip,
    /// `ip6`
    Ip6,
    /// `inet`
    Inet,
    /// `arp`
    Arp,
    /// `bridge`
    Bridge,
    /// `netdev`
    Netdev,
}

impl Family {
    /// The keyword.
    ///
    /// ```
    /// assert_eq!(linx_nft_syntax::ast::Family::Netdev.as_str(), "netdev");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Ip => "ip",
            Family::Ip6 => "ip6",
            Family::Inet => "inet",
            Family::Arp => "arp",
            Family::Bridge => "bridge",
            Family::Netdev => "netdev",
        }
    }

    /// Parses the keyword.
    ///
    /// ```
    /// use linx_nft_syntax::ast::Family;
    /// assert_eq!(Family::from_name("bridge"), Some(Family::Bridge));
    /// ```
    pub fn from_name(s: &str) -> Option<Family> {
        Some(match s {
            "ip" => Family::Ip,
            "ip6" => Family::Ip6,
            "inet" => Family::Inet,
            "arp" => Family::Arp,
            "bridge" => Family::Bridge,
            "netdev" => Family::Netdev,
            _ => return None,
        })
    }
}

/// `ip` or `ip6` where a statement or expression takes a network protocol (nft's `nf_key_proto`).
///
/// ```
/// use linx_nft_syntax::ast::NfProto;
/// assert_eq!(NfProto::Ip6.as_str(), "ip6");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NfProto {
    /// `ip`
    Ip,
    /// `ip6`
    Ip6,
}

impl NfProto {
    /// The keyword.
    ///
    /// ```
    /// assert_eq!(linx_nft_syntax::ast::NfProto::Ip.as_str(), "ip");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            NfProto::Ip => "ip",
            NfProto::Ip6 => "ip6",
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Script structure

/// A parsed file (or, after expansion, the whole program).
///
/// ```
/// let parsed = linx_nft_syntax::parse_str("a.nft", "flush ruleset\n", &Default::default()).unwrap();
/// assert_eq!(parsed.script.items.len(), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Script {
    /// Top-level items in order.
    pub items: Vec<TopItem>,
}

/// A top-level item.
#[derive(Clone, Debug, PartialEq)]
pub enum TopItem {
    /// `include`, `define`, `redefine`, `undefine`.
    Directive(Directive),
    /// A command (`table …`, `add rule …`, `flush ruleset`, …).
    Command(Command),
}

/// The directives allowed in every block.
#[derive(Clone, Debug, PartialEq)]
pub enum Directive {
    /// `include "path"`
    Include {
        /// The path as written.
        path: Str,
        /// The whole directive.
        span: Span,
    },
    /// `define NAME = VALUE` (`redefine` when `redefine` is true).
    Define {
        /// Name.
        name: Ident,
        /// Value (an rhs expression, a comma list, `{}` or a negative number).
        value: Expr,
        /// Written as `redefine`.
        redefine: bool,
        /// The whole directive.
        span: Span,
    },
    /// `undefine NAME`
    Undefine {
        /// Name.
        name: Ident,
        /// The whole directive.
        span: Span,
    },
}

/// The verb of a command.
///
/// ```
/// use linx_nft_syntax::ast::Verb;
/// assert_eq!(Verb::Insert.as_str(), "insert");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verb {
    /// `add` — also a declaration without a verb (`table ip t { … }`) when `explicit` is false.
    Add {
        /// The word `add` was written.
        explicit: bool,
    },
    /// `create` (fails if the object exists).
    Create,
    /// `insert` (rules).
    Insert,
    /// `replace` (rules, by handle).
    Replace,
    /// `delete` (fails if absent).
    Delete,
    /// `destroy` (silent if absent; nftables ≥ 1.0.8, needs [`crate::ParseOptions::extensions`]).
    Destroy,
    /// `flush`
    Flush,
    /// `reset` (counters and quotas).
    Reset,
}

impl Verb {
    /// The keyword ("" for an implicit add).
    ///
    /// ```
    /// use linx_nft_syntax::ast::Verb;
    /// assert_eq!(Verb::Add { explicit: false }.as_str(), "");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Add { explicit: true } => "add",
            Verb::Add { explicit: false } => "",
            Verb::Create => "create",
            Verb::Insert => "insert",
            Verb::Replace => "replace",
            Verb::Delete => "delete",
            Verb::Destroy => "destroy",
            Verb::Flush => "flush",
            Verb::Reset => "reset",
        }
    }
}

/// `[family] name` of a table.
#[derive(Clone, Debug, PartialEq)]
pub struct TableName {
    /// Family as written (`None`: omitted, which means `ip`).
    pub family: Option<Family>,
    /// Table name.
    pub name: Ident,
}

/// A table named or chosen by handle.
#[derive(Clone, Debug, PartialEq)]
pub enum TableSel {
    /// `[family] name`
    Name(TableName),
    /// `[family] handle N`
    Handle {
        /// Family as written.
        family: Option<Family>,
        /// Handle.
        handle: Num,
    },
}

/// `[family] table name` — a chain, set, map, flowtable or object inside a table.
#[derive(Clone, Debug, PartialEq)]
pub struct QualName {
    /// The table.
    pub table: TableName,
    /// The object's name.
    pub name: Ident,
}

/// An object inside a table, named or chosen by handle.
#[derive(Clone, Debug, PartialEq)]
pub enum ObjSel {
    /// `[family] table name`
    Name(QualName),
    /// `[family] table handle N`
    Handle {
        /// The table.
        table: TableName,
        /// Handle.
        handle: Num,
    },
}

/// Where `add`/`insert` put a rule.
#[derive(Clone, Debug, PartialEq)]
pub enum RulePosition {
    /// `position N` (a rule handle).
    Position(Num),
    /// `handle N`
    Handle(Num),
    /// `index N`
    Index(Num),
}

/// The kind of a named stateful object.
///
/// ```
/// use linx_nft_syntax::ast::ObjectKind;
/// assert_eq!(ObjectKind::CtHelper.keyword(), "ct helper");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    /// `counter`
    Counter,
    /// `quota`
    Quota,
    /// `limit`
    Limit,
    /// `secmark`
    Secmark,
    /// `synproxy`
    Synproxy,
    /// `ct helper`
    CtHelper,
    /// `ct timeout`
    CtTimeout,
    /// `ct expectation`
    CtExpectation,
}

impl ObjectKind {
    /// The declaration keyword(s).
    ///
    /// ```
    /// assert_eq!(linx_nft_syntax::ast::ObjectKind::Quota.keyword(), "quota");
    /// ```
    pub fn keyword(self) -> &'static str {
        match self {
            ObjectKind::Counter => "counter",
            ObjectKind::Quota => "quota",
            ObjectKind::Limit => "limit",
            ObjectKind::Secmark => "secmark",
            ObjectKind::Synproxy => "synproxy",
            ObjectKind::CtHelper => "ct helper",
            ObjectKind::CtTimeout => "ct timeout",
            ObjectKind::CtExpectation => "ct expectation",
        }
    }
}

/// A command.
#[derive(Clone, Debug, PartialEq)]
pub struct Command {
    /// The verb.
    pub verb: Verb,
    /// What it acts on.
    pub kind: CommandKind,
    /// The whole command.
    pub span: Span,
}

/// What a command acts on (which combinations are valid is enforced by the parser).
#[derive(Clone, Debug, PartialEq)]
pub enum CommandKind {
    /// `table …` with an optional body.
    Table {
        /// The table.
        table: TableSel,
        /// `{ … }`
        body: Option<TableBody>,
    },
    /// `chain …` with an optional body.
    Chain {
        /// The chain.
        chain: ObjSel,
        /// `{ … }`
        body: Option<ChainBody>,
    },
    /// `rule …` (also written without `rule` after `add`/`insert`, or at top level).
    Rule {
        /// The chain.
        chain: QualName,
        /// `position`/`handle`/`index`.
        position: Option<RulePosition>,
        /// The rule (absent for `delete rule … handle N`).
        rule: Option<Rule>,
        /// The word `rule` was written.
        rule_keyword: bool,
    },
    /// `set …` / `map …` with an optional body.
    Set {
        /// `map` rather than `set`.
        map: bool,
        /// The set.
        set: ObjSel,
        /// `{ … }`
        body: Option<SetBody>,
    },
    /// `element table set { … }`
    Element {
        /// The set.
        set: QualName,
        /// The elements (a set expression or a `$var`).
        elements: Expr,
    },
    /// `flowtable …` with an optional body.
    Flowtable {
        /// The flowtable.
        flowtable: ObjSel,
        /// `{ … }`
        body: Option<FlowtableBody>,
    },
    /// A named object (`counter`, `quota`, `ct helper`, …) with an optional body.
    Object {
        /// Kind.
        kind: ObjectKind,
        /// The object.
        object: ObjSel,
        /// Its configuration.
        body: Option<ObjectBody>,
    },
    /// `ruleset [family]` (after `flush`).
    Ruleset {
        /// Only this family.
        family: Option<Family>,
    },
    /// `reset counters|quotas [family] [table T]`.
    ResetObjects {
        /// `quotas` rather than `counters`.
        quotas: bool,
        /// `[family]` (without `table`).
        family: Option<Family>,
        /// `table [family] name`.
        table: Option<TableName>,
    },
    /// `reset rules [family]`, `reset rules [table] [family] T`, `reset rules [chain] [family]
    /// T C` (nftables ≥ 1.0.8; parsed with [`ParseOptions::extensions`] only).
    ///
    /// [`ParseOptions::extensions`]: crate::ParseOptions::extensions
    ResetRules {
        /// `[family]` alone (no table).
        family: Option<Family>,
        /// The table.
        table: Option<TableName>,
        /// The chain (with a table).
        chain: Option<Ident>,
    },
}

// ------------------------------------------------------------------------------------------------
// Table, chain, set, flowtable and object bodies

/// The inside of `table … { }`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct TableBody {
    /// Items in order.
    pub items: Vec<TableItem>,
    /// The braces.
    pub span: Span,
}

/// An item of a table body.
#[derive(Clone, Debug, PartialEq)]
pub enum TableItem {
    /// A directive.
    Directive(Directive),
    /// `flags dormant|owner` (one flag per line, as nft 1.0.6).
    Flags(Ident),
    /// `comment "…"`
    Comment(Str),
    /// `chain name { … }`
    Chain(ChainDecl),
    /// `set name { … }` / `map name { … }`
    Set(SetDecl),
    /// `flowtable name { … }`
    Flowtable(FlowtableDecl),
    /// `counter|quota|limit|secmark|synproxy|ct helper|ct timeout|ct expectation name { … }`
    Object(ObjectDecl),
}

/// `chain name { … }` inside a table.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainDecl {
    /// Name.
    pub name: Ident,
    /// Body.
    pub body: ChainBody,
    /// The whole declaration.
    pub span: Span,
}

/// The inside of a chain.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ChainBody {
    /// Items in order.
    pub items: Vec<ChainItem>,
    /// The braces.
    pub span: Span,
}

/// An item of a chain body.
#[derive(Clone, Debug, PartialEq)]
pub enum ChainItem {
    /// A directive.
    Directive(Directive),
    /// `type T hook H [device D | devices = { … }] priority P`
    Hook(HookSpec),
    /// `policy accept|drop|$var`
    Policy(Policy),
    /// `flags offload`
    FlagsOffload(Span),
    /// `comment "…"`
    Comment(Str),
    /// A rule.
    Rule(Rule),
}

/// A base chain's hook.
#[derive(Clone, Debug, PartialEq)]
pub struct HookSpec {
    /// `filter`, `nat` or `route`.
    pub chain_type: Ident,
    /// `prerouting`, `input`, `forward`, `output`, `postrouting`, `ingress`, `egress`.
    pub hook: Ident,
    /// `device …` or `devices = …`.
    pub device: Option<DeviceSpec>,
    /// The priority.
    pub priority: Priority,
    /// The whole hook specification.
    pub span: Span,
}

/// The device(s) of a netdev base chain or flowtable.
#[derive(Clone, Debug, PartialEq)]
pub enum DeviceSpec {
    /// `device NAME` (a quoted or bare string, or `$var`).
    Device(Expr),
    /// `devices = { a, b }` or `devices = $var`.
    Devices(Expr),
}

/// A chain or flowtable priority.
#[derive(Clone, Debug, PartialEq)]
pub struct Priority {
    /// The value.
    pub value: PriorityValue,
    /// `priority …`
    pub span: Span,
}

/// The forms of a priority.
#[derive(Clone, Debug, PartialEq)]
pub enum PriorityValue {
    /// `N` or `-N`.
    Number {
        /// A leading `-`.
        negative: bool,
        /// The magnitude.
        value: Num,
    },
    /// `name`, `name + N`, `name - N` (`filter`, `dstnat`, `raw`, …).
    Named {
        /// The standard priority name.
        name: Ident,
        /// `+ N` (false) or `- N` (true).
        offset: Option<(bool, Num)>,
    },
    /// `$var`
    Var(Var),
}

/// A chain policy.
#[derive(Clone, Debug, PartialEq)]
pub enum Policy {
    /// `policy accept`
    Accept(Span),
    /// `policy drop`
    Drop(Span),
    /// `policy $var`
    Var(Var),
}

/// `set name { … }` or `map name { … }` inside a table.
#[derive(Clone, Debug, PartialEq)]
pub struct SetDecl {
    /// `map` rather than `set`.
    pub map: bool,
    /// Name.
    pub name: Ident,
    /// Body.
    pub body: SetBody,
    /// The whole declaration.
    pub span: Span,
}

/// The inside of a set or map.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SetBody {
    /// Items in order.
    pub items: Vec<SetItem>,
    /// The braces.
    pub span: Span,
}

/// A set flag.
///
/// ```
/// use linx_nft_syntax::ast::SetFlag;
/// assert_eq!(SetFlag::Interval.as_str(), "interval");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SetFlag {
    /// `constant`
    Constant,
    /// `interval`
    Interval,
    /// `timeout`
    Timeout,
    /// `dynamic`
    Dynamic,
}

impl SetFlag {
    /// The keyword.
    ///
    /// ```
    /// assert_eq!(linx_nft_syntax::ast::SetFlag::Dynamic.as_str(), "dynamic");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            SetFlag::Constant => "constant",
            SetFlag::Interval => "interval",
            SetFlag::Timeout => "timeout",
            SetFlag::Dynamic => "dynamic",
        }
    }
}

/// The data part of a map type.
#[derive(Clone, Debug, PartialEq)]
pub enum MapData {
    /// `: [interval] type . type`
    Type {
        /// `interval` before the data type.
        interval: bool,
        /// Concatenated data type names.
        types: Vec<Ident>,
    },
    /// `: counter|quota|limit|secmark|synproxy` (object maps).
    Object(ObjectKind, Span),
}

/// The data part of a map `typeof`.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeofData {
    /// `interval` before the data expression.
    pub interval: bool,
    /// Concatenated expressions.
    pub exprs: Vec<Expr>,
}

/// An item of a set or map body.
#[derive(Clone, Debug, PartialEq)]
pub enum SetItem {
    /// A directive.
    Directive(Directive),
    /// `type a . b [: data]`
    Type {
        /// Key data type names (concatenated).
        key: Vec<Ident>,
        /// Map data.
        data: Option<MapData>,
        /// The item.
        span: Span,
    },
    /// `typeof expr . expr [: data]`
    Typeof {
        /// Key expressions (concatenated).
        key: Vec<Expr>,
        /// Map data.
        data: Option<TypeofData>,
        /// The item.
        span: Span,
    },
    /// `flags a, b`
    Flags(Vec<(SetFlag, Span)>),
    /// `timeout T`
    Timeout(TimeValue),
    /// `gc-interval T`
    GcInterval(TimeValue),
    /// Stateful statements for every element (`counter`, `limit …`, `quota …`, `ct count …`).
    Stateful(Vec<Stmt>),
    /// `elements = { … }` (or `$var`).
    Elements(Expr),
    /// `auto-merge`
    AutoMerge(Span),
    /// `policy performance|memory`
    Policy(Ident),
    /// `size N`
    Size(Num),
    /// `comment "…"`
    Comment(Str),
}

/// `flowtable name { … }` inside a table.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowtableDecl {
    /// Name.
    pub name: Ident,
    /// Body.
    pub body: FlowtableBody,
    /// The whole declaration.
    pub span: Span,
}

/// The inside of a flowtable.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct FlowtableBody {
    /// Items in order.
    pub items: Vec<FlowtableItem>,
    /// The braces.
    pub span: Span,
}

/// An item of a flowtable body.
#[derive(Clone, Debug, PartialEq)]
pub enum FlowtableItem {
    /// A directive.
    Directive(Directive),
    /// `hook ingress priority P`
    Hook {
        /// The hook name.
        hook: Ident,
        /// The priority.
        priority: Priority,
    },
    /// `devices = { … }` or `devices = $var`.
    Devices(Expr),
    /// `counter`
    Counter(Span),
    /// `flags offload`
    FlagsOffload(Span),
}

/// A named object declared inside a table.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectDecl {
    /// Kind.
    pub kind: ObjectKind,
    /// Name.
    pub name: Ident,
    /// Body.
    pub body: ObjectBody,
    /// The whole declaration.
    pub span: Span,
}

/// The configuration of a named object.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ObjectBody {
    /// Written with braces (in command form it may be given inline).
    pub braced: bool,
    /// Items in order.
    pub items: Vec<ObjectItem>,
    /// The body.
    pub span: Span,
}

/// An item of an object body.
#[derive(Clone, Debug, PartialEq)]
pub enum ObjectItem {
    /// A directive.
    Directive(Directive),
    /// `comment "…"`
    Comment(Str),
    /// counter: `packets N bytes N`
    Counter {
        /// Packets.
        packets: Num,
        /// Bytes.
        bytes: Num,
    },
    /// quota: `[over|until] N unit [used N unit]`
    Quota(QuotaSpec),
    /// limit: `rate [over|until] …`
    Limit(LimitRate),
    /// secmark: the security context.
    Secmark(Str),
    /// synproxy: `mss N wscale N [timestamp] [sack-perm]`.
    Synproxy {
        /// MSS.
        mss: Num,
        /// Window scale.
        wscale: Num,
        /// `timestamp`
        timestamp: bool,
        /// `sack-perm`
        sack_perm: bool,
    },
    /// ct helper: `type "name" protocol tcp|udp`
    CtHelperType {
        /// The helper name.
        name: Str,
        /// `tcp` or `udp`.
        protocol: Ident,
    },
    /// ct helper/timeout/expectation: `l3proto ip|ip6|inet|…`
    L3Proto(Family, Span),
    /// ct timeout/expectation: `protocol tcp|udp`
    Protocol(Ident),
    /// ct timeout: `policy = { established: 100, … }`
    TimeoutPolicy(Vec<(Ident, Num)>),
    /// ct expectation: `dport N`
    Dport(Num),
    /// ct expectation: `timeout T`
    Timeout(Str),
    /// ct expectation: `size N`
    Size(Num),
}

// ------------------------------------------------------------------------------------------------
// Rules and statements

/// A rule: statements and an optional trailing comment.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// Statements in order.
    pub stmts: Vec<Stmt>,
    /// `comment "…"`
    pub comment: Option<Str>,
    /// The whole rule.
    pub span: Span,
}

/// A statement with its location.
#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    /// What it is.
    pub kind: StmtKind,
    /// Where it is.
    pub span: Span,
}

/// A relational operator (`Implicit` when none is written).
///
/// ```
/// use linx_nft_syntax::ast::RelOp;
/// assert_eq!(RelOp::Ne.as_str(), "!=");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RelOp {
    /// No operator: equality, or a lookup for sets, or a flag test for bitmasks.
    Implicit,
    /// `==` / `eq`
    Eq,
    /// `!=` / `ne`
    Ne,
    /// `<` / `lt`
    Lt,
    /// `>` / `gt`
    Gt,
    /// `<=` / `le`
    Le,
    /// `>=` / `ge`
    Ge,
    /// `!` / `not`
    Not,
}

impl RelOp {
    /// The canonical spelling ("" for implicit).
    ///
    /// ```
    /// assert_eq!(linx_nft_syntax::ast::RelOp::Implicit.as_str(), "");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            RelOp::Implicit => "",
            RelOp::Eq => "==",
            RelOp::Ne => "!=",
            RelOp::Lt => "<",
            RelOp::Gt => ">",
            RelOp::Le => "<=",
            RelOp::Ge => ">=",
            RelOp::Not => "!",
        }
    }
}

/// A verdict.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// `accept`
    Accept,
    /// `drop`
    Drop,
    /// `continue`
    Continue,
    /// `return`
    Return,
    /// `jump CHAIN` (a chain name symbol or `$var`)
    Jump(Box<Expr>),
    /// `goto CHAIN`
    Goto(Box<Expr>),
}

/// `over` / `until` of limits and quotas.
///
/// ```
/// use linx_nft_syntax::ast::RateMode;
/// assert_eq!(RateMode::Over.as_str(), "over");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RateMode {
    /// `over` — match when exceeded.
    Over,
    /// `until` — match until exceeded (the default; written explicitly).
    Until,
}

impl RateMode {
    /// The keyword.
    ///
    /// ```
    /// assert_eq!(linx_nft_syntax::ast::RateMode::Until.as_str(), "until");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            RateMode::Over => "over",
            RateMode::Until => "until",
        }
    }
}

/// A time unit of a rate.
///
/// ```
/// use linx_nft_syntax::ast::TimeUnit;
/// assert_eq!(TimeUnit::Minute.seconds(), 60);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimeUnit {
    /// `second`
    Second,
    /// `minute`
    Minute,
    /// `hour`
    Hour,
    /// `day`
    Day,
    /// `week`
    Week,
}

impl TimeUnit {
    /// The keyword.
    ///
    /// ```
    /// assert_eq!(linx_nft_syntax::ast::TimeUnit::Week.as_str(), "week");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Second => "second",
            TimeUnit::Minute => "minute",
            TimeUnit::Hour => "hour",
            TimeUnit::Day => "day",
            TimeUnit::Week => "week",
        }
    }

    /// Parses the keyword.
    ///
    /// ```
    /// use linx_nft_syntax::ast::TimeUnit;
    /// assert_eq!(TimeUnit::from_name("day"), Some(TimeUnit::Day));
    /// ```
    pub fn from_name(s: &str) -> Option<TimeUnit> {
        Some(match s {
            "second" => TimeUnit::Second,
            "minute" => TimeUnit::Minute,
            "hour" => TimeUnit::Hour,
            "day" => TimeUnit::Day,
            "week" => TimeUnit::Week,
            _ => return None,
        })
    }

    /// Length in seconds.
    ///
    /// ```
    /// assert_eq!(linx_nft_syntax::ast::TimeUnit::Day.seconds(), 86400);
    /// ```
    pub fn seconds(self) -> u64 {
        match self {
            TimeUnit::Second => 1,
            TimeUnit::Minute => 60,
            TimeUnit::Hour => 3600,
            TimeUnit::Day => 86400,
            TimeUnit::Week => 604800,
        }
    }
}

/// A number in a rate or quota: as written, or a variable standing for one (an interpolation
/// of the `nft!` macros, or a `define`).
///
/// ```
/// use linx_nft_syntax::ast::{Count, Num};
/// assert_eq!(Count::Num(Num::new("10")).number(), Some(10));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Count {
    /// A number.
    Num(Num),
    /// `$var`
    Var(Var),
}

impl Count {
    /// The number, or the number bound to the variable (`None`: unbound, or not a number).
    pub fn number(&self) -> Option<u64> {
        match self {
            Count::Num(n) => crate::lexer::number_value(&n.text),
            Count::Var(v) => match &v.value.as_deref()?.resolved().kind {
                ExprKind::Number(n) => crate::lexer::number_value(&n.text),
                _ => None,
            },
        }
    }

    /// [`Count::number`], 0 when there is none (as [`Num::value`]).
    ///
    /// ```
    /// use linx_nft_syntax::ast::{Count, Num};
    /// assert_eq!(Count::Num(Num::new("0x10")).value(), 16);
    /// ```
    pub fn value(&self) -> u64 {
        self.number().unwrap_or(0)
    }

    /// Where it is written.
    pub fn span(&self) -> Span {
        match self {
            Count::Num(n) => n.span,
            Count::Var(v) => v.span,
        }
    }
}

/// A byte quantity: number and unit word as written (`bytes`, `kbytes`, `mbytes`); after a
/// variable the unit may be left out (`quota $q`: bytes), leaving `unit` empty.
#[derive(Clone, Debug, PartialEq)]
pub struct ByteAmount {
    /// The number.
    pub amount: Count,
    /// The unit word.
    pub unit: String,
}

impl ByteAmount {
    /// Bytes per unit (1, 1024 or 1048576; nft matches the unit by prefix).
    ///
    /// ```
    /// use linx_nft_syntax::ast::{ByteAmount, Num};
    /// use linx_nft_syntax::ast::Count;
    /// let b = ByteAmount { amount: Count::Num(Num::from_u64(2)), unit: "kbytes".into() };
    /// assert_eq!(b.multiplier(), 1024);
    /// ```
    pub fn multiplier(&self) -> u64 {
        crate::keywords::byte_unit_multiplier(&self.unit).unwrap_or(1)
    }
}

/// The rate of a limit.
#[derive(Clone, Debug, PartialEq)]
pub enum Rate {
    /// `N/unit` packets.
    Packets {
        /// Packets.
        count: Count,
        /// Per.
        per: TimeUnit,
    },
    /// `N bytes/unit`.
    Bytes {
        /// Bytes.
        amount: ByteAmount,
        /// Per.
        per: TimeUnit,
    },
}

/// The burst of a limit.
#[derive(Clone, Debug, PartialEq)]
pub enum Burst {
    /// `burst N packets`
    Packets(Count),
    /// `burst N bytes|kbytes|mbytes`
    Bytes(ByteAmount),
}

/// `rate [over|until] RATE [burst …]` of a limit statement or object.
#[derive(Clone, Debug, PartialEq)]
pub struct LimitRate {
    /// `over` / `until`.
    pub mode: Option<RateMode>,
    /// The rate.
    pub rate: Rate,
    /// The burst.
    pub burst: Option<Burst>,
}

/// `[over|until] N unit [used N unit]` of a quota statement or object.
#[derive(Clone, Debug, PartialEq)]
pub struct QuotaSpec {
    /// `over` / `until`.
    pub mode: Option<RateMode>,
    /// The quota.
    pub amount: ByteAmount,
    /// Already used.
    pub used: Option<ByteAmount>,
}

/// A `log` flag group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogFlag {
    /// `flags tcp sequence,options` (the words in order).
    Tcp(Vec<String>),
    /// `flags ip options`
    IpOptions,
    /// `flags skuid`
    Skuid,
    /// `flags ether`
    Ether,
    /// `flags all`
    All,
}

/// A `log` statement (arguments keep the last value given, as nft).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Log {
    /// `prefix "…"` (may contain `$var` references, expanded by nft).
    pub prefix: Option<Str>,
    /// `group N`
    pub group: Option<Num>,
    /// `snaplen N`
    pub snaplen: Option<Num>,
    /// `queue-threshold N`
    pub queue_threshold: Option<Num>,
    /// `level L`
    pub level: Option<Str>,
    /// `flags …`, in order.
    pub flags: Vec<LogFlag>,
}

/// `reject with …`
#[derive(Clone, Debug, PartialEq)]
pub enum RejectWith {
    /// `with icmp [type] X`
    Icmp(Expr),
    /// `with icmpv6 [type] X`
    Icmpv6(Expr),
    /// `with icmpx [type] X`
    Icmpx(Expr),
    /// `with tcp reset`
    TcpReset,
}

/// NAT statement kinds.
///
/// ```
/// use linx_nft_syntax::ast::NatKind;
/// assert_eq!(NatKind::Masquerade.as_str(), "masquerade");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NatKind {
    /// `snat`
    Snat,
    /// `dnat`
    Dnat,
    /// `masquerade`
    Masquerade,
    /// `redirect`
    Redirect,
}

impl NatKind {
    /// The keyword.
    ///
    /// ```
    /// assert_eq!(linx_nft_syntax::ast::NatKind::Dnat.as_str(), "dnat");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            NatKind::Snat => "snat",
            NatKind::Dnat => "dnat",
            NatKind::Masquerade => "masquerade",
            NatKind::Redirect => "redirect",
        }
    }
}

/// How the NAT target is interpreted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NatMode {
    /// `[ip|ip6] to ADDR[:PORT]`, or without `to` (legacy).
    Plain,
    /// `ip addr . port to MAP` (a map returning address and port).
    AddrPort,
    /// `[ip] interval to MAP`
    Interval,
    /// `[ip6] prefix to PREFIX` (NPTv6)
    Prefix,
}

/// A NAT flag.
///
/// ```
/// use linx_nft_syntax::ast::NatFlag;
/// assert_eq!(NatFlag::FullyRandom.as_str(), "fully-random");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NatFlag {
    /// `random`
    Random,
    /// `fully-random`
    FullyRandom,
    /// `persistent`
    Persistent,
}

impl NatFlag {
    /// The keyword.
    ///
    /// ```
    /// assert_eq!(linx_nft_syntax::ast::NatFlag::Persistent.as_str(), "persistent");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            NatFlag::Random => "random",
            NatFlag::FullyRandom => "fully-random",
            NatFlag::Persistent => "persistent",
        }
    }
}

/// snat, dnat, masquerade or redirect.
#[derive(Clone, Debug, PartialEq)]
pub struct Nat {
    /// Which.
    pub kind: NatKind,
    /// `ip`/`ip6` before `to` (inet tables).
    pub family: Option<NfProto>,
    /// The target form.
    pub mode: NatMode,
    /// `to` was written (meaningful only for the plain form; the others always have it).
    pub to: bool,
    /// The address (or map) part.
    pub addr: Option<Expr>,
    /// The `:port` part.
    pub port: Option<Expr>,
    /// Flags.
    pub flags: Vec<NatFlag>,
}

/// A queue flag.
///
/// ```
/// use linx_nft_syntax::ast::QueueFlag;
/// assert_eq!(QueueFlag::Fanout.as_str(), "fanout");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QueueFlag {
    /// `bypass`
    Bypass,
    /// `fanout`
    Fanout,
}

impl QueueFlag {
    /// The keyword.
    ///
    /// ```
    /// assert_eq!(linx_nft_syntax::ast::QueueFlag::Bypass.as_str(), "bypass");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            QueueFlag::Bypass => "bypass",
            QueueFlag::Fanout => "fanout",
        }
    }
}

/// `queue …`
#[derive(Clone, Debug, PartialEq)]
pub struct Queue {
    /// Flags.
    pub flags: Vec<QueueFlag>,
    /// The queue number: `num N|N-M|$var`, or with `to`, also numgen/hash/map expressions.
    pub num: Option<Expr>,
    /// Written as `queue [flags …] to EXPR` (required for numgen/hash/map numbers).
    pub to: bool,
}

/// Set statement operations.
///
/// ```
/// use linx_nft_syntax::ast::SetOp;
/// assert_eq!(SetOp::Update.as_str(), "update");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SetOp {
    /// `add`
    Add,
    /// `update`
    Update,
    /// `delete`
    Delete,
}

impl SetOp {
    /// The keyword.
    ///
    /// ```
    /// assert_eq!(linx_nft_syntax::ast::SetOp::Delete.as_str(), "delete");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            SetOp::Add => "add",
            SetOp::Update => "update",
            SetOp::Delete => "delete",
        }
    }
}

/// A timeout: a time value (`30s`, `1h30m`) or a variable standing for one (an interpolation
/// of the `nft!` macros, or a `define`).
///
/// ```
/// use linx_nft_syntax::ast::{Str, TimeValue};
/// let t = TimeValue::Lit(Str { text: "30s".into(), quoted: false, span: Default::default() });
/// assert_eq!(t.span(), Default::default());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum TimeValue {
    /// A time value as written.
    Lit(Str),
    /// `$var`
    Var(Var),
}

impl TimeValue {
    /// Where the value is written.
    pub fn span(&self) -> Span {
        match self {
            TimeValue::Lit(s) => s.span,
            TimeValue::Var(v) => v.span,
        }
    }
}

/// Per-element options of set elements and set statements.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ElemOptions {
    /// `timeout T`
    pub timeout: Option<TimeValue>,
    /// `expires T`
    pub expires: Option<TimeValue>,
    /// `comment "…"`
    pub comment: Option<Str>,
}

impl ElemOptions {
    /// True if no option is set.
    ///
    /// ```
    /// assert!(linx_nft_syntax::ast::ElemOptions::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.timeout.is_none() && self.expires.is_none() && self.comment.is_none()
    }
}

/// `add|update|delete @set { key [options] [stateful…] [: data] }`
#[derive(Clone, Debug, PartialEq)]
pub struct SetStmt {
    /// The operation.
    pub op: SetOp,
    /// `@name` or `$var`.
    pub set: Expr,
    /// The key expression.
    pub key: Expr,
    /// `timeout`, `expires`, `comment`.
    pub options: ElemOptions,
    /// Stateful statements (counter, limit, quota, ct count).
    pub stmts: Vec<Stmt>,
    /// The data for maps (`: expr`).
    pub data: Option<Expr>,
    /// Legacy form `set add KEY @set`.
    pub legacy: bool,
}

/// `meter NAME [size N] { KEY STMT }` or the legacy `flow table NAME { KEY STMT }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Meter {
    /// Legacy `flow table` spelling.
    pub legacy: bool,
    /// Name.
    pub name: Ident,
    /// `size N`
    pub size: Option<Num>,
    /// Key.
    pub key: Expr,
    /// Key options.
    pub options: ElemOptions,
    /// The statement.
    pub stmt: Stmt,
}

/// All statements.
#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// `LEFT [op] RIGHT`
    Match {
        /// The selector side.
        left: Expr,
        /// The operator.
        op: RelOp,
        /// The value side (for `flags / mask`, a [`ExprKind::Masked`]).
        right: Expr,
    },
    /// A verdict.
    Verdict(Verdict),
    /// `KEY vmap { … }` / `KEY vmap @map`
    VerdictMap {
        /// The key.
        key: Expr,
        /// The map (set expression, `@name` or `$var`).
        map: Expr,
    },
    /// `counter [name X] [packets N bytes N]`
    Counter {
        /// `name X` (named counter reference).
        name: Option<Expr>,
        /// `packets N`
        packets: Option<Num>,
        /// `bytes N`
        bytes: Option<Num>,
    },
    /// `limit rate …`
    Limit(LimitRate),
    /// `limit name X`
    LimitName(Expr),
    /// `quota …`
    Quota(QuotaSpec),
    /// `quota name X`
    QuotaName(Expr),
    /// `ct count [over] N`
    CtCount {
        /// `over`
        over: bool,
        /// The number of connections.
        count: Num,
    },
    /// `log …`
    Log(Log),
    /// `reject [with …]`
    Reject(Option<RejectWith>),
    /// snat/dnat/masquerade/redirect.
    Nat(Nat),
    /// `tproxy [ip|ip6] to [ADDR][:PORT]`
    Tproxy {
        /// `ip`/`ip6`.
        family: Option<NfProto>,
        /// Address.
        addr: Option<Expr>,
        /// Port.
        port: Option<Expr>,
    },
    /// `queue …`
    Queue(Queue),
    /// `dup to ADDR [device DEV]`
    Dup {
        /// Address.
        addr: Expr,
        /// Device.
        device: Option<Expr>,
    },
    /// `fwd [ip|ip6] to X [device DEV]`
    Fwd {
        /// `ip`/`ip6` (then `device` is required).
        family: Option<NfProto>,
        /// Device (plain form) or address.
        to: Expr,
        /// Device (with a family).
        device: Option<Expr>,
    },
    /// `synproxy [mss N] [wscale N] [timestamp] [sack-perm]`
    Synproxy {
        /// `mss N`
        mss: Option<Num>,
        /// `wscale N`
        wscale: Option<Num>,
        /// `timestamp`
        timestamp: bool,
        /// `sack-perm`
        sack_perm: bool,
    },
    /// `synproxy name X`
    SynproxyName(Expr),
    /// `[meta] KEY set VALUE`
    MetaSet {
        /// The meta key.
        key: &'static str,
        /// `meta` was written.
        explicit: bool,
        /// The value.
        value: Expr,
    },
    /// `ct [DIR] KEY set VALUE` (also `ct timeout set`, `ct expectation set`)
    CtSet {
        /// `original`/`reply`.
        dir: Option<CtDir>,
        /// The key.
        key: &'static str,
        /// The value.
        value: Expr,
    },
    /// `PAYLOAD set VALUE` (payload fields and TCP options)
    PayloadSet {
        /// The field.
        target: Expr,
        /// The value.
        value: Expr,
    },
    /// `notrack`
    Notrack,
    /// `flow add @ft` / `flow offload @ft`
    FlowAdd {
        /// The flowtable name.
        name: Str,
        /// Written as `flow offload` (older spelling).
        offload: bool,
    },
    /// `add|update|delete @set { … }` and the map form.
    Set(Box<SetStmt>),
    /// `meter NAME [size N] { KEY STMT }` or the legacy `flow table NAME { KEY STMT }`.
    Meter(Box<Meter>),
    /// `jump|goto { rules }` (anonymous chain)
    Chain {
        /// `goto` rather than `jump`.
        goto: bool,
        /// The rules.
        rules: Vec<Rule>,
    },
    /// `reset tcp option NAME`
    OptStrip {
        /// The option (canonical name or number).
        option: String,
    },
    /// `last [used never|used T]` (nftables ≥ 1.0.7; needs [`crate::ParseOptions::extensions`]).
    Last {
        /// `used …` value as written.
        used: Option<Str>,
    },
}

// ------------------------------------------------------------------------------------------------
// Expressions

/// An expression with its location.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

impl Expr {
    /// A synthesized expression (dummy span).
    ///
    /// ```
    /// use linx_nft_syntax::ast::{Expr, ExprKind};
    /// let e = Expr::new(ExprKind::Symbol("ssh".into()));
    /// assert!(e.span.is_dummy());
    /// ```
    pub fn new(kind: ExprKind) -> Expr {
        Expr {
            kind,
            span: Span::DUMMY,
        }
    }

    /// A synthesized bare-word symbol.
    ///
    /// ```
    /// let e = linx_nft_syntax::ast::Expr::symbol("established");
    /// assert!(matches!(e.kind, linx_nft_syntax::ast::ExprKind::Symbol(_)));
    /// ```
    pub fn symbol(s: impl Into<String>) -> Expr {
        Expr::new(ExprKind::Symbol(s.into()))
    }

    /// A synthesized number.
    ///
    /// ```
    /// let e = linx_nft_syntax::ast::Expr::number(22);
    /// assert!(matches!(e.kind, linx_nft_syntax::ast::ExprKind::Number(_)));
    /// ```
    pub fn number(v: u64) -> Expr {
        Expr::new(ExprKind::Number(Num::from_u64(v)))
    }

    /// Follows expanded variables to the value they stand for.
    ///
    /// ```
    /// use linx_nft_syntax::ast::{Expr, ExprKind, Var};
    /// let mut v = Var::new("P");
    /// v.value = Some(Box::new(Expr::number(22)));
    /// let e = Expr::new(ExprKind::Variable(v));
    /// assert!(matches!(e.resolved().kind, ExprKind::Number(_)));
    /// ```
    pub fn resolved(&self) -> &Expr {
        let mut e = self;
        let mut guard = 0;
        while let ExprKind::Variable(Var { value: Some(v), .. }) = &e.kind {
            e = v;
            guard += 1;
            if guard > 64 {
                break;
            }
        }
        e
    }
}

/// Binary operators.
///
/// ```
/// use linx_nft_syntax::ast::BinOp;
/// assert_eq!(BinOp::Or.as_str(), "|");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `<<` / `lshift`
    Shl,
    /// `>>` / `rshift`
    Shr,
    /// `&` / `and`
    And,
    /// `^` / `xor`
    Xor,
    /// `|` / `or`
    Or,
}

impl BinOp {
    /// The canonical spelling.
    ///
    /// ```
    /// assert_eq!(linx_nft_syntax::ast::BinOp::And.as_str(), "&");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Shl => "<<",
            BinOp::Shr => ">>",
            BinOp::And => "&",
            BinOp::Xor => "^",
            BinOp::Or => "|",
        }
    }

    /// Binding strength (higher binds tighter).
    ///
    /// ```
    /// use linx_nft_syntax::ast::BinOp;
    /// assert!(BinOp::And.precedence() > BinOp::Or.precedence());
    /// ```
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Shl | BinOp::Shr => 4,
            BinOp::And => 3,
            BinOp::Xor => 2,
            BinOp::Or => 1,
        }
    }
}

/// Protocols with payload fields.
///
/// ```
/// use linx_nft_syntax::ast::PayloadProto;
/// assert_eq!(PayloadProto::Icmpv6.as_str(), "icmpv6");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PayloadProto {
    /// `ether`
    Ether,
    /// `vlan`
    Vlan,
    /// `arp`
    Arp,
    /// `ip`
    Ip,
    /// `icmp`
    Icmp,
    /// `igmp`
    Igmp,
    /// `ip6`
    Ip6,
    /// `icmpv6`
    Icmpv6,
    /// `ah`
    Ah,
    /// `esp`
    Esp,
    /// `comp`
    Comp,
    /// `udp`
    Udp,
    /// `udplite`
    Udplite,
    /// `tcp`
    Tcp,
    /// `dccp`
    Dccp,
    /// `sctp`
    Sctp,
    /// `th` (any transport header: ports)
    Th,
}

impl PayloadProto {
    /// The keyword.
    ///
    /// ```
    /// assert_eq!(linx_nft_syntax::ast::PayloadProto::Th.as_str(), "th");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            PayloadProto::Ether => "ether",
            PayloadProto::Vlan => "vlan",
            PayloadProto::Arp => "arp",
            PayloadProto::Ip => "ip",
            PayloadProto::Icmp => "icmp",
            PayloadProto::Igmp => "igmp",
            PayloadProto::Ip6 => "ip6",
            PayloadProto::Icmpv6 => "icmpv6",
            PayloadProto::Ah => "ah",
            PayloadProto::Esp => "esp",
            PayloadProto::Comp => "comp",
            PayloadProto::Udp => "udp",
            PayloadProto::Udplite => "udplite",
            PayloadProto::Tcp => "tcp",
            PayloadProto::Dccp => "dccp",
            PayloadProto::Sctp => "sctp",
            PayloadProto::Th => "th",
        }
    }

    /// Parses the keyword.
    ///
    /// ```
    /// use linx_nft_syntax::ast::PayloadProto;
    /// assert_eq!(PayloadProto::from_name("udplite"), Some(PayloadProto::Udplite));
    /// ```
    pub fn from_name(s: &str) -> Option<PayloadProto> {
        Some(match s {
            "ether" => PayloadProto::Ether,
            "vlan" => PayloadProto::Vlan,
            "arp" => PayloadProto::Arp,
            "ip" => PayloadProto::Ip,
            "icmp" => PayloadProto::Icmp,
            "igmp" => PayloadProto::Igmp,
            "ip6" => PayloadProto::Ip6,
            "icmpv6" => PayloadProto::Icmpv6,
            "ah" => PayloadProto::Ah,
            "esp" => PayloadProto::Esp,
            "comp" => PayloadProto::Comp,
            "udp" => PayloadProto::Udp,
            "udplite" => PayloadProto::Udplite,
            "tcp" => PayloadProto::Tcp,
            "dccp" => PayloadProto::Dccp,
            "sctp" => PayloadProto::Sctp,
            "th" => PayloadProto::Th,
            _ => return None,
        })
    }
}

/// The base of a raw payload expression `@base,offset,length`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RawBase {
    /// `ll` — link layer.
    Ll,
    /// `nh` — network header.
    Nh,
    /// `th` — transport header.
    Th,
    /// `ih` — inner header.
    Ih,
}

impl RawBase {
    /// The keyword.
    ///
    /// ```
    /// assert_eq!(linx_nft_syntax::ast::RawBase::Nh.as_str(), "nh");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            RawBase::Ll => "ll",
            RawBase::Nh => "nh",
            RawBase::Th => "th",
            RawBase::Ih => "ih",
        }
    }
}

/// IPv6 extension headers.
///
/// ```
/// use linx_nft_syntax::ast::ExthdrKind;
/// assert_eq!(ExthdrKind::Srh.as_str(), "srh");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExthdrKind {
    /// `hbh` hop-by-hop
    Hbh,
    /// `rt` routing
    Rt,
    /// `rt0` type 0 routing
    Rt0,
    /// `rt2` type 2 routing
    Rt2,
    /// `srh` segment routing
    Srh,
    /// `frag` fragment
    Frag,
    /// `dst` destination options
    Dst,
    /// `mh` mobility
    Mh,
}

impl ExthdrKind {
    /// The keyword.
    ///
    /// ```
    /// assert_eq!(linx_nft_syntax::ast::ExthdrKind::Frag.as_str(), "frag");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ExthdrKind::Hbh => "hbh",
            ExthdrKind::Rt => "rt",
            ExthdrKind::Rt0 => "rt0",
            ExthdrKind::Rt2 => "rt2",
            ExthdrKind::Srh => "srh",
            ExthdrKind::Frag => "frag",
            ExthdrKind::Dst => "dst",
            ExthdrKind::Mh => "mh",
        }
    }
}

/// Connection tracking direction.
///
/// ```
/// use linx_nft_syntax::ast::CtDir;
/// assert_eq!(CtDir::Reply.as_str(), "reply");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CtDir {
    /// `original`
    Original,
    /// `reply`
    Reply,
}

impl CtDir {
    /// The keyword.
    ///
    /// ```
    /// assert_eq!(linx_nft_syntax::ast::CtDir::Original.as_str(), "original");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            CtDir::Original => "original",
            CtDir::Reply => "reply",
        }
    }
}

/// A set element (inside `{ … }`).
#[derive(Clone, Debug, PartialEq)]
pub struct SetElem {
    /// The key (`*` is [`ExprKind::Wildcard`]; a nested `{ … }` is a [`ExprKind::Set`]).
    pub key: Expr,
    /// Per-element stateful statements (`counter`, `limit rate …`, `ct count …`).
    pub stmts: Vec<Stmt>,
    /// `timeout`, `expires`, `comment`.
    pub options: ElemOptions,
    /// `: data` (maps and verdict maps).
    pub data: Option<Expr>,
    /// The whole element.
    pub span: Span,
}

/// The `ipsec` expression key.
#[derive(Clone, Debug, PartialEq)]
pub enum IpsecKey {
    /// `spi`
    Spi,
    /// `reqid`
    Reqid,
    /// `ip saddr`, `ip6 daddr`, …
    Addr(NfProto, &'static str),
}

/// All expressions.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    // ---- values
    /// A number literal.
    Number(Num),
    /// A bare word: symbolic constant, address, time string, interface name… (text as written).
    Symbol(String),
    /// A quoted string.
    Quoted(String),
    /// A wildcard string such as `eth*`.
    Asterisk(String),
    /// `*` — the catch-all set element.
    Wildcard,
    /// `exists` / `missing`.
    Bool(bool),
    /// `$name`
    Variable(Var),
    /// `@name` — a named set or map.
    SetRef(Ident),

    // ---- selectors
    /// `PROTO FIELD`, e.g. `tcp dport`, `arp saddr ip`.
    Payload {
        /// Protocol.
        proto: PayloadProto,
        /// Field (`"saddr ip"` style two-word fields for arp).
        field: &'static str,
    },
    /// `@base,offset,length`
    RawPayload {
        /// Base.
        base: RawBase,
        /// Offset in bits.
        offset: Num,
        /// Length in bits.
        len: Num,
    },
    /// IPv6 extension header field (`frag id`, `rt0 addr[1]`, `srh sid[2]`).
    Exthdr {
        /// The header.
        hdr: ExthdrKind,
        /// The field.
        field: &'static str,
        /// The index of `addr[N]` / `sid[N]`.
        index: Option<Num>,
    },
    /// `exthdr hbh|rt|frag|dst|mh` — presence of an extension header.
    ExthdrExists(ExthdrKind),
    /// `tcp option NAME [FIELD]`
    TcpOption {
        /// Option name (canonical) or number.
        option: String,
        /// The field (`None`: the option itself, for `exists`/`missing`).
        field: Option<&'static str>,
    },
    /// `tcp option @NAME,offset,length`
    TcpOptionRaw {
        /// Option name (canonical) or number.
        option: String,
        /// Offset in bits.
        offset: Num,
        /// Length in bits.
        len: Num,
    },
    /// `ip option lsrr|rr|ssrr|ra [FIELD]`
    IpOption {
        /// Option.
        option: &'static str,
        /// Field.
        field: Option<&'static str>,
    },
    /// `sctp chunk TYPE [FIELD]`
    SctpChunk {
        /// Chunk type.
        chunk: &'static str,
        /// Field.
        field: Option<&'static str>,
    },
    /// `meta KEY` or an unqualified key such as `iifname`.
    Meta {
        /// The key.
        key: &'static str,
        /// `meta` was written.
        explicit: bool,
    },
    /// `ct [original|reply] [ip|ip6] KEY`
    Ct {
        /// Direction.
        dir: Option<CtDir>,
        /// `ip`/`ip6` (only with `saddr`/`daddr` and a direction).
        proto: Option<NfProto>,
        /// The key.
        key: &'static str,
    },
    /// `fib FLAG[.FLAG…] RESULT`
    Fib {
        /// `saddr`, `daddr`, `mark`, `iif`, `oif`.
        flags: Vec<&'static str>,
        /// `oif`, `oifname`, `type`.
        result: &'static str,
    },
    /// `rt [ip|ip6] KEY`
    Rt {
        /// `ip`/`ip6`.
        proto: Option<NfProto>,
        /// `classid`, `nexthop`, `mtu`, `ipsec`.
        key: &'static str,
    },
    /// `socket transparent|mark|wildcard` / `socket cgroupv2 level N`
    Socket {
        /// The key.
        key: &'static str,
        /// The cgroup level.
        level: Option<Num>,
    },
    /// `osf [ttl loose|skip] version|name`
    Osf {
        /// `ttl …`
        ttl: Option<String>,
        /// `version` or `name`.
        key: &'static str,
    },
    /// `numgen inc|random mod N [offset N]`
    Numgen {
        /// `inc` or `random`.
        mode: &'static str,
        /// Modulus.
        modulus: Num,
        /// Offset.
        offset: Option<Num>,
    },
    /// `jhash EXPR mod N [seed N] [offset N]`
    Jhash {
        /// Hashed expression.
        expr: Box<Expr>,
        /// Modulus.
        modulus: Num,
        /// Seed.
        seed: Option<Num>,
        /// Offset.
        offset: Option<Num>,
    },
    /// `symhash mod N [offset N]`
    Symhash {
        /// Modulus.
        modulus: Num,
        /// Offset.
        offset: Option<Num>,
    },
    /// `ipsec in|out [spnum N] KEY`
    Ipsec {
        /// `out` rather than `in`.
        out: bool,
        /// `spnum N`
        spnum: Option<Num>,
        /// The key.
        key: IpsecKey,
    },

    // ---- composites
    /// `a . b . c`
    Concat(Vec<Expr>),
    /// `a & b`, `a | b`, …
    Binary {
        /// Operator.
        op: BinOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
    /// `addr/len`
    Prefix {
        /// Address.
        base: Box<Expr>,
        /// Prefix length.
        len: Num,
    },
    /// `low-high`
    Range {
        /// Low end.
        low: Box<Expr>,
        /// High end.
        high: Box<Expr>,
    },
    /// `{ elements }`
    Set(Vec<SetElem>),
    /// `KEY map { … }` / `KEY map @m`
    Map {
        /// The key.
        key: Box<Expr>,
        /// The map (set expression, `@name` or `$var`).
        map: Box<Expr>,
    },
    /// A brace-less comma list (`established,related`).
    List(Vec<Expr>),
    /// A verdict as map data (`{ 22 : accept, 80 : jump web }`).
    Verdict(Verdict),
    /// `VALUE / MASK` in a match (`tcp flags syn / syn,ack`): value and mask are lists or basic
    /// expressions.
    Masked {
        /// The value.
        value: Box<Expr>,
        /// The mask.
        mask: Box<Expr>,
    },
}

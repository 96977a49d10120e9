//! The ruleset model: tables keyed by (family, name), holding chains (base or regular) with
//! their rules, sets and maps, named objects and flowtables.
//!
//! Everything the kernel stores is representable, so a pulled ruleset pushes back unchanged:
//! rule and set userdata are kept byte for byte, anonymous sets are ordinary [`Set`]s with the
//! `ANONYMOUS` flag under nft's names (`__set0`), expressions linx does not model are carried as
//! [`Expr::Unknown`].
//!
//! ```
//! use linx::netfilter::{Family, Table, TableLifetime, Chain, BaseChain, ChainType, Hook, Policy, Rule};
//! use linx::netfilter::expr::{Expr, Verdict};
//! let mut t = Table::new(Family::Inet, "fw", TableLifetime::SocketOwned)?;
//! let mut input = Chain::base("input", BaseChain::new(ChainType::Filter, Hook::Input, 0).policy(Policy::Drop))?;
//! input.rules.push(Rule::new(vec![Expr::verdict(Verdict::Accept)]).tag("all")?);
//! t.add_chain(input)?;
//! assert_eq!(t.to_string(), "table inet fw: 1 chains, 0 sets");
//! # Ok::<(), linx::Error>(())
//! ```

use std::fmt;

use super::expr::Expr;
use super::obj::Object;
use super::set::Set;
use super::userdata::{Userdata, check_comment};
use crate::error::{Error, Result, Subsystem};

/// Longest table, chain, set, object and flowtable name (`NFT_NAME_MAXLEN` − 1).
pub const NAME_MAX: usize = 255;

pub(crate) fn check_name(what: &'static str, name: &str) -> Result<()> {
    if name.is_empty() || name.len() > NAME_MAX || name.contains('\0') {
        return Err(Error::input(
            Subsystem::Netfilter,
            what,
            name,
            "a name has 1 to 255 bytes without NUL",
        ));
    }
    Ok(())
}

/// nf_tables address families (the `nfgenmsg` family byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Family {
    /// `inet` (1): IPv4 and IPv6.
    Inet,
    /// `ip` (2).
    Ip,
    /// `arp` (3).
    Arp,
    /// `netdev` (5).
    Netdev,
    /// `bridge` (7).
    Bridge,
    /// `ip6` (10).
    Ip6,
}

impl Family {
    /// Every family.
    pub const ALL: [Family; 6] = [
        Family::Ip,
        Family::Ip6,
        Family::Inet,
        Family::Arp,
        Family::Bridge,
        Family::Netdev,
    ];

    /// The `NFPROTO_*` number.
    pub fn number(self) -> u8 {
        match self {
            Family::Inet => 1,
            Family::Ip => 2,
            Family::Arp => 3,
            Family::Netdev => 5,
            Family::Bridge => 7,
            Family::Ip6 => 10,
        }
    }

    /// The family for a number.
    pub fn from_number(n: u8) -> Option<Family> {
        Some(match n {
            1 => Family::Inet,
            2 => Family::Ip,
            3 => Family::Arp,
            5 => Family::Netdev,
            7 => Family::Bridge,
            10 => Family::Ip6,
            _ => return None,
        })
    }

    /// nft's name.
    pub fn name(self) -> &'static str {
        match self {
            Family::Inet => "inet",
            Family::Ip => "ip",
            Family::Arp => "arp",
            Family::Netdev => "netdev",
            Family::Bridge => "bridge",
            Family::Ip6 => "ip6",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Family {
    type Err = Error;
    fn from_str(s: &str) -> Result<Family> {
        Family::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                Error::input(
                    Subsystem::Netfilter,
                    "family",
                    s,
                    "expected ip, ip6, inet, arp, bridge or netdev",
                )
            })
    }
}

/// Netfilter hooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Hook {
    /// `prerouting`.
    Prerouting,
    /// `input`.
    Input,
    /// `forward`.
    Forward,
    /// `output`.
    Output,
    /// `postrouting`.
    Postrouting,
    /// `ingress` (netdev; inet ≥ 5.10).
    Ingress,
    /// `egress` (netdev).
    Egress,
}

impl Hook {
    /// The hook number in `family`, or `None` when the family has no such hook.
    pub fn number(self, family: Family) -> Option<u32> {
        match family {
            Family::Netdev => match self {
                Hook::Ingress => Some(0),
                Hook::Egress => Some(1),
                _ => None,
            },
            Family::Arp => match self {
                Hook::Input => Some(0),
                Hook::Output => Some(1),
                Hook::Forward => Some(2),
                _ => None,
            },
            Family::Inet if self == Hook::Ingress => Some(5),
            _ => match self {
                Hook::Prerouting => Some(0),
                Hook::Input => Some(1),
                Hook::Forward => Some(2),
                Hook::Output => Some(3),
                Hook::Postrouting => Some(4),
                _ => None,
            },
        }
    }

    /// The hook for a number in `family`.
    pub fn from_number(family: Family, n: u32) -> Option<Hook> {
        [
            Hook::Prerouting,
            Hook::Input,
            Hook::Forward,
            Hook::Output,
            Hook::Postrouting,
            Hook::Ingress,
            Hook::Egress,
        ]
        .into_iter()
        .find(|h| h.number(family) == Some(n))
    }

    /// nft's name.
    pub fn name(self) -> &'static str {
        match self {
            Hook::Prerouting => "prerouting",
            Hook::Input => "input",
            Hook::Forward => "forward",
            Hook::Output => "output",
            Hook::Postrouting => "postrouting",
            Hook::Ingress => "ingress",
            Hook::Egress => "egress",
        }
    }
}

impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Base chain types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ChainType {
    /// `filter`.
    Filter,
    /// `nat`.
    Nat,
    /// `route`.
    Route,
}

impl ChainType {
    /// nft's name (also the `NFTA_CHAIN_TYPE` string).
    pub fn name(self) -> &'static str {
        match self {
            ChainType::Filter => "filter",
            ChainType::Nat => "nat",
            ChainType::Route => "route",
        }
    }
    /// The type for a name.
    pub fn from_name(s: &str) -> Option<ChainType> {
        Some(match s {
            "filter" => ChainType::Filter,
            "nat" => ChainType::Nat,
            "route" => ChainType::Route,
            _ => return None,
        })
    }
}

/// Named chain priorities per family (nft's `priority filter` etc.).
///
/// ```
/// use linx::netfilter::{named_priority, Family};
/// assert_eq!(named_priority(Family::Inet, "dstnat"), Some(-100));
/// assert_eq!(named_priority(Family::Bridge, "dstnat"), Some(-300));
/// assert_eq!(named_priority(Family::Arp, "mangle"), None);
/// ```
pub fn named_priority(family: Family, name: &str) -> Option<i32> {
    match family {
        Family::Ip | Family::Ip6 | Family::Inet => Some(match name {
            "raw" => -300,
            "mangle" => -150,
            "dstnat" => -100,
            "filter" => 0,
            "security" => 50,
            "srcnat" => 100,
            _ => return None,
        }),
        Family::Bridge => Some(match name {
            "dstnat" => -300,
            "filter" => -200,
            "out" => 100,
            "srcnat" => 300,
            _ => return None,
        }),
        Family::Arp | Family::Netdev => (name == "filter").then_some(0),
    }
}

/// Base chain policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Policy {
    /// `accept` (`NF_ACCEPT` 1).
    Accept,
    /// `drop` (`NF_DROP` 0).
    Drop,
}

impl Policy {
    /// The kernel's number.
    pub fn number(self) -> u32 {
        match self {
            Policy::Accept => 1,
            Policy::Drop => 0,
        }
    }
}

/// The attributes of a base chain.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BaseChain {
    /// Chain type.
    pub chain_type: ChainType,
    /// Hook.
    pub hook: Hook,
    /// Priority (lower runs first).
    pub priority: i32,
    /// Policy; `None` leaves the kernel default (accept) and sends no attribute, as nft does
    /// when no policy is written.
    pub policy: Option<Policy>,
    /// Devices (netdev and inet ingress/egress hooks).
    pub devices: Vec<String>,
    /// `flags offload` (`NFT_CHAIN_HW_OFFLOAD`).
    pub hw_offload: bool,
}

impl BaseChain {
    /// A base chain.
    pub fn new(chain_type: ChainType, hook: Hook, priority: i32) -> BaseChain {
        BaseChain {
            chain_type,
            hook,
            priority,
            policy: None,
            devices: Vec::new(),
            hw_offload: false,
        }
    }
    /// Sets the policy.
    pub fn policy(mut self, p: Policy) -> BaseChain {
        self.policy = Some(p);
        self
    }
    /// Sets the devices.
    pub fn devices<S: Into<String>>(mut self, d: impl IntoIterator<Item = S>) -> BaseChain {
        self.devices = d.into_iter().map(Into::into).collect();
        self
    }

    /// Checks the hook, type and devices against the family (NF-12).
    ///
    /// # Errors
    /// Input errors naming the chain.
    pub fn validate(&self, family: Family, chain: &str) -> Result<()> {
        let bad = |reason: String| {
            Err(Error::input(
                Subsystem::Netfilter,
                "chain",
                format!("{family} {chain}"),
                reason,
            ))
        };
        if self.hook.number(family).is_none() {
            return bad(format!(
                "hook {} does not exist in family {family}",
                self.hook
            ));
        }
        match self.chain_type {
            ChainType::Nat => {
                if !matches!(family, Family::Ip | Family::Ip6 | Family::Inet)
                    || !matches!(
                        self.hook,
                        Hook::Prerouting | Hook::Input | Hook::Output | Hook::Postrouting
                    )
                {
                    return bad(format!(
                        "a nat chain needs family ip, ip6 or inet and hook prerouting, input, output or postrouting, not {family} {}",
                        self.hook
                    ));
                }
            }
            ChainType::Route => {
                if !matches!(family, Family::Ip | Family::Ip6 | Family::Inet)
                    || self.hook != Hook::Output
                {
                    return bad("a route chain needs hook output in ip, ip6 or inet".into());
                }
            }
            ChainType::Filter => {}
        }
        let needs_dev = matches!(self.hook, Hook::Ingress | Hook::Egress);
        if needs_dev && self.devices.is_empty() {
            return bad(format!("hook {} needs a device", self.hook));
        }
        if !needs_dev && !self.devices.is_empty() {
            return bad(format!("hook {} takes no device", self.hook));
        }
        for d in &self.devices {
            if d.is_empty() || d.len() > 15 || d.contains('\0') {
                return bad(format!("device name {d:?} must have 1 to 15 bytes"));
            }
        }
        Ok(())
    }
}

/// Base or regular chain.
///
/// The shape makes incomplete chains unrepresentable (NF-12, NF-19): a base chain cannot be
/// built without a hook, and a regular chain has no policy.
///
/// ```compile_fail
/// // A base chain needs a hook.
/// let b = linx::netfilter::BaseChain::new(linx::netfilter::ChainType::Filter, 0);
/// ```
///
/// ```compile_fail
/// // A regular chain has no policy.
/// let k = linx::netfilter::ChainKind::Regular { policy: linx::netfilter::Policy::Drop };
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ChainKind {
    /// A chain attached to a hook.
    Base(BaseChain),
    /// A chain only reachable by jump/goto.
    Regular,
}

/// A chain with its rules.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Chain {
    /// Name.
    pub name: String,
    /// Base or regular.
    pub kind: ChainKind,
    /// Rules in order.
    pub rules: Vec<Rule>,
    /// Userdata (comment, type 0).
    pub userdata: Userdata,
    /// Kernel handle (pulled).
    pub handle: Option<u64>,
}

impl Chain {
    /// A regular chain.
    ///
    /// # Errors
    /// Invalid names.
    pub fn regular(name: impl Into<String>) -> Result<Chain> {
        let name = name.into();
        check_name("chain name", &name)?;
        Ok(Chain {
            name,
            kind: ChainKind::Regular,
            rules: Vec::new(),
            userdata: Userdata::default(),
            handle: None,
        })
    }

    /// A base chain.
    ///
    /// # Errors
    /// Invalid names.
    pub fn base(name: impl Into<String>, base: BaseChain) -> Result<Chain> {
        let mut c = Chain::regular(name)?;
        c.kind = ChainKind::Base(base);
        Ok(c)
    }

    /// The base-chain attributes.
    pub fn base_chain(&self) -> Option<&BaseChain> {
        match &self.kind {
            ChainKind::Base(b) => Some(b),
            ChainKind::Regular => None,
        }
    }

    /// Appends a rule.
    pub fn push(&mut self, r: Rule) -> &mut Self {
        self.rules.push(r);
        self
    }

    /// The comment.
    pub fn comment(&self) -> Option<String> {
        self.userdata.comment()
    }
}

/// A rule: an expression list plus userdata (comment, tag).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Rule {
    /// Expressions.
    pub exprs: Vec<Expr>,
    /// Userdata: comment (type 0) and linx tag (type 16).
    pub userdata: Userdata,
    /// Kernel handle (pulled).
    pub handle: Option<u64>,
    /// x_tables compatibility info (`NFTA_RULE_COMPAT` payload), kept raw.
    pub compat: Option<Vec<u8>>,
}

impl Rule {
    /// A rule of `exprs`.
    pub fn new(exprs: Vec<Expr>) -> Rule {
        Rule {
            exprs,
            userdata: Userdata::default(),
            handle: None,
            compat: None,
        }
    }
    /// Sets the tag (identity for reconcile).
    ///
    /// # Errors
    /// Empty or over-long tags.
    pub fn tag(mut self, tag: &str) -> Result<Rule> {
        self.userdata.set_tag(Some(tag))?;
        Ok(self)
    }
    /// Sets the comment.
    ///
    /// # Errors
    /// Comments over 128 bytes.
    pub fn comment(mut self, c: &str) -> Result<Rule> {
        self.userdata.set_comment(Some(c))?;
        Ok(self)
    }
    /// The tag.
    pub fn get_tag(&self) -> Option<String> {
        self.userdata.tag()
    }
    /// The comment.
    pub fn get_comment(&self) -> Option<String> {
        self.userdata.comment()
    }
    /// True if any expression is [`Expr::Unknown`].
    pub fn has_unknown(&self) -> bool {
        self.exprs.iter().any(Expr::is_unknown)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.exprs.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "[ {e} ]")?;
        }
        if let Some(t) = self.get_tag() {
            write!(f, " [tag {t}]")?;
        }
        Ok(())
    }
}

/// How long a table lives (NF-11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum TableLifetime {
    /// No flags, like nft: lives until deleted.
    Persistent,
    /// `NFT_TABLE_F_OWNER` (≥ 5.13): the kernel deletes the table when the socket that created
    /// it closes; only that socket may change it.
    SocketOwned,
    /// `OWNER | PERSIST` (≥ 6.9): owned while the socket lives, kept (and released) when it
    /// closes.
    OwnedUntilReleased,
}

/// Table flags (`NFT_TABLE_F_*`).
pub mod table_flags {
    /// Dormant: hooks are not registered.
    pub const DORMANT: u32 = 0x1;
    /// Owned by the creating socket.
    pub const OWNER: u32 = 0x2;
    /// Survives the owner's socket.
    pub const PERSIST: u32 = 0x4;
}

/// A flowtable (fast path for established flows).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Flowtable {
    /// Name.
    pub name: String,
    /// Hook: always ingress.
    pub hook: Hook,
    /// Priority.
    pub priority: i32,
    /// Devices.
    pub devices: Vec<String>,
    /// Flags: hw_offload 0x1, counter 0x2.
    pub flags: u32,
    /// Kernel handle (pulled).
    pub handle: Option<u64>,
}

impl Flowtable {
    /// A flowtable on the ingress hook.
    pub fn new<S: Into<String>>(
        name: impl Into<String>,
        priority: i32,
        devices: impl IntoIterator<Item = S>,
    ) -> Flowtable {
        Flowtable {
            name: name.into(),
            hook: Hook::Ingress,
            priority,
            devices: devices.into_iter().map(Into::into).collect(),
            flags: 0,
            handle: None,
        }
    }
}

/// A table and everything in it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Table {
    /// Family.
    pub family: Family,
    /// Name.
    pub name: String,
    /// Lifetime (owner/persist flags).
    pub lifetime: TableLifetime,
    /// Dormant flag.
    pub dormant: bool,
    /// Flag bits linx does not model, kept.
    pub other_flags: u32,
    /// Userdata (comment, type 0).
    pub userdata: Userdata,
    /// Kernel handle (pulled).
    pub handle: Option<u64>,
    /// Port id of the owning socket (pulled, owner tables).
    pub owner: Option<u32>,
    /// Chains in order.
    pub chains: Vec<Chain>,
    /// Sets and maps (named and anonymous) in order.
    pub sets: Vec<Set>,
    /// Named objects.
    pub objects: Vec<Object>,
    /// Flowtables.
    pub flowtables: Vec<Flowtable>,
}

impl Table {
    /// A new empty table.
    ///
    /// # Errors
    /// Invalid names.
    pub fn new(family: Family, name: impl Into<String>, lifetime: TableLifetime) -> Result<Table> {
        let name = name.into();
        check_name("table name", &name)?;
        Ok(Table {
            family,
            name,
            lifetime,
            dormant: false,
            other_flags: 0,
            userdata: Userdata::default(),
            handle: None,
            owner: None,
            chains: Vec::new(),
            sets: Vec::new(),
            objects: Vec::new(),
            flowtables: Vec::new(),
        })
    }

    /// The `NFTA_TABLE_FLAGS` value.
    pub fn flags(&self) -> u32 {
        let mut f = self.other_flags;
        if self.dormant {
            f |= table_flags::DORMANT;
        }
        match self.lifetime {
            TableLifetime::Persistent => {}
            TableLifetime::SocketOwned => f |= table_flags::OWNER,
            TableLifetime::OwnedUntilReleased => f |= table_flags::OWNER | table_flags::PERSIST,
        }
        f
    }

    /// Sets lifetime and dormant flag from `NFTA_TABLE_FLAGS`.
    pub fn set_flags(&mut self, f: u32) {
        self.dormant = f & table_flags::DORMANT != 0;
        self.lifetime = match (f & table_flags::OWNER != 0, f & table_flags::PERSIST != 0) {
            (true, true) => TableLifetime::OwnedUntilReleased,
            (true, false) => TableLifetime::SocketOwned,
            _ => TableLifetime::Persistent,
        };
        let known = table_flags::DORMANT | table_flags::OWNER;
        self.other_flags = f
            & !known
            & if self.lifetime == TableLifetime::OwnedUntilReleased {
                !table_flags::PERSIST
            } else {
                !0
            };
    }

    /// Sets the comment.
    ///
    /// # Errors
    /// Comments over 128 bytes.
    pub fn set_comment(&mut self, c: Option<&str>) -> Result<()> {
        check_comment(c)?;
        self.userdata.set_comment(c)
    }

    /// The comment.
    pub fn comment(&self) -> Option<String> {
        self.userdata.comment()
    }

    fn dup(&self, what: &'static str, name: &str) -> Error {
        Error::input(
            Subsystem::Netfilter,
            what,
            format!("{} {} {name}", self.family, self.name),
            "already exists in the table",
        )
    }

    /// Adds a chain (after validating it for the table's family).
    ///
    /// # Errors
    /// Duplicate names, invalid base chains.
    pub fn add_chain(&mut self, c: Chain) -> Result<&mut Chain> {
        check_name("chain name", &c.name)?;
        if self.chain(&c.name).is_some() {
            return Err(self.dup("chain", &c.name));
        }
        if let ChainKind::Base(b) = &c.kind {
            b.validate(self.family, &c.name)?;
        }
        self.chains.push(c);
        let n = self.chains.len() - 1;
        Ok(&mut self.chains[n])
    }

    /// Adds a set or map (sets and maps share one namespace).
    ///
    /// # Errors
    /// Duplicate names.
    pub fn add_set(&mut self, s: Set) -> Result<&mut Set> {
        check_name("set name", &s.name)?;
        if self.set(&s.name).is_some() {
            return Err(self.dup("set", &s.name));
        }
        self.sets.push(s);
        let n = self.sets.len() - 1;
        Ok(&mut self.sets[n])
    }

    /// Adds an anonymous constant set the way nft creates one for a set literal in a rule
    /// (`tcp dport { 22, 80, 443 }`): the next free `__setN` name (`__mapN` for maps), flags
    /// anonymous + constant (+ interval when asked), size = number of elements. Returns the name
    /// to use in the rule's lookup.
    ///
    /// # Errors
    /// Element type errors.
    pub fn add_anonymous_set(&mut self, mut s: Set) -> Result<String> {
        let stem = if s.is_map() { "__map" } else { "__set" };
        let n = (0..)
            .find(|i| self.set(&format!("{stem}{i}")).is_none())
            .unwrap_or(0);
        s.name = format!("{stem}{n}");
        s.flags |= super::set::SetFlags::ANONYMOUS | super::set::SetFlags::CONSTANT;
        s.size = Some(u32::try_from(s.elements.len()).unwrap_or(u32::MAX));
        s.encode_elements(&s.elements, true)?;
        let name = s.name.clone();
        self.sets.push(s);
        Ok(name)
    }

    /// Adds a named object.
    ///
    /// # Errors
    /// Duplicate (type, name).
    pub fn add_object(&mut self, o: Object) -> Result<&mut Object> {
        check_name("object name", &o.name)?;
        if self
            .objects
            .iter()
            .any(|x| x.name == o.name && x.kind() == o.kind())
        {
            return Err(self.dup("object", &o.name));
        }
        self.objects.push(o);
        let n = self.objects.len() - 1;
        Ok(&mut self.objects[n])
    }

    /// Adds a flowtable.
    ///
    /// # Errors
    /// Duplicate names; a hook other than ingress.
    pub fn add_flowtable(&mut self, f: Flowtable) -> Result<&mut Flowtable> {
        check_name("flowtable name", &f.name)?;
        if f.hook != Hook::Ingress {
            return Err(Error::input(
                Subsystem::Netfilter,
                "flowtable hook",
                f.hook.name(),
                "flowtables only attach to ingress",
            ));
        }
        if self.flowtables.iter().any(|x| x.name == f.name) {
            return Err(self.dup("flowtable", &f.name));
        }
        self.flowtables.push(f);
        let n = self.flowtables.len() - 1;
        Ok(&mut self.flowtables[n])
    }

    /// A chain by name.
    pub fn chain(&self, name: &str) -> Option<&Chain> {
        self.chains.iter().find(|c| c.name == name)
    }
    /// A chain by name, mutably.
    pub fn chain_mut(&mut self, name: &str) -> Option<&mut Chain> {
        self.chains.iter_mut().find(|c| c.name == name)
    }
    /// A set or map by name.
    pub fn set(&self, name: &str) -> Option<&Set> {
        self.sets.iter().find(|s| s.name == name)
    }
    /// A set or map by name, mutably.
    pub fn set_mut(&mut self, name: &str) -> Option<&mut Set> {
        self.sets.iter_mut().find(|s| s.name == name)
    }

    /// Number of rules in all chains.
    pub fn rule_count(&self) -> usize {
        self.chains.iter().map(|c| c.rules.len()).sum()
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "table {} {}: {} chains, {} sets",
            self.family,
            self.name,
            self.chains.len(),
            self.sets.len()
        )
    }
}

/// A whole ruleset: tables keyed by (family, name).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Ruleset {
    /// Tables in order.
    pub tables: Vec<Table>,
}

impl Ruleset {
    /// An empty ruleset.
    pub fn new() -> Ruleset {
        Ruleset::default()
    }

    /// Adds a table; `(family, name)` must be new.
    ///
    /// # Errors
    /// Duplicate tables.
    pub fn add_table(&mut self, t: Table) -> Result<&mut Table> {
        if self.table(t.family, &t.name).is_some() {
            return Err(Error::input(
                Subsystem::Netfilter,
                "table",
                format!("{} {}", t.family, t.name),
                "already exists in the ruleset",
            ));
        }
        self.tables.push(t);
        let n = self.tables.len() - 1;
        Ok(&mut self.tables[n])
    }

    /// Removes a table, returning it.
    pub fn remove_table(&mut self, family: Family, name: &str) -> Option<Table> {
        let i = self
            .tables
            .iter()
            .position(|t| t.family == family && t.name == name)?;
        Some(self.tables.remove(i))
    }

    /// A table by family and name.
    pub fn table(&self, family: Family, name: &str) -> Option<&Table> {
        self.tables
            .iter()
            .find(|t| t.family == family && t.name == name)
    }

    /// A table by family and name, mutably.
    pub fn table_mut(&mut self, family: Family, name: &str) -> Option<&mut Table> {
        self.tables
            .iter_mut()
            .find(|t| t.family == family && t.name == name)
    }

    /// A table by bare name.
    ///
    /// # Errors
    /// Input error when tables of several families carry the name.
    pub fn table_by_name(&self, name: &str) -> Result<Option<&Table>> {
        let mut it = self.tables.iter().filter(|t| t.name == name);
        let first = it.next();
        if it.next().is_some() {
            return Err(Error::input(
                Subsystem::Netfilter,
                "table name",
                name,
                "ambiguous: tables of several families have this name",
            ));
        }
        Ok(first)
    }

    /// Total chains.
    pub fn chain_count(&self) -> usize {
        self.tables.iter().map(|t| t.chains.len()).sum()
    }

    /// Total rules.
    pub fn rule_count(&self) -> usize {
        self.tables.iter().map(Table::rule_count).sum()
    }

    /// Every rule holding an [`Expr::Unknown`], as `family/table/chain/index`.
    pub fn unknown_rules(&self) -> Vec<String> {
        let mut out = Vec::new();
        for t in &self.tables {
            for c in &t.chains {
                for (i, r) in c.rules.iter().enumerate() {
                    if r.has_unknown() {
                        out.push(format!("{}/{}/{}/{}", t.family, t.name, c.name, i));
                    }
                }
            }
            for s in &t.sets {
                for e in s
                    .exprs
                    .iter()
                    .chain(s.elements.iter().flat_map(|e| &e.exprs))
                {
                    if e.is_unknown() {
                        out.push(format!("{}/{}/set {}", t.family, t.name, s.name));
                    }
                }
            }
        }
        out
    }
}

impl fmt::Display for Ruleset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ruleset: {} tables / {} chains / {} rules",
            self.tables.len(),
            self.chain_count(),
            self.rule_count()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nf_12_chain_validation() {
        let ok = BaseChain::new(ChainType::Nat, Hook::Prerouting, -100);
        assert!(ok.validate(Family::Inet, "pre").is_ok());
        let bad = BaseChain::new(ChainType::Nat, Hook::Forward, 0);
        assert!(bad.validate(Family::Ip, "fwd").unwrap_err().is_input());
        let bad = BaseChain::new(ChainType::Filter, Hook::Ingress, 0);
        assert!(bad.validate(Family::Netdev, "in").unwrap_err().is_input());
        let ok = BaseChain::new(ChainType::Filter, Hook::Ingress, 0).devices(["lo"]);
        assert!(ok.validate(Family::Netdev, "in").is_ok());
        let bad = BaseChain::new(ChainType::Filter, Hook::Input, 0).devices(["lo"]);
        assert!(bad.validate(Family::Ip, "in").is_err());
        let bad = BaseChain::new(ChainType::Filter, Hook::Prerouting, 0);
        assert!(bad.validate(Family::Arp, "x").is_err());
        let bad = BaseChain::new(ChainType::Route, Hook::Input, 0);
        assert!(bad.validate(Family::Ip, "x").is_err());
        assert_eq!(Hook::Ingress.number(Family::Inet), Some(5));
        assert_eq!(Hook::from_number(Family::Arp, 1), Some(Hook::Output));
    }

    #[test]
    fn nf_10_ruleset_keys_and_display() {
        let mut rs = Ruleset::new();
        rs.add_table(Table::new(Family::Ip, "fw", TableLifetime::Persistent).unwrap())
            .unwrap();
        rs.add_table(Table::new(Family::Ip6, "fw", TableLifetime::Persistent).unwrap())
            .unwrap();
        assert!(
            rs.add_table(Table::new(Family::Ip, "fw", TableLifetime::Persistent).unwrap())
                .is_err()
        );
        assert!(rs.table_by_name("fw").is_err());
        assert_eq!(rs.to_string(), "ruleset: 2 tables / 0 chains / 0 rules");
        assert!(Table::new(Family::Ip, "", TableLifetime::Persistent).is_err());
        assert!(Table::new(Family::Ip, "x".repeat(256), TableLifetime::Persistent).is_err());
    }

    #[test]
    fn nf_11_lifetime_flags() {
        let mut t = Table::new(Family::Inet, "t", TableLifetime::SocketOwned).unwrap();
        assert_eq!(t.flags(), 2);
        t.set_flags(0x7);
        assert_eq!(t.lifetime, TableLifetime::OwnedUntilReleased);
        assert!(t.dormant);
        assert_eq!(t.flags(), 7);
        t.set_flags(0);
        assert_eq!(t.lifetime, TableLifetime::Persistent);
    }
}

//! Seccomp profiles as data (feature `serde`, spec SEC-20): OCI / Docker JSON profiles
//! (`linux.seccomp` of the OCI runtime spec, and Docker's `default.json` format with `archMap`,
//! `includes`/`excludes`) and linx's own [`Profile`].
//!
//! Parse with any serde format (`serde_json::from_str::<ProfileDocument>(…)`), then build a
//! [`Filter`] with [`ProfileDocument::build`].
//!
//! ```
//! use linx::seccomp::profile::{ImportOptions, OciProfile};
//! use linx::seccomp::{Action, Arch, SeccompData};
//! let oci = OciProfile {
//!     default_action: "SCMP_ACT_ERRNO".into(),
//!     syscalls: vec![linx::seccomp::profile::OciSyscall {
//!         names: vec!["read".into(), "write".into()],
//!         action: "SCMP_ACT_ALLOW".into(),
//!         ..Default::default()
//!     }],
//!     ..Default::default()
//! };
//! let (filter, warnings) = oci.build(&ImportOptions::new(Arch::X86_64))?;
//! assert!(warnings.is_empty());
//! assert_eq!(filter.evaluate(&SeccompData::new(Arch::X86_64, 0, [0; 6])), Action::Allow);
//! assert_eq!(filter.evaluate(&SeccompData::new(Arch::X86_64, 2, [0; 6])), Action::Errno(1));
//! # Ok::<(), linx::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use super::rules::{Action, Cmp, Condition, Filter, FilterBuilder, Syscall, Width};
use super::syscalls::Arch;
use crate::error::{Error, Result, Subsystem};

/// An OCI `linux.seccomp` object, or a Docker seccomp profile (`default.json` format).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OciProfile {
    /// `SCMP_ACT_*` for calls no rule matches.
    pub default_action: String,
    /// Errno for an `SCMP_ACT_ERRNO` default (EPERM when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_errno_ret: Option<u32>,
    /// `SCMP_ARCH_*` the profile is for (OCI).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub architectures: Vec<String>,
    /// Architectures with their sub-architectures (Docker).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arch_map: Vec<OciArchMap>,
    /// `SECCOMP_FILTER_FLAG_*` names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// Unix socket of an OCI seccomp agent (not used by linx; kept for round trips).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listener_path: Option<String>,
    /// Opaque data for the agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listener_metadata: Option<String>,
    /// The rules.
    #[serde(default)]
    pub syscalls: Vec<OciSyscall>,
}

/// Docker's `archMap` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OciArchMap {
    /// `SCMP_ARCH_*`.
    pub architecture: String,
    /// Further `SCMP_ARCH_*` covered by the same rules.
    #[serde(default)]
    pub sub_architectures: Vec<String>,
}

/// One rule group of a profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OciSyscall {
    /// Syscall names.
    #[serde(default)]
    pub names: Vec<String>,
    /// A single name (old Docker profiles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `SCMP_ACT_*`.
    pub action: String,
    /// Errno for `SCMP_ACT_ERRNO` (EPERM when absent), message for `SCMP_ACT_TRACE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errno_ret: Option<u32>,
    /// Argument comparisons.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<OciArg>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Docker: apply only when these hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub includes: Option<OciFilter>,
    /// Docker: skip when these hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excludes: Option<OciFilter>,
}

/// One argument comparison (`SCMP_CMP_*`; for `SCMP_CMP_MASKED_EQ`, `value` is the mask and
/// `valueTwo` the expected value, as in libseccomp).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OciArg {
    /// Argument index.
    pub index: u32,
    /// Operand.
    pub value: u64,
    /// Second operand (masked equality).
    #[serde(default)]
    pub value_two: u64,
    /// `SCMP_CMP_NE`, `_LT`, `_LE`, `_EQ`, `_GE`, `_GT`, `_MASKED_EQ`.
    pub op: String,
}

/// Docker's conditions on a rule group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OciFilter {
    /// Architectures (Go names such as `amd64`, `arm64`, or `x86_64`, `aarch64`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arches: Vec<String>,
    /// Capabilities (`CAP_SYS_ADMIN` …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caps: Vec<String>,
    /// Minimum kernel version, `"4.8"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_kernel: Option<String>,
}

/// What to do with syscall names the architecture's table does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnknownNames {
    /// Skip the name with a warning (what runc does for names its tables lack).
    #[default]
    Skip,
    /// Fail with an input error naming it.
    Error,
}

/// How a profile is turned into a [`Filter`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportOptions {
    /// Target architecture.
    pub arch: Arch,
    /// Capabilities the workload holds, for Docker's `includes.caps` / `excludes.caps`.
    pub caps: Vec<String>,
    /// Kernel version for `includes.minKernel` (`None`: every group applies).
    pub kernel: Option<(u32, u32)>,
    /// Unknown syscall names.
    pub unknown_names: UnknownNames,
}

impl ImportOptions {
    /// Options for `arch`: no capabilities, no kernel version, unknown names skipped.
    pub fn new(arch: Arch) -> ImportOptions {
        ImportOptions {
            arch,
            caps: Vec::new(),
            kernel: None,
            unknown_names: UnknownNames::Skip,
        }
    }
}

fn scmp_action(s: &str, errno_ret: Option<u32>) -> Result<Action> {
    let data = |default: u16| -> Result<u16> {
        match errno_ret {
            None => Ok(default),
            Some(n) => u16::try_from(n).map_err(|_| {
                Error::input(Subsystem::Seccomp, "errnoRet", n.to_string(), "above 65535")
            }),
        }
    };
    let a = match s {
        "SCMP_ACT_ALLOW" => Action::Allow,
        "SCMP_ACT_LOG" => Action::Log,
        "SCMP_ACT_KILL" | "SCMP_ACT_KILL_THREAD" => Action::KillThread,
        "SCMP_ACT_KILL_PROCESS" => Action::KillProcess,
        "SCMP_ACT_TRAP" => Action::Trap(0),
        "SCMP_ACT_ERRNO" => Action::Errno(data(1)?),
        "SCMP_ACT_TRACE" => Action::Trace(data(0)?),
        "SCMP_ACT_NOTIFY" => Action::UserNotif,
        other => {
            return Err(Error::input(
                Subsystem::Seccomp,
                "profile action",
                other,
                "expected SCMP_ACT_ALLOW, _LOG, _ERRNO, _TRAP, _TRACE, _KILL, _KILL_THREAD, _KILL_PROCESS or _NOTIFY",
            ));
        }
    };
    a.validate()?;
    Ok(a)
}

/// `(SCMP_ACT_*, errnoRet)` of an action.
fn scmp_name(a: Action) -> (&'static str, Option<u32>) {
    match a {
        Action::Allow => ("SCMP_ACT_ALLOW", None),
        Action::Log => ("SCMP_ACT_LOG", None),
        Action::KillThread => ("SCMP_ACT_KILL_THREAD", None),
        Action::KillProcess => ("SCMP_ACT_KILL_PROCESS", None),
        Action::Trap(_) => ("SCMP_ACT_TRAP", None),
        Action::Errno(n) => ("SCMP_ACT_ERRNO", Some(u32::from(n))),
        Action::Trace(n) => ("SCMP_ACT_TRACE", Some(u32::from(n))),
        Action::UserNotif => ("SCMP_ACT_NOTIFY", None),
    }
}

fn scmp_cmp(arg: &OciArg) -> Result<Condition> {
    let index = u8::try_from(arg.index).unwrap_or(u8::MAX);
    let v = arg.value;
    let cmp = match arg.op.as_str() {
        "SCMP_CMP_EQ" => Cmp::Eq(v),
        "SCMP_CMP_NE" => Cmp::Ne(v),
        "SCMP_CMP_LT" => Cmp::Lt(v),
        "SCMP_CMP_LE" => Cmp::Le(v),
        "SCMP_CMP_GT" => Cmp::Gt(v),
        "SCMP_CMP_GE" => Cmp::Ge(v),
        "SCMP_CMP_MASKED_EQ" => Cmp::MaskedEq {
            mask: v,
            value: arg.value_two,
        },
        other => {
            return Err(Error::input(
                Subsystem::Seccomp,
                "profile comparison",
                other,
                "expected SCMP_CMP_EQ, _NE, _LT, _LE, _GT, _GE or _MASKED_EQ",
            ));
        }
    };
    let c = Condition::new(index, cmp);
    c.validate()?;
    Ok(c)
}

fn arch_matches(arch: Arch, names: &[String]) -> bool {
    names.iter().any(|n| {
        let n = n.as_str();
        match arch {
            Arch::X86_64 => matches!(n, "amd64" | "x86_64" | "SCMP_ARCH_X86_64"),
            Arch::Aarch64 => matches!(n, "arm64" | "aarch64" | "SCMP_ARCH_AARCH64"),
        }
    })
}

fn kernel_at_least(have: (u32, u32), want: &str) -> bool {
    let mut it = want.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let w = (it.next().unwrap_or(0), it.next().unwrap_or(0));
    have >= w
}

impl OciProfile {
    /// Whether a Docker rule group applies under `opts`.
    fn applies(&self, s: &OciSyscall, opts: &ImportOptions) -> bool {
        let has_cap = |caps: &[String]| caps.iter().any(|c| opts.caps.iter().any(|o| o == c));
        if let Some(inc) = &s.includes {
            if !inc.arches.is_empty() && !arch_matches(opts.arch, &inc.arches) {
                return false;
            }
            if !inc.caps.is_empty() && !inc.caps.iter().all(|c| opts.caps.contains(c)) {
                return false;
            }
            if let (Some(want), Some(have)) = (&inc.min_kernel, opts.kernel) {
                if !kernel_at_least(have, want) {
                    return false;
                }
            }
        }
        if let Some(exc) = &s.excludes {
            if arch_matches(opts.arch, &exc.arches) || has_cap(&exc.caps) {
                return false;
            }
            if let (Some(want), Some(have)) = (&exc.min_kernel, opts.kernel) {
                if kernel_at_least(have, want) {
                    return false;
                }
            }
        }
        true
    }

    /// Builds a filter for `opts.arch`; returns it with the warnings (skipped names, an
    /// architecture the profile does not list, and the filter's own [`Filter::warnings`], such
    /// as a comparison on an argument the syscall does not take).
    ///
    /// Semantics follow runc: a group with several comparisons on *different* arguments is one
    /// rule (all must hold); when one argument is compared more than once, each comparison
    /// becomes its own rule (any may hold).
    ///
    /// # Errors
    /// Input errors for unknown actions, comparisons, argument indexes, and (with
    /// [`UnknownNames::Error`]) unknown names.
    pub fn build(&self, opts: &ImportOptions) -> Result<(Filter, Vec<String>)> {
        let mut warnings = Vec::new();
        let listed: Vec<String> = self
            .architectures
            .iter()
            .cloned()
            .chain(self.arch_map.iter().flat_map(|m| {
                std::iter::once(m.architecture.clone()).chain(m.sub_architectures.iter().cloned())
            }))
            .collect();
        if !listed.is_empty() && !arch_matches(opts.arch, &listed) {
            warnings.push(format!(
                "the profile does not list {}; its rules are applied anyway",
                opts.arch.scmp_name()
            ));
        }
        let default = scmp_action(&self.default_action, self.default_errno_ret)?;
        let mut b = FilterBuilder::new(opts.arch).default_action(default);
        let mut seen: Vec<(u32, Vec<Condition>)> = Vec::new();
        for s in self.syscalls.iter().filter(|s| self.applies(s, opts)) {
            let action = scmp_action(&s.action, s.errno_ret)?;
            let conds = s.args.iter().map(scmp_cmp).collect::<Result<Vec<_>>>()?;
            let repeated = conds
                .iter()
                .enumerate()
                .any(|(i, c)| conds[..i].iter().any(|d| d.arg == c.arg));
            let rule_sets: Vec<Vec<Condition>> = if repeated {
                conds.iter().map(|c| vec![*c]).collect()
            } else {
                vec![conds]
            };
            for name in s.names.iter().chain(s.name.iter()) {
                let nr = match opts.arch.resolve(name) {
                    Ok(nr) => nr,
                    Err(e) if opts.unknown_names == UnknownNames::Skip => {
                        warnings.push(format!("skipped: {e}"));
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                for conds in &rule_sets {
                    // A name listed twice with the same conditions: the first rule wins.
                    if seen.iter().any(|(n, c)| *n == nr && c == conds) {
                        warnings.push(format!("{name}: repeated rule ignored"));
                        continue;
                    }
                    seen.push((nr, conds.clone()));
                    b = b.rule(Syscall::Number(nr), action, conds.clone());
                }
            }
        }
        // Profiles say what they allow: no implicit execve.
        let filter = b.allow_exec(true).build()?;
        // The builder's own warnings (a condition on an argument the syscall does not take).
        warnings.extend(filter.warnings().iter().cloned());
        Ok((filter, warnings))
    }

    /// Exports a filter's rules as an OCI profile (one group per rule).
    ///
    /// # Errors
    /// An input error for what OCI cannot express: a raw program, a syscall without a name,
    /// 32-bit-wide comparisons, a rule comparing one argument twice (runc would split it), a
    /// bad-arch action other than `KillProcess`, or an unknown-syscall action.
    pub fn from_filter(filter: &Filter) -> Result<OciProfile> {
        let no = |what: &str, why: &'static str| {
            Error::input(Subsystem::Seccomp, "export to OCI", what.to_owned(), why)
        };
        let rules = filter
            .rules()
            .ok_or_else(|| no("raw program", "a filter loaded from bytes has no rules"))?;
        if filter.bad_arch_action() != Action::KillProcess {
            return Err(no(
                &filter.bad_arch_action().to_string(),
                "OCI profiles cannot set the bad-architecture action",
            ));
        }
        if filter.unknown_syscall_action().is_some() {
            return Err(no(
                "unknown-syscall action",
                "OCI profiles cannot express it",
            ));
        }
        let (default_action, default_errno_ret) = scmp_name(filter.default_action());
        let mut syscalls = Vec::new();
        for r in rules {
            let name = filter
                .arch()
                .syscall_name(r.syscall)
                .ok_or_else(|| no(&r.syscall.to_string(), "the syscall number has no name"))?;
            let mut args = Vec::new();
            for (i, c) in r.conditions.iter().enumerate() {
                if c.width == Width::U32 {
                    return Err(no(name, "OCI comparisons are 64-bit"));
                }
                if r.conditions[..i].iter().any(|d| d.arg == c.arg) {
                    return Err(no(name, "one argument compared twice in a rule"));
                }
                let (op, value, value_two) = match c.cmp {
                    Cmp::Eq(v) => ("SCMP_CMP_EQ", v, 0),
                    Cmp::Ne(v) => ("SCMP_CMP_NE", v, 0),
                    Cmp::Lt(v) => ("SCMP_CMP_LT", v, 0),
                    Cmp::Le(v) => ("SCMP_CMP_LE", v, 0),
                    Cmp::Gt(v) => ("SCMP_CMP_GT", v, 0),
                    Cmp::Ge(v) => ("SCMP_CMP_GE", v, 0),
                    Cmp::MaskedEq { mask, value } => ("SCMP_CMP_MASKED_EQ", mask, value),
                };
                args.push(OciArg {
                    index: u32::from(c.arg),
                    value,
                    value_two,
                    op: op.to_owned(),
                });
            }
            let (action, errno_ret) = scmp_name(r.action);
            syscalls.push(OciSyscall {
                names: vec![name.to_owned()],
                action: action.to_owned(),
                errno_ret,
                args,
                ..OciSyscall::default()
            });
        }
        Ok(OciProfile {
            default_action: default_action.to_owned(),
            default_errno_ret,
            architectures: vec![filter.arch().scmp_name().to_owned()],
            syscalls,
            ..OciProfile::default()
        })
    }
}

/// linx's own profile format: the rule model as data.
///
/// ```json
/// {"arch": "x86_64", "default_action": "kill_process",
///  "rules": [{"syscall": "personality", "action": "allow",
///             "conditions": [{"arg": 0, "cmp": {"eq": 0}}]}]}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Target architecture (`None`: the build's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<Arch>,
    /// Default action.
    pub default_action: Action,
    /// Bad-architecture action (default `kill_process`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bad_arch_action: Option<Action>,
    /// Action for numbers above the table (SEC-13).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown_syscalls: Option<Action>,
    /// Whether allow-lists get `execve`/`execveat` (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_exec: Option<bool>,
    /// Rules in order.
    #[serde(default)]
    pub rules: Vec<ProfileRule>,
}

/// One rule of a [`Profile`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileRule {
    /// Name (or decimal number).
    pub syscall: String,
    /// Verdict.
    pub action: Action,
    /// Conditions, all of which must hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}

impl Profile {
    /// Builds the filter; `arch` overrides the profile's (the build's architecture when
    /// neither is given).
    ///
    /// # Errors
    /// As [`FilterBuilder::build`].
    pub fn build(&self, arch: Option<Arch>) -> Result<Filter> {
        let arch = match arch.or(self.arch) {
            Some(a) => a,
            None => Arch::native()?,
        };
        let mut b = FilterBuilder::new(arch)
            .default_action(self.default_action)
            .bad_arch_action(self.bad_arch_action.unwrap_or(Action::KillProcess))
            .allow_exec(self.allow_exec.unwrap_or(true));
        if let Some(a) = self.unknown_syscalls {
            b = b.unknown_syscalls(a);
        }
        for r in &self.rules {
            b = b.rule(r.syscall.clone(), r.action, r.conditions.clone());
        }
        b.build()
    }

    /// A filter's rules as a profile; `None` for a raw program.
    pub fn from_filter(filter: &Filter) -> Option<Profile> {
        filter.rules()?;
        Some(Profile {
            arch: Some(filter.arch()),
            default_action: filter.default_action(),
            bad_arch_action: Some(filter.bad_arch_action()),
            unknown_syscalls: filter.unknown_syscall_action(),
            allow_exec: None,
            rules: filter
                .to_rules()
                .into_iter()
                .map(|(action, s, conditions)| ProfileRule {
                    syscall: s.to_string(),
                    action,
                    conditions,
                })
                .collect(),
        })
    }
}

/// Either profile format: OCI/Docker (recognised by `defaultAction`) or linx's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ProfileDocument {
    /// OCI `linux.seccomp` / Docker profile.
    Oci(OciProfile),
    /// linx profile.
    Linx(Profile),
}

impl ProfileDocument {
    /// Builds the filter for `arch` (default: the linx profile's, else the build's) with
    /// warnings.
    ///
    /// # Errors
    /// As [`OciProfile::build`] and [`Profile::build`].
    pub fn build(&self, arch: Option<Arch>) -> Result<(Filter, Vec<String>)> {
        match self {
            ProfileDocument::Oci(p) => {
                let arch = match arch {
                    Some(a) => a,
                    None => Arch::native()?,
                };
                p.build(&ImportOptions::new(arch))
            }
            ProfileDocument::Linx(p) => {
                let f = p.build(arch)?;
                let w = f.warnings().to_vec();
                Ok((f, w))
            }
        }
    }
}

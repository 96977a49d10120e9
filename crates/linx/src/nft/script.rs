//! [`Script`]: an nft program built by the [`nft!`](crate::nft!) and
//! [`nft_file!`](crate::nft_file!) macros (NFT-23..25).

use std::fmt;

use linx_nft_syntax::ast;
use linx_nft_syntax::walk::{VisitMut, WalkMut};
use linx_nft_syntax::{Diagnostics, SourceMap, Span};

use super::interp::Bound;
use super::{
    ApplyError, CompileEnv, CompileError, NetlinkIfResolver, Program, Source, apply, check, compile,
};
use crate::error::{Error, Subsystem};
use crate::ns::NsTarget;

/// An nft program checked at compile time by [`nft!`](crate::nft!) or
/// [`nft_file!`](crate::nft_file!): the expanded syntax tree (built by generated code, no text
/// is parsed at run time), the source texts for diagnostics, and the interpolated values.
///
/// What is left for load time: the interpolated values the Rust type cannot vouch for (an
/// interface name's length), `iif`/`oif` names (resolved to indexes in the *target* namespace,
/// NFT-17) and `jump $chain` targets.
///
/// ```
/// use linx::nft::{CompileEnv, StaticIfResolver};
/// let port: u16 = 2222;
/// let script = linx::nft!(port = port; {
///     table inet filter {
///         chain input {
///             type filter hook input priority 0; policy accept;
///             tcp dport $port counter accept
///         }
///     }
/// });
/// let program = script.compile(&CompileEnv::new(&StaticIfResolver::default()))?;
/// assert_eq!(program.len(), 3); // table, chain, rule
/// # Ok::<(), linx::nft::ScriptError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Script {
    sources: SourceMap,
    script: ast::Script,
    bindings: Vec<Bound>,
}

/// A source file of a macro-built script: name, text and the `include` that read it.
pub type MacroFile = (&'static str, &'static str, Option<Span>);

impl Script {
    /// Assembles a script from the parts the macros generate. Not for direct use: the tree must
    /// come from the same texts (spans index into them).
    ///
    /// ```
    /// use linx::nft::{Script, syntax::ast};
    /// let s = Script::from_parts(&[("x.nft", "", None)], ast::Script::default(), Vec::new());
    /// assert_eq!(s.sources().len(), 1);
    /// ```
    pub fn from_parts(files: &[MacroFile], script: ast::Script, bindings: Vec<Bound>) -> Script {
        let mut sources = SourceMap::new();
        for (name, text, from) in files {
            sources.add(*name, *text, *from);
        }
        Script {
            sources,
            script,
            bindings,
        }
    }

    /// The source texts (for rendering diagnostics).
    ///
    /// ```
    /// let s = linx::nft!(r"add table inet t");
    /// assert_eq!(s.sources().text(linx::nft::syntax::FileId(0)), "add table inet t");
    /// ```
    pub fn sources(&self) -> &SourceMap {
        &self.sources
    }

    /// The syntax tree as the macro built it: interpolations are `$name` variables without a
    /// value.
    ///
    /// ```
    /// let s = linx::nft!(r"add table inet t");
    /// assert_eq!(s.syntax().items.len(), 1);
    /// ```
    pub fn syntax(&self) -> &ast::Script {
        &self.script
    }

    /// The interpolated values, in the order the macro lists them.
    ///
    /// ```
    /// let s = linx::nft!(p = 22u16; r"table inet t { chain c { tcp dport $p accept; }; }");
    /// assert_eq!(s.bindings()[0].name(), "p");
    /// ```
    pub fn bindings(&self) -> &[Bound] {
        &self.bindings
    }

    /// The loaded source with every interpolation replaced by its value.
    ///
    /// ```
    /// let wan = "a-name-longer-than-15";
    /// let s = linx::nft!(wan = wan; { table inet t { chain c { iifname $wan accept; }; } });
    /// let e = s.source().unwrap_err();
    /// assert!(e.to_string().contains("$wan"));
    /// ```
    ///
    /// # Errors
    /// An input error naming the variable when an interpolated value is unusable.
    pub fn source(&self) -> Result<Source, Error> {
        let mut script = self.script.clone();
        let mut sub = Substitute {
            bindings: &self.bindings,
            error: None,
        };
        script.walk_mut(&mut sub);
        if let Some(e) = sub.error {
            return Err(e);
        }
        Ok(Source {
            sources: self.sources.clone(),
            script,
            warnings: Diagnostics::new(),
        })
    }

    /// Compiles the script into one batch against `env` (whose interface resolver must describe
    /// the namespace the batch is meant for).
    ///
    /// # Errors
    /// [`ScriptError::Input`] for an unusable interpolated value; [`ScriptError::Compile`] for
    /// what only load time can check: unknown `iif`/`oif` names, `jump` to a chain that does
    /// not exist, values out of range for their position.
    pub fn compile(&self, env: &CompileEnv<'_>) -> Result<Program, ScriptError> {
        let src = self.source().map_err(ScriptError::Input)?;
        compile(&src, env).map_err(ScriptError::Compile)
    }

    /// Compiles the script for `target`: `iif`/`oif` names are resolved to interface indexes of
    /// the target's network namespace.
    ///
    /// ```no_run
    /// use linx::ns::NsTarget;
    /// let s = linx::nft!{ table inet t { chain c { iif "lo" accept; }; } };
    /// let program = s.program(&NsTarget::Current)?;
    /// # Ok::<(), linx::nft::ScriptError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Script::compile`], plus [`ScriptError::Io`] when the interfaces of the namespace
    /// cannot be read (`RTM_GETLINK`).
    pub fn program(&self, target: &NsTarget) -> Result<Program, ScriptError> {
        let resolver = NetlinkIfResolver::new(target).map_err(ScriptError::Io)?;
        self.compile(&CompileEnv::new(&resolver))
    }

    /// Compiles the script for `target` and commits it as one atomic batch there
    /// (`nft -f`, see [`apply`](super::apply)).
    ///
    /// ```no_run
    /// use linx::ns::NsTarget;
    /// linx::nft!{ table inet t { chain c { tcp dport 22 accept; }; } }.apply(&NsTarget::Current)?;
    /// # Ok::<(), linx::nft::ScriptError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Script::program`], plus [`ScriptError::Apply`] when the kernel refuses the batch
    /// (nothing is changed then).
    pub fn apply(&self, target: &NsTarget) -> Result<(), ScriptError> {
        let p = self.program(target)?;
        apply(&p, target).map_err(ScriptError::Apply)
    }

    /// Compiles the script for `target` and lets the kernel validate it without committing
    /// (`nft -c -f`, see [`check`](super::check)).
    ///
    /// # Errors
    /// As [`Script::apply`].
    pub fn check(&self, target: &NsTarget) -> Result<(), ScriptError> {
        let p = self.program(target)?;
        check(&p, target).map_err(ScriptError::Apply)
    }
}

struct Substitute<'a> {
    bindings: &'a [Bound],
    error: Option<Error>,
}

impl VisitMut for Substitute<'_> {
    fn var(&mut self, v: &mut ast::Var) {
        if v.value.is_some() || self.error.is_some() {
            return;
        }
        let Some(b) = self.bindings.iter().find(|b| b.name() == v.name) else {
            return;
        };
        match b.value() {
            Ok(kind) => {
                let mut e = ast::Expr::new(kind.clone());
                let mut spans = SetSpan(v.span);
                e.walk_mut(&mut spans);
                v.value = Some(Box::new(e));
            }
            Err(invalid) => {
                self.error = Some(Error::input(
                    Subsystem::Netfilter,
                    format!("${}", v.name),
                    invalid.value.clone(),
                    invalid.reason.clone(),
                ));
            }
        }
    }
}

/// Gives every node of an interpolated value the span of the `$name` it replaces, so that
/// diagnostics point there.
struct SetSpan(Span);

impl VisitMut for SetSpan {
    fn span(&mut self, s: &mut Span) {
        *s = self.0;
    }
}

/// A failure of loading a [`Script`].
///
/// ```
/// use linx::nft::{CompileEnv, ScriptError, StaticIfResolver};
/// let s = linx::nft!{ table inet t { chain c { iif "eth9" accept; }; } };
/// let r = StaticIfResolver::default();
/// assert!(matches!(s.compile(&CompileEnv::new(&r)), Err(ScriptError::Compile(_))));
/// ```
#[derive(Debug)]
pub enum ScriptError {
    /// An interpolated value is unusable (e.g. an interface name over 15 bytes); the argument
    /// names the variable.
    Input(Error),
    /// Reading the target namespace's interfaces failed.
    Io(Error),
    /// Compilation failed on what only load time can check (unknown `iif` name, …).
    Compile(CompileError),
    /// The kernel refused the batch.
    Apply(ApplyError),
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScriptError::Input(e) | ScriptError::Io(e) => write!(f, "{e}"),
            ScriptError::Compile(e) => write!(f, "{e}"),
            ScriptError::Apply(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ScriptError {}

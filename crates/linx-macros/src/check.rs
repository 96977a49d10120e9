//! Evaluation at compile time: linx's nft compiler (the same sources, built for the host as
//! `linx-host`) runs on the expanded tree, with placeholder values for the interpolations and
//! an interface resolver that accepts every name, so that no host state is consulted for
//! `iif`/`oif` (they are resolved at load, in the target namespace).

use linx_host::nft::{CompileEnv, IfResolver, Source, compile};
use linx_nft_syntax::ast::{Expr, ExprKind, Num, Script, Var};
use linx_nft_syntax::walk::{VisitMut, WalkMut};
use linx_nft_syntax::{Diagnostic, Diagnostics, SourceMap, Span};

use crate::kinds::{Kind, Use};

/// Resolves every interface name to index 1: `iif`/`oif` stay symbolic until load.
struct AnyInterface;

impl IfResolver for AnyInterface {
    fn ifindex(&self, _name: &str) -> Option<u32> {
        Some(1)
    }
}

fn placeholder(kind: Kind, i: usize) -> ExprKind {
    let n = i as u32 + 1;
    match kind {
        Kind::InetService => ExprKind::Number(Num::new((1024 + (n % 60000)).to_string())),
        Kind::Mark => ExprKind::Number(Num::new(n.to_string())),
        Kind::Ipv4 => ExprKind::Symbol(format!(
            "10.{}.{}.{}",
            (n >> 16) & 0xff,
            (n >> 8) & 0xff,
            n & 0xff
        )),
        Kind::Ipv6 => ExprKind::Symbol(format!("fd00::{n:x}")),
        Kind::IfName | Kind::IfIndex => ExprKind::Quoted(format!("linx{n}")),
        Kind::Chain => ExprKind::Quoted(format!("linx-placeholder-{n}")),
        Kind::Duration => ExprKind::Symbol(format!("{n}s")),
        Kind::CtState => pick(
            &["established", "related", "new", "invalid", "untracked"],
            n,
        ),
        Kind::CtStatus => pick(&["expected", "seen-reply", "assured", "confirmed"], n),
        Kind::CtDirection => pick(&["original", "reply"], n),
        Kind::PktType => pick(&["host", "broadcast", "multicast", "other"], n),
        Kind::TcpFlags => pick(&["syn", "ack", "fin", "rst", "psh", "urg"], n),
        Kind::Int(bits) => {
            let v = if bits >= 32 {
                u64::from(n)
            } else {
                u64::from(n) % (1u64 << bits)
            };
            ExprKind::Number(Num::new(v.to_string()))
        }
    }
}

/// One of `names` (varying with `n`, so that placeholders of one set differ where they can).
fn pick(names: &[&str], n: u32) -> ExprKind {
    ExprKind::Symbol(names[n as usize % names.len()].to_string())
}

struct Fill<'a> {
    uses: &'a [Use],
}

struct SetSpan(Span);

impl VisitMut for SetSpan {
    fn span(&mut self, s: &mut Span) {
        *s = self.0;
    }
}

impl VisitMut for Fill<'_> {
    fn var(&mut self, v: &mut Var) {
        if v.value.is_some() {
            return;
        }
        let Some(i) = self.uses.iter().position(|u| u.name == v.name) else {
            return;
        };
        let mut e = Expr::new(placeholder(self.uses[i].kind, i));
        e.walk_mut(&mut SetSpan(v.span));
        v.value = Some(Box::new(e));
    }
}

fn within(inner: Span, outer: Span) -> bool {
    inner.file == outer.file && inner.start >= outer.start && inner.end <= outer.end
}

/// Compiles `script` with placeholders for the interpolations. Errors located at an
/// interpolation are the placeholder's, not the program's, and are dropped: the real value is
/// checked at load.
pub(crate) fn evaluate(sources: &SourceMap, script: &Script, uses: &[Use]) -> Vec<Diagnostic> {
    let mut script = script.clone();
    script.walk_mut(&mut Fill { uses });
    let src = Source {
        sources: sources.clone(),
        script,
        warnings: Diagnostics::new(),
    };
    match compile(&src, &CompileEnv::new(&AnyInterface)) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .diagnostics
            .into_vec()
            .into_iter()
            .filter(|d| d.is_error())
            .filter(|d| match d.span {
                Some(s) => !uses.iter().any(|u| within(s, u.span)),
                None => true,
            })
            .collect(),
    }
}

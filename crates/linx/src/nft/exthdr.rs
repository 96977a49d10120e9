//! Extension headers, TCP and IP options and SCTP chunks (`exthdr.c`, `tcpopt.c`, `ipopt.c`,
//! `sctp_chunk.c`). Not reproduced yet: every such expression is refused with a located
//! `unsupported` diagnostic rather than approximated (NFT-03).

use linx_nft_syntax::ast::{self, ExprKind};

use super::eval::{Ev, R, unsupported};
use super::ir::*;

/// Converts an extension header expression of the syntax tree (refused).
pub(crate) fn from_ast(e: &ast::Expr) -> R<E> {
    let what = match &e.kind {
        ExprKind::Exthdr { hdr, field, .. } => format!("{} {field}", hdr.as_str()),
        ExprKind::ExthdrExists(hdr) => format!("exthdr {} exists", hdr.as_str()),
        ExprKind::TcpOption { option, .. } | ExprKind::TcpOptionRaw { option, .. } => {
            format!("tcp option {option}")
        }
        ExprKind::IpOption { option, .. } => format!("ip option {option}"),
        ExprKind::SctpChunk { chunk, .. } => format!("sctp chunk {chunk}"),
        _ => "this expression".to_string(),
    };
    unsupported(e.span, what)
}

/// `expr_evaluate_exthdr` (unreachable while [`from_ast`] refuses every exthdr).
pub(crate) fn evaluate(_ev: &mut Ev<'_>, e: &mut E) -> R<()> {
    unsupported(e.span, "extension header expressions")
}

/// `stmt_evaluate_exthdr` (unreachable while [`from_ast`] refuses every exthdr).
#[allow(dead_code)]
pub(crate) fn evaluate_for_stmt(_ev: &mut Ev<'_>, e: &mut E) -> R<()> {
    unsupported(e.span, "extension header statements")
}

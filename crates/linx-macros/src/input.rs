//! The arguments of the macros.
//!
//! ```text
//! nft!{ NFT TOKENS }
//! nft!(r"NFT TEXT")
//! nft!(NAME = EXPR, …; { NFT TOKENS })
//! nft!(NAME = EXPR, …; r"NFT TEXT")
//! nft_file!("PATH")
//! nft_file!("PATH", include = ["DIR", …])
//! nft_file!("PATH", include = ["DIR", …]; NAME = EXPR, …)
//! ```

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream};
use syn::{Expr, Ident, LitStr, Token, braced, bracketed};

/// `NAME = EXPR`: what a `$NAME` without a define stands for.
pub(crate) struct Binding {
    pub name: Ident,
    pub expr: Expr,
}

/// The nft text: Rust tokens or a string literal.
pub(crate) enum Body {
    Tokens(TokenStream),
    Literal(LitStr),
}

/// The arguments of `nft!`.
pub(crate) struct NftInput {
    pub bindings: Vec<Binding>,
    pub body: Body,
}

fn starts_with_binding(input: ParseStream) -> bool {
    let fork = input.fork();
    fork.parse::<Ident>().is_ok() && fork.peek(Token![=]) && !fork.peek(Token![==])
}

fn parse_bindings(input: ParseStream) -> syn::Result<Vec<Binding>> {
    let mut out = Vec::new();
    loop {
        let name: Ident = input.parse()?;
        input.parse::<Token![=]>()?;
        let expr: Expr = input.parse()?;
        out.push(Binding { name, expr });
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
            if input.is_empty() || input.peek(Token![;]) {
                break;
            }
            continue;
        }
        break;
    }
    Ok(out)
}

impl Parse for NftInput {
    fn parse(input: ParseStream) -> syn::Result<NftInput> {
        if input.peek(LitStr) {
            let fork = input.fork();
            let _: LitStr = fork.parse()?;
            if fork.is_empty() {
                return Ok(NftInput {
                    bindings: Vec::new(),
                    body: Body::Literal(input.parse()?),
                });
            }
        }
        if !starts_with_binding(input) {
            return Ok(NftInput {
                bindings: Vec::new(),
                body: Body::Tokens(input.parse()?),
            });
        }
        let bindings = parse_bindings(input)?;
        input.parse::<Token![;]>().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected `;` after the interpolations, then `{ nft text }` or a string literal",
            )
        })?;
        let body = if input.peek(LitStr) {
            Body::Literal(input.parse()?)
        } else if input.peek(syn::token::Brace) {
            let content;
            braced!(content in input);
            Body::Tokens(content.parse()?)
        } else {
            return Err(input.error("expected `{ nft text }` or a string literal"));
        };
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the nft text"));
        }
        Ok(NftInput { bindings, body })
    }
}

/// The arguments of `nft_file!`.
pub(crate) struct FileInput {
    pub path: LitStr,
    pub include: Vec<LitStr>,
    pub bindings: Vec<Binding>,
}

impl Parse for FileInput {
    fn parse(input: ParseStream) -> syn::Result<FileInput> {
        let path: LitStr = input.parse()?;
        let mut include = Vec::new();
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
            if !input.is_empty() {
                let key: Ident = input.parse()?;
                if key != "include" {
                    return Err(syn::Error::new(
                        key.span(),
                        "expected `include = [\"DIR\", …]` or `; NAME = EXPR, …`",
                    ));
                }
                input.parse::<Token![=]>()?;
                let content;
                bracketed!(content in input);
                let dirs = content.parse_terminated(<LitStr as Parse>::parse, Token![,])?;
                include.extend(dirs);
            }
        }
        let mut bindings = Vec::new();
        if input.peek(Token![;]) {
            input.parse::<Token![;]>()?;
            if !input.is_empty() {
                bindings = parse_bindings(input)?;
            }
        }
        if !input.is_empty() {
            return Err(input.error("unexpected tokens; expected `; NAME = EXPR, …`"));
        }
        Ok(FileInput {
            path,
            include,
            bindings,
        })
    }
}

/// True when the token stream is empty or only empty invisible groups.
pub(crate) fn is_blank(ts: &TokenStream) -> bool {
    ts.clone().into_iter().all(|t| match t {
        TokenTree::Group(g) if g.delimiter() == Delimiter::None => is_blank(&g.stream()),
        _ => false,
    })
}

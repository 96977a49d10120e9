//! `Lift`: the Rust tokens that rebuild a syntax-tree value at run time (the expansion of the
//! macros constructs the expanded AST instead of parsing text). The impls for the AST types are
//! generated into `lift_ast.rs` by `tools/gen_lift.py`.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use linx_nft_syntax::Span;

/// A value that can be rebuilt by generated code.
pub(crate) trait Lift {
    /// An expression of the value's type (paths are absolute, through `::linx`).
    fn lift(&self) -> TokenStream;
}

/// The path of the syntax tree module, as the generated code names it.
pub(crate) fn ast_path() -> TokenStream {
    quote!(::linx::nft::syntax::ast)
}

impl Lift for String {
    fn lift(&self) -> TokenStream {
        let l = Literal::string(self);
        quote!(::std::string::String::from(#l))
    }
}

impl Lift for &'static str {
    fn lift(&self) -> TokenStream {
        let l = Literal::string(self);
        quote!(#l)
    }
}

impl Lift for bool {
    fn lift(&self) -> TokenStream {
        if *self { quote!(true) } else { quote!(false) }
    }
}

impl Lift for Span {
    fn lift(&self) -> TokenStream {
        let f = Literal::u32_suffixed(self.file.0);
        let s = Literal::u32_suffixed(self.start);
        let e = Literal::u32_suffixed(self.end);
        quote!(::linx::nft::syntax::Span::new(::linx::nft::syntax::FileId(#f), #s, #e))
    }
}

impl<T: Lift> Lift for Option<T> {
    fn lift(&self) -> TokenStream {
        match self {
            Some(x) => {
                let x = x.lift();
                quote!(::std::option::Option::Some(#x))
            }
            None => quote!(::std::option::Option::None),
        }
    }
}

impl<T: Lift> Lift for Box<T> {
    fn lift(&self) -> TokenStream {
        let x = (**self).lift();
        quote!(::std::boxed::Box::new(#x))
    }
}

impl<T: Lift> Lift for Vec<T> {
    fn lift(&self) -> TokenStream {
        let xs = self.iter().map(Lift::lift);
        quote!(::std::vec![#(#xs),*])
    }
}

impl<A: Lift, B: Lift> Lift for (A, B) {
    fn lift(&self) -> TokenStream {
        let a = self.0.lift();
        let b = self.1.lift();
        quote!((#a, #b))
    }
}

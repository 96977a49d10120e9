//! Prints the canonical form of an nft file (source AST, defines kept).
use linx_nft_syntax::{parse_str, printer::print_script};

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: nft_print FILE");
        std::process::exit(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    };
    match parse_str(&path, &text, &Default::default()) {
        Ok(p) => print!("{}", print_script(&p.script)),
        Err(e) => {
            eprint!("{e}");
            std::process::exit(1);
        }
    }
}

//! Includes and defines (NFT-07, NFT-20).

mod common;

use common::{nft_state, scratch_file};
use linx_nft_syntax::ast::*;
use linx_nft_syntax::expand::{MemoryFileSystem, OsFileSystem};
use linx_nft_syntax::printer::print_script;
use linx_nft_syntax::{Failure, Options, Parsed, load_file, load_str};
use std::path::{Path, PathBuf};

fn load(fs: &MemoryFileSystem, main: &str, text: &str, opts: &Options) -> Result<Parsed, Failure> {
    load_str(main, text, opts, fs)
}

fn table_names(s: &Script) -> Vec<String> {
    s.items
        .iter()
        .filter_map(|i| match i {
            TopItem::Command(Command {
                kind:
                    CommandKind::Table {
                        table: TableSel::Name(t),
                        ..
                    },
                ..
            }) => Some(t.name.name.clone()),
            _ => None,
        })
        .collect()
}

fn first_error(e: &Failure) -> (String, String) {
    let d = e.diagnostics.errors().next().expect("an error");
    (d.location_string(&e.sources), d.full_message())
}

#[test]
fn nft_07_relative_include_is_relative_to_the_working_directory() {
    let mut fs = MemoryFileSystem::with_cwd("/work");
    fs.add("/work/x.nft", "add table ip from_cwd\n");
    fs.add("/work/rules/x.nft", "add table ip from_including_dir\n");
    fs.add("/work/rules/main.nft", "include \"./x.nft\"\n");
    let p = load_file(Path::new("/work/rules/main.nft"), &Options::default(), &fs)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(table_names(&p.script), vec!["from_cwd"]);
    // `../` too.
    let p = load(
        &fs,
        "m.nft",
        "include \"../work/x.nft\"\n",
        &Options::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(table_names(&p.script), vec!["from_cwd"]);
}

#[test]
fn nft_07_bare_names_are_searched_in_the_include_paths_in_order() {
    let mut fs = MemoryFileSystem::with_cwd("/work");
    fs.add("/work/a.nft", "add table ip cwd\n");
    fs.add("/inc1/a.nft", "add table ip inc1\n");
    fs.add("/inc2/a.nft", "add table ip inc2\n");
    fs.add("/inc2/b.nft", "add table ip inc2b\n");
    let opts = Options::with_include_dirs(["/inc1", "/inc2"]);
    assert_eq!(opts.include_paths[0], PathBuf::from("/etc"));
    let p = load(
        &fs,
        "m.nft",
        "include \"a.nft\"\ninclude \"b.nft\"\n",
        &opts,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(table_names(&p.script), vec!["inc1", "inc2b"]);
    // Not found anywhere: an error at the include line, with the searched paths.
    let e = load(&fs, "m.nft", "\ninclude \"nope.nft\"\n", &opts).unwrap_err();
    let (loc, msg) = first_error(&e);
    assert_eq!(loc, "m.nft:2:1");
    assert_eq!(msg, "File not found: nope.nft");
    assert!(e.to_string().contains("/inc1, /inc2"), "{e}");
    // A missing literal path is an error too.
    let e = load(&fs, "m.nft", "include \"/nope/x.nft\"\n", &opts).unwrap_err();
    assert_eq!(first_error(&e).1, "File not found: /nope/x.nft");
}

#[test]
fn nft_07_globs_expand_alphabetically_and_may_match_nothing() {
    let mut fs = MemoryFileSystem::new();
    fs.add("/conf.d/20-b.nft", "add table ip b\n");
    fs.add("/conf.d/10-a.nft", "add table ip a\n");
    fs.add("/conf.d/30-c.nft", "add table ip c\n");
    fs.add("/conf.d/.hidden.nft", "add table ip hidden\n");
    fs.add("/conf.d/notes.txt", "not nft\n");
    fs.add("/conf.d/sub/x.nft", "add table ip sub\n");
    let p = load(
        &fs,
        "m.nft",
        "include \"/conf.d/*.nft\"\n",
        &Options::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(table_names(&p.script), vec!["a", "b", "c"]);
    let p = load(
        &fs,
        "m.nft",
        "include \"/conf.d/[12]?-?.nft\"\n",
        &Options::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(table_names(&p.script), vec!["a", "b"]);
    let p = load(
        &fs,
        "m.nft",
        "include \"/empty/*.nft\"\n",
        &Options::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(p.script.items.is_empty());
    // Search-path globs collect matches from every include directory.
    let mut fs = MemoryFileSystem::new();
    fs.add("/i1/x-1.nft", "add table ip one\n");
    fs.add("/i2/x-2.nft", "add table ip two\n");
    let opts = Options::with_include_dirs(["/i1", "/i2"]);
    let p = load(&fs, "m.nft", "include \"x-*.nft\"\n", &opts).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(table_names(&p.script), vec!["one", "two"]);
}

#[test]
fn nft_07_include_depth_limit_is_16() {
    let mut fs = MemoryFileSystem::new();
    for i in 1..=20 {
        fs.add(
            format!("/d/{i}.nft"),
            format!("add table ip t{i}\ninclude \"/d/{}.nft\"\n", i + 1),
        );
    }
    fs.add("/d/21.nft", "add table ip last\n");
    let e = load(
        &fs,
        "/d/0.nft",
        "include \"/d/1.nft\"\n",
        &Options::default(),
    )
    .unwrap_err();
    let (loc, msg) = first_error(&e);
    assert_eq!(msg, "Include nested too deeply, max 16 levels");
    assert_eq!(loc, "/d/15.nft:2:1");
    // 15 nested files below the main one are fine.
    let p = load(
        &fs,
        "/d/0.nft",
        "include \"/d/7.nft\"\n",
        &Options::default(),
    );
    assert!(p.is_ok());
}

#[test]
fn nft_07_includes_inside_table_and_chain_bodies() {
    let mut fs = MemoryFileSystem::new();
    fs.add("/i/chains.nft", "chain extra {\n\taccept\n}\n");
    fs.add("/i/rules.nft", "tcp dport 22 accept\nudp dport 53 accept\n");
    let text = "table inet t {\n\tinclude \"/i/chains.nft\"\n\tchain c {\n\t\tinclude \"/i/rules.nft\"\n\t\tdrop\n\t}\n}\n";
    let p = load(&fs, "m.nft", text, &Options::default()).unwrap_or_else(|e| panic!("{e}"));
    let out = print_script(&p.script);
    assert!(out.contains("chain extra {"), "{out}");
    assert!(
        out.contains("tcp dport 22 accept\n\t\tudp dport 53 accept\n\t\tdrop"),
        "{out}"
    );
}

#[test]
fn nft_21_errors_in_included_files_name_the_file_and_the_include_line() {
    let mut fs = MemoryFileSystem::new();
    fs.add(
        "/i/bad.nft",
        "add table ip t\nadd rule ip t c tcp dprt 22\n",
    );
    let e = load(
        &fs,
        "main.nft",
        "\n\ninclude \"/i/bad.nft\"\n",
        &Options::default(),
    )
    .unwrap_err();
    let (loc, msg) = first_error(&e);
    assert_eq!(loc, "/i/bad.nft:2:21");
    assert!(msg.contains("unknown tcp field 'dprt'"));
    let text = e.to_string();
    assert!(
        text.contains("note: in file included from main.nft:3"),
        "{text}"
    );
    assert!(
        e.to_json()
            .contains("\"included_from\":[{\"file\":\"main.nft\",\"line\":3}]")
    );
}

#[test]
fn nft_07_defines_flow_across_includes() {
    let mut fs = MemoryFileSystem::new();
    fs.add("/i/defs.nft", "define PORT = 2222\n");
    let text = "include \"/i/defs.nft\"\nadd rule ip t c tcp dport $PORT accept\n";
    let p = load(&fs, "m.nft", text, &Options::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(print_script(&p.script).contains("tcp dport 2222 accept"));
}

#[test]
fn nft_20_defines_are_order_dependent() {
    let fs = MemoryFileSystem::new();
    // Use before definition is an error.
    let e = load(
        &fs,
        "m.nft",
        "add rule ip t c tcp dport $P accept\ndefine P = 22\n",
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(
        first_error(&e),
        ("m.nft:1:27".into(), "unknown identifier 'P'".into())
    );
    // redefine affects later uses only; defines capture values when defined.
    let text = "define P = 22\ndefine Q = $P\nadd rule ip t c tcp dport $P accept\nredefine P = 80\nadd rule ip t c tcp dport $P accept\nadd rule ip t c tcp dport $Q accept\n";
    let p = load(&fs, "m.nft", text, &Options::default()).unwrap_or_else(|e| panic!("{e}"));
    let out = print_script(&p.script);
    assert_eq!(
        out,
        "add rule ip t c tcp dport 22 accept\nadd rule ip t c tcp dport 80 accept\nadd rule ip t c tcp dport 22 accept\n"
    );
}

#[test]
fn nft_20_duplicate_define_redefine_undefine() {
    let fs = MemoryFileSystem::new();
    let e = load(
        &fs,
        "m.nft",
        "define A = 1\ndefine A = 2\n",
        &Options::default(),
    )
    .unwrap_err();
    let (loc, msg) = first_error(&e);
    assert_eq!(
        (loc.as_str(), msg.as_str()),
        ("m.nft:2:8", "redefinition of symbol 'A'")
    );
    assert!(
        e.to_string()
            .contains("m.nft:1:8: note: previously defined here")
    );
    assert!(
        load(
            &fs,
            "m.nft",
            "define A = 1\nredefine A = 2\n",
            &Options::default()
        )
        .is_ok()
    );
    assert!(
        load(
            &fs,
            "m.nft",
            "define A = 1\nundefine A\ndefine A = 2\n",
            &Options::default()
        )
        .is_ok()
    );
    let e = load(
        &fs,
        "m.nft",
        "define A = 1\nundefine A\nadd rule ip t c mark $A\n",
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(first_error(&e).1, "unknown identifier 'A'");
    // undefine of an unknown name is accepted (as nft 1.0.6), with a warning.
    let p =
        load(&fs, "m.nft", "undefine Z\n", &Options::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.warnings.len(), 1);
}

#[test]
fn nft_20_table_and_chain_bodies_are_scopes() {
    let fs = MemoryFileSystem::new();
    let text = "table ip a {\n\tdefine X = 1\n\tchain c {\n\t\tmeta mark $X\n\t}\n}\ntable ip b {\n\tchain c {\n\t\tmeta mark $X\n\t}\n}\n";
    let e = load(&fs, "m.nft", text, &Options::default()).unwrap_err();
    assert_eq!(first_error(&e).0, "m.nft:9:13");
    // A define shadowing an outer one is a redefinition, as in nft.
    let text = "define X = 1\ntable ip a {\n\tdefine X = 2\n}\n";
    let e = load(&fs, "m.nft", text, &Options::default()).unwrap_err();
    assert_eq!(first_error(&e).1, "redefinition of symbol 'X'");
}

#[test]
fn nft_20_unknown_variable_suggests_a_define() {
    let fs = MemoryFileSystem::new();
    let text = "define WAN_IF = \"eth0\"\nadd rule ip t c iifname $WAN_FI accept\n";
    let e = load(&fs, "m.nft", text, &Options::default()).unwrap_err();
    assert_eq!(
        first_error(&e),
        (
            "m.nft:2:25".into(),
            "unknown identifier 'WAN_FI'; did you mean 'WAN_IF'?".into()
        )
    );
}

#[test]
fn nft_20_defines_hold_sets() {
    let fs = MemoryFileSystem::new();
    let text = "define PORTS = { 22, 80 }\ndefine NETS = { 10.0.0.0/8, 192.168.0.0/16 }\nadd rule ip t c tcp dport $PORTS ip saddr { $NETS, 1.2.3.4 } accept\n";
    let p = load(&fs, "m.nft", text, &Options::default()).unwrap_or_else(|e| panic!("{e}"));
    let TopItem::Command(Command {
        kind: CommandKind::Rule { rule: Some(r), .. },
        ..
    }) = &p.script.items[0]
    else {
        panic!("not a rule");
    };
    let StmtKind::Match { right, .. } = &r.stmts[0].kind else {
        panic!("not a match");
    };
    assert!(matches!(&right.resolved().kind, ExprKind::Set(v) if v.len() == 2));
    assert_eq!(
        print_script(&p.script),
        "add rule ip t c tcp dport { 22, 80 } ip saddr { { 10.0.0.0/8, 192.168.0.0/16 }, 1.2.3.4 } accept\n"
    );
}

#[test]
fn nft_20_variables_in_log_prefix_and_non_expression_positions() {
    let fs = MemoryFileSystem::new();
    let text = "define host = \"www1\"\ndefine c = \"web\"\ndefine p = -150\ndefine pol = \"drop\"\ntable ip t {\n\tchain web {\n\t}\n\tchain c {\n\t\ttype filter hook input priority $p; policy $pol;\n\t\tlog prefix \"$host: dropped \" jump $c\n\t}\n}\n";
    let p = load(&fs, "m.nft", text, &Options::default()).unwrap_or_else(|e| panic!("{e}"));
    let out = print_script(&p.script);
    assert!(out.contains("priority -150; policy drop;"), "{out}");
    assert!(
        out.contains("log prefix \"www1: dropped \" jump web"),
        "{out}"
    );
}

#[test]
fn nft_20_predefined_variables() {
    let fs = MemoryFileSystem::new();
    let mut opts = Options::default();
    opts.defines.push(("PORT".into(), "8080".into()));
    let p = load(
        &fs,
        "m.nft",
        "add rule ip t c tcp dport $PORT accept\n",
        &opts,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(print_script(&p.script).contains("tcp dport 8080"));
}

#[test]
fn nft_20_exponential_defines_are_bounded() {
    let fs = MemoryFileSystem::new();
    let mut text = String::from("define d0 = { 1, 2 }\n");
    for i in 1..40 {
        text.push_str(&format!("define d{i} = {{ $d{}, $d{} }}\n", i - 1, i - 1));
    }
    let e = load(&fs, "m.nft", &text, &Options::default()).unwrap_err();
    assert!(e.to_string().contains("too large"), "{e}");
}

/// The expanded program printed without includes and defines loads the same state as nft loading
/// the original with its includes (absolute, glob and search-path) and defines.
#[test]
fn nft_07_nft_20_expansion_matches_nft() {
    if !linx_testkit::require_root() || !linx_testkit::require_tool("nft") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("linx-nft-expand-{}", std::process::id()));
    let conf = dir.join("conf.d");
    let inc = dir.join("inc");
    std::fs::create_dir_all(&conf).expect("mkdir");
    std::fs::create_dir_all(&inc).expect("mkdir");
    std::fs::write(
        conf.join("20-b.nft"),
        "add rule inet t c tcp dport 20 accept\n",
    )
    .expect("w");
    std::fs::write(
        conf.join("10-a.nft"),
        "add rule inet t c tcp dport 10 accept\n",
    )
    .expect("w");
    std::fs::write(
        inc.join("defs.nft"),
        "define PORTS = { 22, 80 }\ndefine NET = 10.0.0.0/8\n",
    )
    .expect("w");
    let main = scratch_file(
        "main.nft",
        &format!(
            "include \"defs.nft\"\ntable inet t {{\n\tchain c {{\n\t\ttype filter hook input priority 0; policy accept;\n\t\tip saddr $NET tcp dport $PORTS accept\n\t}}\n}}\ninclude \"{}/*.nft\"\nredefine NET = 192.168.0.0/16\nadd rule inet t c ip saddr $NET drop\n",
            conf.display()
        ),
    );
    let opts = Options::with_include_dirs([&inc]);
    let p = load_file(&main, &opts, &OsFileSystem).unwrap_or_else(|e| panic!("{e}"));
    let flat = scratch_file("flat.nft", &print_script(&p.script));
    let ns = linx_testkit::NetNs::new().expect("netns");
    let out = ns
        .command("nft")
        .arg("-I")
        .arg(&inc)
        .arg("-f")
        .arg(&main)
        .output()
        .expect("nft");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = ns.run("nft", &["-j", "list", "ruleset"]);
    let want = strip(&want);
    let got = nft_state(&flat).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(want, got);
}

fn strip(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("\"handle\": ") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 10..];
        let end = after
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

//! `linx nft …`: the nft language front end (NFT-30..32) — `apply` (≡ `nft -f`), `check`
//! (≡ `nft -c -f`), `diff`, `show` (≡ `nft list …`; with `--json` ≡ `nft -j list …`), `reset`
//! (≡ `nft reset`), `fmt` —
//! plus `monitor`.
//!
//! Exit codes: 0 success; 1 kernel rejection (nothing applied) or, for `diff`, differences;
//! 2 syntax or semantic errors (located diagnostics on stderr); 3 `show --strict` with lossy
//! output.

use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use linx::netfilter::monitor::{Event, Monitor};
use linx::netfilter::{Family, Nft, Ruleset};
use linx::nft::{self, CompileEnv, LoadOptions, NetlinkIfResolver, PrintOptions, Program};
use linx::ns::NsTarget;

use crate::{NetnsArg, print_json, print_lines};

/// Options shared by the commands that read an nft file.
#[derive(Args)]
pub(crate) struct FileArgs {
    /// The nft file (`-` for stdin).
    file: String,
    /// Include directory (searched after nft's default `/etc`), repeatable.
    #[arg(short = 'I', long = "includepath", value_name = "DIR")]
    include: Vec<PathBuf>,
    /// Predefined variable `NAME=VALUE`, repeatable.
    #[arg(short = 'D', long = "define", value_name = "NAME=VALUE")]
    define: Vec<String>,
    /// Print the generated expressions (`bytecode`, as `nft --debug=netlink`).
    #[arg(long, value_name = "WHAT")]
    debug: Option<String>,
    /// Diagnostics as JSON on stderr.
    #[arg(long = "json-diagnostics")]
    json_diagnostics: bool,
    /// Also accept what nftables added after 1.0.6 (the pinned reference), which 1.0.6 refuses:
    /// `destroy`, the `last` statement, `reset rules|rule|set|map|element`, the `persist` table
    /// flag, variables in every value position.
    #[arg(long)]
    extensions: bool,
}

#[derive(Subcommand)]
pub(crate) enum NftVerb {
    /// Load an nft file as one atomic batch, as `nft -f` does.
    Apply {
        #[command(flatten)]
        file: FileArgs,
        #[command(flatten)]
        netns: NetnsArg,
    },
    /// Parse, evaluate and let the kernel validate an nft file without applying it
    /// (`nft -c -f`).
    Check {
        #[command(flatten)]
        file: FileArgs,
        #[command(flatten)]
        netns: NetnsArg,
        /// Skip the kernel: parse and evaluate only.
        #[arg(long)]
        offline: bool,
        /// Validate in a fresh, empty network namespace instead of the target one.
        #[arg(long)]
        fresh: bool,
    },
    /// Show what applying an nft file would change: the ruleset before and after, as a line
    /// diff of `nft list ruleset` text (exit 1 when there are differences).
    Diff {
        #[command(flatten)]
        file: FileArgs,
        #[command(flatten)]
        netns: NetnsArg,
    },
    /// Print the ruleset in nft syntax, as `nft list …`: `show [ruleset]`, `show tables`,
    /// `show table FAMILY NAME` (or just `FAMILY NAME`), `show chain FAMILY TABLE NAME`,
    /// `show set FAMILY TABLE NAME` (`map` alike).
    Show {
        /// What to list (see above).
        #[arg(num_args = 0..=4, value_name = "WHAT")]
        what: Vec<String>,
        #[command(flatten)]
        netns: NetnsArg,
        /// Print handles (`# handle N`), as `nft -a`.
        #[arg(short = 'a', long)]
        handles: bool,
        /// Print nft's JSON (the libnftables schema of `nft -j list …`).
        #[arg(long)]
        json: bool,
        /// Print the linx ruleset model as JSON instead.
        #[arg(long)]
        model: bool,
        /// Print the expressions in `nft --debug=netlink` style instead of nft syntax.
        #[arg(long)]
        bytecode: bool,
        /// Exit 3 when some rule cannot be printed faithfully.
        #[arg(long)]
        strict: bool,
    },
    /// Read and zero counters or quotas, printing them as they were, as `nft reset` does:
    /// `counters|quotas [FAMILY | table FAMILY NAME]`, `counter|quota FAMILY TABLE NAME`, and
    /// the forms of nftables ≥ 1.0.8 (taken as linx extensions): `rules [FAMILY | table F T |
    /// chain F T C]`, `rule F T C handle N`, `set|map F T NAME`, `element F T S { … }`.
    Reset {
        /// The command after `reset`, e.g. `counters table inet fw` or `rules chain inet fw in`.
        #[arg(required = true, num_args = 1..)]
        words: Vec<String>,
        #[command(flatten)]
        netns: NetnsArg,
    },
    /// Reformat nft files canonically (tabs, one statement per line, comments kept).
    Fmt {
        /// The files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Rewrite the files in place.
        #[arg(short = 'w', long)]
        write: bool,
        /// Exit 1 if a file would change (nothing is written).
        #[arg(long)]
        check: bool,
        /// The files are Rust sources: reformat the string literals of `nft!` invocations
        /// (raw or plain, comments kept; a literal with an escape that cannot be read is kept
        /// and listed on stderr).
        #[arg(long)]
        rust: bool,
    },
    /// Print nf_tables changes as they are committed (one line per object, then the
    /// generation), until interrupted.
    Monitor {
        #[command(flatten)]
        netns: NetnsArg,
        /// One JSON object per event.
        #[arg(long)]
        json: bool,
    },
}

fn show_bytecode(rs: &Ruleset) -> Vec<String> {
    let mut out = vec![rs.to_string()];
    for t in &rs.tables {
        out.push(t.to_string());
        for c in &t.chains {
            match c.base_chain() {
                Some(b) => out.push(format!(
                    "  chain {} {{ type {} hook {} priority {}; policy {:?} }}",
                    c.name,
                    b.chain_type.name(),
                    b.hook,
                    b.priority,
                    b.policy.unwrap_or(linx::netfilter::Policy::Accept)
                )),
                None => out.push(format!("  chain {}", c.name)),
            }
            for r in &c.rules {
                out.push(format!("    {r} # handle {}", r.handle.unwrap_or(0)));
            }
        }
        for s in &t.sets {
            out.push(format!("  {s}"));
        }
        for o in &t.objects {
            out.push(format!("  {o}"));
        }
        for f in &t.flowtables {
            out.push(format!(
                "  flowtable {} {{ priority {}; devices {:?} }}",
                f.name, f.priority, f.devices
            ));
        }
    }
    out
}

/// What `linx nft show` lists (the objects of `nft list …`).
enum Listing {
    Ruleset,
    Tables,
    Table(Family, String),
    Chain(Family, String, String),
    Set(Family, String, String),
}

fn show_usage(words: &[String], why: &str) -> linx::Error {
    linx::Error::input(
        linx::error::Subsystem::Netfilter,
        "show",
        words.join(" "),
        why.to_string(),
    )
}

impl Listing {
    fn parse(words: &[String]) -> linx::Result<Listing> {
        let w: Vec<&str> = words.iter().map(String::as_str).collect();
        Ok(match w.as_slice() {
            [] | ["ruleset"] => Listing::Ruleset,
            ["tables"] => Listing::Tables,
            ["table", f, n] | [f, n] => Listing::Table(f.parse()?, n.to_string()),
            ["chain", f, t, c] => Listing::Chain(f.parse()?, t.to_string(), c.to_string()),
            ["set" | "map", f, t, s] => Listing::Set(f.parse()?, t.to_string(), s.to_string()),
            _ => {
                return Err(show_usage(
                    words,
                    "give ruleset, tables, table FAMILY NAME, chain FAMILY TABLE NAME or set \
                     FAMILY TABLE NAME",
                ));
            }
        })
    }

    /// The table of a chain or set listing (pulled alone into `rs`).
    fn table<'a>(&self, rs: &'a Ruleset) -> linx::Result<&'a linx::netfilter::Table> {
        rs.tables
            .first()
            .ok_or_else(|| show_usage(&[], "the table is gone"))
    }

    fn chain<'a>(
        &self,
        t: &'a linx::netfilter::Table,
        name: &str,
    ) -> linx::Result<&'a linx::netfilter::Chain> {
        t.chains.iter().find(|c| c.name == name).ok_or_else(|| {
            show_usage(
                &[name.to_string()],
                &format!("no such chain in table {} {}", t.family.name(), t.name),
            )
        })
    }

    fn set<'a>(
        &self,
        t: &'a linx::netfilter::Table,
        name: &str,
    ) -> linx::Result<&'a linx::netfilter::set::Set> {
        t.sets.iter().find(|s| s.name == name).ok_or_else(|| {
            show_usage(
                &[name.to_string()],
                &format!("no such set in table {} {}", t.family.name(), t.name),
            )
        })
    }

    fn text(&self, rs: &Ruleset, opts: &PrintOptions) -> linx::Result<nft::Printed> {
        Ok(match self {
            Listing::Tables => nft::Printed {
                text: rs
                    .tables
                    .iter()
                    .map(|t| format!("table {} {}\n", t.family.name(), t.name))
                    .collect(),
                lossy: Vec::new(),
            },
            Listing::Ruleset | Listing::Table(..) => {
                let mut out = nft::Printed::default();
                for t in &rs.tables {
                    let p = nft::print_table(t, opts);
                    out.text.push_str(&p.text);
                    out.lossy.extend(p.lossy);
                }
                out
            }
            Listing::Chain(_, _, c) => {
                let t = self.table(rs)?;
                nft::print_chain(t, self.chain(t, c)?, opts)
            }
            Listing::Set(_, _, s) => {
                let t = self.table(rs)?;
                nft::print_set_listing(t, self.set(t, s)?, opts)
            }
        })
    }

    fn json(&self, rs: &Ruleset, opts: &PrintOptions) -> linx::Result<nft::JsonPrinted> {
        Ok(match self {
            Listing::Tables => nft::tables_json(rs),
            Listing::Ruleset | Listing::Table(..) => {
                let mut out = nft::JsonPrinted::default();
                for t in &rs.tables {
                    let p = nft::table_json(t, opts);
                    out.objects.extend(p.objects);
                    out.lossy.extend(p.lossy);
                }
                out
            }
            Listing::Chain(_, _, c) => {
                let t = self.table(rs)?;
                nft::chain_json(t, self.chain(t, c)?, opts)
            }
            Listing::Set(_, _, s) => {
                let t = self.table(rs)?;
                nft::set_json(t, self.set(t, s)?, opts)
            }
        })
    }
}

/// Ends the process with `code` after flushing stdout.
fn exit(code: i32) -> ! {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    std::process::exit(code)
}

fn load(f: &FileArgs) -> nft::Source {
    let mut opts = LoadOptions {
        include_dirs: f.include.clone(),
        defines: Vec::new(),
        extensions: f.extensions,
    };
    for d in &f.define {
        match d.split_once('=') {
            Some((n, v)) => opts.defines.push((n.to_string(), v.to_string())),
            None => {
                eprintln!("linx: -D {d}: expected NAME=VALUE");
                exit(2);
            }
        }
    }
    let r = if f.file == "-" {
        let mut text = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut text) {
            eprintln!("linx: stdin: {e}");
            exit(2);
        }
        nft::load_str("/dev/stdin", &text, &opts)
    } else {
        nft::load_file(Path::new(&f.file), &opts)
    };
    match r {
        Ok(s) => {
            if !s.warnings.is_empty() {
                eprint!("{}", s.warnings.render(&s.sources));
            }
            s
        }
        Err(e) => report(&e, f.json_diagnostics, f.extensions),
    }
}

/// Prints a compile error (`json`: as JSON) and exits 2; `extensions`: whether the text was
/// loaded with them (if not, an error about newer nftables syntax says how to accept it).
fn report(e: &nft::CompileError, json: bool, extensions: bool) -> ! {
    if json {
        eprintln!("{}", e.to_json());
    } else {
        let text = e.to_string();
        eprint!("{text}");
        if !extensions && text.contains(nft::syntax::ACCEPTED_WITH_EXTENSIONS) {
            eprintln!("linx: --extensions accepts the syntax of nftables after 1.0.6");
        }
    }
    exit(2)
}

fn compile_for(
    src: &nft::Source,
    target: &NsTarget,
    f: &FileArgs,
    with_kernel: bool,
) -> linx::Result<Program> {
    let ifr = NetlinkIfResolver::new(target)?;
    let kernel = if with_kernel {
        Some(Nft::open(target)?.pull()?)
    } else {
        None
    };
    let mut env = CompileEnv::new(&ifr);
    if let Some(k) = &kernel {
        env = env.with_kernel(k);
    }
    match nft::compile(src, &env) {
        Ok(p) => {
            if f.debug
                .as_deref()
                .is_some_and(|d| d.contains("bytecode") || d.contains("netlink"))
            {
                print_lines(p.bytecode());
            }
            Ok(p)
        }
        Err(e) => report(&e, f.json_diagnostics, f.extensions),
    }
}

fn apply_error(e: nft::ApplyError) -> linx::Result<()> {
    match e {
        nft::ApplyError::Io(e) => Err(e),
        k @ nft::ApplyError::Kernel { .. } => {
            eprintln!("{k}");
            exit(1)
        }
    }
}

/// A fresh network namespace (only `lo`), created on a short-lived thread.
fn fresh_netns() -> linx::Result<NsTarget> {
    let fd = std::thread::spawn(|| -> std::io::Result<OwnedFd> {
        // SAFETY: only the network namespace of this short-lived thread changes; FILES is not
        // unshared.
        unsafe { rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::NEWNET)? };
        Ok(rustix::fs::open(
            "/proc/thread-self/ns/net",
            rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )?)
    })
    .join()
    .map_err(|_| std::io::Error::other("namespace thread panicked"))
    .and_then(|r| r)
    .map_err(|e| {
        linx::Error::input(
            linx::error::Subsystem::Netfilter,
            "namespace",
            "fresh network namespace",
            format!("cannot create one: {e}"),
        )
    })?;
    Ok(NsTarget::fd(fd))
}

/// The longest common subsequence diff of two texts, as `-`/`+`/` ` lines.
fn line_diff(a: &str, b: &str) -> Vec<String> {
    let x: Vec<&str> = a.lines().collect();
    let y: Vec<&str> = b.lines().collect();
    let (n, m) = (x.len(), y.len());
    let mut l = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            l[i][j] = if x[i] == y[j] {
                l[i + 1][j + 1] + 1
            } else {
                l[i + 1][j].max(l[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n || j < m {
        if i < n && j < m && x[i] == y[j] {
            out.push(format!(" {}", x[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || l[i][j + 1] >= l[i + 1][j]) {
            out.push(format!("+{}", y[j]));
            j += 1;
        } else {
            out.push(format!("-{}", x[i]));
            i += 1;
        }
    }
    out
}

pub(crate) fn run(verb: NftVerb) -> linx::Result<()> {
    match verb {
        NftVerb::Apply { file, netns } => {
            let src = load(&file);
            let target = netns.target()?;
            let p = compile_for(&src, &target, &file, true)?;
            let mut handle = Nft::open(&target)?;
            match nft::apply_with_output(&p, &mut handle) {
                Ok(out) => {
                    print!("{out}");
                    Ok(())
                }
                Err(e) => apply_error(e),
            }
        }
        NftVerb::Reset { words, netns } => {
            let text = format!("reset {}\n", words.join(" "));
            // The reset forms nft 1.0.6 lacks are what newer `nft reset` takes: on here.
            let opts = LoadOptions {
                extensions: true,
                ..LoadOptions::default()
            };
            let src = match nft::load_str("command line", &text, &opts) {
                Ok(s) => s,
                Err(e) => report(&e, false, true),
            };
            let file = FileArgs {
                file: "-".into(),
                include: Vec::new(),
                define: Vec::new(),
                debug: None,
                json_diagnostics: false,
                extensions: true,
            };
            let target = netns.target()?;
            let p = compile_for(&src, &target, &file, true)?;
            let mut handle = Nft::open(&target)?;
            match nft::apply_with_output(&p, &mut handle) {
                Ok(out) => {
                    print!("{out}");
                    Ok(())
                }
                Err(e) => apply_error(e),
            }
        }
        NftVerb::Check {
            file,
            netns,
            offline,
            fresh,
        } => {
            let src = load(&file);
            if offline {
                let ifr = nft::StaticIfResolver::default();
                return match nft::compile(&src, &CompileEnv::new(&ifr)) {
                    Ok(p) => {
                        if file.debug.is_some() {
                            print_lines(p.bytecode());
                        }
                        Ok(())
                    }
                    Err(e) => report(&e, file.json_diagnostics, file.extensions),
                };
            }
            let target = if fresh {
                fresh_netns()?
            } else {
                netns.target()?
            };
            let p = compile_for(&src, &target, &file, !fresh)?;
            match nft::check(&p, &target) {
                Ok(()) => Ok(()),
                Err(e) => apply_error(e),
            }
        }
        NftVerb::Diff { file, netns } => {
            let src = load(&file);
            let target = netns.target()?;
            let before = Nft::open(&target)?.pull()?;
            let p = compile_for(&src, &target, &file, true)?;
            // Simulate on a copy of the current ruleset in a throwaway namespace.
            let scratch = fresh_netns()?;
            let mut sn = Nft::open(&scratch)?;
            if !before.tables.is_empty() {
                sn.push_replace(&before)?;
            }
            if let Err(e) = nft::apply_with(&p, &mut sn) {
                return apply_error(e);
            }
            let after = sn.pull()?;
            let names = NetlinkIfResolver::new(&target)?.names();
            let opts = PrintOptions {
                ifnames: names,
                ..Default::default()
            };
            let a = nft::print(&before, &opts).text;
            let b = nft::print(&after, &opts).text;
            if a == b {
                return Ok(());
            }
            print_lines(
                line_diff(&a, &b)
                    .into_iter()
                    .filter(|l| !l.starts_with(' ')),
            );
            exit(1)
        }
        NftVerb::Show {
            what,
            netns,
            handles,
            json,
            model,
            bytecode,
            strict,
        } => {
            let target = netns.target()?;
            let listing = Listing::parse(&what)?;
            let mut nft = Nft::open(&target)?;
            let rs = match &listing {
                Listing::Ruleset | Listing::Tables => nft.pull()?,
                Listing::Table(family, name)
                | Listing::Chain(family, name, _)
                | Listing::Set(family, name, _) => {
                    let mut rs = Ruleset::new();
                    rs.add_table(nft.pull_table(*family, name)?)?;
                    rs
                }
            };
            if model {
                return print_json(&rs);
            }
            if bytecode {
                print_lines(show_bytecode(&rs));
                return Ok(());
            }
            let names = NetlinkIfResolver::new(&target)?.names();
            let opts = PrintOptions {
                handles,
                ifnames: names,
                ..Default::default()
            };
            let lossy = if json {
                let p = listing.json(&rs, &opts)?;
                print_lines([p.document_string()]);
                p.lossy
            } else {
                let p = listing.text(&rs, &opts)?;
                print!("{}", p.text);
                p.lossy
            };
            for l in &lossy {
                eprintln!("linx: lossy: {l}");
            }
            if strict && !lossy.is_empty() {
                exit(3);
            }
            Ok(())
        }
        NftVerb::Fmt {
            files,
            write,
            check,
            rust,
        } => {
            let mut changed = false;
            for f in &files {
                let text = std::fs::read_to_string(f).map_err(|e| {
                    linx::Error::input(
                        linx::error::Subsystem::Netfilter,
                        "file",
                        f.display().to_string(),
                        e.to_string(),
                    )
                })?;
                let name = f.display().to_string();
                let formatted = if rust {
                    nft::format_rust(&name, &text).map(|r| {
                        for (line, why) in &r.kept {
                            eprintln!("linx: {name}:{line}: nft! literal kept: {why}");
                        }
                        r.text
                    })
                } else {
                    nft::format_str(&name, &text)
                };
                let out = match formatted {
                    Ok(o) => o,
                    Err(e) => report(&e, false, true),
                };
                if out != text {
                    changed = true;
                    if check {
                        eprintln!("linx: {} would be reformatted", f.display());
                        continue;
                    }
                    if write {
                        std::fs::write(f, &out).map_err(|e| {
                            linx::Error::input(
                                linx::error::Subsystem::Netfilter,
                                "file",
                                f.display().to_string(),
                                e.to_string(),
                            )
                        })?;
                        continue;
                    }
                }
                if !check && !write {
                    print!("{out}");
                }
            }
            if check && changed {
                exit(1);
            }
            Ok(())
        }
        NftVerb::Monitor { netns, json } => {
            let target = netns.target()?;
            if json {
                for ev in Monitor::open(&target)? {
                    print_json(&ev?)?;
                }
                return Ok(());
            }
            // nft monitor's text: rules print with the sets of their table, so follow a
            // snapshot taken when the subscription started.
            let (snapshot, mon) = Nft::pull_and_follow(&target)?;
            let mut printer = nft::MonitorPrinter::new(snapshot, printer_opts(&target)?);
            for ev in mon {
                let ev = ev?;
                let overrun = ev == Event::Overrun;
                print_lines(printer.lines(&ev));
                if overrun {
                    // Start again from the kernel's current state.
                    let mut nft = Nft::open(&target)?;
                    printer = nft::MonitorPrinter::new(nft.pull()?, printer_opts(&target)?);
                }
            }
            Ok(())
        }
    }
}

fn printer_opts(target: &NsTarget) -> linx::Result<nft::PrintOptions> {
    Ok(nft::PrintOptions {
        ifnames: NetlinkIfResolver::new(target)?.names(),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::line_diff;

    #[test]
    fn line_diff_marks_changes() {
        let d = line_diff("a\nb\nc\n", "a\nc\nd\n");
        assert_eq!(d, vec![" a", "-b", " c", "+d"]);
    }
}

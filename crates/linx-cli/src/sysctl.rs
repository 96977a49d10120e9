//! `linx sysctl …`: kernel parameters, with sysctl(8)'s flags.

use std::path::PathBuf;

use clap::Args;
use linx::ns::{NsSet, NsTarget};
use linx::sysctl::{Entry, Key, Outcome, Sysctl, read_conf};

use crate::{NetnsArg, print_json, print_lines};

#[derive(Args)]
pub(crate) struct SysctlArgs {
    /// Keys to read, in dot or slash form (a directory lists its subtree); `KEY=VALUE` writes.
    /// With `-a`, an optional prefix.
    #[arg(value_name = "KEY[=VALUE]")]
    keys: Vec<String>,
    /// Print values only.
    #[arg(short = 'n', long = "values")]
    values_only: bool,
    /// Print names only.
    #[arg(short = 'N', long = "names")]
    names_only: bool,
    /// Write: every argument is KEY=VALUE.
    #[arg(short = 'w', long = "write")]
    write: bool,
    /// List every key (or every key under the given prefix).
    #[arg(short = 'a', visible_short_aliases = ['A', 'X'], long = "all")]
    all: bool,
    /// Do not echo written values.
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Ignore unknown keys.
    #[arg(short = 'e', long = "ignore")]
    ignore: bool,
    /// Apply a sysctl.conf-style file and print what was set.
    #[arg(short = 'p', long = "load", value_name = "FILE")]
    load: Option<PathBuf>,
    /// Print JSON (reads and listings): `{"entries": [{"key", "value"}…], "skipped": […]}`.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    netns: NetnsArg,
    /// Act in the namespaces of this process (each key in the namespace that owns it).
    #[arg(long, value_name = "PID", conflicts_with = "netns")]
    target: Option<i32>,
}

/// Keeps the last error for the exit status and prints earlier ones as they are replaced.
#[derive(Default)]
struct Failures(Option<linx::Error>);

impl Failures {
    fn push(&mut self, e: linx::Error) {
        if let Some(prev) = self.0.replace(e) {
            eprintln!("linx: {prev}");
        }
    }

    fn finish(self) -> linx::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

pub(crate) fn run(args: SysctlArgs) -> linx::Result<()> {
    let sysctl = match args.target {
        Some(pid) => Sysctl::new(NsTarget::Pid(pid)),
        // `--netns` means the network namespace only, even when it names a process.
        None => Sysctl::new(args.netns.target()?).with_kinds(NsSet::NET),
    };
    let mut failures = Failures::default();
    if let Some(file) = &args.load {
        let conf = read_conf(file)?;
        for d in &conf.diagnostics {
            eprintln!("linx: sysctl: {}: {d}", file.display());
        }
        let report = sysctl.apply_conf(&conf)?;
        for item in report.items {
            match item.outcome {
                Outcome::Applied if !args.quiet => print_written(&args, &item.key, &item.value),
                Outcome::Applied | Outcome::Excluded => {}
                Outcome::Ignored(e) => eprintln!("linx: {e} (ignored)"),
                Outcome::Failed(e) => failures.push(e),
            }
        }
        return failures.finish();
    }
    if args.all {
        let listing = match args.keys.first() {
            Some(prefix) => sysctl.list(prefix.as_str())?,
            None => sysctl.list_all()?,
        };
        return if args.json {
            print_json(&listing)
        } else {
            print_entries(&args, &listing.entries);
            Ok(())
        };
    }
    if args.keys.is_empty() {
        return Err(linx::Error::input(
            linx::error::Subsystem::Sysctl,
            "arguments",
            "",
            "no keys given (use -a to list all)",
        ));
    }
    let mut entries = Vec::new();
    for arg in &args.keys {
        if args.write || arg.contains('=') {
            let Some((key, value)) = arg.split_once('=') else {
                failures.push(linx::Error::input(
                    linx::error::Subsystem::Sysctl,
                    "setting",
                    arg.as_str(),
                    "must be of the form KEY=VALUE",
                ));
                continue;
            };
            let (key, ignore) = match key.trim().strip_prefix('-') {
                Some(k) => (k, true),
                None => (key.trim(), false),
            };
            let value = value.trim();
            match Key::parse(key).and_then(|k| sysctl.write(&k, value).map(|()| k)) {
                Ok(k) if !args.quiet => print_written(&args, &k, value),
                Ok(_) => {}
                Err(e) if ignore || (args.ignore && is_unknown(&e)) => {}
                Err(e) => failures.push(e),
            }
            continue;
        }
        match sysctl.list(arg.as_str()) {
            Ok(listing) => entries.extend(listing.entries),
            Err(e) if args.ignore && is_unknown(&e) => {}
            Err(e) => failures.push(e),
        }
    }
    if args.json {
        print_json(&linx::sysctl::Listing {
            entries,
            skipped: Vec::new(),
        })?;
    } else {
        print_entries(&args, &entries);
    }
    failures.finish()
}

fn is_unknown(e: &linx::Error) -> bool {
    e.errno() == Some(linx::error::Errno::NOENT)
}

fn print_written(args: &SysctlArgs, key: &Key, value: &str) {
    if args.names_only {
        print_lines([key]);
    } else if args.values_only {
        print_lines([value]);
    } else {
        print_lines([format!("{key} = {value}")]);
    }
}

/// sysctl(8)'s output: `key = line` per value line, or only values (`-n`) or names (`-N`).
fn print_entries(args: &SysctlArgs, entries: &[Entry]) {
    if args.names_only {
        print_lines(entries.iter().map(|e| &e.key));
    } else if args.values_only {
        print_lines(entries.iter().flat_map(|e| e.raw.lines()));
    } else {
        print_lines(entries.iter().flat_map(Entry::sysctl_lines));
    }
}

//! `linx seccomp`: compile profiles to cBPF, disassemble programs, ask the interpreter.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use linx::error::{Errno, Error, Operation, OsError, Subsystem};
use linx::seccomp::profile::ProfileDocument;
use linx::seccomp::{Arch, Filter, SeccompData};

use crate::print_lines;

#[derive(Subcommand)]
pub(crate) enum SeccompVerb {
    /// Compile a profile (OCI/Docker JSON or linx JSON) to a raw cBPF program.
    Compile {
        /// The profile.
        profile: PathBuf,
        /// Target architecture (default: this machine's).
        #[arg(long, value_name = "x86_64|aarch64")]
        arch: Option<String>,
        /// Write the program here (8 bytes per instruction); without it, print the disassembly.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Disassemble a raw cBPF program.
    #[command(alias = "disasm")]
    Dump {
        /// The program (as written by `compile -o`).
        file: PathBuf,
        /// Architecture used to name syscalls (default: this machine's).
        #[arg(long, value_name = "x86_64|aarch64")]
        arch: Option<String>,
    },
    /// Print the action a profile's compiled program takes for one call (by the interpreter).
    Check {
        /// The profile.
        profile: PathBuf,
        /// Syscall name or number.
        #[arg(value_name = "SYSCALL", required_unless_present = "syscall_opt")]
        syscall: Option<String>,
        /// Up to six arguments (decimal, 0x hex, or negative).
        #[arg(value_name = "ARGS", num_args = 0..=6)]
        args: Vec<String>,
        /// Syscall name or number (alternative to the positional form).
        #[arg(long = "syscall", value_name = "NAME", conflicts_with = "syscall")]
        syscall_opt: Option<String>,
        /// Arguments, comma separated (alternative to the positional form).
        #[arg(
            long = "args",
            value_name = "A,B,…",
            value_delimiter = ',',
            conflicts_with = "args"
        )]
        args_opt: Vec<String>,
        /// Target architecture (default: this machine's).
        #[arg(long, value_name = "x86_64|aarch64")]
        arch: Option<String>,
    },
}

fn arch(a: Option<&str>) -> linx::Result<Arch> {
    a.map_or_else(Arch::native, str::parse)
}

fn read(path: &Path) -> linx::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        let errno = Errno::from_io_error(&e).unwrap_or(Errno::IO);
        OsError::new(Subsystem::Seccomp, Operation::Read, errno)
            .path(path)
            .into()
    })
}

pub(crate) fn load(path: &Path, a: Option<&str>) -> linx::Result<Filter> {
    let text = read(path)?;
    let doc: ProfileDocument = serde_json::from_slice(&text).map_err(|e| {
        Error::input(
            Subsystem::Seccomp,
            "profile",
            path.display().to_string(),
            e.to_string(),
        )
    })?;
    let (filter, warnings) = doc.build(a.map(str::parse).transpose()?)?;
    for w in warnings {
        eprintln!("linx: seccomp: warning: {w}");
    }
    Ok(filter)
}

fn parse_arg(s: &str) -> linx::Result<u64> {
    let bad = || {
        Error::input(
            Subsystem::Seccomp,
            "argument",
            s,
            "expected a 64-bit integer",
        )
    };
    if let Some(h) = s.strip_prefix("0x") {
        u64::from_str_radix(h, 16).map_err(|_| bad())
    } else if s.starts_with('-') {
        s.parse::<i64>().map(|v| v as u64).map_err(|_| bad())
    } else {
        s.parse::<u64>().map_err(|_| bad())
    }
}

pub(crate) fn run(verb: SeccompVerb) -> linx::Result<()> {
    match verb {
        SeccompVerb::Compile {
            profile,
            arch: a,
            output,
        } => {
            let filter = load(&profile, a.as_deref())?;
            match output {
                Some(out) => {
                    std::fs::write(&out, filter.to_bytes()).map_err(|e| {
                        let errno = Errno::from_io_error(&e).unwrap_or(Errno::IO);
                        Error::from(
                            OsError::new(Subsystem::Seccomp, Operation::Write, errno).path(&out),
                        )
                    })?;
                    eprintln!("linx: {filter}, longest path {}", filter.longest_path());
                }
                None => {
                    print_lines([filter.to_string()]);
                    print_lines(filter.disassemble().lines());
                }
            }
            Ok(())
        }
        SeccompVerb::Dump { file, arch: a } => {
            let a = arch(a.as_deref())?;
            let program = linx::seccomp::bpf::from_bytes(&read(&file)?)?;
            print_lines(linx::seccomp::bpf::disassemble(&program, Some(a)).lines());
            Ok(())
        }
        SeccompVerb::Check {
            profile,
            syscall,
            args,
            syscall_opt,
            args_opt,
            arch: a,
        } => {
            let filter = load(&profile, a.as_deref())?;
            let name = syscall.or(syscall_opt).unwrap_or_default();
            let nr = filter.arch().resolve(&name)?;
            let mut argv = [0u64; 6];
            for (slot, s) in argv
                .iter_mut()
                .zip(if args.is_empty() { &args_opt } else { &args })
            {
                *slot = parse_arg(s)?;
            }
            let (action, executed) = filter.run(&SeccompData::new(filter.arch(), nr, argv));
            print_lines([format!("{action}")]);
            eprintln!(
                "linx: {name} ({nr}) on {}: {executed} instructions",
                filter.arch()
            );
            Ok(())
        }
    }
}

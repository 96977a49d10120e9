//! `linx run -t` on a real terminal (spec TTY-05, TTY-15): the test opens a pseudo-terminal pair
//! and starts `linx` as a session leader whose controlling terminal, stdin, stdout and stderr are
//! the pair's slave, exactly like an interactive shell would. It then checks raw mode, the seeded
//! and forwarded window size, the input path, the exit code, and that the terminal's settings are
//! restored on normal exit and after SIGTERM/SIGHUP.

use std::os::fd::AsFd;
use std::process::{Child, Command, Stdio};

use linx::tty::WinSize;
use linx_testkit::{Terminal, require_root, wait_exit};
use rustix::termios::LocalModes;

/// Starts `linx ARGS` as the leader of a session controlled by `term`.
fn linx_on(term: &Terminal, args: &[&str]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_linx"));
    cmd.args(args);
    term.attach(&mut cmd);
    cmd.spawn().unwrap()
}

#[test]
fn tty_05_tty_15_raw_mode_sizes_input_and_restore() {
    if !require_root() {
        return;
    }
    let term = Terminal::open(30, 100);
    let before = term.modes();
    let mut linx = linx_on(
        &term,
        &[
            "run",
            "-t",
            "--",
            "sh",
            "-c",
            "stty size; \
             while [ \"$(stty size)\" != '40 120' ]; do sleep 0.05; done; echo resized; \
             read x; echo \"got:$x\"; exit 7",
        ],
    );
    // The child's terminal starts with the local terminal's size…
    term.wait_for("30 100");
    // …while the local terminal is in raw mode (no line editing, no echo, no signal keys).
    term.wait_raw();
    let raw = term.settings().local_modes;
    assert!(
        !raw.intersects(LocalModes::ICANON | LocalModes::ECHO | LocalModes::ISIG),
        "{raw:?}"
    );
    // A resize of the local terminal reaches the child.
    linx::tty::set_window_size(term.master.as_fd(), WinSize::new(40, 120)).unwrap();
    term.wait_for("resized");
    // Keys typed on the local terminal reach the child's line discipline (Enter sends CR).
    term.type_keys(b"hello\r");
    term.wait_for("got:hello");
    assert_eq!(wait_exit(&mut linx), 7);
    assert_eq!(term.modes(), before, "terminal not restored after exit");
}

#[test]
fn tty_15_terminal_restored_after_sigterm_and_sighup() {
    if !require_root() {
        return;
    }
    for (signal, code) in [(libc::SIGTERM, 128 + 15), (libc::SIGHUP, 128 + 1)] {
        let term = Terminal::open(24, 80);
        let before = term.modes();
        let mut linx = linx_on(
            &term,
            &["run", "-t", "--", "sh", "-c", "echo ready; exec sleep 100"],
        );
        term.wait_for("ready");
        term.wait_raw();
        // SAFETY: signalling our own child by pid; it has not been reaped.
        assert_eq!(unsafe { libc::kill(linx.id() as i32, signal) }, 0);
        assert_eq!(wait_exit(&mut linx), code, "signal {signal}");
        assert_eq!(
            term.modes(),
            before,
            "terminal not restored after signal {signal}"
        );
    }
}

#[test]
fn tty_15_without_a_terminal_output_is_relayed() {
    // stdin is not a terminal: no raw mode, the PTY's output is copied to stdout.
    let out = Command::new(env!("CARGO_BIN_EXE_linx"))
        .args(["run", "-t", "--", "sh", "-c", "tty; echo relayed"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("/dev/pts/"), "the child has a PTY: {text}");
    assert!(text.contains("relayed"), "{text}");
}

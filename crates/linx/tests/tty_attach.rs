//! Terminals and attach (spec tty.md section 5).

use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::sync::mpsc;
use std::time::Duration;

use linx::process::{Command, ExitStatus, Signal, Stage};
use linx::tty::{self, RawMode, WinSize};

fn pty_cmd(program: &str, args: &[&str]) -> Command {
    let mut c = Command::new(program);
    c.args(args).pty(Some(WinSize::new(24, 80)));
    c
}

/// Runs attach_stream on a thread; returns the test's end of the socket and the join handle.
fn stream_attach(
    cmd: Command,
    sizes: mpsc::Receiver<WinSize>,
) -> (
    UnixStream,
    std::thread::JoinHandle<linx::Result<ExitStatus>>,
    i32,
) {
    let (ours, theirs) = UnixStream::pair().unwrap();
    let running = cmd.start().unwrap();
    let pid = running.pid();
    let h = std::thread::spawn(move || {
        tty::attach_stream(&running, theirs.as_fd(), theirs.as_fd(), || {
            sizes.try_recv().ok()
        })
    });
    (ours, h, pid)
}

#[test]
fn tty_03_window_size_round_trip_on_a_pty() {
    let running = pty_cmd("/bin/sleep", &["5"]).start().unwrap();
    let pty = running.pty().unwrap();
    let s = WinSize {
        rows: 24,
        cols: 80,
        xpixel: 800,
        ypixel: 480,
    };
    tty::set_window_size(pty.as_fd(), s).unwrap();
    assert_eq!(tty::window_size(pty.as_fd()).unwrap(), s);
    assert_eq!(s.to_string(), "80x24 (800x480 px)");
}

#[test]
fn tty_01_raw_mode_on_a_pty_and_restore() {
    // A PTY we own stands in for a controlling terminal: raw mode flips ECHO/ICANON off and
    // restores the settings byte for byte; a second restore is a no-op.
    let running = pty_cmd("/bin/sleep", &["5"]).start().unwrap();
    let fd = running.pty().unwrap().as_fd().try_clone_to_owned().unwrap();
    let before = rustix::termios::tcgetattr(&fd).unwrap();
    let mut raw = RawMode::on(fd.try_clone().unwrap()).unwrap();
    let during = rustix::termios::tcgetattr(&fd).unwrap();
    assert!(
        !during
            .local_modes
            .contains(rustix::termios::LocalModes::ECHO)
    );
    assert!(
        !during
            .local_modes
            .contains(rustix::termios::LocalModes::ICANON)
    );
    raw.restore().unwrap();
    raw.restore().unwrap();
    let after = rustix::termios::tcgetattr(&fd).unwrap();
    assert_eq!(format!("{before:?}"), format!("{after:?}"));
}

/// Runs inside a re-executed copy of this test binary that has no controlling terminal.
#[test]
fn tty_01_helper_without_controlling_terminal() {
    if std::env::var_os("LINX_TTY01_HELPER").is_none() {
        return; // only meaningful in the re-executed copy below
    }
    let e = RawMode::controlling().unwrap_err();
    assert_eq!(e.errno(), Some(rustix::io::Errno::NXIO), "{e}");
    assert!(e.to_string().contains("/dev/tty"), "{e}");
}

#[test]
fn tty_01_no_controlling_terminal_is_enxio() {
    use std::os::unix::process::CommandExt;
    let mut c = std::process::Command::new(std::env::current_exe().unwrap());
    c.args([
        "--exact",
        "tty_01_helper_without_controlling_terminal",
        "--nocapture",
    ])
    .env("LINX_TTY01_HELPER", "1");
    // SAFETY: setsid is async-signal-safe; a new session has no controlling terminal.
    unsafe {
        c.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let out = c.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("1 passed"),
        "the helper test did not run: {text}"
    );
}

#[test]
fn tty_06_stream_attach_echo_and_signal() {
    let (tx, rx) = mpsc::channel();
    let (mut sock, h, pid) = stream_attach(pty_cmd("/bin/cat", &[]), rx);
    sock.write_all(b"hello\n").unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&got).contains("hello\r\nhello\r\n") {
        let n = sock.read(&mut buf).unwrap();
        assert!(n > 0);
        got.extend_from_slice(&buf[..n]);
    }
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let status = h.join().unwrap().unwrap();
    assert_eq!(status.signal(), Some(Signal::TERM));
    drop(tx);

    let (_tx, rx) = mpsc::channel();
    let (_sock, h, _) = stream_attach(pty_cmd("/bin/true", &[]), rx);
    assert_eq!(h.join().unwrap().unwrap(), ExitStatus::Exited(0));

    let e = pty_cmd("/no/such/program", &[]).start().unwrap_err();
    assert!(
        matches!(&e, linx::Error::Os(os) if os.operation == linx::error::Operation::Stage(Stage::Execve))
    );
}

#[test]
fn tty_06_ctrl_c_byte_interrupts() {
    let (_tx, rx) = mpsc::channel();
    let (mut sock, h, _) = stream_attach(pty_cmd("/bin/cat", &[]), rx);
    std::thread::sleep(Duration::from_millis(100));
    sock.write_all(&[0x03]).unwrap();
    assert_eq!(h.join().unwrap().unwrap().signal(), Some(Signal::INT));
}

#[test]
fn tty_06_resize_reaches_the_child() {
    let (tx, rx) = mpsc::channel();
    let (mut sock, h, _) = stream_attach(
        pty_cmd(
            "/bin/sh",
            &[
                "-c",
                "trap 'stty size' WINCH; echo ready; sleep 3 & wait; wait",
            ],
        ),
        rx,
    );
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&got).contains("ready") {
        let n = sock.read(&mut buf).unwrap();
        assert!(n > 0);
        got.extend_from_slice(&buf[..n]);
    }
    tx.send(WinSize::new(30, 100)).unwrap();
    h.join().unwrap().unwrap();
    let mut rest = Vec::new();
    sock.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let _ = sock.read_to_end(&mut rest);
    got.extend(rest);
    assert!(
        String::from_utf8_lossy(&got).contains("30 100"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
}

#[test]
fn tty_11_large_paste_arrives_complete() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("paste");
    let (_tx, rx) = mpsc::channel();
    // Raw, no echo, so the file gets exactly the bytes; `head -c` ends after 1 MiB.
    let script = format!("stty raw -echo; head -c 1048576 > {}", file.display());
    let (sock, h, _) = stream_attach(pty_cmd("/bin/sh", &["-c", &script]), rx);
    std::thread::sleep(Duration::from_millis(200));
    let data: Vec<u8> = (0..1_048_576u32).map(|i| b'a' + (i % 26) as u8).collect();
    let writer = {
        let mut s = sock.try_clone().unwrap();
        let d = data.clone();
        std::thread::spawn(move || s.write_all(&d).unwrap())
    };
    // Drain whatever the PTY prints so the pump never blocks on us.
    let drainer = {
        let mut s = sock.try_clone().unwrap();
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = s.read_to_end(&mut sink);
        })
    };
    let status = h.join().unwrap().unwrap();
    writer.join().unwrap();
    sock.shutdown(std::net::Shutdown::Both).unwrap();
    drainer.join().unwrap();
    assert!(status.success(), "{status}");
    assert_eq!(std::fs::read(&file).unwrap(), data);
}

#[test]
fn tty_09_output_before_exit_is_drained() {
    let (_tx, rx) = mpsc::channel();
    let (mut sock, h, _) = stream_attach(
        pty_cmd(
            "/bin/sh",
            &[
                "-c",
                "for i in $(seq 1 20000); do printf 'tail-%05d\\n' $i; done",
            ],
        ),
        rx,
    );
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut buf = [0u8; 65536];
        while !String::from_utf8_lossy(&out).contains("tail-20000") {
            match sock.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
        out
    });
    assert!(h.join().unwrap().unwrap().success());
    let out = reader.join().unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("tail-00001") && text.contains("tail-20000"));
    assert_eq!(text.matches("tail-").count(), 20000);
}

#[test]
fn tty_10_detach_sequence_leaves_the_child_running() {
    let (mut ours, theirs) = UnixStream::pair().unwrap();
    let running = pty_cmd("/bin/cat", &[]).start().unwrap();
    let pid = running.pid();
    let h = std::thread::spawn(move || {
        let end = tty::attach_stream_detachable(
            &running,
            theirs.as_fd(),
            theirs.as_fd(),
            || None,
            tty::DEFAULT_DETACH_KEYS,
        );
        (end, running)
    });
    ours.write_all(b"before\n").unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&got).contains("before\r\nbefore\r\n") {
        let n = ours.read(&mut buf).unwrap();
        assert!(n > 0);
        got.extend_from_slice(&buf[..n]);
    }
    ours.write_all(&[0x1d, b'q']).unwrap();
    let (end, running) = h.join().unwrap();
    assert_eq!(end.unwrap(), tty::Attach::Detached);
    assert!(
        std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "the child keeps running"
    );
    assert_eq!(running.try_wait().unwrap(), None);
    running.signal(Signal::KILL).unwrap();
}

/// Runs only inside the copies started by the two tests below (`LINX_TTY05_HELPER` says which
/// role): attaches the process's own terminal to a PTY child with [`tty::attach`].
#[test]
fn tty_05_helper_attach() {
    let Some(role) = std::env::var_os("LINX_TTY05_HELPER") else {
        return; // only meaningful in the re-executed copies
    };
    // The child waits until attach has seeded its size from the local terminal, prints it, then
    // echoes one typed line.
    let mut c = Command::new("/bin/sh");
    c.args([
        "-c",
        "while [ \"$(stty size)\" = '0 0' ]; do sleep 0.05; done; stty size; \
         read x; echo \"got:$x\"; exit 5",
    ])
    .pty(None);
    let running = c.start().unwrap();
    if role == "none" {
        let e = tty::attach(&running).unwrap_err();
        assert!(
            matches!(&e, linx::Error::State(s) if s.kind == linx::error::StateKind::NoLocalTty),
            "{e:?}"
        );
        assert!(e.to_string().contains("no local terminal"), "{e}");
        running.signal(Signal::KILL).unwrap();
        running.wait().unwrap();
    } else {
        let status = tty::attach(&running).unwrap();
        println!("attach-exit:{}", status.shell_code());
    }
}

fn tty_05_helper(role: &str) -> std::process::Command {
    let mut c = std::process::Command::new(std::env::current_exe().unwrap());
    c.args([
        "--exact",
        "tty_05_helper_attach",
        "--nocapture",
        "--test-threads=1",
    ])
    .env("LINX_TTY05_HELPER", role);
    c
}

#[test]
fn tty_05_attach_from_a_real_terminal() {
    let term = linx_testkit::Terminal::open(33, 101);
    let before = term.modes();
    let mut c = tty_05_helper("attach");
    term.attach(&mut c);
    let mut helper = c.spawn().unwrap();
    // Size seeded from the local terminal, which is in raw mode while attached.
    term.wait_for("33 101");
    term.wait_raw();
    term.type_keys(b"hi\r");
    term.wait_for("got:hi");
    term.wait_for("attach-exit:5");
    assert_eq!(linx_testkit::wait_exit(&mut helper), 0, "{}", term.text());
    assert!(term.text().contains("1 passed"), "{}", term.text());
    assert_eq!(term.modes(), before, "terminal not restored");
}

#[test]
fn tty_05_attach_without_a_terminal_is_no_local_tty() {
    use std::os::unix::process::CommandExt;
    let mut c = tty_05_helper("none");
    c.stdin(std::process::Stdio::null());
    // SAFETY: setsid is async-signal-safe; a new session has no controlling terminal.
    unsafe {
        c.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let out = c.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("1 passed"), "the helper did not run: {text}");
}

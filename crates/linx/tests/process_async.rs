//! The tokio adapters (feature `tokio`): async wait and async PTY I/O (spec PROC-39).
#![cfg(feature = "tokio")]

use linx::process::{AsyncPty, Command, ExitStatus, WinSize};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .unwrap()
}

#[test]
fn proc_39_async_wait() {
    rt().block_on(async {
        let mut c = Command::new("/bin/sh");
        c.args(["-c", "sleep 0.1; exit 5"]);
        let r = c.start().unwrap();
        assert_eq!(r.wait_async().await.unwrap(), ExitStatus::Exited(5));
        // Several waits on a reaped child keep returning the cached status.
        assert_eq!(r.wait_async().await.unwrap(), ExitStatus::Exited(5));
    });
}

#[test]
fn proc_39_async_pty_io() {
    rt().block_on(async {
        let mut c = Command::new("/bin/cat");
        c.pty(Some(WinSize::new(24, 80)));
        let r = c.start().unwrap();
        let pty = AsyncPty::new(r.pty().unwrap()).unwrap();
        assert_eq!(pty.write(b"ping\n").await.unwrap(), 5);
        let mut got = Vec::new();
        let mut buf = [0u8; 64];
        while !String::from_utf8_lossy(&got).contains("ping\r\nping\r\n") {
            let n = pty.read(&mut buf).await.unwrap();
            assert!(n > 0);
            got.extend_from_slice(&buf[..n]);
        }
        pty.write(&[0x04]).await.unwrap(); // Ctrl-D: cat sees EOF
        assert!(r.wait_async().await.unwrap().success());
    });
}

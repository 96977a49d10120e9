//! User notification: a supervisor receives the system calls a filter sends it
//! (`SECCOMP_RET_USER_NOTIF`) and answers them (spec SEC-19). See
//! [seccomp_unotify(2)](https://man7.org/linux/man-pages/man2/seccomp_unotify.2.html).

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::Duration;

use super::interp::SeccompData;
use super::syscalls::Arch;
use crate::error::{Errno, Error, Operation, OsError, Result, Subsystem};

/// `struct seccomp_notif`.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
struct RawNotif {
    id: u64,
    pid: u32,
    flags: u32,
    data: SeccompData,
}

/// `struct seccomp_notif_resp`.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
struct RawResp {
    id: u64,
    val: i64,
    error: i32,
    flags: u32,
}

/// `struct seccomp_notif_addfd`.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
struct RawAddFd {
    id: u64,
    flags: u32,
    srcfd: u32,
    newfd: u32,
    newfd_flags: u32,
}

const fn ioc(dir: u32, nr: u32, size: usize) -> u32 {
    (dir << 30) | ((size as u32) << 16) | ((b'!' as u32) << 8) | nr
}
const IOC_WRITE: u32 = 1;
const IOC_READ: u32 = 2;

/// `SECCOMP_IOCTL_NOTIF_RECV` = `_IOWR('!', 0, struct seccomp_notif)`.
pub const IOCTL_NOTIF_RECV: u32 = ioc(IOC_READ | IOC_WRITE, 0, size_of::<RawNotif>());
/// `SECCOMP_IOCTL_NOTIF_SEND` = `_IOWR('!', 1, struct seccomp_notif_resp)`.
pub const IOCTL_NOTIF_SEND: u32 = ioc(IOC_READ | IOC_WRITE, 1, size_of::<RawResp>());
/// `SECCOMP_IOCTL_NOTIF_ID_VALID` = `_IOW('!', 2, __u64)`.
pub const IOCTL_NOTIF_ID_VALID: u32 = ioc(IOC_WRITE, 2, size_of::<u64>());
/// `SECCOMP_IOCTL_NOTIF_ADDFD` = `_IOW('!', 3, struct seccomp_notif_addfd)` (Linux ≥ 5.9).
pub const IOCTL_NOTIF_ADDFD: u32 = ioc(IOC_WRITE, 3, size_of::<RawAddFd>());

const _: () = assert!(IOCTL_NOTIF_RECV == 0xc050_2100);
const _: () = assert!(IOCTL_NOTIF_SEND == 0xc018_2101);
const _: () = assert!(IOCTL_NOTIF_ID_VALID == 0x4008_2102);
const _: () = assert!(IOCTL_NOTIF_ADDFD == 0x4018_2103);

const USER_NOTIF_FLAG_CONTINUE: u32 = 1;
const ADDFD_FLAG_SETFD: u32 = 1;
const ADDFD_FLAG_SEND: u32 = 2;

/// One notified system call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notification {
    /// The cookie that answers refer to.
    pub id: u64,
    /// The calling thread, in the supervisor's pid namespace (0 when not visible there).
    pub pid: u32,
    /// Reserved flags.
    pub flags: u32,
    /// The call: number, arch, instruction pointer, arguments.
    pub data: SeccompData,
}

impl Notification {
    /// The syscall name, when the arch is supported and the number is in its table.
    pub fn syscall_name(&self) -> Option<&'static str> {
        Arch::from_audit_arch(self.data.arch)?.syscall_name(self.data.nr as u32)
    }
}

/// The answer to a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response {
    /// Fail the call with this errno (positive, e.g. `EPERM` = 1).
    Errno(i32),
    /// Pretend the call returned this value.
    Value(i64),
    /// Let the kernel run the call (Linux ≥ 5.5; beware of time-of-check races on pointers).
    Continue,
}

/// How [`Notifier::add_fd`] places the new descriptor in the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AddFd {
    /// Use this fd number (replacing what is there) instead of the lowest free one.
    pub target_fd: Option<u32>,
    /// Set `O_CLOEXEC` on the new descriptor.
    pub cloexec: bool,
    /// Also answer the notification with the new fd number (atomically, Linux ≥ 5.14).
    pub send: bool,
}

/// The user-notification listener returned by an install with `NEW_LISTENER`.
///
/// Implements [`AsFd`], so it can be polled; the fd becomes readable when a notification is
/// pending. Dropping it makes pending and future notified calls fail with `ENOSYS`.
#[derive(Debug)]
pub struct Notifier {
    fd: OwnedFd,
}

impl From<OwnedFd> for Notifier {
    /// Wraps a listener fd (e.g. fetched from a child with `pidfd_getfd`).
    fn from(fd: OwnedFd) -> Notifier {
        Notifier { fd }
    }
}

impl AsFd for Notifier {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Notifier {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

fn last_errno() -> Errno {
    Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(Errno::IO)
}

impl Notifier {
    /// The fd.
    pub fn into_fd(self) -> OwnedFd {
        self.fd
    }

    fn ioctl(&self, name: &'static str, req: u32, arg: *mut libc::c_void) -> Result<libc::c_int> {
        loop {
            // SAFETY: `arg` points at the structure the request expects, owned by the caller.
            let r = unsafe { libc::ioctl(self.fd.as_raw_fd(), req as _, arg) };
            if r >= 0 {
                return Ok(r);
            }
            let e = last_errno();
            if e != Errno::INTR {
                return Err(OsError::new(Subsystem::Seccomp, Operation::Ioctl(name), e).into());
            }
        }
    }

    /// Waits for the next notification (`SECCOMP_IOCTL_NOTIF_RECV`; blocks).
    ///
    /// # Errors
    /// `ENOENT` when the notifying task died before it was received; other errnos from the
    /// kernel.
    pub fn recv(&self) -> Result<Notification> {
        // The kernel requires a zeroed structure.
        let mut raw = RawNotif::default();
        self.ioctl(
            "SECCOMP_IOCTL_NOTIF_RECV",
            IOCTL_NOTIF_RECV,
            (&raw mut raw).cast(),
        )?;
        Ok(Notification {
            id: raw.id,
            pid: raw.pid,
            flags: raw.flags,
            data: raw.data,
        })
    }

    /// Waits up to `timeout` for the fd to become readable (a notification pending); false on
    /// timeout.
    ///
    /// # Errors
    /// The `poll(2)` errno.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<bool> {
        let ms = timeout.map_or(-1, |d| i32::try_from(d.as_millis()).unwrap_or(i32::MAX));
        let mut pfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        loop {
            // SAFETY: one valid pollfd.
            let r = unsafe { libc::poll(&raw mut pfd, 1, ms) };
            if r >= 0 {
                return Ok(r > 0);
            }
            let e = last_errno();
            if e != Errno::INTR {
                return Err(OsError::new(Subsystem::Seccomp, Operation::Poll, e).into());
            }
        }
    }

    /// Whether the notification `id` is still pending (the task has not died or been
    /// interrupted): check it after reading the target's memory and before acting on it.
    ///
    /// # Errors
    /// Kernel errors other than `ENOENT` (which means false).
    pub fn id_valid(&self, id: u64) -> Result<bool> {
        let mut id = id;
        match self.ioctl(
            "SECCOMP_IOCTL_NOTIF_ID_VALID",
            IOCTL_NOTIF_ID_VALID,
            (&raw mut id).cast(),
        ) {
            Ok(_) => Ok(true),
            Err(e) if e.errno() == Some(Errno::NOENT) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Answers notification `id` (`SECCOMP_IOCTL_NOTIF_SEND`).
    ///
    /// # Errors
    /// `ENOENT` when the notification is no longer pending; an input error for an errno outside
    /// 1..=4095.
    pub fn respond(&self, id: u64, response: Response) -> Result<()> {
        let mut resp = RawResp {
            id,
            ..RawResp::default()
        };
        match response {
            Response::Errno(e) => {
                if !(1..=4095).contains(&e) {
                    return Err(Error::input(
                        Subsystem::Seccomp,
                        "notification errno",
                        e.to_string(),
                        "must be 1..=4095 (use Value(0) for success)",
                    ));
                }
                resp.error = -e;
            }
            Response::Value(v) => resp.val = v,
            Response::Continue => resp.flags = USER_NOTIF_FLAG_CONTINUE,
        }
        self.ioctl(
            "SECCOMP_IOCTL_NOTIF_SEND",
            IOCTL_NOTIF_SEND,
            (&raw mut resp).cast(),
        )?;
        Ok(())
    }

    /// Installs a copy of `fd` into the notifying process (`SECCOMP_IOCTL_NOTIF_ADDFD`,
    /// Linux ≥ 5.9); returns its number there.
    ///
    /// # Errors
    /// `ENOENT` when the notification is gone; `EBADF`, `EMFILE`, … from the kernel.
    pub fn add_fd(&self, id: u64, fd: BorrowedFd<'_>, how: AddFd) -> Result<i32> {
        let mut addfd = RawAddFd {
            id,
            flags: if how.target_fd.is_some() {
                ADDFD_FLAG_SETFD
            } else {
                0
            } | if how.send { ADDFD_FLAG_SEND } else { 0 },
            srcfd: fd.as_raw_fd() as u32,
            newfd: how.target_fd.unwrap_or(0),
            newfd_flags: if how.cloexec {
                libc::O_CLOEXEC as u32
            } else {
                0
            },
        };
        self.ioctl(
            "SECCOMP_IOCTL_NOTIF_ADDFD",
            IOCTL_NOTIF_ADDFD,
            (&raw mut addfd).cast(),
        )
    }
}

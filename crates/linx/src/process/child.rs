//! The child side of the checkpoint: everything that runs between `clone3` and `execve`.
//!
//! The rules (ARCHITECTURE.md, "The child side of the checkpoint"): the child is a single-threaded
//! copy of a possibly multithreaded parent whose other threads may have held locks, so this code
//!
//! * never allocates, locks, panics or unwinds, and uses no stdio or `std::env`;
//! * reads only the [`ChildPlan`] prepared by the parent before clone (a copy-on-write view of the
//!   parent's memory, or on the vfork-style path of `Command::start` the parent's memory itself,
//!   while the cloning thread is suspended until exec) and fixed-size frames from the control
//!   channel, and writes only to its own stack;
//! * makes raw system calls only (`libc::syscall` or libc functions that are plain syscall
//!   wrappers), never glibc wrappers that broadcast to threads (`setresuid`, `setgroups`);
//! * reports every failure as an `ERR` frame `(stage, errno, detail)` and ends with `_exit`.

use std::ffi::{CStr, CString, c_char};

use super::frame::{self, FRAME_LEN, Frame};
use crate::error::Stage;

/// Exit code of a child that was aborted at the checkpoint.
pub const EXIT_ABORTED: i32 = 253;
/// Exit code of a child whose pre-exec step failed (the failure was reported as a frame).
pub const EXIT_FAILED: i32 = 254;
/// Exit code of a child that received a malformed frame.
pub const EXIT_PROTOCOL: i32 = 252;
/// Exit code of a child that could not send its ready report.
pub const EXIT_READY: i32 = 251;
/// Exit code of a child whose parent went away before the checkpoint ended.
pub const EXIT_PARENT_GONE: i32 = 250;

/// Frame kind sent by the intermediate process of enter: the workload's pidfd is attached and
/// `values[0]` is its pid.
pub(crate) const PIDFD: u32 = 5;

/// Most seccomp filters one child can queue.
pub const MAX_FILTERS: usize = 16;
/// Most descriptors one child can have moved into place (stdio plus extras).
pub const MAX_MOVES: usize = 64;

/// Everything the child needs, prepared by the parent before clone. The child only reads it.
#[derive(Debug)]
pub(crate) struct ChildPlan {
    pub program: CString,
    /// `execveat(fd, "", AT_EMPTY_PATH)` instead of `execve(program)` when ≥ 0.
    pub program_fd: i32,
    /// NULL-terminated pointers into `argv_storage`.
    pub argv: Vec<*const c_char>,
    /// NULL-terminated pointers into `env_storage`.
    pub envp: Vec<*const c_char>,
    /// Owns the strings `argv` points into (never read directly).
    #[allow(dead_code)]
    pub argv_storage: Vec<CString>,
    /// Owns the strings `envp` points into (never read directly).
    #[allow(dead_code)]
    pub env_storage: Vec<CString>,
    pub cwd: Option<CString>,
    /// The child's end of the control channel.
    pub ctrl: i32,
    /// `(source, destination)` descriptor moves (stdio, PTY slave, extra fds).
    pub moves: Vec<(i32, i32)>,
    /// Lowest fd number above every source and destination (scratch space for the moves).
    pub scratch_base: i32,
    /// Descriptors the child needs at its start, sorted; every other fd ≥ 3 is closed at once.
    pub keep: Vec<i32>,
    /// Destinations ≥ 3 that must survive exec, sorted.
    pub placed: Vec<i32>,
    /// The PTY slave (already among `moves` for 0–2), or -1.
    pub pty: bool,
    /// The spawner's pid, for the parent-death re-check; 0 to skip (new pid namespace).
    pub parent_pid: i32,
    /// `PR_SET_PDEATHSIG` signal, 0 for none.
    pub pdeathsig: i32,
    pub no_new_privs: bool,
    /// Create a time namespace for children (`unshare(CLONE_NEWTIME)`) and join it before exec.
    pub time_ns: bool,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub groups: Option<Vec<u32>>,
    /// `(resource, soft, hard)`.
    pub rlimits: Vec<(u32, u64, u64)>,
    /// Enter mode: a pidfd of the target whose namespaces to join, or -1.
    pub enter_pidfd: i32,
    /// Enter mode: the `CLONE_NEW*` mask to join with `setns(pidfd, mask)`.
    pub enter_flags: u32,
    /// Enter mode: a cgroup directory fd for the workload (`CLONE_INTO_CGROUP`), or -1.
    pub enter_cgroup: i32,
    /// No checkpoint: the child goes straight to exec without the ready report or any command
    /// (`Command::start` on the vfork-style path, where the child shares the parent's memory).
    pub straight: bool,
}

fn errno() -> i32 {
    // SAFETY: __errno_location returns the calling thread's errno slot.
    unsafe { *libc::__errno_location() }
}

/// Sends one frame; retries EINTR. Returns false if it could not be sent.
pub(crate) fn send_frame(fd: i32, f: &Frame) -> bool {
    let buf = f.encode();
    loop {
        // SAFETY: buf is a live FRAME_LEN-byte array.
        let r = unsafe { libc::send(fd, buf.as_ptr().cast(), FRAME_LEN, libc::MSG_NOSIGNAL) };
        if r == FRAME_LEN as isize {
            return true;
        }
        if r < 0 && errno() == libc::EINTR {
            continue;
        }
        return false;
    }
}

/// Sends a frame with one descriptor attached (`SCM_RIGHTS`).
pub(crate) fn send_frame_with_fd(fd: i32, f: &Frame, attached: i32) -> bool {
    let buf = f.encode();
    let mut iov = libc::iovec {
        iov_base: buf.as_ptr() as *mut libc::c_void,
        iov_len: FRAME_LEN,
    };
    // A u64 array keeps the control buffer aligned for cmsghdr.
    let mut cbuf = [0u64; 4];
    // SAFETY: msghdr is plain data; every pointer refers to a live local buffer, and the CMSG_*
    // helpers only compute addresses inside cbuf (CMSG_SPACE(4) = 24 ≤ 32 bytes).
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cbuf.as_mut_ptr().cast();
        msg.msg_controllen = libc::CMSG_SPACE(4) as usize;
        let c = libc::CMSG_FIRSTHDR(&msg);
        if c.is_null() {
            return false;
        }
        (*c).cmsg_level = libc::SOL_SOCKET;
        (*c).cmsg_type = libc::SCM_RIGHTS;
        (*c).cmsg_len = libc::CMSG_LEN(4) as usize;
        std::ptr::write_unaligned(libc::CMSG_DATA(c).cast::<i32>(), attached);
        loop {
            let r = libc::sendmsg(fd, &msg, libc::MSG_NOSIGNAL);
            if r == FRAME_LEN as isize {
                return true;
            }
            if r < 0 && errno() == libc::EINTR {
                continue;
            }
            return false;
        }
    }
}

/// Receives one frame and at most one attached descriptor (-1 if none). `None` on EOF or error.
pub(crate) fn recv_frame(fd: i32) -> Option<(Frame, i32)> {
    let mut buf = [0u8; FRAME_LEN];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: FRAME_LEN,
    };
    let mut cbuf = [0u64; 8];
    // SAFETY: as in send_with_fd; the kernel writes at most msg_controllen bytes into cbuf.
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cbuf.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&cbuf);
        let n = loop {
            let r = libc::recvmsg(fd, &mut msg, libc::MSG_CMSG_CLOEXEC);
            if r < 0 && errno() == libc::EINTR {
                continue;
            }
            break r;
        };
        if n != FRAME_LEN as isize {
            return None;
        }
        let mut attached = -1;
        let c = libc::CMSG_FIRSTHDR(&msg);
        if !c.is_null()
            && (*c).cmsg_level == libc::SOL_SOCKET
            && (*c).cmsg_type == libc::SCM_RIGHTS
            && (*c).cmsg_len as usize >= libc::CMSG_LEN(4) as usize
        {
            attached = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast::<i32>());
        }
        Frame::decode(&buf).map(|f| (f, attached))
    }
}

fn exit(code: i32) -> ! {
    // SAFETY: _exit ends the process without running any user-space cleanup.
    unsafe { libc::_exit(code) }
}

/// Reports a failed step and exits.
fn fail(ctrl: i32, stage: Stage, err: i32, detail: u32) -> ! {
    let mut f = Frame::new(frame::ERR);
    f.code = stage.code();
    f.errno = err;
    f.detail = detail;
    send_frame(ctrl, &f);
    exit(EXIT_FAILED)
}

/// Closes every descriptor ≥ 3 that is not in `keep` (sorted), with `close_range` where the kernel
/// has it (`cloexec`: mark instead of close).
fn close_others(keep: &[i32], cloexec: bool) -> Result<(), i32> {
    let flags = if cloexec {
        libc::CLOSE_RANGE_CLOEXEC
    } else {
        0
    };
    let mut lo: u32 = 3;
    let mut ranges_ok = true;
    for &k in keep {
        if k < 3 {
            continue;
        }
        let k = k as u32;
        if k > lo {
            // SAFETY: close_range takes plain integers.
            if unsafe { libc::syscall(libc::SYS_close_range, lo, k - 1, flags) } != 0 {
                ranges_ok = false;
                break;
            }
        }
        lo = k.saturating_add(1);
    }
    // SAFETY: as above.
    if ranges_ok && unsafe { libc::syscall(libc::SYS_close_range, lo, u32::MAX, flags) } == 0 {
        return Ok(());
    }
    if errno() != libc::ENOSYS && errno() != libc::EINVAL {
        return Err(errno());
    }
    // Fallback for kernels without close_range (or its CLOEXEC flag): walk the table.
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: rl is a live rlimit.
    let max = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) } == 0 {
        rl.rlim_cur.min(1 << 20) as i32
    } else {
        4096
    };
    for fd in 3..max {
        if keep.binary_search(&fd).is_ok() {
            continue;
        }
        // SAFETY: fcntl/close on an integer fd; errors (EBADF) are expected and ignored.
        unsafe {
            if cloexec {
                libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
            } else {
                libc::close(fd);
            }
        }
    }
    Ok(())
}

/// A queued seccomp filter: a memfd holding `sock_filter`s.
#[derive(Clone, Copy)]
struct Filter {
    fd: i32,
    len: usize,
    flags: u32,
}

/// Installs one filter from its memfd. Returns the listener fd (or 0) or the errno.
fn install_filter(f: &Filter) -> Result<i32, i32> {
    // SAFETY: maps a read-only private view of the memfd; the mapping is used only for the
    // seccomp call below and intentionally never unmapped (exec replaces the address space).
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            f.len,
            libc::PROT_READ,
            libc::MAP_PRIVATE,
            f.fd,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(errno());
    }
    let prog = libc::sock_fprog {
        len: (f.len / std::mem::size_of::<libc::sock_filter>()) as u16,
        filter: p.cast(),
    };
    // SAFETY: prog points at a valid program of `len` instructions for the duration of the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            1, /* SECCOMP_SET_MODE_FILTER */
            f.flags,
            &prog as *const libc::sock_fprog,
        )
    };
    if r < 0 { Err(errno()) } else { Ok(r as i32) }
}

const SECCOMP_FILTER_FLAG_NEW_LISTENER: u32 = 1 << 3;

/// Rebuilds the capability plan a [`frame::CMD_CAPS`] frame carries (no allocation).
fn caps_plan(f: &Frame) -> crate::caps::CapPlan {
    use crate::caps::{CapPlan, CapSet, Securebits, ThreadSets};
    let parts = f.detail;
    let mut plan = CapPlan::new();
    if parts & frame::CAPS_BOUNDING != 0 {
        plan = plan.bounding(CapSet::from_bits(f.values[0]));
    }
    if parts & frame::CAPS_THREAD != 0 {
        plan = plan.thread(ThreadSets {
            effective: CapSet::from_bits(f.values[1]),
            permitted: CapSet::from_bits(f.values[2]),
            inheritable: CapSet::from_bits(f.values[3]),
        });
    }
    if parts & frame::CAPS_AMBIENT != 0 {
        plan = plan.ambient(CapSet::from_bits(f.values[4]));
    }
    if parts & frame::CAPS_SECUREBITS != 0 {
        plan = plan.securebits(Securebits::from_bits_retain(
            (f.values[5] & 0xffff_ffff) as u32,
        ));
    }
    if parts & frame::CAPS_KEEPCAPS != 0 {
        plan = plan.keep_caps((f.values[5] >> 32) & 1 == 1);
    }
    plan
}

/// The stage of a failed capability step.
fn caps_stage(e: &crate::caps::ApplyError) -> Stage {
    use crate::caps::ApplyStep;
    match e.step {
        ApplyStep::DropBounding => Stage::CapDropBounding,
        ApplyStep::Securebits | ApplyStep::KeepCaps => Stage::Securebits,
        ApplyStep::SetThread => Stage::CapSetThread,
        _ => Stage::CapSetAmbient,
    }
}

/// Enter mode, in the intermediate child: join the target's namespaces all at once through its
/// pidfd, then create the workload as a sibling (`CLONE_PARENT`, so it is the caller's direct
/// child and lives in the target's pid and time namespaces), hand its pidfd to the parent and exit.
/// Returns only in the workload.
///
/// # Safety
/// As for [`child_main`].
unsafe fn enter_namespaces(plan: &ChildPlan) {
    let ctrl = plan.ctrl;
    // SAFETY: integer arguments and pointers to locals.
    unsafe {
        if plan.enter_flags != 0 && libc::setns(plan.enter_pidfd, plan.enter_flags as i32) != 0 {
            // The kernel joins all at once; name the first requested kind.
            let kind = crate::ns::NsKind::ALL
                .into_iter()
                .find(|k| plan.enter_flags & k.clone_flag() != 0)
                .unwrap_or(crate::ns::NsKind::Mount);
            fail(ctrl, Stage::SetNs(kind), errno(), 0);
        }
        let mut pidfd: i32 = -1;
        let mut args = super::spawner::CloneArgs {
            flags: super::spawner::CLONE_PIDFD | libc::CLONE_PARENT as u64,
            pidfd: &mut pidfd as *mut i32 as u64,
            // clone3 refuses an exit signal with CLONE_PARENT; the sibling inherits ours
            // (SIGCHLD), so the caller is notified as for any child.
            exit_signal: 0,
            ..Default::default()
        };
        if plan.enter_cgroup >= 0 {
            args.flags |= super::spawner::CLONE_INTO_CGROUP;
            args.cgroup = plan.enter_cgroup as u64;
        }
        let r = libc::syscall(
            libc::SYS_clone3,
            &args as *const super::spawner::CloneArgs,
            std::mem::size_of::<super::spawner::CloneArgs>(),
        );
        if r == 0 {
            // The workload: continue with the normal child path.
            libc::close(plan.enter_pidfd);
            if plan.enter_cgroup >= 0 {
                libc::close(plan.enter_cgroup);
            }
            return;
        }
        if r < 0 {
            fail(ctrl, Stage::Fork, errno(), 0);
        }
        let mut f = Frame::new(PIDFD);
        f.values[0] = r as u64;
        if !send_frame_with_fd(ctrl, &f, pidfd) {
            exit(EXIT_PARENT_GONE);
        }
        exit(0)
    }
}

/// The checkpoint: runs commands from the control channel until proceed (returns) or abort
/// (exits), queueing seccomp filters and the at-exec capability plan.
fn checkpoint(
    ctrl: i32,
    filters: &mut [Filter; MAX_FILTERS],
    nfilters: &mut usize,
    exec_caps: &mut Option<crate::caps::CapPlan>,
) {
    loop {
        let Some((cmd, attached)) = recv_frame(ctrl) else {
            exit(EXIT_PARENT_GONE);
        };
        match cmd.kind {
            frame::CMD_PROCEED => break,
            frame::CMD_ABORT => exit(EXIT_ABORTED),
            frame::CMD_CAPS if cmd.detail & frame::CAPS_AT_EXEC != 0 => {
                *exec_caps = Some(caps_plan(&cmd));
                send_frame(ctrl, &Frame::new(frame::ACK));
            }
            frame::CMD_CAPS => match caps_plan(&cmd).apply() {
                Ok(()) => {
                    send_frame(ctrl, &Frame::new(frame::ACK));
                }
                Err(e) => {
                    let mut f = Frame::new(frame::ERR);
                    f.code = caps_stage(&e).code();
                    f.errno = e.errno;
                    f.detail = e.cap.map_or(u32::MAX, u32::from);
                    send_frame(ctrl, &f);
                }
            },
            frame::CMD_SECCOMP => {
                let filter = Filter {
                    fd: attached,
                    len: cmd.values[0] as usize,
                    flags: cmd.detail,
                };
                if attached < 0 {
                    let mut f = Frame::new(frame::ERR);
                    f.code = Stage::MalformedFrame.code();
                    f.errno = libc::EBADF;
                    send_frame(ctrl, &f);
                    continue;
                }
                if cmd.values[1] == 1 {
                    // Immediate mode: install now.
                    match install_filter(&filter) {
                        Ok(listener) if filter.flags & SECCOMP_FILTER_FLAG_NEW_LISTENER != 0 => {
                            send_frame_with_fd(ctrl, &Frame::new(frame::ACK), listener);
                        }
                        Ok(_) => {
                            send_frame(ctrl, &Frame::new(frame::ACK));
                        }
                        Err(e) => {
                            let mut f = Frame::new(frame::ERR);
                            f.code = Stage::SeccompInstall.code();
                            f.errno = e;
                            send_frame(ctrl, &f);
                        }
                    }
                } else if let Some(slot) = filters.get_mut(*nfilters) {
                    *slot = filter;
                    *nfilters += 1;
                    send_frame(ctrl, &Frame::new(frame::ACK));
                } else {
                    let mut f = Frame::new(frame::ERR);
                    f.code = Stage::SeccompInstall.code();
                    f.errno = libc::E2BIG;
                    send_frame(ctrl, &f);
                }
            }
            _ => {
                let mut f = Frame::new(frame::ERR);
                f.code = Stage::MalformedFrame.code();
                f.errno = libc::EPROTO;
                f.detail = cmd.kind;
                send_frame(ctrl, &f);
                exit(EXIT_PROTOCOL);
            }
        }
    }
}

/// The child's whole life from clone to exec. Never returns.
///
/// # Safety
/// Must be called only in a freshly cloned child, with `plan` pointing at the parent's prepared plan
/// (valid in the child's copy of the address space).
pub(crate) unsafe fn child_main(plan: &ChildPlan) -> ! {
    let ctrl = plan.ctrl;

    // Close everything the child does not need (also fds leaked in by concurrent spawns), so the
    // parent's end of the control channel and other children's channels are not held open.
    if let Err(e) = close_others(&plan.keep, false) {
        fail(ctrl, Stage::CloseRange, e, 0);
    }

    if plan.enter_pidfd >= 0 {
        // SAFETY: see enter_namespaces.
        unsafe { enter_namespaces(plan) };
    }

    // SAFETY (for the calls in this function): integer arguments or pointers to live data of the
    // prepared plan, which stays valid in the child's address space.
    unsafe {
        if plan.pdeathsig != 0 {
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                plan.pdeathsig as libc::c_ulong,
                0,
                0,
                0,
            ) != 0
            {
                fail(ctrl, Stage::PdeathSig, errno(), 0);
            }
            if plan.parent_pid != 0 && libc::getppid() != plan.parent_pid {
                exit(EXIT_PARENT_GONE);
            }
        }
        if plan.no_new_privs && libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            fail(ctrl, Stage::NoNewPrivs, errno(), 0);
        }
        if plan.time_ns && libc::unshare(libc::CLONE_NEWTIME) != 0 {
            fail(ctrl, Stage::TimeNs, errno(), 0);
        }
    }

    let mut filters = [Filter {
        fd: -1,
        len: 0,
        flags: 0,
    }; MAX_FILTERS];
    let mut nfilters = 0usize;
    let mut exec_caps: Option<crate::caps::CapPlan> = None;
    if !plan.straight {
        let mut ready = Frame::new(frame::READY);
        // SAFETY: getpid has no arguments.
        ready.values[0] = unsafe { libc::syscall(libc::SYS_getpid) } as u64;
        if !send_frame(ctrl, &ready) {
            exit(EXIT_READY);
        }
        // The checkpoint: commands until proceed or abort.
        checkpoint(ctrl, &mut filters, &mut nfilters, &mut exec_caps);
    }

    // SAFETY: as above; every pointer comes from the plan or a local.
    unsafe {
        // Stdio and extra fds: first to scratch numbers above every source and destination, then
        // into place, so a source that is also a destination is never clobbered.
        let mut scratch = [-1i32; MAX_MOVES];
        for (slot, &(src, _)) in scratch.iter_mut().zip(plan.moves.iter()) {
            let t = libc::fcntl(src, libc::F_DUPFD_CLOEXEC, plan.scratch_base);
            if t < 0 {
                fail(ctrl, Stage::Stdio, errno(), src as u32);
            }
            *slot = t;
        }
        for (&t, &(_, dst)) in scratch.iter().zip(plan.moves.iter()) {
            if libc::dup3(t, dst, 0) < 0 {
                fail(ctrl, Stage::Stdio, errno(), dst as u32);
            }
        }
        for &t in scratch.iter().take(plan.moves.len()) {
            libc::close(t);
        }
        if plan.pty {
            if libc::setsid() < 0 {
                fail(ctrl, Stage::Setsid, errno(), 0);
            }
            if libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                fail(ctrl, Stage::Ctty, errno(), 0);
            }
        }
        if let Some(caps) = &exec_caps
            && let Err(e) = caps.apply_before_credentials()
        {
            fail(
                ctrl,
                caps_stage(&e),
                e.errno,
                e.cap.map_or(u32::MAX, u32::from),
            );
        }
        if let Some(groups) = &plan.groups
            && libc::syscall(libc::SYS_setgroups, groups.len(), groups.as_ptr()) != 0
        {
            fail(ctrl, Stage::Credentials, errno(), 0);
        }
        if let Some(gid) = plan.gid
            && libc::syscall(libc::SYS_setresgid, gid, gid, gid) != 0
        {
            fail(ctrl, Stage::Credentials, errno(), gid);
        }
        if let Some(uid) = plan.uid
            && libc::syscall(libc::SYS_setresuid, uid, uid, uid) != 0
        {
            fail(ctrl, Stage::Credentials, errno(), uid);
        }
        if let Some(caps) = &exec_caps
            && let Err(e) = caps.apply_after_credentials()
        {
            fail(
                ctrl,
                caps_stage(&e),
                e.errno,
                e.cap.map_or(u32::MAX, u32::from),
            );
        }
        for &(resource, soft, hard) in &plan.rlimits {
            let new = libc::rlimit64 {
                rlim_cur: soft,
                rlim_max: hard,
            };
            if libc::syscall(
                libc::SYS_prlimit64,
                0,
                resource,
                &new as *const libc::rlimit64,
                std::ptr::null_mut::<libc::rlimit64>(),
            ) != 0
            {
                fail(ctrl, Stage::Rlimit, errno(), resource);
            }
        }
        if let Err(e) = close_others(&plan.placed, true) {
            fail(ctrl, Stage::CloseRange, e, 0);
        }
        if let Some(cwd) = &plan.cwd
            && libc::chdir(cwd.as_ptr()) != 0
        {
            fail(ctrl, Stage::Chdir, errno(), 0);
        }
        if plan.time_ns {
            let path: &CStr = c"/proc/self/ns/time_for_children";
            let fd = libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
            if fd < 0 || libc::setns(fd, libc::CLONE_NEWTIME) != 0 {
                fail(ctrl, Stage::TimeNs, errno(), 0);
            }
            libc::close(fd);
        }
        // Signals: default dispositions for everything the parent ignored or handled (raw
        // rt_sigaction, so glibc's reserved signals 32/33 are covered too), then an empty mask.
        // A handler would be reset by execve anyway; resetting it first means a signal arriving
        // in the last instants before exec never runs the parent's handler in the child (which,
        // on the vfork-style path, would run on the parent's memory).
        #[repr(C)]
        struct KernelSigaction {
            handler: usize,
            flags: u64,
            restorer: usize,
            mask: u64,
        }
        for sig in 1..=64 {
            if sig == libc::SIGKILL || sig == libc::SIGSTOP {
                continue;
            }
            let mut old = KernelSigaction {
                handler: 0,
                flags: 0,
                restorer: 0,
                mask: 0,
            };
            if libc::syscall(
                libc::SYS_rt_sigaction,
                sig,
                std::ptr::null::<KernelSigaction>(),
                &mut old as *mut KernelSigaction,
                8usize,
            ) == 0
                && old.handler != libc::SIG_DFL
            {
                let dfl = KernelSigaction {
                    handler: libc::SIG_DFL,
                    flags: 0,
                    restorer: 0,
                    mask: 0,
                };
                libc::syscall(
                    libc::SYS_rt_sigaction,
                    sig,
                    &dfl as *const KernelSigaction,
                    std::ptr::null_mut::<KernelSigaction>(),
                    8usize,
                );
            }
        }
        let empty: u64 = 0;
        if libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK,
            &empty as *const u64,
            std::ptr::null_mut::<u64>(),
            8usize,
        ) != 0
        {
            fail(ctrl, Stage::Signals, errno(), 0);
        }
    }

    // Everything before exec is done.
    if !send_frame(ctrl, &Frame::new(frame::MARKER)) {
        exit(EXIT_PARENT_GONE);
    }
    for f in filters.iter().take(nfilters) {
        match install_filter(f) {
            Ok(listener) if f.flags & SECCOMP_FILTER_FLAG_NEW_LISTENER != 0 => {
                send_frame_with_fd(ctrl, &Frame::new(frame::ACK), listener);
            }
            Ok(_) => {}
            Err(e) => fail(ctrl, Stage::SeccompInstall, e, 0),
        }
    }
    // SAFETY: argv/envp are NULL-terminated arrays of pointers into live CStrings.
    unsafe {
        if plan.program_fd >= 0 {
            libc::syscall(
                libc::SYS_execveat,
                plan.program_fd,
                c"".as_ptr(),
                plan.argv.as_ptr(),
                plan.envp.as_ptr(),
                libc::AT_EMPTY_PATH,
            );
        } else {
            libc::syscall(
                libc::SYS_execve,
                plan.program.as_ptr(),
                plan.argv.as_ptr(),
                plan.envp.as_ptr(),
            );
        }
    }
    fail(ctrl, Stage::Execve, errno(), 0)
}

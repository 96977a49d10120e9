//! The spawner thread: children are cloned from a thread that lives as long as the process.
//!
//! `PR_SET_PDEATHSIG` fires when the *thread* that created the child exits, not the process; cloning
//! from a caller's short-lived thread would kill the workload when that thread ends. Calls from the
//! main thread clone directly (its end is the process's end: returning from `main` exits every
//! thread), with every signal blocked around the clone; calls from any other thread are handed to
//! the spawner thread, which lives as long as the process, blocks every signal (so no handler of
//! the program can run in a fresh child before it resets its mask), and performs `clone3` on
//! behalf of callers.

use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::mpsc::{Sender, SyncSender, channel, sync_channel};
use std::sync::{Mutex, OnceLock};

use rustix::io::Errno;

use super::child::{ChildPlan, child_main};
use crate::error::Stage;

pub(crate) const CLONE_PIDFD: u64 = 0x1000;
pub(crate) const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// `struct clone_args` (version 2, 88 bytes), see
/// [clone3(2)](https://man7.org/linux/man-pages/man2/clone3.2.html).
#[repr(C)]
#[derive(Default)]
pub(crate) struct CloneArgs {
    pub(crate) flags: u64,
    pub(crate) pidfd: u64,
    pub(crate) child_tid: u64,
    pub(crate) parent_tid: u64,
    pub(crate) exit_signal: u64,
    pub(crate) stack: u64,
    pub(crate) stack_size: u64,
    pub(crate) tls: u64,
    pub(crate) set_tid: u64,
    pub(crate) set_tid_size: u64,
    pub(crate) cgroup: u64,
}

/// What a clone produced.
pub(crate) struct Cloned {
    pub pid: i32,
    pub pidfd: OwnedFd,
    /// False when the legacy `clone` fallback ran, so cgroup placement is still to be done.
    pub in_cgroup: bool,
}

struct Job {
    /// `*const ChildPlan`, valid until the reply is received.
    plan: usize,
    flags: u64,
    cgroup: Option<i32>,
    /// The vfork-style path (see [`clone_vfork`]).
    vfork: bool,
    reply: SyncSender<Result<Cloned, (Stage, Errno)>>,
}

/// The spawner's job queue, or why the thread could not be started.
fn spawner() -> &'static std::result::Result<Mutex<Sender<Job>>, Errno> {
    static SPAWNER: OnceLock<std::result::Result<Mutex<Sender<Job>>, Errno>> = OnceLock::new();
    SPAWNER.get_or_init(|| {
        let (tx, rx) = channel::<Job>();
        let started = std::thread::Builder::new()
            .name("linx-spawner".into())
            .spawn(move || {
                block_all_signals();
                for job in rx {
                    let result = clone_job(&job);
                    // The requester may have given up; nothing else to do then.
                    let _ = job.reply.send(result);
                }
            });
        match started {
            Ok(_) => Ok(Mutex::new(tx)),
            // Every clone request reports this failure (see clone_child).
            Err(e) => Err(Errno::from_raw_os_error(
                e.raw_os_error().unwrap_or(libc::EAGAIN),
            )),
        }
    })
}

fn block_all_signals() {
    // SAFETY: sigfillset initialises the set; pthread_sigmask changes only this thread's mask.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

fn clone_job(job: &Job) -> Result<Cloned, (Stage, Errno)> {
    if job.vfork {
        clone_vfork(job.plan, job.flags)
    } else {
        clone_now(job.plan, job.flags, job.cgroup)
    }
}

/// Stack of a vfork-style child: it runs only `child_main`, whose frames are small and fixed.
const VFORK_STACK: usize = 256 * 1024;

/// The vfork-style clone (`CLONE_VM | CLONE_VFORK`, as `posix_spawn` does): the child runs on a
/// stack of its own inside our address space, and this thread is suspended until it execs or
/// exits, so no page tables are copied and nothing is copied on write afterwards. The caller has
/// every signal blocked; the child resets dispositions before unblocking (see `child_main`).
///
/// `flags` are the `CLONE_NEW*` bits (the child is then the first process of its namespaces, as
/// with `clone3`). Only for plans with nothing to do at the checkpoint and no cgroup to join
/// (legacy `clone`, which has no `CLONE_INTO_CGROUP`).
fn clone_vfork(plan: usize, flags: u64) -> Result<Cloned, (Stage, Errno)> {
    extern "C" fn entry(arg: *mut libc::c_void) -> libc::c_int {
        // SAFETY: `arg` is the plan pointer passed to clone below, valid until the parent resumes,
        // which happens only after this child exec'd or exited.
        unsafe { child_main(&*(arg as *const ChildPlan)) }
    }
    // SAFETY: a fresh anonymous private mapping, unmapped below once the child no longer uses it.
    let stack = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            VFORK_STACK,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
            -1,
            0,
        )
    };
    if stack == libc::MAP_FAILED {
        return Err((
            Stage::Fork,
            Errno::from_raw_os_error(
                std::io::Error::last_os_error()
                    .raw_os_error()
                    .unwrap_or(libc::ENOMEM),
            ),
        ));
    }
    let mut pidfd: libc::c_int = -1;
    // SAFETY: the child starts in `entry` on the top of the new stack (glibc aligns it) and never
    // returns; CLONE_VFORK suspends this thread until the child exec'd or exited, so the plan and
    // the stack outlive every use. With CLONE_PIDFD the pidfd is written through the parent_tid
    // argument.
    let r = unsafe {
        libc::clone(
            entry,
            stack.cast::<u8>().add(VFORK_STACK).cast(),
            // The CLONE_NEW* bits all lie below bit 31.
            flags as libc::c_int
                | libc::CLONE_VM
                | libc::CLONE_VFORK
                | CLONE_PIDFD as libc::c_int
                | libc::SIGCHLD,
            plan as *mut libc::c_void,
            &mut pidfd as *mut libc::c_int,
        )
    };
    let err = std::io::Error::last_os_error();
    // SAFETY: the mapping made above; the child no longer runs on it (it exec'd or exited).
    unsafe { libc::munmap(stack, VFORK_STACK) };
    if r > 0 {
        // SAFETY: CLONE_PIDFD stored a fresh pidfd that nobody else owns.
        let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd) };
        return Ok(Cloned {
            pid: r,
            pidfd,
            in_cgroup: true,
        });
    }
    Err((
        Stage::Clone,
        Errno::from_raw_os_error(err.raw_os_error().unwrap_or(libc::EINVAL)),
    ))
}

/// Clones from the calling thread; the caller has every signal blocked.
fn clone_now(plan: usize, flags: u64, cgroup: Option<i32>) -> Result<Cloned, (Stage, Errno)> {
    let job = CloneRequest {
        plan,
        flags,
        cgroup,
    };
    let job = &job;
    let mut pidfd: i32 = -1;
    let mut args = CloneArgs {
        flags: job.flags | CLONE_PIDFD,
        pidfd: &mut pidfd as *mut i32 as u64,
        exit_signal: libc::SIGCHLD as u64,
        ..CloneArgs::default()
    };
    if let Some(cg) = job.cgroup {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = cg as u64;
    }
    // SAFETY: clone3 with no new stack behaves like fork: in the child it returns 0 and we jump to
    // child_main, which never returns and only uses async-signal-safe calls; the plan pointer is
    // valid in the child's copy of the address space because the parent keeps the plan alive until
    // this job is answered.
    let r = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &args as *const CloneArgs,
            std::mem::size_of::<CloneArgs>(),
        )
    };
    if r == 0 {
        // SAFETY: see above.
        unsafe { child_main(&*(job.plan as *const ChildPlan)) }
    }
    if r > 0 {
        // SAFETY: CLONE_PIDFD stored a fresh pidfd that nobody else owns.
        let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd) };
        return Ok(Cloned {
            pid: r as i32,
            pidfd,
            in_cgroup: true,
        });
    }
    let err = Errno::from_raw_os_error(
        std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EINVAL),
    );
    if err != Errno::NOSYS && err != Errno::PERM {
        return Err((Stage::Clone3, err));
    }
    // Fallback: legacy clone (old kernels, or seccomp profiles that refuse clone3). The cgroup is
    // then joined by the parent; time namespaces always use the unshare path, so they still work.
    let mut pidfd: i32 = -1;
    // SAFETY: as for clone3; with CLONE_PIDFD the pidfd is written through the parent_tid pointer
    // (the third argument on x86_64 and aarch64).
    let r = unsafe {
        libc::syscall(
            libc::SYS_clone,
            job.flags | CLONE_PIDFD | libc::SIGCHLD as u64,
            0usize,
            &mut pidfd as *mut i32,
            0usize,
            0usize,
        )
    };
    if r == 0 {
        // SAFETY: see above.
        unsafe { child_main(&*(job.plan as *const ChildPlan)) }
    }
    if r > 0 {
        // SAFETY: a fresh pidfd owned by nobody else.
        let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd) };
        return Ok(Cloned {
            pid: r as i32,
            pidfd,
            in_cgroup: job.cgroup.is_none(),
        });
    }
    let legacy = Errno::from_raw_os_error(
        std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EINVAL),
    );
    // Report clone3's own error when it was a real permission problem (both refused alike).
    Err(if legacy == Errno::PERM && err == Errno::PERM {
        (Stage::Clone3, err)
    } else {
        (Stage::Clone, legacy)
    })
}

/// The parameters of one clone.
struct CloneRequest {
    plan: usize,
    flags: u64,
    cgroup: Option<i32>,
}

/// True on the process's main thread (its thread id is the process id).
fn on_main_thread() -> bool {
    rustix::thread::gettid() == rustix::process::getpid()
}

/// Clones a child running `plan` — directly on the main thread, else from the spawner thread.
/// `flags` are the `CLONE_NEW*` bits.
pub(crate) fn clone_child(
    plan: &ChildPlan,
    flags: u64,
    cgroup: Option<i32>,
) -> Result<Cloned, (Stage, Errno)> {
    clone_on_owner(plan, flags, cgroup, false)
}

/// Clones a child on the vfork-style path ([`clone_vfork`]) into new namespaces `flags`, from
/// the same thread [`clone_child`] would use. `plan.straight` must be set.
pub(crate) fn clone_child_vfork(plan: &ChildPlan, flags: u64) -> Result<Cloned, (Stage, Errno)> {
    clone_on_owner(plan, flags, None, true)
}

fn clone_on_owner(
    plan: &ChildPlan,
    flags: u64,
    cgroup: Option<i32>,
    vfork: bool,
) -> Result<Cloned, (Stage, Errno)> {
    if on_main_thread() {
        // SAFETY: sigfillset initialises the set; pthread_sigmask changes only this thread's mask
        // and the previous mask is restored right after the clone (in the parent; the child
        // resets its own mask before exec).
        unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
            let plan = plan as *const ChildPlan as usize;
            let r = if vfork {
                clone_vfork(plan, flags)
            } else {
                clone_now(plan, flags, cgroup)
            };
            libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
            return r;
        }
    }
    let (reply, rx) = sync_channel(1);
    let job = Job {
        plan: plan as *const ChildPlan as usize,
        flags,
        cgroup,
        vfork,
        reply,
    };
    let queue = spawner().as_ref().map_err(|e| (Stage::Fork, *e))?;
    let sent = queue
        .lock()
        .map_err(|_| (Stage::Clone3, Errno::AGAIN))?
        .send(job);
    if sent.is_err() {
        return Err((Stage::Clone3, Errno::AGAIN));
    }
    // The plan must stay alive until the clone happened: we block here until the reply.
    rx.recv().map_err(|_| (Stage::Clone3, Errno::AGAIN))?
}

/// The spawner thread's pid-namespace-local thread id is the child's parent; its process id is
/// ours (threads share it), which is what `getppid()` in the child returns.
pub(crate) fn parent_pid() -> i32 {
    std::process::id() as i32
}

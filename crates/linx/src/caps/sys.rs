//! Raw capability system calls, async-signal-safe: no allocation, no locks, no panics. Each
//! returns the raw errno on failure so it can run between `clone` and `execve`.

/// `_LINUX_CAPABILITY_VERSION_3`.
pub(crate) const CAPABILITY_VERSION_3: u32 = 0x2008_0522;

pub(crate) const PR_SET_KEEPCAPS: libc::c_int = 8;
pub(crate) const PR_CAPBSET_READ: libc::c_int = 23;
pub(crate) const PR_CAPBSET_DROP: libc::c_int = 24;
pub(crate) const PR_GET_SECUREBITS: libc::c_int = 27;
pub(crate) const PR_SET_SECUREBITS: libc::c_int = 28;
pub(crate) const PR_CAP_AMBIENT: libc::c_int = 47;
pub(crate) const PR_CAP_AMBIENT_IS_SET: libc::c_ulong = 1;
pub(crate) const PR_CAP_AMBIENT_RAISE: libc::c_ulong = 2;
pub(crate) const PR_CAP_AMBIENT_CLEAR_ALL: libc::c_ulong = 4;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

#[inline]
fn last_errno() -> i32 {
    // SAFETY: reading the thread's errno location has no preconditions.
    unsafe { *libc::__errno_location() }
}

#[inline]
fn prctl(option: libc::c_int, a: libc::c_ulong, b: libc::c_ulong) -> Result<libc::c_int, i32> {
    // SAFETY: the prctl options used here take integer arguments only.
    let r = unsafe { libc::prctl(option, a, b, 0 as libc::c_ulong, 0 as libc::c_ulong) };
    if r < 0 { Err(last_errno()) } else { Ok(r) }
}

/// `capget(2)` of the calling thread: (effective, permitted, inheritable).
pub(crate) fn capget() -> Result<(u64, u64, u64), i32> {
    let mut header = CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: header and a two-element data array, as version 3 requires, both live and
    // writable for the duration of the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_capget,
            &mut header as *mut CapHeader,
            data.as_mut_ptr(),
        )
    };
    if r < 0 {
        return Err(last_errno());
    }
    let join = |lo: u32, hi: u32| u64::from(lo) | (u64::from(hi) << 32);
    Ok((
        join(data[0].effective, data[1].effective),
        join(data[0].permitted, data[1].permitted),
        join(data[0].inheritable, data[1].inheritable),
    ))
}

/// `capset(2)` of the calling thread.
pub(crate) fn capset(effective: u64, permitted: u64, inheritable: u64) -> Result<(), i32> {
    let mut header = CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    let data = [
        CapData {
            effective: effective as u32,
            permitted: permitted as u32,
            inheritable: inheritable as u32,
        },
        CapData {
            effective: (effective >> 32) as u32,
            permitted: (permitted >> 32) as u32,
            inheritable: (inheritable >> 32) as u32,
        },
    ];
    // SAFETY: header and a two-element data array, as version 3 requires, both live for the
    // duration of the call; the kernel only reads `data`.
    let r = unsafe {
        libc::syscall(
            libc::SYS_capset,
            &mut header as *mut CapHeader,
            data.as_ptr(),
        )
    };
    if r < 0 { Err(last_errno()) } else { Ok(()) }
}

/// `PR_CAPBSET_READ`: is capability `n` in the bounding set? `Err(EINVAL)` beyond the kernel's
/// last capability.
pub(crate) fn bounding_read(n: u8) -> Result<bool, i32> {
    prctl(PR_CAPBSET_READ, libc::c_ulong::from(n), 0).map(|r| r == 1)
}

/// `PR_CAPBSET_DROP`.
pub(crate) fn bounding_drop(n: u8) -> Result<(), i32> {
    prctl(PR_CAPBSET_DROP, libc::c_ulong::from(n), 0).map(|_| ())
}

/// `PR_CAP_AMBIENT_IS_SET`.
pub(crate) fn ambient_is_set(n: u8) -> Result<bool, i32> {
    prctl(
        PR_CAP_AMBIENT,
        PR_CAP_AMBIENT_IS_SET,
        libc::c_ulong::from(n),
    )
    .map(|r| r == 1)
}

/// `PR_CAP_AMBIENT_RAISE`.
pub(crate) fn ambient_raise(n: u8) -> Result<(), i32> {
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, libc::c_ulong::from(n)).map(|_| ())
}

/// `PR_CAP_AMBIENT_CLEAR_ALL`.
pub(crate) fn ambient_clear_all() -> Result<(), i32> {
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0).map(|_| ())
}

/// `PR_GET_SECUREBITS`.
pub(crate) fn get_securebits() -> Result<u32, i32> {
    prctl(PR_GET_SECUREBITS, 0, 0).map(|r| r as u32)
}

/// `PR_SET_SECUREBITS`.
pub(crate) fn set_securebits(bits: u32) -> Result<(), i32> {
    prctl(PR_SET_SECUREBITS, libc::c_ulong::from(bits), 0).map(|_| ())
}

/// `PR_SET_KEEPCAPS`.
pub(crate) fn set_keepcaps(on: bool) -> Result<(), i32> {
    prctl(PR_SET_KEEPCAPS, libc::c_ulong::from(on), 0).map(|_| ())
}

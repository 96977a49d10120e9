//! [`CapPlan`]: the capability changes a child applies to itself at the checkpoint, validated in
//! the parent and applied with raw system calls only.

use std::fmt;

use super::Cap;
use super::set::CapSet;
use super::status::CapState;
use super::sys;
use crate::error::{Error, Operation, OsError, Result, Subsystem};

bitflags::bitflags! {
    /// Securebits (see [capabilities(7)](https://man7.org/linux/man-pages/man7/capabilities.7.html),
    /// `PR_SET_SECUREBITS` in [prctl(2)](https://man7.org/linux/man-pages/man2/prctl.2.html)).
    /// The `*_LOCKED` bits make the matching bit permanent for the thread and its descendants.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct Securebits: u32 {
        /// `SECBIT_NOROOT`: uid 0 gains no capabilities at `execve`.
        const NOROOT = 1 << 0;
        /// `SECBIT_NOROOT_LOCKED`.
        const NOROOT_LOCKED = 1 << 1;
        /// `SECBIT_NO_SETUID_FIXUP`: uid changes do not adjust capability sets.
        const NO_SETUID_FIXUP = 1 << 2;
        /// `SECBIT_NO_SETUID_FIXUP_LOCKED`.
        const NO_SETUID_FIXUP_LOCKED = 1 << 3;
        /// `SECBIT_KEEP_CAPS`: keep permitted capabilities when all uids become non-zero.
        const KEEP_CAPS = 1 << 4;
        /// `SECBIT_KEEP_CAPS_LOCKED`.
        const KEEP_CAPS_LOCKED = 1 << 5;
        /// `SECBIT_NO_CAP_AMBIENT_RAISE`: the ambient set can no longer be raised.
        const NO_CAP_AMBIENT_RAISE = 1 << 6;
        /// `SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED`.
        const NO_CAP_AMBIENT_RAISE_LOCKED = 1 << 7;
    }
}

impl Securebits {
    /// The calling thread's securebits (`PR_GET_SECUREBITS`).
    ///
    /// # Errors
    /// The OS error of `prctl`.
    pub fn current() -> Result<Securebits> {
        sys::get_securebits()
            .map(Securebits::from_bits_retain)
            .map_err(|e| {
                OsError::new(
                    Subsystem::Caps,
                    Operation::Syscall("prctl(PR_GET_SECUREBITS)"),
                    super::status::errno(e),
                )
                .into()
            })
    }
}

/// Effective, permitted and inheritable sets, always given together (`capset(2)` sets all three;
/// a typed struct means none can be forgotten). Start from
/// [`CapState::thread_sets`] to change only one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ThreadSets {
    /// Effective set.
    pub effective: CapSet,
    /// Permitted set.
    pub permitted: CapSet,
    /// Inheritable set.
    pub inheritable: CapSet,
}

impl ThreadSets {
    /// Effective = permitted = `set`, inheritable empty.
    pub const fn same(set: CapSet) -> ThreadSets {
        ThreadSets {
            effective: set,
            permitted: set,
            inheritable: CapSet::EMPTY,
        }
    }
}

/// Which step of [`CapPlan::apply`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApplyStep {
    /// `PR_CAPBSET_READ`/`PR_CAPBSET_DROP` of one capability (needs `CAP_SETPCAP`).
    DropBounding,
    /// `PR_SET_SECUREBITS` (needs `CAP_SETPCAP`).
    Securebits,
    /// `PR_SET_KEEPCAPS`.
    KeepCaps,
    /// `capset(2)` of the thread sets (cannot add to permitted).
    SetThread,
    /// `PR_CAP_AMBIENT_CLEAR_ALL`.
    ClearAmbient,
    /// `PR_CAP_AMBIENT_RAISE` of one capability (needs it in permitted and inheritable).
    RaiseAmbient,
}

impl ApplyStep {
    /// The system call of the step, for messages.
    pub const fn syscall(self) -> &'static str {
        match self {
            ApplyStep::DropBounding => "prctl(PR_CAPBSET_DROP)",
            ApplyStep::Securebits => "prctl(PR_SET_SECUREBITS)",
            ApplyStep::KeepCaps => "prctl(PR_SET_KEEPCAPS)",
            ApplyStep::SetThread => "capset",
            ApplyStep::ClearAmbient => "prctl(PR_CAP_AMBIENT_CLEAR_ALL)",
            ApplyStep::RaiseAmbient => "prctl(PR_CAP_AMBIENT_RAISE)",
        }
    }
}

impl fmt::Display for ApplyStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ApplyStep::DropBounding => "drop from bounding set",
            ApplyStep::Securebits => "set securebits",
            ApplyStep::KeepCaps => "set keep-caps",
            ApplyStep::SetThread => "set thread capability sets",
            ApplyStep::ClearAmbient => "clear ambient set",
            ApplyStep::RaiseAmbient => "raise ambient capability",
        })
    }
}

/// A failed [`CapPlan::apply`]: a small `Copy` record that a child can send to its parent over
/// a pipe as it is (errno, step, capability number or `u8::MAX` for none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ApplyError {
    /// The raw errno.
    pub errno: i32,
    /// The step that failed.
    pub step: ApplyStep,
    /// The capability involved (bounding drops and ambient raises).
    pub cap: Option<u8>,
}

impl ApplyError {
    /// Converts to a linx [`Error`] (for the parent, or for [`CapPlan::apply_current`]).
    pub fn into_error(self) -> Error {
        let mut e = OsError::new(
            Subsystem::Caps,
            Operation::Syscall(self.step.syscall()),
            rustix::io::Errno::from_raw_os_error(self.errno),
        );
        if let Some(c) = self.cap.and_then(Cap::from_number) {
            e = e.object(c.to_string());
        }
        e.into()
    }
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.into_error().fmt(f)
    }
}

impl std::error::Error for ApplyError {}

impl From<ApplyError> for Error {
    fn from(e: ApplyError) -> Error {
        e.into_error()
    }
}

/// The capability changes for a thread — typically a child between `clone` and `execve` — built
/// and validated in the parent, applied by the thread to itself with [`CapPlan::apply`].
///
/// Every part is optional (`None` leaves it as it is). `apply` uses only raw system calls in
/// the one order the kernel accepts: bounding-set drops (while `CAP_SETPCAP` is still
/// effective) → securebits → keep-caps → *(the caller switches uid/gid here, see
/// [`apply_before_credentials`](CapPlan::apply_before_credentials))* → `capset` → ambient.
///
/// `CapPlan` is `Copy` and holds only masks, so applying it allocates nothing, takes no lock
/// and cannot panic: it is async-signal-safe.
///
/// ```no_run
/// use linx::caps::{Cap, CapPlan, CapSet, ThreadSets};
/// let keep: CapSet = [Cap::NetBindService, Cap::Chown].into_iter().collect();
/// let plan = CapPlan::new().bounding(keep).thread(ThreadSets::same(keep));
/// plan.validate()?;
/// // … in the child, after clone and before execve:
/// if let Err(e) = plan.apply() {
///     // send (e.errno, e.step, e.cap) to the parent and _exit
/// }
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CapPlan {
    /// The bounding set to keep: every capability the thread's bounding set holds outside it is
    /// dropped (`PR_CAPBSET_DROP`, irreversible).
    pub bounding: Option<CapSet>,
    /// Securebits to set (`PR_SET_SECUREBITS`), lock bits included.
    pub securebits: Option<Securebits>,
    /// Keep-caps flag (`PR_SET_KEEPCAPS`): keep permitted capabilities across a switch to a
    /// non-zero uid.
    pub keep_caps: Option<bool>,
    /// Effective, permitted and inheritable sets (`capset(2)`).
    pub thread: Option<ThreadSets>,
    /// The ambient set, replacing the current one (clear all, then raise each).
    pub ambient: Option<CapSet>,
}

impl CapPlan {
    /// A plan that changes nothing.
    pub const fn new() -> CapPlan {
        CapPlan {
            bounding: None,
            securebits: None,
            keep_caps: None,
            thread: None,
            ambient: None,
        }
    }

    /// Keeps only `keep` in the bounding set.
    pub const fn bounding(mut self, keep: CapSet) -> CapPlan {
        self.bounding = Some(keep);
        self
    }

    /// Sets securebits.
    pub const fn securebits(mut self, bits: Securebits) -> CapPlan {
        self.securebits = Some(bits);
        self
    }

    /// Sets the keep-caps flag.
    pub const fn keep_caps(mut self, on: bool) -> CapPlan {
        self.keep_caps = Some(on);
        self
    }

    /// Sets the thread sets.
    pub const fn thread(mut self, sets: ThreadSets) -> CapPlan {
        self.thread = Some(sets);
        self
    }

    /// Replaces the ambient set.
    pub const fn ambient(mut self, set: CapSet) -> CapPlan {
        self.ambient = Some(set);
        self
    }

    /// The plan of `linx run --cap-keep K`: bounding = K, effective = permitted = K,
    /// inheritable = ambient = ∅ (for a root workload: after exec E = P = B = K).
    pub const fn keep_only(keep: CapSet) -> CapPlan {
        CapPlan::new()
            .bounding(keep)
            .thread(ThreadSets::same(keep))
            .ambient(CapSet::EMPTY)
    }

    /// The plan of `linx run --cap-drop D`: `current` minus D in every set.
    pub fn drop_from(current: &CapState, drop: CapSet) -> CapPlan {
        CapPlan::new()
            .bounding(current.bounding - drop)
            .thread(ThreadSets {
                effective: current.effective - drop,
                permitted: current.permitted - drop,
                inheritable: current.inheritable - drop,
            })
            .ambient(current.ambient - drop)
    }

    /// Checks the plan's own consistency (CAP-09): effective ⊆ permitted; ambient ⊆ permitted
    /// ∩ inheritable; with a bounding set, permitted, inheritable and ambient within it; a
    /// locked keep-caps securebit agreeing with `keep_caps`; and no ambient raise when
    /// `NO_CAP_AMBIENT_RAISE` is set.
    ///
    /// # Errors
    /// An input error naming the offending capabilities and the rule.
    pub fn validate(&self) -> Result<()> {
        let fail = |caps: CapSet, rule: &'static str| {
            Err(Error::input(
                Subsystem::Caps,
                "capability plan",
                caps.to_string(),
                rule,
            ))
        };
        if let Some(t) = self.thread {
            let extra = t.effective - t.permitted;
            if !extra.is_empty() {
                return fail(extra, "effective capabilities must be in the permitted set");
            }
            if let Some(b) = self.bounding {
                let extra = t.permitted - b;
                if !extra.is_empty() {
                    return fail(extra, "permitted capabilities must be in the bounding set");
                }
                let extra = t.inheritable - b;
                if !extra.is_empty() {
                    return fail(
                        extra,
                        "inheritable capabilities must be in the bounding set",
                    );
                }
            }
        }
        if let Some(a) = self.ambient {
            if let Some(t) = self.thread {
                let extra = a - (t.permitted & t.inheritable);
                if !extra.is_empty() {
                    return fail(
                        extra,
                        "ambient capabilities must be in both the permitted and inheritable sets",
                    );
                }
            }
            if let Some(b) = self.bounding {
                let extra = a - b;
                if !extra.is_empty() {
                    return fail(extra, "ambient capabilities must be in the bounding set");
                }
            }
            if let Some(s) = self.securebits
                && s.contains(Securebits::NO_CAP_AMBIENT_RAISE)
                && !a.is_empty()
            {
                return fail(
                    a,
                    "the NO_CAP_AMBIENT_RAISE securebit forbids raising ambient capabilities",
                );
            }
        }
        if let (Some(s), Some(k)) = (self.securebits, self.keep_caps)
            && s.contains(Securebits::KEEP_CAPS_LOCKED)
            && s.contains(Securebits::KEEP_CAPS) != k
        {
            return Err(Error::input(
                Subsystem::Caps,
                "capability plan",
                format!("keep_caps {k}"),
                "contradicts the locked KEEP_CAPS securebit",
            ));
        }
        Ok(())
    }

    /// [`validate`](CapPlan::validate), plus what the kernel would refuse given the state the
    /// thread starts from (CAP-10): adding to permitted; ambient capabilities outside the
    /// resulting permitted ∩ inheritable; new inheritable capabilities outside the bounding
    /// set (or, without `CAP_SETPCAP`, outside the permitted set); bounding drops or
    /// securebits without `CAP_SETPCAP` effective.
    ///
    /// `before` is the state the thread has when it applies the plan (for a child cloned
    /// without a new user namespace, the parent's [`current`](super::current) state).
    ///
    /// # Errors
    /// An input error naming the offending capabilities and the rule.
    pub fn validate_for(&self, before: &CapState) -> Result<()> {
        self.validate()?;
        let fail = |caps: CapSet, rule: &'static str| {
            Err(Error::input(
                Subsystem::Caps,
                "capability plan",
                caps.to_string(),
                rule,
            ))
        };
        let drops = self.bounding.map_or(CapSet::EMPTY, |b| before.bounding - b);
        let needs_setpcap = !drops.is_empty() || self.securebits.is_some();
        if needs_setpcap && !before.effective.contains(Cap::Setpcap) {
            return fail(
                CapSet::from(Cap::Setpcap),
                "dropping from the bounding set or setting securebits needs cap_setpcap in the effective set",
            );
        }
        let bounding = self
            .bounding
            .map_or(before.bounding, |b| b & before.bounding);
        let sets = self.thread.unwrap_or(before.thread_sets());
        let extra = sets.permitted - before.permitted;
        if !extra.is_empty() {
            return fail(extra, "capset cannot add to the permitted set");
        }
        let extra = sets.inheritable - (before.inheritable | bounding);
        if !extra.is_empty() {
            return fail(
                extra,
                "new inheritable capabilities must be in the bounding set",
            );
        }
        if !before.effective.contains(Cap::Setpcap) {
            let extra = sets.inheritable - (before.inheritable | before.permitted);
            if !extra.is_empty() {
                return fail(
                    extra,
                    "without cap_setpcap, new inheritable capabilities must be in the permitted set",
                );
            }
        }
        if let Some(a) = self.ambient {
            let extra = a - (sets.permitted & sets.inheritable);
            if !extra.is_empty() {
                return fail(
                    extra,
                    "ambient capabilities must be in both the permitted and inheritable sets",
                );
            }
        }
        Ok(())
    }

    /// The state after the plan is applied to a thread in state `before` (ambient capabilities
    /// the new thread sets no longer allow are dropped, as the kernel does).
    pub fn after_apply(&self, before: &CapState) -> CapState {
        let bounding = self
            .bounding
            .map_or(before.bounding, |b| b & before.bounding);
        let sets = self.thread.unwrap_or(before.thread_sets());
        let ambient = self.ambient.unwrap_or(before.ambient) & sets.permitted & sets.inheritable;
        CapState {
            effective: sets.effective,
            permitted: sets.permitted,
            inheritable: sets.inheritable,
            bounding,
            ambient,
        }
    }

    /// Predicts the state after `execve` of a program without file capabilities and without
    /// set-user/group-id bits, following the exec rules of capabilities(7):
    ///
    /// * a *root* workload (uid 0 in its user namespace; `root_effective` says whether the
    ///   effective uid is 0 too) unless `NOROOT` is set: P' = B ∪ I ∪ A, E' = P' when the
    ///   effective uid is 0, else A;
    /// * any other workload: P' = E' = A;
    /// * I' = I, B' = B, A' = A.
    ///
    /// `before` is the thread's state before [`apply`](CapPlan::apply).
    pub fn predict_exec(&self, before: &CapState, root: bool, root_effective: bool) -> CapState {
        let s = self.after_apply(before);
        let noroot = self
            .securebits
            .is_some_and(|b| b.contains(Securebits::NOROOT));
        let (permitted, effective) = if root && !noroot {
            let p = s.bounding | s.inheritable | s.ambient;
            (p, if root_effective { p } else { s.ambient })
        } else {
            (s.ambient, s.ambient)
        };
        CapState {
            effective,
            permitted,
            inheritable: s.inheritable,
            bounding: s.bounding,
            ambient: s.ambient,
        }
    }

    /// Applies the whole plan to the calling thread: [`apply_before_credentials`] then
    /// [`apply_after_credentials`].
    ///
    /// Async-signal-safe: raw `prctl(2)`/`capset(2)` calls only, no allocation, no locks, no
    /// panics; safe to call in a forked child of a multithreaded process. Stops at the first
    /// failure.
    ///
    /// [`apply_before_credentials`]: CapPlan::apply_before_credentials
    /// [`apply_after_credentials`]: CapPlan::apply_after_credentials
    ///
    /// # Errors
    /// The errno, the step and the capability involved.
    pub fn apply(&self) -> std::result::Result<(), ApplyError> {
        self.apply_before_credentials()?;
        self.apply_after_credentials()
    }

    /// The steps that must precede a uid/gid switch: bounding-set drops (each capability the
    /// thread still has outside the plan's bounding set, found with `PR_CAPBSET_READ` up to the
    /// kernel's last capability), then securebits, then keep-caps. Async-signal-safe.
    ///
    /// # Errors
    /// As [`apply`](CapPlan::apply).
    pub fn apply_before_credentials(&self) -> std::result::Result<(), ApplyError> {
        if let Some(keep) = self.bounding {
            let mut n: u8 = 0;
            while n <= super::cap::MAX_CAP {
                if !keep.contains_number(n) {
                    match sys::bounding_read(n) {
                        Ok(true) => sys::bounding_drop(n).map_err(|errno| ApplyError {
                            errno,
                            step: ApplyStep::DropBounding,
                            cap: Some(n),
                        })?,
                        Ok(false) => {}
                        // Beyond the kernel's last capability.
                        Err(libc::EINVAL) => break,
                        Err(errno) => {
                            return Err(ApplyError {
                                errno,
                                step: ApplyStep::DropBounding,
                                cap: Some(n),
                            });
                        }
                    }
                }
                n += 1;
            }
        }
        if let Some(bits) = self.securebits {
            sys::set_securebits(bits.bits()).map_err(|errno| ApplyError {
                errno,
                step: ApplyStep::Securebits,
                cap: None,
            })?;
        }
        if let Some(on) = self.keep_caps {
            sys::set_keepcaps(on).map_err(|errno| ApplyError {
                errno,
                step: ApplyStep::KeepCaps,
                cap: None,
            })?;
        }
        Ok(())
    }

    /// The steps that follow a uid/gid switch: `capset` of the thread sets, then the ambient
    /// set (clear all, raise each). Async-signal-safe.
    ///
    /// # Errors
    /// As [`apply`](CapPlan::apply).
    pub fn apply_after_credentials(&self) -> std::result::Result<(), ApplyError> {
        if let Some(t) = self.thread {
            sys::capset(t.effective.bits(), t.permitted.bits(), t.inheritable.bits()).map_err(
                |errno| ApplyError {
                    errno,
                    step: ApplyStep::SetThread,
                    cap: None,
                },
            )?;
        }
        if let Some(a) = self.ambient {
            sys::ambient_clear_all().map_err(|errno| ApplyError {
                errno,
                step: ApplyStep::ClearAmbient,
                cap: None,
            })?;
            let mut bits = a.bits();
            while bits != 0 {
                let n = bits.trailing_zeros() as u8;
                bits &= bits - 1;
                sys::ambient_raise(n).map_err(|errno| ApplyError {
                    errno,
                    step: ApplyStep::RaiseAmbient,
                    cap: Some(n),
                })?;
            }
        }
        Ok(())
    }

    /// Validates against the calling thread's [`current`](super::current) state and applies
    /// the plan to the calling thread (CAP-11, for self-restricting programs).
    ///
    /// Capabilities are **per thread**: only the calling thread changes; threads started
    /// earlier keep their sets, threads started later inherit the new ones.
    ///
    /// # Errors
    /// Input errors from [`validate_for`](CapPlan::validate_for) (nothing is changed then);
    /// the OS error of the failing step, naming the system call and the capability.
    pub fn apply_current(&self) -> Result<()> {
        self.validate_for(&super::current()?)?;
        self.apply().map_err(ApplyError::into_error)
    }
}

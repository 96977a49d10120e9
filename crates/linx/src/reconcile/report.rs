//! The report of one reconcile pass (REC-02).

use std::fmt;

use crate::error::Error;

/// What a pass did: operations applied, failed (with the error), still pending, and the
/// ownership to hand to the next pass.
///
/// `converged` means nothing failed and nothing is pending. Per-operation kernel failures live
/// here; `Err` from a pass is reserved for passes that could not run.
///
/// `Display` is one line: `converged (4 applied)`, `not converged (2 applied, 1 failed, 3
/// pending)`, `converged (nothing to do)`; [`lines`](Report::lines) lists every operation.
///
/// ```
/// use linx::reconcile::Report;
/// let mut r: Report<&str, ()> = Report::new(());
/// assert_eq!(r.clone().finish().to_string(), "converged (nothing to do)");
/// r.applied.push("create route 10.0.0.0/8");
/// r.pending.push("delete route 10.1.0.0/16");
/// let r = r.finish();
/// assert!(!r.converged);
/// assert_eq!(r.to_string(), "not converged (1 applied, 0 failed, 1 pending)");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Report<Op, L> {
    /// Nothing failed and nothing is pending.
    pub converged: bool,
    /// Operations applied, in order.
    pub applied: Vec<Op>,
    /// Operations that failed, each with the subsystem error (full context: key, path,
    /// interface, errno, extended ack).
    pub failed: Vec<(Op, Error)>,
    /// Operations not attempted (after a fail-fast stop) or found still needed by verification.
    pub pending: Vec<Op>,
    /// Ownership after the pass: pass it to the next one.
    pub last_applied: L,
}

impl<Op, L> Report<Op, L> {
    /// An empty report carrying `last_applied` (call [`finish`](Report::finish) after filling
    /// it).
    pub fn new(last_applied: L) -> Report<Op, L> {
        Report {
            converged: true,
            applied: Vec::new(),
            failed: Vec::new(),
            pending: Vec::new(),
            last_applied,
        }
    }

    /// Sets `converged` from the lists: nothing failed and nothing pending.
    pub fn finish(mut self) -> Report<Op, L> {
        self.converged = self.failed.is_empty() && self.pending.is_empty();
        self
    }

    /// True when the pass changed nothing and needed nothing (`converged (nothing to do)`).
    pub fn is_noop(&self) -> bool {
        self.applied.is_empty() && self.failed.is_empty() && self.pending.is_empty()
    }

    /// Converts the operations (to merge reports of several reconcilers) and the ownership.
    pub fn map<Op2, L2>(
        self,
        op: impl Fn(Op) -> Op2,
        last: impl FnOnce(L) -> L2,
    ) -> Report<Op2, L2> {
        Report {
            converged: self.converged,
            applied: self.applied.into_iter().map(&op).collect(),
            failed: self.failed.into_iter().map(|(o, e)| (op(o), e)).collect(),
            pending: self.pending.into_iter().map(&op).collect(),
            last_applied: last(self.last_applied),
        }
    }

    /// Appends another report's operations (its ownership is dropped; `converged` is
    /// recomputed).
    pub fn absorb<L2>(&mut self, other: Report<Op, L2>) {
        self.applied.extend(other.applied);
        self.failed.extend(other.failed);
        self.pending.extend(other.pending);
        self.converged = self.failed.is_empty() && self.pending.is_empty();
    }
}

impl<Op: fmt::Display, L> Report<Op, L> {
    /// One line per operation — `+ op` applied, `! op: error` failed, `~ op` pending — then the
    /// summary line.
    ///
    /// ```
    /// use linx::reconcile::Report;
    /// let mut r: Report<&str, ()> = Report::new(());
    /// r.applied.push("write pids.max = 100");
    /// assert_eq!(r.finish().lines(), ["+ write pids.max = 100", "converged (1 applied)"]);
    /// ```
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::with_capacity(self.applied.len() + self.failed.len() + 1);
        out.extend(self.applied.iter().map(|o| format!("+ {o}")));
        out.extend(self.failed.iter().map(|(o, e)| format!("! {o}: {e}")));
        out.extend(self.pending.iter().map(|o| format!("~ {o}")));
        out.push(self.to_string());
        out
    }
}

impl<Op, L> fmt::Display for Report<Op, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let converged = self.failed.is_empty() && self.pending.is_empty();
        if converged && self.applied.is_empty() {
            f.write_str("converged (nothing to do)")
        } else if converged {
            write!(f, "converged ({} applied)", self.applied.len())
        } else {
            write!(
                f,
                "not converged ({} applied, {} failed, {} pending)",
                self.applied.len(),
                self.failed.len(),
                self.pending.len()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Subsystem;

    #[test]
    fn rec_02_display_forms() {
        let mut r: Report<u32, ()> = Report::new(());
        assert_eq!(r.to_string(), "converged (nothing to do)");
        r.applied.extend([1, 2, 3, 4]);
        assert_eq!(r.clone().finish().to_string(), "converged (4 applied)");
        r.applied.truncate(2);
        r.failed
            .push((5, Error::input(Subsystem::Reconcile, "x", "y", "z")));
        r.pending.extend([6, 7, 8]);
        let r = r.finish();
        assert!(!r.converged);
        assert_eq!(
            r.to_string(),
            "not converged (2 applied, 1 failed, 3 pending)"
        );
    }
}

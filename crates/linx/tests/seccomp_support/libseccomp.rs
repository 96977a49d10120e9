//! libseccomp as an optional oracle, loaded at run time with `dlopen("libseccomp.so.2")` (no
//! build-time dependency, no headers): builds a filter from rules and exports its cBPF program.

#![allow(dead_code)]

use std::ffi::{CStr, c_void};

use linx::seccomp::bpf::{self, SockFilter};
use linx::seccomp::{Action, Cmp, Condition, Width};

#[repr(C)]
struct ArgCmp {
    arg: u32,
    op: u32,
    datum_a: u64,
    datum_b: u64,
}

type Init = unsafe extern "C" fn(u32) -> *mut c_void;
type RuleAdd = unsafe extern "C" fn(*mut c_void, u32, i32, u32, *const ArgCmp) -> i32;
type AttrSet = unsafe extern "C" fn(*mut c_void, u32, u32) -> i32;
type Export = unsafe extern "C" fn(*mut c_void, i32) -> i32;
type Release = unsafe extern "C" fn(*mut c_void);

/// The loaded library.
pub struct Lib {
    init: Init,
    rule_add: RuleAdd,
    attr_set: AttrSet,
    export: Export,
    release: Release,
}

/// `SCMP_FLTATR_CTL_OPTIMIZE`: 1 priority-ordered chain, 2 binary tree (libseccomp ≥ 2.5).
const ATTR_OPTIMIZE: u32 = 8;

impl Lib {
    /// Loads `libseccomp.so.2`, or `None` when it is not installed.
    pub fn load() -> Option<Lib> {
        // SAFETY: dlopen/dlsym with NUL-terminated names; the handle is never closed, so the
        // function pointers stay valid.
        unsafe {
            let h = libc::dlopen(c"libseccomp.so.2".as_ptr(), libc::RTLD_NOW);
            if h.is_null() {
                return None;
            }
            let sym = |name: &CStr| {
                let p = libc::dlsym(h, name.as_ptr());
                (!p.is_null()).then_some(p)
            };
            Some(Lib {
                init: std::mem::transmute::<*mut c_void, Init>(sym(c"seccomp_init")?),
                rule_add: std::mem::transmute::<*mut c_void, RuleAdd>(sym(
                    c"seccomp_rule_add_array",
                )?),
                attr_set: std::mem::transmute::<*mut c_void, AttrSet>(sym(c"seccomp_attr_set")?),
                export: std::mem::transmute::<*mut c_void, Export>(sym(c"seccomp_export_bpf")?),
                release: std::mem::transmute::<*mut c_void, Release>(sym(c"seccomp_release")?),
            })
        }
    }

    /// Builds a native-arch filter and exports its program. `tree` selects libseccomp's
    /// binary-tree optimisation. Rules whose action equals the default are left out (libseccomp
    /// refuses them); conditions must be 64-bit and on distinct arguments.
    pub fn compile(
        &self,
        default: Action,
        rules: &[(u32, Action, Vec<Condition>)],
        tree: bool,
    ) -> Result<Vec<SockFilter>, String> {
        // SAFETY: calls into libseccomp with a context it created, released on every path.
        unsafe {
            let ctx = (self.init)(default.to_ret());
            if ctx.is_null() {
                return Err("seccomp_init failed".into());
            }
            let result = (|| {
                if tree && (self.attr_set)(ctx, ATTR_OPTIMIZE, 2) != 0 {
                    return Err("binary-tree optimisation unsupported".to_owned());
                }
                for (nr, action, conds) in rules {
                    if *action == default {
                        continue;
                    }
                    let cmps: Vec<ArgCmp> = conds.iter().map(arg_cmp).collect::<Result<_, _>>()?;
                    let r = (self.rule_add)(
                        ctx,
                        action.to_ret(),
                        *nr as i32,
                        cmps.len() as u32,
                        cmps.as_ptr(),
                    );
                    if r != 0 {
                        return Err(format!("seccomp_rule_add({nr}): {r}"));
                    }
                }
                let fd = libc::memfd_create(c"bpf".as_ptr(), libc::MFD_CLOEXEC);
                if fd < 0 {
                    return Err("memfd_create".into());
                }
                let r = (self.export)(ctx, fd);
                let mut bytes = Vec::new();
                if r == 0 {
                    let len = libc::lseek(fd, 0, libc::SEEK_END);
                    bytes.resize(len.max(0) as usize, 0u8);
                    libc::pread(fd, bytes.as_mut_ptr().cast(), bytes.len(), 0);
                }
                libc::close(fd);
                if r != 0 {
                    return Err(format!("seccomp_export_bpf: {r}"));
                }
                bpf::from_bytes(&bytes).map_err(|e| e.to_string())
            })();
            (self.release)(ctx);
            result
        }
    }
}

fn arg_cmp(c: &Condition) -> Result<ArgCmp, String> {
    if c.width != Width::U64 {
        return Err("libseccomp compares 64-bit".into());
    }
    let (op, a, b) = match c.cmp {
        Cmp::Ne(v) => (1, v, 0),
        Cmp::Lt(v) => (2, v, 0),
        Cmp::Le(v) => (3, v, 0),
        Cmp::Eq(v) => (4, v, 0),
        Cmp::Ge(v) => (5, v, 0),
        Cmp::Gt(v) => (6, v, 0),
        Cmp::MaskedEq { mask, value } => (7, mask, value),
    };
    Ok(ArgCmp {
        arg: u32::from(c.arg),
        op,
        datum_a: a,
        datum_b: b,
    })
}

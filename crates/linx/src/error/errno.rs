//! The complete Linux errno name table (asm-generic numbering, used by x86_64 and aarch64),
//! plus the kernel-internal codes (512 and up) that can leak out through netlink acks.

/// Errno names indexed by number; `""` marks an unassigned number.
const NAMES: [&str; 134] = [
    "",
    "EPERM",
    "ENOENT",
    "ESRCH",
    "EINTR",
    "EIO",
    "ENXIO",
    "E2BIG",
    "ENOEXEC",
    "EBADF",
    "ECHILD",
    "EAGAIN",
    "ENOMEM",
    "EACCES",
    "EFAULT",
    "ENOTBLK",
    "EBUSY",
    "EEXIST",
    "EXDEV",
    "ENODEV",
    "ENOTDIR",
    "EISDIR",
    "EINVAL",
    "ENFILE",
    "EMFILE",
    "ENOTTY",
    "ETXTBSY",
    "EFBIG",
    "ENOSPC",
    "ESPIPE",
    "EROFS",
    "EMLINK",
    "EPIPE",
    "EDOM",
    "ERANGE",
    "EDEADLK",
    "ENAMETOOLONG",
    "ENOLCK",
    "ENOSYS",
    "ENOTEMPTY",
    "ELOOP",
    "",
    "ENOMSG",
    "EIDRM",
    "ECHRNG",
    "EL2NSYNC",
    "EL3HLT",
    "EL3RST",
    "ELNRNG",
    "EUNATCH",
    "ENOCSI",
    "EL2HLT",
    "EBADE",
    "EBADR",
    "EXFULL",
    "ENOANO",
    "EBADRQC",
    "EBADSLT",
    "",
    "EBFONT",
    "ENOSTR",
    "ENODATA",
    "ETIME",
    "ENOSR",
    "ENONET",
    "ENOPKG",
    "EREMOTE",
    "ENOLINK",
    "EADV",
    "ESRMNT",
    "ECOMM",
    "EPROTO",
    "EMULTIHOP",
    "EDOTDOT",
    "EBADMSG",
    "EOVERFLOW",
    "ENOTUNIQ",
    "EBADFD",
    "EREMCHG",
    "ELIBACC",
    "ELIBBAD",
    "ELIBSCN",
    "ELIBMAX",
    "ELIBEXEC",
    "EILSEQ",
    "ERESTART",
    "ESTRPIPE",
    "EUSERS",
    "ENOTSOCK",
    "EDESTADDRREQ",
    "EMSGSIZE",
    "EPROTOTYPE",
    "ENOPROTOOPT",
    "EPROTONOSUPPORT",
    "ESOCKTNOSUPPORT",
    "EOPNOTSUPP",
    "EPFNOSUPPORT",
    "EAFNOSUPPORT",
    "EADDRINUSE",
    "EADDRNOTAVAIL",
    "ENETDOWN",
    "ENETUNREACH",
    "ENETRESET",
    "ECONNABORTED",
    "ECONNRESET",
    "ENOBUFS",
    "EISCONN",
    "ENOTCONN",
    "ESHUTDOWN",
    "ETOOMANYREFS",
    "ETIMEDOUT",
    "ECONNREFUSED",
    "EHOSTDOWN",
    "EHOSTUNREACH",
    "EALREADY",
    "EINPROGRESS",
    "ESTALE",
    "EUCLEAN",
    "ENOTNAM",
    "ENAVAIL",
    "EISNAM",
    "EREMOTEIO",
    "EDQUOT",
    "ENOMEDIUM",
    "EMEDIUMTYPE",
    "ECANCELED",
    "ENOKEY",
    "EKEYEXPIRED",
    "EKEYREVOKED",
    "EKEYREJECTED",
    "EOWNERDEAD",
    "ENOTRECOVERABLE",
    "ERFKILL",
    "EHWPOISON",
];

/// Kernel-internal errno values (never defined for user space, but seen in netlink acks).
const INTERNAL: [(i32, &str); 19] = [
    (512, "ERESTARTSYS"),
    (513, "ERESTARTNOINTR"),
    (514, "ERESTARTNOHAND"),
    (515, "ENOIOCTLCMD"),
    (516, "ERESTART_RESTARTBLOCK"),
    (517, "EPROBE_DEFER"),
    (518, "EOPENSTALE"),
    (519, "ENOPARAM"),
    (521, "EBADHANDLE"),
    (522, "ENOTSYNC"),
    (523, "EBADCOOKIE"),
    (524, "ENOTSUPP"),
    (525, "ETOOSMALL"),
    (526, "ESERVERFAULT"),
    (527, "EBADTYPE"),
    (528, "EJUKEBOX"),
    (529, "EIOCBQUEUED"),
    (530, "ERECALLCONFLICT"),
    (531, "ENOGRACE"),
];

/// The symbolic name of a (positive) errno number, e.g. `errno_name(19) == Some("ENODEV")`.
///
/// Covers every number Linux defines for user space and the kernel-internal codes 512–531;
/// returns `None` for numbers with no name (callers keep and show the number).
pub fn errno_name(errno: i32) -> Option<&'static str> {
    if let Ok(i) = usize::try_from(errno) {
        if let Some(name) = NAMES.get(i) {
            return if name.is_empty() { None } else { Some(name) };
        }
    }
    INTERNAL.iter().find(|(n, _)| *n == errno).map(|(_, s)| *s)
}

/// The errno number of a symbolic name (`"ENOENT"` → 2); the aliases `EWOULDBLOCK` and `EDEADLOCK`
/// are accepted.
pub fn errno_from_name(name: &str) -> Option<i32> {
    match name {
        "EWOULDBLOCK" => return Some(11),
        "EDEADLOCK" => return Some(35),
        _ => {}
    }
    if let Some(i) = NAMES.iter().position(|n| !n.is_empty() && *n == name) {
        return i32::try_from(i).ok();
    }
    INTERNAL.iter().find(|(_, s)| *s == name).map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for n in 1..600 {
            if let Some(name) = errno_name(n) {
                assert_eq!(errno_from_name(name), Some(n), "{name}");
            }
        }
        assert_eq!(errno_name(19), Some("ENODEV"));
        assert_eq!(errno_name(95), Some("EOPNOTSUPP"));
        assert_eq!(errno_name(133), Some("EHWPOISON"));
        assert_eq!(errno_name(524), Some("ENOTSUPP"));
        assert_eq!(errno_name(41), None);
        assert_eq!(errno_name(0), None);
        assert_eq!(errno_name(-1), None);
        assert_eq!(errno_name(4000), None);
        assert_eq!(errno_from_name("EWOULDBLOCK"), Some(11));
    }
}

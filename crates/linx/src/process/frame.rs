//! The fixed-size frames of the parent↔child control channel (a `SOCK_SEQPACKET` socketpair).
//!
//! Every frame is [`FRAME_LEN`] bytes: `kind u32, code u32, errno i32, detail u32, values [u64; 6]`
//! in host byte order. The child side encodes and decodes without allocating.

/// Size of every frame.
pub const FRAME_LEN: usize = 64;

/// Child → parent: parked at the checkpoint; `values[0]` = pid inside its pid namespace.
pub const READY: u32 = 1;
/// Child → parent: the last command was applied.
pub const ACK: u32 = 2;
/// Child → parent: a step failed; `code` = stage code, `errno`, `detail` (e.g. capability).
pub const ERR: u32 = 3;
/// Child → parent: every pre-exec step is done; `execve` comes next.
pub const MARKER: u32 = 4;
/// Parent → child: run the pre-exec steps and `execve`.
pub const CMD_PROCEED: u32 = 10;
/// Parent → child: exit without exec.
pub const CMD_ABORT: u32 = 11;
/// Parent → child: queue a seccomp filter; an fd of a memfd holding the `sock_filter` array travels
/// as `SCM_RIGHTS`; `detail` = seccomp flags, `values[0]` = byte length, `values[1]` = 1 to install
/// at once instead of before exec.
pub const CMD_SECCOMP: u32 = 12;
/// Parent → child: apply a capability plan; `detail` = which parts (`CAPS_*` bits), `values` =
/// bounding set to keep, effective, permitted, inheritable, ambient, securebits | keep-caps << 32.
pub const CMD_CAPS: u32 = 13;

/// [`CMD_CAPS`] part: drop `values[0]` from the bounding set.
pub const CAPS_BOUNDING: u32 = 1;
/// [`CMD_CAPS`] part: set effective/permitted/inheritable from `values[1..4]`.
pub const CAPS_THREAD: u32 = 2;
/// [`CMD_CAPS`] part: set the ambient set to `values[4]`.
pub const CAPS_AMBIENT: u32 = 4;
/// [`CMD_CAPS`] part: set securebits to `values[5]`.
pub const CAPS_SECUREBITS: u32 = 8;
/// [`CMD_CAPS`] part: set keep-caps (`values[5]` bit 32).
pub const CAPS_KEEPCAPS: u32 = 16;
/// [`CMD_CAPS`] flag: apply at exec, around the credential switch, instead of now.
pub const CAPS_AT_EXEC: u32 = 32;

/// A decoded frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Frame {
    /// Frame kind (`READY`, `CMD_PROCEED` …).
    pub kind: u32,
    /// Stage code for errors.
    pub code: u32,
    /// Errno for errors.
    pub errno: i32,
    /// Extra detail (capability number, flags).
    pub detail: u32,
    /// Payload values.
    pub values: [u64; 6],
}

impl Frame {
    /// A frame of `kind` with everything else zero.
    pub const fn new(kind: u32) -> Frame {
        Frame {
            kind,
            code: 0,
            errno: 0,
            detail: 0,
            values: [0; 6],
        }
    }

    /// Encodes into the fixed wire form (no allocation).
    pub fn encode(&self) -> [u8; FRAME_LEN] {
        let mut b = [0u8; FRAME_LEN];
        let (head, tail) = b.split_at_mut(16);
        head[0..4].copy_from_slice(&self.kind.to_ne_bytes());
        head[4..8].copy_from_slice(&self.code.to_ne_bytes());
        head[8..12].copy_from_slice(&self.errno.to_ne_bytes());
        head[12..16].copy_from_slice(&self.detail.to_ne_bytes());
        for (chunk, v) in tail.chunks_exact_mut(8).zip(self.values) {
            chunk.copy_from_slice(&v.to_ne_bytes());
        }
        b
    }

    /// Decodes a frame; `None` unless exactly [`FRAME_LEN`] bytes are given.
    pub fn decode(bytes: &[u8]) -> Option<Frame> {
        let b: &[u8; FRAME_LEN] = bytes.try_into().ok()?;
        let u32_at = |i: usize| u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let mut values = [0u64; 6];
        for (v, chunk) in values.iter_mut().zip(b[16..].chunks_exact(8)) {
            let mut a = [0u8; 8];
            a.copy_from_slice(chunk);
            *v = u64::from_ne_bytes(a);
        }
        Some(Frame {
            kind: u32_at(0),
            code: u32_at(4),
            errno: u32_at(8) as i32,
            detail: u32_at(12),
            values,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_42_frames_round_trip() {
        let f = Frame {
            kind: ERR,
            code: 32 << 8,
            errno: 2,
            detail: 7,
            values: [1, 2, 3, u64::MAX, 5, 6],
        };
        assert_eq!(Frame::decode(&f.encode()), Some(f));
        assert_eq!(Frame::decode(&[0u8; 63]), None);
        assert_eq!(Frame::decode(&[0u8; 65]), None);
    }
}

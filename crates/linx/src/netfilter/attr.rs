//! Attribute writer and strict attribute tables shared by the nf_tables codecs. Pure, no I/O;
//! nothing here panics on any input.
//!
//! nf_tables attributes are netlink attributes whose integers are big-endian (`NLA_F_NESTED` set on
//! nests, as libmnl does). The writer records the first nest or attribute that does not fit the
//! 16-bit length instead of failing mid-way, so encoders stay linear.

use crate::error::{InputError, Subsystem};
use crate::netlink::wire::{self, NLA_F_NESTED, NLA_HDRLEN, NLA_MAX_LEN, NLA_TYPE_MASK};

/// A growable buffer of netlink attributes (optionally behind a message header).
#[derive(Debug, Clone, Default)]
pub(crate) struct W {
    pub(crate) buf: Vec<u8>,
    err: Option<(u16, usize)>,
}

impl W {
    pub(crate) fn with_capacity(n: usize) -> W {
        W {
            buf: Vec::with_capacity(n),
            err: None,
        }
    }

    fn pad(&mut self) {
        let n = wire::align4(self.buf.len());
        self.buf.resize(n, 0);
    }

    /// Appends an attribute with a raw type (flag bits kept).
    pub(crate) fn attr(&mut self, ty: u16, data: &[u8]) {
        let len = NLA_HDRLEN + data.len();
        if len > NLA_MAX_LEN {
            self.err.get_or_insert((ty & NLA_TYPE_MASK, len));
            return;
        }
        self.buf.extend_from_slice(&(len as u16).to_ne_bytes());
        self.buf.extend_from_slice(&ty.to_ne_bytes());
        self.buf.extend_from_slice(data);
        self.pad();
    }

    pub(crate) fn str(&mut self, ty: u16, s: &str) {
        let len = NLA_HDRLEN + s.len() + 1;
        if len > NLA_MAX_LEN {
            self.err.get_or_insert((ty, len));
            return;
        }
        self.buf.extend_from_slice(&(len as u16).to_ne_bytes());
        self.buf.extend_from_slice(&ty.to_ne_bytes());
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(0);
        self.pad();
    }

    pub(crate) fn u8(&mut self, ty: u16, v: u8) {
        self.attr(ty, &[v]);
    }

    pub(crate) fn be16(&mut self, ty: u16, v: u16) {
        self.attr(ty, &v.to_be_bytes());
    }

    pub(crate) fn be32(&mut self, ty: u16, v: u32) {
        self.attr(ty, &v.to_be_bytes());
    }

    pub(crate) fn be64(&mut self, ty: u16, v: u64) {
        self.attr(ty, &v.to_be_bytes());
    }

    /// Opens a nest; returns its start offset for [`end`](W::end).
    pub(crate) fn nest(&mut self, ty: u16) -> usize {
        let at = self.buf.len();
        self.buf.extend_from_slice(&[0, 0]);
        self.buf
            .extend_from_slice(&(ty | NLA_F_NESTED).to_ne_bytes());
        at
    }

    /// Closes the nest opened at `at`.
    pub(crate) fn end(&mut self, at: usize) {
        let len = self.buf.len().saturating_sub(at);
        if len > NLA_MAX_LEN {
            let ty = self
                .buf
                .get(at + 2..at + 4)
                .map(|b| u16::from_ne_bytes([b[0], b[1]]) & NLA_TYPE_MASK)
                .unwrap_or(0);
            self.err.get_or_insert((ty, len));
            self.buf.truncate(at);
            return;
        }
        if let Some(b) = self.buf.get_mut(at..at + 2) {
            b.copy_from_slice(&(len as u16).to_ne_bytes());
        }
    }

    /// Current length.
    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    /// Cuts the buffer back to `len` (used to undo a partially written element).
    pub(crate) fn truncate(&mut self, len: usize) {
        self.buf.truncate(len);
    }

    /// Fails with the first recorded overflow.
    pub(crate) fn check(&self) -> Result<(), InputError> {
        match self.err {
            None => Ok(()),
            Some((ty, len)) => Err(InputError::new(
                Subsystem::Netfilter,
                "attribute",
                format!("type {ty}, {len} bytes"),
                "does not fit the 16-bit netlink attribute length",
            )),
        }
    }

    pub(crate) fn into_inner(self) -> Result<Vec<u8>, InputError> {
        self.check()?;
        Ok(self.buf)
    }
}

/// Up to 32 attributes of one nest, indexed by type. Built strictly: any attribute type outside
/// `allowed`, a duplicate, or a malformed length makes [`Tab::parse`] return `None` so callers fall
/// back to a lossless raw representation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tab<'a> {
    slots: [Option<&'a [u8]>; 32],
}

impl<'a> Tab<'a> {
    /// Parses `data`; `allowed` is a bit mask of accepted types (bit n = type n); `ignored` types
    /// (e.g. padding) are accepted and dropped.
    pub(crate) fn parse(data: &'a [u8], allowed: u32, ignored: u32) -> Option<Tab<'a>> {
        let mut t = Tab { slots: [None; 32] };
        for a in wire::attrs(data) {
            let a = a.ok()?;
            let k = a.kind();
            if k >= 32 {
                // Lenient tables (all types allowed) skip attributes they cannot index.
                if allowed == u32::MAX {
                    continue;
                }
                return None;
            }
            if ignored & (1 << k) != 0 {
                continue;
            }
            if allowed & (1 << k) == 0 || t.slots[k as usize].is_some() {
                return None;
            }
            t.slots[k as usize] = Some(a.payload);
        }
        // Trailing bytes that are not an attribute header are tolerated by `attrs`; refuse them
        // here only if they could hide data (more than padding).
        Some(t)
    }

    pub(crate) fn get(&self, k: u16) -> Option<&'a [u8]> {
        self.slots.get(k as usize).copied().flatten()
    }

    pub(crate) fn has(&self, k: u16) -> bool {
        self.get(k).is_some()
    }

    pub(crate) fn be32(&self, k: u16) -> Option<Option<u32>> {
        opt(self.get(k), be32)
    }

    pub(crate) fn be16(&self, k: u16) -> Option<Option<u16>> {
        opt(self.get(k), be16)
    }

    pub(crate) fn be64(&self, k: u16) -> Option<Option<u64>> {
        opt(self.get(k), be64)
    }

    pub(crate) fn u8(&self, k: u16) -> Option<Option<u8>> {
        opt(self.get(k), |b| match b {
            [v] => Some(*v),
            _ => None,
        })
    }

    pub(crate) fn str(&self, k: u16) -> Option<Option<String>> {
        opt(self.get(k), strz)
    }

    /// A string sent with or without its NUL terminator (libnftnl sends some names without).
    pub(crate) fn str_any(&self, k: u16) -> Option<Option<String>> {
        opt(self.get(k), |b| {
            let b = b.strip_suffix(&[0]).unwrap_or(b);
            if b.contains(&0) {
                return None;
            }
            String::from_utf8(b.to_vec()).ok()
        })
    }

    /// A required big-endian u32.
    pub(crate) fn req32(&self, k: u16) -> Option<u32> {
        self.be32(k)?
    }
}

/// Maps a present-but-malformed value to `None` (outer), an absent one to `Some(None)`.
fn opt<T>(v: Option<&[u8]>, f: impl Fn(&[u8]) -> Option<T>) -> Option<Option<T>> {
    match v {
        None => Some(None),
        Some(b) => f(b).map(Some),
    }
}

pub(crate) fn be16(b: &[u8]) -> Option<u16> {
    Some(u16::from_be_bytes(b.try_into().ok()?))
}

pub(crate) fn be32(b: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(b.try_into().ok()?))
}

pub(crate) fn be64(b: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(b.try_into().ok()?))
}

/// A NUL-terminated (exactly one trailing NUL, as the kernel and libnftnl write them) UTF-8 string.
pub(crate) fn strz(b: &[u8]) -> Option<String> {
    let (last, body) = b.split_last()?;
    if *last != 0 || body.contains(&0) {
        return None;
    }
    String::from_utf8(body.to_vec()).ok()
}

/// A string attribute as the kernel may send it (NUL optional, stops at the first NUL).
pub(crate) fn lenient_str(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// Builds a bit mask from attribute numbers.
pub(crate) const fn mask(types: &[u16]) -> u32 {
    let mut m = 0u32;
    let mut i = 0;
    while i < types.len() {
        m |= 1 << types[i];
        i += 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writer_nests_and_pads() {
        let mut w = W::default();
        let n = w.nest(4);
        w.str(1, "ab");
        w.be32(2, 7);
        w.end(n);
        let b = w.into_inner().unwrap();
        assert_eq!(b.len(), 4 + 8 + 8);
        assert_eq!(&b[..4], &[20, 0, 4, 0x80]);
        let t = Tab::parse(&b[4..], mask(&[1, 2]), 0).unwrap();
        assert_eq!(t.str(1), Some(Some("ab".into())));
        assert_eq!(t.req32(2), Some(7));
        assert!(Tab::parse(&b[4..], mask(&[1]), 0).is_none());
    }

    #[test]
    fn writer_records_overflow() {
        let mut w = W::default();
        let n = w.nest(1);
        for _ in 0..20 {
            w.attr(1, &[0u8; 4000]);
        }
        w.end(n);
        assert!(w.check().is_err());
    }

    #[test]
    fn strz_is_strict() {
        assert_eq!(strz(b"ab\0"), Some("ab".into()));
        assert_eq!(strz(b"ab"), None);
        assert_eq!(strz(b"a\0b\0"), None);
        assert_eq!(strz(b""), None);
    }
}

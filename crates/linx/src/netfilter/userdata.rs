//! Userdata: the opaque `NFTA_*_USERDATA` blobs nf_tables stores for user space, in libnftnl's
//! TLV encoding (`type u8, len u8, value`).
//!
//! The kernel never interprets userdata, but nft does: rule and object comments, set key/data
//! byte order and `typeof` expressions, element comments. linx keeps the bytes exactly as pulled
//! ([`Userdata`] is lossless even when the bytes are not valid TLVs) and offers typed accessors:
//! the comment (type 0 for rules, tables, chains, objects and elements; type 7 for sets) and the
//! linx rule tag (type 16, [`TAG`]) that identifies rules across reconciles.
//!
//! ```
//! use linx::netfilter::Userdata;
//! let mut u = Userdata::default();
//! u.set_comment(Some("ssh from the office"))?;
//! u.set_tag(Some("ssh"))?;
//! assert_eq!(u.comment(), Some("ssh from the office".to_owned()));
//! assert_eq!(u.tag(), Some("ssh".to_owned()));
//! assert_eq!(&u.as_bytes()[..2], &[0, 20]);
//! # Ok::<(), linx::Error>(())
//! ```

use crate::error::{Error, Result, Subsystem};

/// Comment TLV of rules, tables, chains, objects and set elements (`NFTNL_UDATA_*_COMMENT`).
pub const COMMENT: u8 = 0;
/// Set userdata: key byte order (`NFTNL_UDATA_SET_KEYBYTEORDER`), u32 host order, 1 host, 2 big.
pub const SET_KEYBYTEORDER: u8 = 0;
/// Set userdata: data byte order.
pub const SET_DATABYTEORDER: u8 = 1;
/// Set userdata: auto-merge flag.
pub const SET_MERGE_ELEMENTS: u8 = 2;
/// Set userdata: key `typeof` expression.
pub const SET_KEY_TYPEOF: u8 = 3;
/// Set userdata: data `typeof` expression.
pub const SET_DATA_TYPEOF: u8 = 4;
/// Set userdata: set expression.
pub const SET_EXPR: u8 = 5;
/// Set userdata: interval data.
pub const SET_DATA_INTERVAL: u8 = 6;
/// Set userdata: comment.
pub const SET_COMMENT: u8 = 7;
/// The linx rule tag (the value Linx uses, so rules tagged by either tool are recognised).
pub const TAG: u8 = 16;
/// Longest comment nft accepts (`NFT_USERDATA_MAXLEN` is larger; nft limits comments to 128).
pub const COMMENT_MAX: usize = 128;

/// An opaque userdata blob with TLV accessors. Lossless: the bytes are kept as given.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Userdata(Vec<u8>);

impl Userdata {
    /// Wraps raw bytes.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Userdata {
        Userdata(bytes.into())
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// True when there are no bytes (no `NFTA_*_USERDATA` attribute is sent).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The TLVs, or `None` when the bytes are not a well-formed TLV list.
    pub fn tlvs(&self) -> Option<Vec<(u8, &[u8])>> {
        let mut out = Vec::new();
        let mut rest = self.0.as_slice();
        while !rest.is_empty() {
            let [ty, len, tail @ ..] = rest else {
                return None;
            };
            let len = usize::from(*len);
            if tail.len() < len {
                return None;
            }
            out.push((*ty, &tail[..len]));
            rest = &tail[len..];
        }
        Some(out)
    }

    /// The value of the first TLV of type `ty`.
    pub fn get(&self, ty: u8) -> Option<&[u8]> {
        self.tlvs()?
            .into_iter()
            .find_map(|(t, v)| (t == ty).then_some(v))
    }

    /// Replaces (or removes, with `None`) the TLV of type `ty`, keeping the others in order; a new
    /// TLV is appended.
    ///
    /// # Errors
    /// A value over 255 bytes; existing bytes that are not TLVs.
    pub fn set(&mut self, ty: u8, value: Option<&[u8]>) -> Result<()> {
        let tlvs = self.tlvs().ok_or_else(|| {
            Error::input(
                Subsystem::Netfilter,
                "userdata",
                format!("{:02x?}", self.0),
                "existing userdata is not a TLV list",
            )
        })?;
        if let Some(v) = value
            && v.len() > 255
        {
            return Err(Error::input(
                Subsystem::Netfilter,
                "userdata value",
                format!("{} bytes", v.len()),
                "a userdata TLV holds at most 255 bytes",
            ));
        }
        let mut out = Vec::with_capacity(self.0.len() + value.map_or(0, |v| v.len() + 2));
        let mut done = false;
        for (t, v) in tlvs {
            if t == ty {
                if let (Some(nv), false) = (value, done) {
                    out.push(t);
                    out.push(nv.len() as u8);
                    out.extend_from_slice(nv);
                }
                done = true;
                continue;
            }
            out.push(t);
            out.push(v.len() as u8);
            out.extend_from_slice(v);
        }
        if let (Some(nv), false) = (value, done) {
            out.push(ty);
            out.push(nv.len() as u8);
            out.extend_from_slice(nv);
        }
        self.0 = out;
        Ok(())
    }

    fn get_str(&self, ty: u8) -> Option<String> {
        let v = self.get(ty)?;
        let v = v.strip_suffix(&[0]).unwrap_or(v);
        String::from_utf8(v.to_vec()).ok()
    }

    fn set_str(&mut self, ty: u8, what: &'static str, s: Option<&str>) -> Result<()> {
        match s {
            None => self.set(ty, None),
            Some(s) => {
                if s.contains('\0') {
                    return Err(Error::input(
                        Subsystem::Netfilter,
                        what,
                        s,
                        "contains a NUL byte",
                    ));
                }
                let mut v = s.as_bytes().to_vec();
                v.push(0);
                self.set(ty, Some(&v))
            }
        }
    }

    /// The comment (TLV type 0).
    pub fn comment(&self) -> Option<String> {
        self.get_str(COMMENT)
    }

    /// Sets the comment (at most [`COMMENT_MAX`] bytes, nft's limit), NUL-terminated as nft
    /// writes it.
    ///
    /// # Errors
    /// Over-long comments or comments containing NUL.
    pub fn set_comment(&mut self, comment: Option<&str>) -> Result<()> {
        check_comment(comment)?;
        self.set_str(COMMENT, "comment", comment)
    }

    /// The set comment (set TLV type 7).
    pub fn set_comment_text(&self) -> Option<String> {
        self.get_str(SET_COMMENT)
    }

    /// The linx rule tag (TLV type 16).
    pub fn tag(&self) -> Option<String> {
        self.get_str(TAG)
    }

    /// Sets the rule tag.
    ///
    /// # Errors
    /// Empty tags, tags over 254 bytes or containing NUL.
    pub fn set_tag(&mut self, tag: Option<&str>) -> Result<()> {
        if let Some(t) = tag
            && (t.is_empty() || t.len() > 254)
        {
            return Err(Error::input(
                Subsystem::Netfilter,
                "rule tag",
                t,
                "a tag has 1 to 254 bytes",
            ));
        }
        self.set_str(TAG, "rule tag", tag)
    }

    /// A u32 TLV in host order (set byte-order fields).
    pub fn get_u32(&self, ty: u8) -> Option<u32> {
        Some(u32::from_ne_bytes(self.get(ty)?.try_into().ok()?))
    }
}

/// Checks a comment against nft's limit.
pub(crate) fn check_comment(comment: Option<&str>) -> Result<()> {
    if let Some(c) = comment
        && c.len() > COMMENT_MAX
    {
        return Err(Error::input(
            Subsystem::Netfilter,
            "comment",
            c,
            "nft accepts at most 128 bytes",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nf_13_comment_is_nft_compatible() {
        // nft writes `comment "hi"` as type 0, length 3, "hi\0".
        let mut u = Userdata::default();
        u.set_comment(Some("hi")).unwrap();
        assert_eq!(u.as_bytes(), &[0, 3, b'h', b'i', 0]);
        assert_eq!(u.comment().as_deref(), Some("hi"));
        u.set_tag(Some("t1")).unwrap();
        u.set_comment(Some("bye")).unwrap();
        assert_eq!(
            u.as_bytes(),
            &[0, 4, b'b', b'y', b'e', 0, 16, 3, b't', b'1', 0]
        );
        u.set_comment(None).unwrap();
        assert_eq!(u.tag().as_deref(), Some("t1"));
        assert_eq!(u.comment(), None);
        let long = "x".repeat(129);
        assert!(u.set_comment(Some(&long)).unwrap_err().is_input());
        assert!(u.set_tag(Some("")).unwrap_err().is_input());
    }

    #[test]
    fn malformed_userdata_is_kept() {
        let u = Userdata::from_bytes(vec![0, 9, 1]);
        assert_eq!(u.tlvs(), None);
        assert_eq!(u.comment(), None);
        assert_eq!(u.as_bytes(), &[0, 9, 1]);
        let mut u2 = u.clone();
        assert!(u2.set_comment(Some("x")).is_err());
    }
}

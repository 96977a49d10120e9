//! Pure netlink codecs: message headers, datagram splitting, attributes, message building and
//! error/extended-ack decoding. No I/O; nothing here panics on any input.
//!
//! Layout facts (see [netlink(7)](https://man7.org/linux/man-pages/man7/netlink.7.html)):
//! `nlmsghdr` is 16 bytes in host byte order (`len u32, type u16, flags u16, seq u32, pid u32`);
//! messages and attributes are padded to 4 bytes; an attribute is `nlattr { len u16, type u16 }`
//! followed by its payload, with the top two type bits used as flags (nested, network byte order).

use std::net::IpAddr;

use crate::error::{InputError, ProtocolError, ProtocolKind, Subsystem};

/// Size of `struct nlmsghdr`.
pub const NLMSG_HDRLEN: usize = 16;
/// Size of `struct nlattr`.
pub const NLA_HDRLEN: usize = 4;
/// Largest attribute (header included) whose length fits the 16-bit field.
pub const NLA_MAX_LEN: usize = u16::MAX as usize;

/// `NLMSG_NOOP`.
pub const NLMSG_NOOP: u16 = 1;
/// `NLMSG_ERROR` (also used for positive acks, with error 0).
pub const NLMSG_ERROR: u16 = 2;
/// `NLMSG_DONE`: end of a multipart dump.
pub const NLMSG_DONE: u16 = 3;
/// `NLMSG_OVERRUN`.
pub const NLMSG_OVERRUN: u16 = 4;
/// First message type available to protocols.
pub const NLMSG_MIN_TYPE: u16 = 0x10;

/// `nlmsg_flags` bits.
pub mod flags {
    /// It is a request message.
    pub const REQUEST: u16 = 0x1;
    /// Multipart message, terminated by `NLMSG_DONE`.
    pub const MULTI: u16 = 0x2;
    /// Reply with an acknowledgement.
    pub const ACK: u16 = 0x4;
    /// Echo this request.
    pub const ECHO: u16 = 0x8;
    /// Dump was inconsistent due to a sequence change.
    pub const DUMP_INTR: u16 = 0x10;
    /// Dump was filtered as requested.
    pub const DUMP_FILTERED: u16 = 0x20;
    /// GET: specify tree root.
    pub const ROOT: u16 = 0x100;
    /// GET: return all matching.
    pub const MATCH: u16 = 0x200;
    /// GET: atomic.
    pub const ATOMIC: u16 = 0x400;
    /// GET: `ROOT | MATCH`.
    pub const DUMP: u16 = 0x300;
    /// NEW: override existing.
    pub const REPLACE: u16 = 0x100;
    /// NEW: do not touch, if it exists.
    pub const EXCL: u16 = 0x200;
    /// NEW: create, if it does not exist.
    pub const CREATE: u16 = 0x400;
    /// NEW: add to end of list.
    pub const APPEND: u16 = 0x800;
    /// ERROR: request was capped (payload not echoed).
    pub const CAPPED: u16 = 0x100;
    /// ERROR: extended ack TLVs follow.
    pub const ACK_TLVS: u16 = 0x200;
}

/// Attribute type flag: payload is nested attributes.
pub const NLA_F_NESTED: u16 = 0x8000;
/// Attribute type flag: payload is in network byte order.
pub const NLA_F_NET_BYTEORDER: u16 = 0x4000;
/// Mask of the attribute type proper.
pub const NLA_TYPE_MASK: u16 = !(NLA_F_NESTED | NLA_F_NET_BYTEORDER);

/// Extended-ack attribute types (`NLMSGERR_ATTR_*`).
pub mod extack_attr {
    /// Error message string.
    pub const MSG: u16 = 1;
    /// Offset of the invalid attribute in the original message.
    pub const OFFS: u16 = 2;
    /// Arbitrary cookie.
    pub const COOKIE: u16 = 3;
    /// Policy of the rejected attribute.
    pub const POLICY: u16 = 4;
    /// Type of a missing required attribute.
    pub const MISS_TYPE: u16 = 5;
    /// Offset of the nest where an attribute was missing.
    pub const MISS_NEST: u16 = 6;
}

/// Rounds up to the 4-byte netlink alignment.
pub const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

fn malformed(detail: String) -> ProtocolError {
    ProtocolError::new(Subsystem::Netlink, ProtocolKind::Malformed, detail)
}

fn bad_length(detail: String) -> ProtocolError {
    ProtocolError::new(Subsystem::Netlink, ProtocolKind::BadLength, detail)
}

fn truncated(detail: String) -> ProtocolError {
    ProtocolError::new(Subsystem::Netlink, ProtocolKind::Truncated, detail)
}

/// A decoded `nlmsghdr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MsgHeader {
    /// Length of the message including the header.
    pub len: u32,
    /// Message type.
    pub msg_type: u16,
    /// `NLM_F_*` flags.
    pub flags: u16,
    /// Sequence number.
    pub seq: u32,
    /// Sender port id.
    pub pid: u32,
}

impl MsgHeader {
    /// Parses the first 16 bytes; `None` if fewer are given.
    pub fn parse(buf: &[u8]) -> Option<MsgHeader> {
        let b: &[u8; NLMSG_HDRLEN] = buf.get(..NLMSG_HDRLEN)?.try_into().ok()?;
        Some(MsgHeader {
            len: u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
            msg_type: u16::from_ne_bytes([b[4], b[5]]),
            flags: u16::from_ne_bytes([b[6], b[7]]),
            seq: u32::from_ne_bytes([b[8], b[9], b[10], b[11]]),
            pid: u32::from_ne_bytes([b[12], b[13], b[14], b[15]]),
        })
    }

    /// The 16-byte wire form.
    pub fn to_bytes(&self) -> [u8; NLMSG_HDRLEN] {
        let mut b = [0u8; NLMSG_HDRLEN];
        b[0..4].copy_from_slice(&self.len.to_ne_bytes());
        b[4..6].copy_from_slice(&self.msg_type.to_ne_bytes());
        b[6..8].copy_from_slice(&self.flags.to_ne_bytes());
        b[8..12].copy_from_slice(&self.seq.to_ne_bytes());
        b[12..16].copy_from_slice(&self.pid.to_ne_bytes());
        b
    }
}

/// A borrowed message: header plus payload (the bytes after the header, up to `len`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Msg<'a> {
    /// The header.
    pub header: MsgHeader,
    /// The payload (`len - 16` bytes).
    pub payload: &'a [u8],
}

impl Msg<'_> {
    /// Copies into an owned [`Message`].
    pub fn to_owned(&self) -> Message {
        Message {
            header: self.header,
            payload: self.payload.to_vec(),
        }
    }
}

/// An owned message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The header.
    pub header: MsgHeader,
    /// The payload.
    pub payload: Vec<u8>,
}

impl Message {
    /// Borrows as a [`Msg`].
    pub fn as_msg(&self) -> Msg<'_> {
        Msg {
            header: self.header,
            payload: &self.payload,
        }
    }
}

/// Splits a datagram into messages.
///
/// Yields `Err` once (then stops) for a length below 16 or past the end of the buffer; trailing
/// bytes shorter than a header are ignored, as the kernel does.
#[derive(Debug, Clone)]
pub struct Messages<'a> {
    buf: &'a [u8],
    offset: usize,
    failed: bool,
}

/// Iterates over the messages of a datagram.
///
/// ```
/// use linx::netlink::wire::{messages, MsgBuilder, NLMSG_DONE};
/// let mut dgram = MsgBuilder::new(NLMSG_DONE, 0).finish().unwrap();
/// dgram.extend(MsgBuilder::new(NLMSG_DONE, 0).finish().unwrap());
/// assert_eq!(messages(&dgram).count(), 2);
/// ```
pub fn messages(buf: &[u8]) -> Messages<'_> {
    Messages {
        buf,
        offset: 0,
        failed: false,
    }
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<Msg<'a>, ProtocolError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let rest = self.buf.get(self.offset..)?;
        let header = MsgHeader::parse(rest)?;
        let len = header.len as usize;
        if len < NLMSG_HDRLEN {
            self.failed = true;
            return Some(Err(bad_length(format!(
                "nlmsg_len {len} < {NLMSG_HDRLEN} at offset {}",
                self.offset
            ))));
        }
        if len > rest.len() {
            self.failed = true;
            return Some(Err(bad_length(format!(
                "nlmsg_len {len} exceeds the {} bytes left at offset {}",
                rest.len(),
                self.offset
            ))));
        }
        let payload = &rest[NLMSG_HDRLEN..len];
        self.offset = self.offset.saturating_add(align4(len)).min(self.buf.len());
        Some(Ok(Msg { header, payload }))
    }
}

/// A borrowed attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attr<'a> {
    /// The raw type field, flag bits included (preserved for re-encoding).
    pub raw_type: u16,
    /// The payload (without padding).
    pub payload: &'a [u8],
}

impl<'a> Attr<'a> {
    /// The attribute type with the flag bits masked off; compare this against constants.
    pub fn kind(&self) -> u16 {
        self.raw_type & NLA_TYPE_MASK
    }

    /// The `NLA_F_NESTED` bit.
    pub fn is_nested_flag(&self) -> bool {
        self.raw_type & NLA_F_NESTED != 0
    }

    /// The `NLA_F_NET_BYTEORDER` bit.
    pub fn is_net_byteorder(&self) -> bool {
        self.raw_type & NLA_F_NET_BYTEORDER != 0
    }

    fn fixed<const N: usize>(&self) -> Result<[u8; N], ProtocolError> {
        self.payload.try_into().map_err(|_| {
            malformed(format!(
                "attribute type {}: expected {N} bytes, got {}",
                self.kind(),
                self.payload.len()
            ))
        })
    }

    /// Payload as `u8`.
    pub fn u8(&self) -> Result<u8, ProtocolError> {
        Ok(self.fixed::<1>()?[0])
    }

    /// Payload as host-order `u16`.
    pub fn u16(&self) -> Result<u16, ProtocolError> {
        Ok(u16::from_ne_bytes(self.fixed()?))
    }

    /// Payload as host-order `u32`.
    pub fn u32(&self) -> Result<u32, ProtocolError> {
        Ok(u32::from_ne_bytes(self.fixed()?))
    }

    /// Payload as host-order `i32`.
    pub fn i32(&self) -> Result<i32, ProtocolError> {
        Ok(i32::from_ne_bytes(self.fixed()?))
    }

    /// Payload as host-order `u64`.
    pub fn u64(&self) -> Result<u64, ProtocolError> {
        Ok(u64::from_ne_bytes(self.fixed()?))
    }

    /// Payload as big-endian `u16`.
    pub fn be16(&self) -> Result<u16, ProtocolError> {
        Ok(u16::from_be_bytes(self.fixed()?))
    }

    /// Payload as big-endian `u32`.
    pub fn be32(&self) -> Result<u32, ProtocolError> {
        Ok(u32::from_be_bytes(self.fixed()?))
    }

    /// Payload as big-endian `u64`.
    pub fn be64(&self) -> Result<u64, ProtocolError> {
        Ok(u64::from_be_bytes(self.fixed()?))
    }

    /// Payload as a string: up to the first NUL (a missing terminator is tolerated), UTF-8.
    pub fn str(&self) -> Result<&'a str, ProtocolError> {
        let end = self
            .payload
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.payload.len());
        std::str::from_utf8(&self.payload[..end]).map_err(|_| {
            malformed(format!(
                "attribute type {}: string is not UTF-8",
                self.kind()
            ))
        })
    }

    /// Payload as an IPv4 (4 bytes) or IPv6 (16 bytes) address.
    pub fn ip(&self) -> Result<IpAddr, ProtocolError> {
        match self.payload.len() {
            4 => Ok(IpAddr::from(
                <[u8; 4]>::try_from(self.payload).map_err(|_| malformed("unreachable".into()))?,
            )),
            16 => Ok(IpAddr::from(
                <[u8; 16]>::try_from(self.payload).map_err(|_| malformed("unreachable".into()))?,
            )),
            n => Err(malformed(format!(
                "attribute type {}: an address has 4 or 16 bytes, got {n}",
                self.kind()
            ))),
        }
    }

    /// The payload parsed as nested attributes.
    pub fn nested(&self) -> Attrs<'a> {
        attrs(self.payload)
    }
}

/// Iterates over the attributes in a buffer.
///
/// Yields `Err` once (then stops) for an attribute length below 4 or past the end; trailing bytes
/// shorter than an attribute header are ignored.
#[derive(Debug, Clone)]
pub struct Attrs<'a> {
    buf: &'a [u8],
    offset: usize,
    failed: bool,
}

/// Iterates over the attributes in `buf`.
///
/// ```
/// use linx::netlink::wire::{attrs, MsgBuilder};
/// let mut b = MsgBuilder::new(16, 0);
/// b.attr_u32(4, 1500);
/// let msg = b.finish().unwrap();
/// let a = attrs(&msg[16..]).next().unwrap().unwrap();
/// assert_eq!((a.kind(), a.u32().unwrap()), (4, 1500));
/// ```
pub fn attrs(buf: &[u8]) -> Attrs<'_> {
    Attrs {
        buf,
        offset: 0,
        failed: false,
    }
}

impl<'a> Attrs<'a> {
    /// Byte offset of the next attribute inside the buffer.
    pub fn offset(&self) -> usize {
        self.offset
    }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Result<Attr<'a>, ProtocolError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let rest = self.buf.get(self.offset..)?;
        if rest.len() < NLA_HDRLEN {
            return None;
        }
        let len = u16::from_ne_bytes([rest[0], rest[1]]) as usize;
        let raw_type = u16::from_ne_bytes([rest[2], rest[3]]);
        if len < NLA_HDRLEN || len > rest.len() {
            self.failed = true;
            return Some(Err(truncated(format!(
                "attribute type {} at offset {}: nla_len {len} with {} bytes left",
                raw_type & NLA_TYPE_MASK,
                self.offset,
                rest.len()
            ))));
        }
        let payload = &rest[NLA_HDRLEN..len];
        self.offset = self.offset.saturating_add(align4(len)).min(self.buf.len());
        Some(Ok(Attr { raw_type, payload }))
    }
}

/// An owned attribute tree: what a decoder keeps for attributes it does not model, so that
/// decode → encode reproduces the input bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RawAttr {
    /// The raw type field, flag bits included.
    pub raw_type: u16,
    /// The payload bytes.
    pub payload: Vec<u8>,
}

impl RawAttr {
    /// Copies a borrowed attribute.
    pub fn from_attr(a: &Attr<'_>) -> RawAttr {
        RawAttr {
            raw_type: a.raw_type,
            payload: a.payload.to_vec(),
        }
    }

    /// The type with flag bits masked.
    pub fn kind(&self) -> u16 {
        self.raw_type & NLA_TYPE_MASK
    }
}

/// A nest opened with [`MsgBuilder::begin_nested`]; close it with [`MsgBuilder::end_nested`].
#[derive(Debug)]
#[must_use = "a nest must be closed with end_nested"]
pub struct Nest {
    offset: usize,
    kind: u16,
}

/// Builds one netlink message: header, fixed family header, attributes (with nesting).
///
/// Errors (an attribute or nest whose length does not fit 16 bits) are recorded and reported by
/// [`finish`](MsgBuilder::finish), so building code stays linear. The sequence number and port id
/// are filled in by the socket when the message is sent.
///
/// ```
/// use linx::netlink::wire::{MsgBuilder, flags};
/// let mut b = MsgBuilder::new(18, flags::REQUEST);
/// b.push_header(&[0u8; 16]);
/// b.attr_str(3, "lo");
/// let bytes = b.finish().unwrap();
/// assert_eq!(bytes.len(), 16 + 16 + 8);
/// ```
#[derive(Debug, Clone)]
pub struct MsgBuilder {
    buf: Vec<u8>,
    fixed_len: usize,
    error: Option<InputError>,
}

impl MsgBuilder {
    /// Starts a message of `msg_type` with `flags` (`NLM_F_REQUEST` is added by the socket).
    pub fn new(msg_type: u16, flags: u16) -> MsgBuilder {
        let header = MsgHeader {
            len: NLMSG_HDRLEN as u32,
            msg_type,
            flags,
            seq: 0,
            pid: 0,
        };
        let mut buf = Vec::with_capacity(256);
        buf.extend_from_slice(&header.to_bytes());
        MsgBuilder {
            buf,
            fixed_len: 0,
            error: None,
        }
    }

    /// The message type.
    pub fn msg_type(&self) -> u16 {
        u16::from_ne_bytes([self.buf[4], self.buf[5]])
    }

    /// The flags.
    pub fn flags(&self) -> u16 {
        u16::from_ne_bytes([self.buf[6], self.buf[7]])
    }

    /// Replaces the flags.
    pub fn set_flags(&mut self, flags: u16) -> &mut Self {
        self.buf[6..8].copy_from_slice(&flags.to_ne_bytes());
        self
    }

    /// Appends the family's fixed header (`ifinfomsg`, `rtmsg` …), padded to 4 bytes. Call before
    /// any attribute; its length is remembered for extended-ack offset translation.
    pub fn push_header(&mut self, bytes: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(bytes);
        self.pad();
        self.fixed_len = self.buf.len() - NLMSG_HDRLEN;
        self
    }

    fn pad(&mut self) {
        let padded = align4(self.buf.len());
        self.buf.resize(padded, 0);
    }

    fn record(&mut self, kind: u16, len: usize) {
        if self.error.is_none() {
            self.error = Some(InputError::new(
                Subsystem::Netlink,
                "attribute",
                format!("type {kind}, {len} bytes"),
                "does not fit the 16-bit netlink attribute length",
            ));
        }
    }

    /// Appends an attribute with a raw type (flag bits are kept as given).
    pub fn attr(&mut self, raw_type: u16, payload: &[u8]) -> &mut Self {
        let len = NLA_HDRLEN + payload.len();
        if len > NLA_MAX_LEN {
            self.record(raw_type & NLA_TYPE_MASK, len);
            return self;
        }
        self.buf.extend_from_slice(&(len as u16).to_ne_bytes());
        self.buf.extend_from_slice(&raw_type.to_ne_bytes());
        self.buf.extend_from_slice(payload);
        self.pad();
        self
    }

    /// Appends a `u8` attribute.
    pub fn attr_u8(&mut self, kind: u16, v: u8) -> &mut Self {
        self.attr(kind, &[v])
    }

    /// Appends a host-order `u16` attribute.
    pub fn attr_u16(&mut self, kind: u16, v: u16) -> &mut Self {
        self.attr(kind, &v.to_ne_bytes())
    }

    /// Appends a host-order `u32` attribute.
    pub fn attr_u32(&mut self, kind: u16, v: u32) -> &mut Self {
        self.attr(kind, &v.to_ne_bytes())
    }

    /// Appends a host-order `u64` attribute.
    pub fn attr_u64(&mut self, kind: u16, v: u64) -> &mut Self {
        self.attr(kind, &v.to_ne_bytes())
    }

    /// Appends a big-endian `u16` attribute.
    pub fn attr_be16(&mut self, kind: u16, v: u16) -> &mut Self {
        self.attr(kind, &v.to_be_bytes())
    }

    /// Appends a big-endian `u32` attribute.
    pub fn attr_be32(&mut self, kind: u16, v: u32) -> &mut Self {
        self.attr(kind, &v.to_be_bytes())
    }

    /// Appends a NUL-terminated string attribute.
    pub fn attr_str(&mut self, kind: u16, s: &str) -> &mut Self {
        let len = NLA_HDRLEN + s.len() + 1;
        if len > NLA_MAX_LEN {
            self.record(kind, len);
            return self;
        }
        self.buf.extend_from_slice(&(len as u16).to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(0);
        self.pad();
        self
    }

    /// Appends an address attribute (4 or 16 bytes).
    pub fn attr_ip(&mut self, kind: u16, ip: IpAddr) -> &mut Self {
        match ip {
            IpAddr::V4(a) => self.attr(kind, &a.octets()),
            IpAddr::V6(a) => self.attr(kind, &a.octets()),
        }
    }

    /// Opens a nested attribute (`NLA_F_NESTED` is set on the type).
    pub fn begin_nested(&mut self, kind: u16) -> Nest {
        let offset = self.buf.len();
        self.buf.extend_from_slice(&[0, 0]);
        self.buf
            .extend_from_slice(&(kind | NLA_F_NESTED).to_ne_bytes());
        Nest { offset, kind }
    }

    /// Closes a nested attribute, fixing its length.
    pub fn end_nested(&mut self, nest: Nest) -> &mut Self {
        let len = self.buf.len() - nest.offset;
        if len > NLA_MAX_LEN {
            self.record(nest.kind, len);
            self.buf.truncate(nest.offset);
            return self;
        }
        self.buf[nest.offset..nest.offset + 2].copy_from_slice(&(len as u16).to_ne_bytes());
        self
    }

    /// Appends a re-encoded raw attribute (decode → encode round trip).
    pub fn raw_attr(&mut self, a: &RawAttr) -> &mut Self {
        self.attr(a.raw_type, &a.payload)
    }

    /// Length of the fixed family header pushed with [`push_header`](MsgBuilder::push_header).
    pub fn fixed_len(&self) -> usize {
        self.fixed_len
    }

    /// Finishes the message: fills in the length and returns the bytes (seq and pid still 0).
    ///
    /// # Errors
    /// The first attribute or nest that did not fit the 16-bit length, or a message over 4 GiB.
    pub fn finish(mut self) -> Result<Vec<u8>, InputError> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let len = u32::try_from(self.buf.len()).map_err(|_| {
            InputError::new(
                Subsystem::Netlink,
                "message",
                format!("{} bytes", self.buf.len()),
                "too long for nlmsg_len",
            )
        })?;
        self.buf[0..4].copy_from_slice(&len.to_ne_bytes());
        Ok(self.buf)
    }
}

/// Decoded extended-ack TLVs of an error or ack message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtAck {
    /// Human-readable message (`NLMSGERR_ATTR_MSG`).
    pub msg: Option<String>,
    /// Offset of the offending attribute from the start of the request's `nlmsghdr`.
    pub offset: Option<u32>,
    /// Cookie.
    pub cookie: Option<Vec<u8>>,
    /// Type of a missing required attribute.
    pub miss_type: Option<u32>,
    /// Offset of the nest in which an attribute was missing.
    pub miss_nest: Option<u32>,
}

/// A decoded `NLMSG_ERROR` message (an error, or an ack when `errno == 0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorMsg {
    /// Positive errno, or 0 for an ack.
    pub errno: i32,
    /// Header of the request it answers.
    pub request: MsgHeader,
    /// True when the request payload was not echoed (`NLM_F_CAPPED`).
    pub capped: bool,
    /// Extended ack, if any TLVs were present.
    pub ext: ExtAck,
}

/// Decodes an `NLMSG_ERROR` payload (given the message header's flags).
///
/// Handles capped (header only) and uncapped (whole request echoed) forms and the extended-ack
/// TLVs. A payload too short for its announced parts is a protocol error.
pub fn parse_error(msg: &Msg<'_>) -> Result<ErrorMsg, ProtocolError> {
    let p = msg.payload;
    let err_bytes: [u8; 4] = p
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| truncated(format!("NLMSG_ERROR payload of {} bytes", p.len())))?;
    let error = i32::from_ne_bytes(err_bytes);
    let request = MsgHeader::parse(&p[4..])
        .ok_or_else(|| truncated("NLMSG_ERROR without the request header".into()))?;
    let capped = msg.header.flags & flags::CAPPED != 0;
    // Errors of uncapped acks echo the whole request; positive acks only echo the header.
    let echoed = if capped || error == 0 {
        NLMSG_HDRLEN
    } else {
        (request.len as usize).max(NLMSG_HDRLEN)
    };
    let mut ext = ExtAck::default();
    if msg.header.flags & flags::ACK_TLVS != 0 {
        let start = 4 + align4(echoed);
        let tlvs = p.get(start..).ok_or_else(|| {
            truncated(format!(
                "NLMSG_ERROR announces extended ack after {start} bytes but has {}",
                p.len()
            ))
        })?;
        for a in attrs(tlvs) {
            let a = a?;
            match a.kind() {
                extack_attr::MSG => ext.msg = Some(a.str()?.to_owned()),
                extack_attr::OFFS => ext.offset = Some(a.u32()?),
                extack_attr::COOKIE => ext.cookie = Some(a.payload.to_vec()),
                extack_attr::MISS_TYPE => ext.miss_type = Some(a.u32()?),
                extack_attr::MISS_NEST => ext.miss_nest = Some(a.u32()?),
                _ => {}
            }
        }
    }
    let errno = error
        .checked_neg()
        .filter(|e| *e >= 0)
        .ok_or_else(|| malformed(format!("NLMSG_ERROR carries a positive error code {error}")))?;
    Ok(ErrorMsg {
        errno,
        request,
        capped,
        ext,
    })
}

/// Finds the attribute that contains byte `offset` of `request` (offsets count from the start of
/// the `nlmsghdr`, as in `NLMSGERR_ATTR_OFFS`), descending into nests. Returns the masked type
/// numbers from the outermost attribute inward; empty when the offset is not inside an attribute.
///
/// `fixed_len` is the size of the family header that precedes the attributes.
pub fn attr_path_at(request: &[u8], fixed_len: usize, offset: usize) -> Vec<u16> {
    let mut path = Vec::new();
    let start = NLMSG_HDRLEN + align4(fixed_len);
    let Some(mut region) = request.get(start..) else {
        return path;
    };
    let mut base = start;
    'outer: loop {
        let mut it = attrs(region);
        loop {
            let at = base + it.offset();
            let Some(Ok(a)) = it.next() else {
                break 'outer;
            };
            let end = at + NLA_HDRLEN + a.payload.len();
            if offset >= at && offset < end.max(at + NLA_HDRLEN) {
                path.push(a.kind());
                // Descend when the offset points inside a payload that parses as attributes.
                if offset >= at + NLA_HDRLEN
                    && a.payload.len() >= NLA_HDRLEN
                    && attrs(a.payload).all(|x| x.is_ok())
                    && (a.is_nested_flag() || offset > at + NLA_HDRLEN)
                {
                    base = at + NLA_HDRLEN;
                    region = a.payload;
                    continue 'outer;
                }
                break 'outer;
            }
        }
    }
    path
}

/// A per-socket sequence counter: starts at 1 and wraps from `u32::MAX` to 1, skipping 0 (which
/// marks unsolicited messages).
#[derive(Debug, Clone)]
pub struct SeqCounter {
    next: u32,
}

impl Default for SeqCounter {
    fn default() -> Self {
        SeqCounter { next: 1 }
    }
}

impl SeqCounter {
    /// A counter whose next value is `next` (0 is replaced by 1).
    pub fn starting_at(next: u32) -> SeqCounter {
        SeqCounter { next: next.max(1) }
    }

    /// Returns the next sequence number.
    pub fn next_seq(&mut self) -> u32 {
        let v = self.next;
        self.next = match v.wrapping_add(1) {
            0 => 1,
            n => n,
        };
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg_bytes(msg_type: u16, flags: u16, payload: &[u8]) -> Vec<u8> {
        let mut b = MsgBuilder::new(msg_type, flags);
        b.push_header(payload);
        b.finish().unwrap()
    }

    #[test]
    fn nl_04_sequence_numbers_wrap_skipping_zero() {
        let mut s = SeqCounter::default();
        assert_eq!([s.next_seq(), s.next_seq(), s.next_seq()], [1, 2, 3]);
        let mut s = SeqCounter::starting_at(u32::MAX);
        assert_eq!(s.next_seq(), u32::MAX);
        assert_eq!(s.next_seq(), 1);
        assert_eq!(SeqCounter::starting_at(0).next_seq(), 1);
    }

    #[test]
    fn nl_05_header_round_trip_and_split() {
        let h = MsgHeader {
            len: 20,
            msg_type: 16,
            flags: 5,
            seq: 7,
            pid: 99,
        };
        assert_eq!(MsgHeader::parse(&h.to_bytes()), Some(h));
        assert_eq!(MsgHeader::parse(&[0u8; 15]), None);
        let mut dgram = msg_bytes(16, 0, &[1, 2, 3]);
        dgram.extend(msg_bytes(3, 2, &[]));
        dgram.extend([0u8; 7]); // trailing bytes shorter than a header are ignored
        let v: Vec<_> = messages(&dgram).collect::<Result<_, _>>().unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].payload, &[1, 2, 3, 0]);
        assert_eq!(v[1].header.msg_type, 3);
    }

    #[test]
    fn nl_05_bad_lengths_are_errors() {
        let mut short = MsgHeader {
            len: 12,
            ..Default::default()
        }
        .to_bytes()
        .to_vec();
        short.extend([0; 8]);
        let r: Vec<_> = messages(&short).collect();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].as_ref().unwrap_err().kind, ProtocolKind::BadLength);
        let long = MsgHeader {
            len: 400,
            ..Default::default()
        }
        .to_bytes();
        let r: Vec<_> = messages(&long).collect();
        assert_eq!(r.len(), 1);
        assert!(r[0].is_err());
    }

    #[test]
    fn nl_06_attributes_nest_pad_and_keep_flags() {
        let mut b = MsgBuilder::new(16, 0);
        b.push_header(&[0u8; 16]);
        b.attr_str(3, "veth0");
        let n = b.begin_nested(18);
        b.attr_str(1, "veth");
        b.end_nested(n);
        b.attr(5 | NLA_F_NET_BYTEORDER, &[1, 2]);
        let bytes = b.finish().unwrap();
        assert_eq!(bytes.len() % 4, 0);
        let got: Vec<_> = attrs(&bytes[32..]).collect::<Result<_, _>>().unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].str().unwrap(), "veth0");
        assert_eq!(got[1].kind(), 18);
        assert!(got[1].is_nested_flag());
        let inner: Vec<_> = got[1].nested().collect::<Result<_, _>>().unwrap();
        assert_eq!(inner[0].str().unwrap(), "veth");
        assert_eq!(got[2].kind(), 5);
        assert_eq!(got[2].raw_type, 5 | NLA_F_NET_BYTEORDER);
        // Re-encoding raw attributes reproduces the bytes.
        let mut again = MsgBuilder::new(16, 0);
        again.push_header(&[0u8; 16]);
        for a in &got {
            again.raw_attr(&RawAttr::from_attr(a));
        }
        assert_eq!(again.finish().unwrap(), bytes);
    }

    #[test]
    fn nl_06_oversized_attribute_is_an_input_error() {
        let mut b = MsgBuilder::new(16, 0);
        b.attr(1, &vec![0u8; 70_000]);
        let e = b.finish().unwrap_err();
        assert!(e.to_string().contains("16-bit"), "{e}");
        let mut b = MsgBuilder::new(16, 0);
        let n = b.begin_nested(2);
        for _ in 0..20 {
            b.attr(1, &[0u8; 4000]);
        }
        b.end_nested(n);
        assert!(b.finish().is_err());
    }

    #[test]
    fn typed_getters_check_lengths() {
        let a = Attr {
            raw_type: 4,
            payload: &[1, 0],
        };
        assert!(a.u32().is_err());
        assert_eq!(a.u16().unwrap(), 1);
        assert_eq!(
            Attr {
                raw_type: 1,
                payload: b"lo\0"
            }
            .str()
            .unwrap(),
            "lo"
        );
        assert_eq!(
            Attr {
                raw_type: 1,
                payload: b"lo"
            }
            .str()
            .unwrap(),
            "lo"
        );
        assert!(
            Attr {
                raw_type: 1,
                payload: &[0xff, 0]
            }
            .str()
            .is_err()
        );
        assert!(
            Attr {
                raw_type: 1,
                payload: &[1, 2, 3]
            }
            .ip()
            .is_err()
        );
        assert_eq!(
            Attr {
                raw_type: 1,
                payload: &[10, 0, 0, 1]
            }
            .ip()
            .unwrap(),
            "10.0.0.1".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            Attr {
                raw_type: 1,
                payload: &[0x12, 0xb5]
            }
            .be16()
            .unwrap(),
            4789
        );
    }

    fn error_message(errno: i32, flags_: u16, request: &[u8], tlvs: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut payload = (-errno).to_ne_bytes().to_vec();
        payload.extend_from_slice(request);
        while payload.len() % 4 != 0 {
            payload.push(0);
        }
        let mut b = MsgBuilder::new(NLMSG_ERROR, flags_);
        b.push_header(&payload);
        for (t, v) in tlvs {
            b.attr(*t, v);
        }
        b.finish().unwrap()
    }

    #[test]
    fn nl_09_error_with_extack_capped_and_uncapped() {
        let mut rb = MsgBuilder::new(16, flags::REQUEST | flags::ACK);
        rb.push_header(&[0u8; 16]);
        let n = rb.begin_nested(18);
        rb.attr_str(1, "vxlan");
        let d = rb.begin_nested(2);
        rb.attr_u32(1, 42);
        rb.end_nested(d);
        rb.end_nested(n);
        let req = rb.finish().unwrap();
        // Offset of the inner attribute type 1 (value 42): header 16 + fixed 16 + outer nla 4 +
        // kind attr 12 + data nla 4.
        let off = 16 + 16 + 4 + 12 + 4;
        assert_eq!(attr_path_at(&req, 16, off), vec![18, 2, 1]);
        assert_eq!(attr_path_at(&req, 16, off + 4), vec![18, 2, 1]);
        assert_eq!(attr_path_at(&req, 16, 16 + 16 + 4), vec![18, 1]);
        assert_eq!(attr_path_at(&req, 16, 3), Vec::<u16>::new());
        let tlvs = vec![
            (extack_attr::MSG, b"VNI must be specified\0".to_vec()),
            (extack_attr::OFFS, (off as u32).to_ne_bytes().to_vec()),
        ];
        // uncapped: whole request echoed
        let m = error_message(22, flags::ACK_TLVS, &req, &tlvs);
        let msg = messages(&m).next().unwrap().unwrap();
        let e = parse_error(&msg).unwrap();
        assert_eq!(e.errno, 22);
        assert!(!e.capped);
        assert_eq!(e.request.msg_type, 16);
        assert_eq!(e.ext.msg.as_deref(), Some("VNI must be specified"));
        assert_eq!(e.ext.offset, Some(off as u32));
        // capped: header only
        let m = error_message(22, flags::ACK_TLVS | flags::CAPPED, &req[..16], &tlvs);
        let e = parse_error(&messages(&m).next().unwrap().unwrap()).unwrap();
        assert!(e.capped);
        assert_eq!(e.ext.msg.as_deref(), Some("VNI must be specified"));
        // plain ack
        let m = error_message(0, 0, &req[..16], &[]);
        let e = parse_error(&messages(&m).next().unwrap().unwrap()).unwrap();
        assert_eq!(e.errno, 0);
        // malformed: too short, positive code
        let short = Msg {
            header: MsgHeader::default(),
            payload: &[1, 2],
        };
        assert!(parse_error(&short).is_err());
        let mut pos = 5i32.to_ne_bytes().to_vec();
        pos.extend_from_slice(&req[..16]);
        let positive = Msg {
            header: MsgHeader::default(),
            payload: &pos,
        };
        assert!(parse_error(&positive).is_err());
    }
}

//! The nf_tables handle [`Nft`] and atomic batches (NF-01…NF-09).
//!
//! A [`Batch`] is a list of [`NftMessage`]s sent between `NFNL_MSG_BATCH_BEGIN` and
//! `NFNL_MSG_BATCH_END` in one `sendmsg`: the kernel applies all of them or none. Failures name
//! the first failing message by its position in the datagram (BEGIN is 0, so the first inner
//! message is 1), what it carried and the kernel's extended-ack text. A batch may carry the
//! generation it expects ([`Batch::expect_generation`]): if another process committed in between,
//! the kernel refuses the whole batch with `ERESTART` ([`is_conflict`]).
//!
//! The [`Nft`] handle owns its netlink socket. Tables created with
//! [`TableLifetime::SocketOwned`](super::TableLifetime::SocketOwned) belong to that socket: the
//! kernel deletes them when the handle is dropped, and only this handle may change them.

use std::ops::Range;
use std::time::Duration;

use super::codec::{self, Decoded, Generation, NftMessage};
use super::split;
use crate::error::{Errno, Error, Operation, OsError, ProtocolKind, Result, Subsystem};
use crate::netlink::wire::{self, NLMSG_ERROR, flags};
use crate::netlink::{NetlinkSocket, Protocol, Request};
use crate::ns::NsTarget;

/// Batches with more messages than this request an ack only for their last message (errors are
/// reported for every failing message regardless), so the receive buffer need not hold one ack
/// per message.
pub const ACK_ALL_LIMIT: usize = 1024;

/// An ordered list of messages applied atomically.
///
/// ```
/// use linx::netfilter::{Batch, codec, Family, Table, TableLifetime};
/// let mut b = Batch::new();
/// b.push(codec::new_table(&Table::new(Family::Inet, "t", TableLifetime::SocketOwned)?, 0)?);
/// b.expect_generation(42);
/// assert_eq!(b.len(), 1);
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Batch {
    msgs: Vec<NftMessage>,
    genid: Option<u32>,
    echo: bool,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Batch {
        Batch::default()
    }
    /// Appends a message.
    pub fn push(&mut self, m: NftMessage) -> &mut Self {
        self.msgs.push(m);
        self
    }
    /// Appends messages.
    pub fn extend(&mut self, m: impl IntoIterator<Item = NftMessage>) -> &mut Self {
        self.msgs.extend(m);
        self
    }
    /// Refuse the batch (`ERESTART`) unless the ruleset is still at generation `g` (NF-07).
    pub fn expect_generation(&mut self, g: u32) -> &mut Self {
        self.genid = Some(g);
        self
    }
    /// The expected generation, if any.
    pub fn expected_generation(&self) -> Option<u32> {
        self.genid
    }
    /// Ask the kernel to echo created objects back with their handles (`NLM_F_ECHO`, NF-09).
    pub fn echo(&mut self, on: bool) -> &mut Self {
        self.echo = on;
        self
    }
    /// Number of inner messages.
    pub fn len(&self) -> usize {
        self.msgs.len()
    }
    /// True without messages.
    pub fn is_empty(&self) -> bool {
        self.msgs.is_empty()
    }
    /// The messages.
    pub fn messages(&self) -> &[NftMessage] {
        &self.msgs
    }
    /// Total encoded size including the envelope.
    pub fn byte_len(&self) -> usize {
        self.msgs.iter().map(split::wire_len).sum::<usize>() + split::ENVELOPE
    }

    /// Where [`Nft::send_split`] would cut this batch for datagrams of at most `max_bytes`:
    /// consecutive ranges of message indices (0-based), in order, never separating a message
    /// from the one defining a batch-local id it uses (`NFTA_SET_ID`, `NFTA_CHAIN_ID`,
    /// `NFTA_RULE_ID` and their references). A single range when the batch fits.
    ///
    /// ```
    /// use linx::netfilter::{Batch, codec, Family, Table, TableLifetime};
    /// let mut b = Batch::new();
    /// for name in ["a", "b"] {
    ///     b.push(codec::new_table(&Table::new(Family::Ip, name, TableLifetime::Persistent)?, 0)?);
    /// }
    /// assert_eq!(b.split_ranges(b.byte_len())?, vec![0..2]);
    /// assert_eq!(b.split_ranges(b.byte_len() - 1)?, vec![0..1, 1..2]);
    /// # Ok::<(), linx::Error>(())
    /// ```
    ///
    /// # Errors
    /// An input error naming the messages when a message, or a group bound together by
    /// batch-local ids, does not fit in `max_bytes` on its own.
    pub fn split_ranges(&self, max_bytes: usize) -> Result<Vec<Range<usize>>> {
        split::split_ranges(&self.msgs, max_bytes)
    }
}

/// What [`Nft::send_split`] committed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SplitReply {
    /// The message ranges (0-based indices into the original batch) sent as separate batches,
    /// in order; each was committed atomically, the whole was not.
    pub parts: Vec<Range<usize>>,
    /// Objects echoed back by the kernel (with `echo`), from every part.
    pub echoed: Vec<Decoded>,
}

/// What a committed batch returned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchReply {
    /// Objects echoed back by the kernel (with `echo`), decoded; they carry kernel handles.
    pub echoed: Vec<Decoded>,
}

/// True when `e` is a generation conflict: the batch carried an expected generation and another
/// commit happened first (`ERESTART` on the batch envelope).
pub fn is_conflict(e: &Error) -> bool {
    matches!(e, Error::Os(o) if o.errno == Errno::RESTART
        && matches!(o.operation, Operation::Netlink { msg_type, .. } if msg_type == codec::NFNL_MSG_BATCH_BEGIN))
}

/// A handle to nf_tables in one network namespace; owns its netlink socket (NF-01).
#[derive(Debug)]
pub struct Nft {
    sock: NetlinkSocket,
    timeout: Option<Duration>,
    destroy_supported: Option<bool>,
    sndbuf: usize,
    rcvbuf: usize,
}

impl Nft {
    /// Opens an nf_tables socket in `target`'s network namespace.
    ///
    /// # Errors
    /// Namespace and socket errors.
    ///
    /// ```no_run
    /// use linx::netfilter::Nft;
    /// use linx::ns::NsTarget;
    /// let mut nft = Nft::open(&NsTarget::Current)?;
    /// println!("generation {}", nft.generation()?.id);
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn open(target: &NsTarget) -> Result<Nft> {
        let sock = NetlinkSocket::open(Protocol::NETFILTER, target)?;
        Ok(Nft {
            sock,
            timeout: Some(crate::netlink::DEFAULT_TIMEOUT),
            destroy_supported: None,
            sndbuf: 0,
            rcvbuf: 0,
        })
    }

    /// The underlying socket.
    pub fn socket(&self) -> &NetlinkSocket {
        &self.sock
    }

    /// The underlying socket, mutably (for raw requests).
    pub fn socket_mut(&mut self) -> &mut NetlinkSocket {
        &mut self.sock
    }

    /// The socket's port id (the owner of socket-owned tables).
    pub fn port_id(&self) -> u32 {
        self.sock.port_id()
    }

    /// Per-ack receive timeout (default 5 s, NF-05; `None` waits forever): how long
    /// [`send`](Nft::send), [`validate`](Nft::validate) and every request wait for the kernel's
    /// next answer before failing with [`Error::Timeout`] naming the operation
    /// (`NFNL_MSG_BATCH_END` for a batch, the request's message type otherwise). The handle
    /// stays usable: late answers are discarded by sequence number. A timed-out batch may still
    /// have been committed (the kernel processes a batch before answering); re-read the state.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// let mut nft = linx::netfilter::Nft::open(&linx::ns::NsTarget::Current)?;
    /// nft.set_timeout(Some(Duration::from_secs(1)));
    /// # Ok::<(), linx::Error>(())
    /// ```
    pub fn set_timeout(&mut self, t: Option<Duration>) {
        self.timeout = t;
        self.sock.set_timeout(t);
    }

    /// Reads the generation (`NFT_MSG_GETGEN`, NF-06).
    ///
    /// # Errors
    /// Kernel errors; a reply without a generation.
    pub fn generation(&mut self) -> Result<Generation> {
        let req = Request::new(
            codec::get_request(codec::NFT_MSG_GETGEN, 0, None, None),
            "NFT_MSG_GETGEN",
        )?;
        for m in self.sock.request(&req)? {
            if let Decoded::Generation(g) = codec::decode(&m.as_msg())? {
                return Ok(g);
            }
        }
        Err(Error::protocol(
            Subsystem::Netfilter,
            ProtocolKind::UnexpectedMessage,
            "NFT_MSG_GETGEN answered without a generation",
        ))
    }

    /// Sends `batch` atomically (NF-02/NF-03).
    ///
    /// # Errors
    /// The first failing message as an OS error with its datagram position
    /// ([`Context::batch_index`](crate::error::Context)), descriptor, errno, extended ack,
    /// attribute path and the ruleset generation the batch was checked against
    /// ([`Context::generation`](crate::error::Context)); envelope failures (generation
    /// conflict: [`is_conflict`], carrying the generation the kernel had) separately. A batch
    /// larger than the socket can send fails with `EMSGSIZE` naming its size; see
    /// [`send_split`](Nft::send_split) to load it in several batches.
    pub fn send(&mut self, batch: &Batch) -> Result<BatchReply> {
        self.exchange(batch, true)
    }

    /// Sends `batch` as several batches of at most `max_bytes` each (NF-04) — for a batch too
    /// large for one datagram, when loading it **non-atomically** is acceptable. Each part is
    /// committed on its own, in order (see [`Batch::split_ranges`] for where it is cut); a
    /// batch that fits is sent whole, exactly as [`send`](Nft::send) would. Only the first part
    /// carries the batch's expected generation. Packets and other processes may see the state
    /// between parts.
    ///
    /// ```no_run
    /// use linx::netfilter::{Batch, Nft};
    /// # fn big_batch() -> Batch { Batch::new() }
    /// let mut nft = Nft::open(&linx::ns::NsTarget::Current)?;
    /// let reply = nft.send_split(&big_batch(), 128 * 1024)?;
    /// println!("committed in {} batches", reply.parts.len());
    /// # Ok::<(), linx::Error>(())
    /// ```
    ///
    /// # Errors
    /// An input error before anything is sent when a message or a group of messages bound by
    /// batch-local ids exceeds `max_bytes`. A refused part fails as [`send`](Nft::send) does,
    /// with [`batch_index`](crate::error::Context) counting messages of the *original* batch
    /// (its first message is 1) and the object naming the part (`part 2 of 3 of a split
    /// batch; parts before it are committed`); later parts are not sent.
    pub fn send_split(&mut self, batch: &Batch, max_bytes: usize) -> Result<SplitReply> {
        let ranges = batch.split_ranges(max_bytes)?;
        let total = ranges.len();
        let mut reply = SplitReply::default();
        for (k, r) in ranges.iter().enumerate() {
            let part = Batch {
                msgs: batch.msgs[r.clone()].to_vec(),
                genid: if k == 0 { batch.genid } else { None },
                echo: batch.echo,
            };
            match self.exchange(&part, true) {
                Ok(rep) => reply.echoed.extend(rep.echoed),
                Err(e) if total == 1 => return Err(e),
                Err(e) => {
                    let start = r.start;
                    return Err(e.with_context(|c| {
                        if let Some(p) = c.batch_index.as_mut() {
                            *p += start;
                        }
                        let what = c.object.take().unwrap_or_default();
                        let done = if k == 0 {
                            "nothing committed".to_string()
                        } else {
                            "parts before it are committed".to_string()
                        };
                        c.object = Some(format!(
                            "{what} (part {} of {total} of a split batch; {done})",
                            k + 1
                        ));
                    }));
                }
            }
        }
        reply.parts = ranges;
        Ok(reply)
    }

    /// Sends `batch` without `BATCH_END`: the kernel validates every message (including chain
    /// loop checks) and then aborts, changing nothing (NF-08).
    ///
    /// # Errors
    /// As [`send`](Nft::send): the message the kernel would refuse.
    pub fn validate(&mut self, batch: &Batch) -> Result<()> {
        self.exchange(batch, false).map(|_| ())
    }

    /// True when the kernel knows the `DESTROY*` messages (≥ 6.3), probed once with a
    /// validate-only batch.
    ///
    /// # Errors
    /// Socket errors.
    pub fn destroy_supported(&mut self) -> Result<bool> {
        if let Some(s) = self.destroy_supported {
            return Ok(s);
        }
        let mut b = Batch::new();
        b.push(codec::del_table(
            super::Family::Inet,
            "__linx_destroy_probe",
            true,
        )?);
        let s = match self.validate(&b) {
            Ok(()) => true,
            Err(Error::Os(o)) if o.errno == Errno::INVAL || o.errno == Errno::OPNOTSUPP => false,
            Err(e) => return Err(e),
        };
        self.destroy_supported = Some(s);
        Ok(s)
    }

    fn ensure_buffers(&mut self, bytes: usize, acks: usize) -> Result<()> {
        let want_snd = bytes + 64 * 1024;
        if want_snd > self.sndbuf.max(200 * 1024) {
            self.sndbuf = self.sock.set_send_buffer(want_snd)?;
        }
        let want_rcv = acks * 1024 + 256 * 1024;
        if want_rcv > self.rcvbuf.max(200 * 1024) {
            self.rcvbuf = self.sock.set_recv_buffer(want_rcv)?;
        }
        Ok(())
    }

    fn exchange(&mut self, batch: &Batch, commit: bool) -> Result<BatchReply> {
        if batch.is_empty() {
            return Ok(BatchReply::default());
        }
        let n = batch.len();
        // Consecutive sequence numbers for BEGIN, the messages and END.
        let mut first = self.sock.next_seq();
        while first.checked_add(n as u32 + 2).is_none() {
            first = self.sock.next_seq();
        }
        for _ in 0..=n {
            self.sock.next_seq();
        }
        let ack_all = n <= ACK_ALL_LIMIT;
        let mut dgram = Vec::with_capacity(batch.byte_len());
        dgram.extend_from_slice(&codec::batch_envelope(
            codec::NFNL_MSG_BATCH_BEGIN,
            first,
            batch.genid,
        ));
        for (i, m) in batch.msgs.iter().enumerate() {
            let at = dgram.len();
            dgram.extend_from_slice(m.bytes());
            dgram.resize(wire::align4(dgram.len()), 0);
            let mut fl = m.flags() | flags::REQUEST;
            if ack_all || i + 1 == n {
                fl |= flags::ACK;
            }
            let cmd = m.msg_type() as u8;
            if batch.echo && is_new(cmd) {
                fl |= flags::ECHO;
            }
            dgram[at + 6..at + 8].copy_from_slice(&fl.to_ne_bytes());
            let seq = first + 1 + i as u32;
            dgram[at + 8..at + 12].copy_from_slice(&seq.to_ne_bytes());
        }
        if commit {
            dgram.extend_from_slice(&codec::batch_envelope(
                codec::NFNL_MSG_BATCH_END,
                first + n as u32 + 1,
                None,
            ));
        }
        self.ensure_buffers(dgram.len(), if ack_all { n } else { 16 })?;
        self.sock.send_raw(&dgram).map_err(|e| {
            let too_big = e.errno() == Some(Errno::MSGSIZE);
            e.with_context(|c| {
                c.object = Some(if too_big {
                    format!(
                        "batch of {n} messages, {} bytes, larger than the socket can send \
                         (Nft::send_split loads it in several batches, non-atomically)",
                        dgram.len()
                    )
                } else {
                    format!("batch of {n} messages, {} bytes", dgram.len())
                })
            })
        })?;

        let mut reply = BatchReply::default();
        let mut first_err: Option<Error> = None;
        let mut answered = 0usize;
        let expected = if ack_all { n } else { 1 };
        let mut seen_last = false;
        let port = self.sock.port_id();
        loop {
            let done = seen_last && (answered >= expected || first_err.is_some());
            if done {
                break;
            }
            let timeout = if first_err.is_some() && !ack_all {
                Some(Duration::ZERO)
            } else {
                self.timeout
            };
            let Some(dg) = self.sock.recv_raw(timeout)? else {
                if first_err.is_some() {
                    break;
                }
                return Err(Error::timeout(
                    Subsystem::Netfilter,
                    Operation::netlink("NFNL_MSG_BATCH_END", codec::NFNL_MSG_BATCH_END),
                    self.timeout.unwrap_or_default(),
                )
                .with_context(|c| c.object = Some(format!("batch of {n} messages"))));
            };
            for m in wire::messages(&dg) {
                let m = m?;
                if m.header.pid != port && m.header.pid != 0 {
                    continue;
                }
                if m.header.msg_type != NLMSG_ERROR {
                    // Echoed objects (only with NLM_F_ECHO).
                    if m.header.seq >= first && m.header.seq <= first + n as u32 {
                        reply.echoed.push(codec::decode(&m)?);
                    }
                    continue;
                }
                let e = wire::parse_error(&m)?;
                let seq = e.request.seq;
                if seq == first {
                    // Envelope: generation mismatch, commit failure, out of memory.
                    if e.errno != 0 {
                        let mut err = OsError::new(
                            Subsystem::Netfilter,
                            Operation::netlink("NFNL_MSG_BATCH_BEGIN", codec::NFNL_MSG_BATCH_BEGIN),
                            Errno::from_raw_os_error(e.errno),
                        );
                        if let Some(g) = batch.genid {
                            err = err.object(format!("batch expecting generation {g}"));
                        } else {
                            err = err.object(format!("batch of {n} messages"));
                        }
                        if let Some(x) = e.ext.msg.as_deref().filter(|s| !s.is_empty()) {
                            err = err.extack(x);
                        }
                        first_err.get_or_insert(err.into());
                        seen_last = true;
                    }
                    continue;
                }
                let Some(pos) = seq
                    .checked_sub(first)
                    .filter(|p| *p >= 1 && *p as usize <= n)
                else {
                    continue;
                };
                let i = pos as usize - 1;
                answered += 1;
                if i + 1 == n {
                    seen_last = true;
                }
                if e.errno != 0 && first_err.is_none() {
                    first_err = Some(message_error(&batch.msgs[i], pos as usize, e.errno, &e.ext));
                }
            }
        }
        match first_err {
            Some(e) => {
                // Everything the kernel had to say was queued while it processed the batch;
                // discard what is left (acks after an envelope error) without waiting.
                while self.sock.recv_raw(Some(Duration::ZERO))?.is_some() {}
                let generation = self.failed_against(batch, &e);
                Err(e.with_context(|c| c.generation = generation))
            }
            None => Ok(reply),
        }
    }
}

impl Nft {
    /// The ruleset generation a refused batch was checked against (NF-100): the generation it
    /// expected when it carried one and passed that check; otherwise the generation read right
    /// after the refusal — a refused batch commits nothing, so that is the one the kernel
    /// checked it against unless another process committed in between. `None` when it cannot
    /// be read.
    fn failed_against(&mut self, batch: &Batch, e: &Error) -> Option<u32> {
        match batch.genid {
            Some(g) if !is_conflict(e) => Some(g),
            _ => self.generation().ok().map(|g| g.id),
        }
    }
}

fn is_new(cmd: u8) -> bool {
    matches!(
        cmd,
        codec::NFT_MSG_NEWTABLE
            | codec::NFT_MSG_NEWCHAIN
            | codec::NFT_MSG_NEWRULE
            | codec::NFT_MSG_NEWSET
            | codec::NFT_MSG_NEWOBJ
            | codec::NFT_MSG_NEWFLOWTABLE
    )
}

fn message_error(m: &NftMessage, pos: usize, errno: i32, ext: &wire::ExtAck) -> Error {
    let mut err = OsError::new(
        Subsystem::Netfilter,
        Operation::netlink(m.name(), m.msg_type()),
        Errno::from_raw_os_error(errno),
    )
    .object(m.object().to_owned())
    .batch_index(pos);
    if let Some(x) = ext.msg.as_deref().filter(|s| !s.is_empty()) {
        err = err.extack(x);
    }
    if let Some(off) = ext.offset {
        let path = wire::attr_path_at(m.bytes(), 4, off as usize);
        if !path.is_empty() {
            err = err.attr_path(attr_path_name(m.msg_type() as u8, &path));
        }
    }
    err.into()
}

/// Names an attribute path inside an nf_tables message (top level by name, deeper levels by
/// number).
fn attr_path_name(cmd: u8, path: &[u16]) -> String {
    let top: &[&str] = match cmd {
        codec::NFT_MSG_NEWTABLE | codec::NFT_MSG_DELTABLE => &[
            "", "NAME", "FLAGS", "USE", "HANDLE", "PAD", "USERDATA", "OWNER",
        ],
        codec::NFT_MSG_NEWCHAIN | codec::NFT_MSG_DELCHAIN => &[
            "", "TABLE", "HANDLE", "NAME", "HOOK", "POLICY", "USE", "TYPE", "COUNTERS", "PAD",
            "FLAGS", "ID", "USERDATA",
        ],
        codec::NFT_MSG_NEWRULE | codec::NFT_MSG_DELRULE => &[
            "",
            "TABLE",
            "CHAIN",
            "HANDLE",
            "EXPRESSIONS",
            "COMPAT",
            "POSITION",
            "USERDATA",
        ],
        codec::NFT_MSG_NEWSET | codec::NFT_MSG_DELSET => &[
            "",
            "TABLE",
            "NAME",
            "FLAGS",
            "KEY_TYPE",
            "KEY_LEN",
            "DATA_TYPE",
            "DATA_LEN",
            "POLICY",
            "DESC",
            "ID",
            "TIMEOUT",
            "GC_INTERVAL",
            "USERDATA",
        ],
        codec::NFT_MSG_NEWSETELEM | codec::NFT_MSG_DELSETELEM => {
            &["", "TABLE", "SET", "ELEMENTS", "SET_ID"]
        }
        _ => &[],
    };
    let prefix = match cmd {
        codec::NFT_MSG_NEWTABLE | codec::NFT_MSG_DELTABLE => "NFTA_TABLE_",
        codec::NFT_MSG_NEWCHAIN | codec::NFT_MSG_DELCHAIN => "NFTA_CHAIN_",
        codec::NFT_MSG_NEWRULE | codec::NFT_MSG_DELRULE => "NFTA_RULE_",
        codec::NFT_MSG_NEWSET | codec::NFT_MSG_DELSET => "NFTA_SET_",
        codec::NFT_MSG_NEWSETELEM | codec::NFT_MSG_DELSETELEM => "NFTA_SET_ELEM_LIST_",
        _ => "",
    };
    path.iter()
        .enumerate()
        .map(|(i, a)| match (i, top.get(*a as usize)) {
            (0, Some(n)) if !n.is_empty() => format!("{prefix}{n}"),
            _ => a.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nf_03_attr_path_names() {
        assert_eq!(
            attr_path_name(codec::NFT_MSG_NEWRULE, &[4, 1, 2]),
            "NFTA_RULE_EXPRESSIONS/1/2"
        );
        assert_eq!(attr_path_name(200, &[3]), "3");
    }

    #[test]
    fn nf_07_conflict_detection() {
        let e: Error = OsError::new(
            Subsystem::Netfilter,
            Operation::netlink("NFNL_MSG_BATCH_BEGIN", codec::NFNL_MSG_BATCH_BEGIN),
            Errno::RESTART,
        )
        .into();
        assert!(is_conflict(&e));
        let e: Error = OsError::new(
            Subsystem::Netfilter,
            Operation::netlink("NFT_MSG_NEWRULE", codec::msg_type(6)),
            Errno::RESTART,
        )
        .into();
        assert!(!is_conflict(&e));
    }
}

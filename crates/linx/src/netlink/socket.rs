//! The synchronous netlink socket.

use std::cell::Cell;
use std::marker::PhantomData;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use rustix::io::Errno;
use rustix::net::RecvFlags;

use super::wire::{
    self, Message, Msg, MsgBuilder, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLMSG_NOOP,
    NLMSG_OVERRUN, SeqCounter, flags,
};
use crate::error::{Error, Operation, OsError, ProtocolKind, Result, Subsystem};
use crate::ns::{NsSet, NsTarget};

/// A netlink protocol number (the third argument of `socket(AF_NETLINK, …)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Protocol(pub i32);

impl Protocol {
    /// `NETLINK_ROUTE`: rtnetlink.
    pub const ROUTE: Protocol = Protocol(0);
    /// `NETLINK_NETFILTER`: nf_tables, NFLOG, conntrack.
    pub const NETFILTER: Protocol = Protocol(12);
    /// `NETLINK_GENERIC`: generic netlink.
    pub const GENERIC: Protocol = Protocol(16);

    fn subsystem(self) -> Subsystem {
        if self == Protocol::NETFILTER {
            Subsystem::Netfilter
        } else {
            Subsystem::Netlink
        }
    }
}

/// `SOL_NETLINK`.
const SOL_NETLINK: i32 = 270;
const NETLINK_ADD_MEMBERSHIP: i32 = 1;
const NETLINK_DROP_MEMBERSHIP: i32 = 2;
const NETLINK_CAP_ACK: i32 = 10;
const NETLINK_EXT_ACK: i32 = 11;
const NETLINK_GET_STRICT_CHK: i32 = 12;

/// Default per-receive timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default number of retries of an interrupted dump in [`NetlinkSocket::dump_consistent`].
pub const DEFAULT_DUMP_RETRIES: u32 = 2;
/// Receive buffer requested when the first multicast group is joined.
pub const MONITOR_RCVBUF: usize = 4 << 20;

/// Names the attribute path of an extended-ack offset: given masked attribute types from the
/// outermost inward, returns e.g. `IFLA_LINKINFO/IFLA_INFO_DATA/IFLA_VXLAN_ID`.
pub type AttrNamer = fn(&[u16]) -> String;

/// A request ready to send: the message bytes plus what errors need to describe it.
///
/// ```
/// use linx::netlink::{Request, wire::MsgBuilder};
/// let mut b = MsgBuilder::new(18, 0);
/// b.push_header(&[0u8; 16]);
/// let req = Request::new(b, "RTM_GETLINK")?;
/// assert_eq!(req.msg_type(), 18);
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Request {
    bytes: Vec<u8>,
    name: &'static str,
    fixed_len: usize,
    namer: Option<AttrNamer>,
}

impl Request {
    /// Finishes `builder` into a request named `name` (the message type's symbolic name).
    ///
    /// # Errors
    /// The builder's input error (an attribute over the 16-bit length limit).
    pub fn new(builder: MsgBuilder, name: &'static str) -> Result<Request> {
        let fixed_len = builder.fixed_len();
        let bytes = builder.finish()?;
        Ok(Request {
            bytes,
            name,
            fixed_len,
            namer: None,
        })
    }

    /// Sets the function that names attribute paths in extended-ack errors.
    pub fn with_attr_namer(mut self, namer: AttrNamer) -> Request {
        self.namer = Some(namer);
        self
    }

    /// The message type.
    pub fn msg_type(&self) -> u16 {
        u16::from_ne_bytes([self.bytes[4], self.bytes[5]])
    }

    /// The symbolic name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The encoded message (sequence number and port id still zero).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn operation(&self) -> Operation {
        Operation::netlink(self.name, self.msg_type())
    }
}

/// The result of [`NetlinkSocket::dump`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DumpResult {
    /// Every data message of the dump, in order.
    pub messages: Vec<Message>,
    /// True when the kernel flagged the dump as inconsistent (`NLM_F_DUMP_INTR`): objects changed
    /// while it ran, so items may be missing or duplicated.
    pub interrupted: bool,
}

/// What [`NetlinkSocket::recv_multicast`] received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// The messages of one datagram, in arrival order.
    Messages(Vec<Message>),
    /// The receive buffer overflowed (`ENOBUFS`): notifications were lost. The socket has been
    /// drained; re-read the full state.
    Overrun,
}

/// A synchronous netlink socket bound to one network namespace for life.
///
/// Wraps [`netlink(7)`](https://man7.org/linux/man-pages/man7/netlink.7.html) sockets: requests with
/// acks, multipart dumps (with `NLM_F_DUMP_INTR` detection and retry), extended acks, timeouts,
/// overrun detection and multicast groups. Replies are matched on sequence number *and* port id;
/// stale replies of earlier requests are discarded. Methods take `&mut self`: the socket is `Send`
/// but not `Sync`, so one driver uses it at a time.
///
/// ```no_run
/// use linx::netlink::{NetlinkSocket, Protocol};
/// use linx::ns::NsTarget;
/// let sock = NetlinkSocket::open(Protocol::ROUTE, &NsTarget::Current)?;
/// println!("port id {}", sock.port_id());
/// # Ok::<(), linx::Error>(())
/// ```
#[derive(Debug)]
pub struct NetlinkSocket {
    fd: OwnedFd,
    protocol: Protocol,
    port_id: u32,
    seq: SeqCounter,
    timeout: Option<Duration>,
    buf: Vec<u8>,
    send_buf: Vec<u8>,
    target: Option<String>,
    rcvbuf_set: bool,
    _not_sync: PhantomData<Cell<()>>,
}

impl NetlinkSocket {
    /// Opens a netlink socket of `protocol` inside `target`'s network namespace.
    ///
    /// For a foreign namespace the socket is created on a dedicated thread that joins it (see
    /// [`NsTarget::run`]); the socket stays in that namespace after the thread exits. The socket
    /// is bound with port id 0 (the kernel assigns one), extended acks are enabled (ignored where
    /// unsupported) and acks are capped (the request is not echoed back; linx keeps it).
    ///
    /// # Errors
    /// Namespace errors of the target; OS errors of `socket`, `bind` and `getsockname` (a bind
    /// failure is fatal).
    #[doc(alias = "socket")]
    pub fn open(protocol: Protocol, target: &NsTarget) -> Result<NetlinkSocket> {
        let sub = protocol.subsystem();
        let target_desc = (!target.is_current()).then(|| target.to_string());
        let with_target = |e: OsError| match &target_desc {
            Some(t) => e.target(t.clone()),
            None => e,
        };
        let fd = target
            .run(NsSet::NET, || {
                rustix::net::socket_with(
                    rustix::net::AddressFamily::NETLINK,
                    rustix::net::SocketType::RAW,
                    rustix::net::SocketFlags::CLOEXEC,
                    std::num::NonZeroU32::new(protocol.0 as u32)
                        .map(rustix::net::Protocol::from_raw),
                )
            })?
            .map_err(|e| with_target(OsError::new(sub, Operation::Socket, e)))?;
        let addr = rustix::net::netlink::SocketAddrNetlink::new(0, 0);
        rustix::net::bind(&fd, &addr)
            .map_err(|e| with_target(OsError::new(sub, Operation::Bind, e)))?;
        let local = rustix::net::getsockname(&fd)
            .and_then(rustix::net::netlink::SocketAddrNetlink::try_from)
            .map_err(|e| with_target(OsError::new(sub, Operation::GetSockName, e)))?;
        let sock = NetlinkSocket {
            fd,
            protocol,
            port_id: local.pid(),
            seq: SeqCounter::default(),
            timeout: Some(DEFAULT_TIMEOUT),
            buf: vec![0; 32 * 1024],
            send_buf: Vec::new(),
            target: target_desc,
            rcvbuf_set: false,
            _not_sync: PhantomData,
        };
        // Extended ack: best effort (ENOPROTOOPT before 4.12).
        match sock.setsockopt_int(SOL_NETLINK, NETLINK_EXT_ACK, 1, "NETLINK_EXT_ACK") {
            Ok(())
            | Err(Error::Os(OsError {
                errno: Errno::NOPROTOOPT,
                ..
            })) => {}
            Err(e) => return Err(e),
        }
        sock.setsockopt_int(SOL_NETLINK, NETLINK_CAP_ACK, 1, "NETLINK_CAP_ACK")?;
        Ok(sock)
    }

    /// The port id the kernel assigned.
    pub fn port_id(&self) -> u32 {
        self.port_id
    }

    /// The protocol.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The per-receive timeout (default 5 s; `None` waits forever). A timeout returns
    /// [`Error::Timeout`] and leaves the socket usable: late replies are discarded by sequence
    /// number on the next request.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
    }

    /// The current per-receive timeout.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Enables or disables strict checking of dump requests (`NETLINK_GET_STRICT_CHK`, ≥ 4.20):
    /// the kernel then validates request headers exactly and honours filter attributes.
    ///
    /// # Errors
    /// `ENOPROTOOPT` on kernels without it.
    pub fn set_strict_checking(&mut self, on: bool) -> Result<()> {
        self.setsockopt_int(
            SOL_NETLINK,
            NETLINK_GET_STRICT_CHK,
            i32::from(on),
            "NETLINK_GET_STRICT_CHK",
        )
    }

    /// Enables or disables capped acks (`NETLINK_CAP_ACK`; on by default).
    pub fn set_cap_ack(&mut self, on: bool) -> Result<()> {
        self.setsockopt_int(
            SOL_NETLINK,
            NETLINK_CAP_ACK,
            i32::from(on),
            "NETLINK_CAP_ACK",
        )
    }

    /// Sets the receive buffer size, using `SO_RCVBUFFORCE` when privileged (`CAP_NET_ADMIN`) so
    /// `rmem_max` does not clamp it, and returns the effective size the kernel reports.
    pub fn set_recv_buffer(&mut self, bytes: usize) -> Result<usize> {
        self.set_buffer(bytes, libc::SO_RCVBUFFORCE, libc::SO_RCVBUF, "SO_RCVBUF")
    }

    /// Sets the send buffer size like [`set_recv_buffer`](Self::set_recv_buffer).
    pub fn set_send_buffer(&mut self, bytes: usize) -> Result<usize> {
        self.set_buffer(bytes, libc::SO_SNDBUFFORCE, libc::SO_SNDBUF, "SO_SNDBUF")
    }

    fn set_buffer(
        &mut self,
        bytes: usize,
        force: i32,
        plain: i32,
        name: &'static str,
    ) -> Result<usize> {
        let v = i32::try_from(bytes).unwrap_or(i32::MAX);
        if self
            .setsockopt_int(libc::SOL_SOCKET, force, v, name)
            .is_err()
        {
            self.setsockopt_int(libc::SOL_SOCKET, plain, v, name)?;
        }
        let got = self.getsockopt_int(libc::SOL_SOCKET, plain, name)?;
        Ok(usize::try_from(got).unwrap_or(0))
    }

    /// Joins a multicast group by number (groups above 31 work too). The first join raises the
    /// receive buffer to 4 MiB (clamped by `rmem_max` when unprivileged).
    pub fn join_group(&mut self, group: u32) -> Result<()> {
        if !self.rcvbuf_set {
            self.set_recv_buffer(MONITOR_RCVBUF)?;
            self.rcvbuf_set = true;
        }
        self.setsockopt_int(
            SOL_NETLINK,
            NETLINK_ADD_MEMBERSHIP,
            group as i32,
            "NETLINK_ADD_MEMBERSHIP",
        )
    }

    /// Leaves a multicast group.
    pub fn leave_group(&mut self, group: u32) -> Result<()> {
        self.setsockopt_int(
            SOL_NETLINK,
            NETLINK_DROP_MEMBERSHIP,
            group as i32,
            "NETLINK_DROP_MEMBERSHIP",
        )
    }

    fn setsockopt_int(&self, level: i32, name: i32, value: i32, label: &'static str) -> Result<()> {
        // SAFETY: passes a pointer to a live i32 and its exact size.
        let r = unsafe {
            libc::setsockopt(
                self.fd.as_raw_fd(),
                level,
                name,
                (&value as *const i32).cast(),
                std::mem::size_of::<i32>() as libc::socklen_t,
            )
        };
        if r == 0 {
            Ok(())
        } else {
            Err(self.os(Operation::SetSockOpt(label), last_errno()).into())
        }
    }

    fn getsockopt_int(&self, level: i32, name: i32, label: &'static str) -> Result<i32> {
        let mut value: i32 = 0;
        let mut len = std::mem::size_of::<i32>() as libc::socklen_t;
        // SAFETY: value and len are live and correctly sized for an int option.
        let r = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                level,
                name,
                (&mut value as *mut i32).cast(),
                &mut len,
            )
        };
        if r == 0 {
            Ok(value)
        } else {
            Err(self.os(Operation::GetSockOpt(label), last_errno()).into())
        }
    }

    fn os(&self, op: Operation, errno: Errno) -> OsError {
        let e = OsError::new(self.protocol.subsystem(), op, errno);
        match &self.target {
            Some(t) => e.target(t.clone()),
            None => e,
        }
    }

    /// Sends a request and waits for its ack, returning the reply messages that came before it
    /// (e.g. the object of a non-dump `GET`). `NLM_F_REQUEST | NLM_F_ACK` are added.
    ///
    /// # Errors
    /// The kernel's error with errno, extended-ack text and the failing attribute path;
    /// [`Error::Timeout`]; [`Error::Overrun`]; protocol errors for malformed replies (the socket is
    /// drained and stays usable).
    pub fn request(&mut self, req: &Request) -> Result<Vec<Message>> {
        let mut out = Vec::new();
        self.exchange(req, flags::REQUEST | flags::ACK, false, |m| {
            out.push(m.to_owned());
            Ok(())
        })?;
        Ok(out)
    }

    /// Like [`request`](Self::request) for requests whose only reply is the ack.
    pub fn request_ack(&mut self, req: &Request) -> Result<()> {
        self.exchange(req, flags::REQUEST | flags::ACK, false, |_| Ok(()))
            .map(|_| ())
    }

    /// Runs a dump (`NLM_F_DUMP` is added), passing every data message to `f` without copying.
    /// Returns whether the dump was interrupted (`NLM_F_DUMP_INTR`).
    ///
    /// If `f` fails, the rest of the dump is still consumed (the kernel allows one dump per socket
    /// at a time) and `f`'s error is returned.
    pub fn dump_with(
        &mut self,
        req: &Request,
        f: impl FnMut(Msg<'_>) -> Result<()>,
    ) -> Result<bool> {
        self.exchange(req, flags::REQUEST | flags::DUMP, true, f)
    }

    /// Runs a dump and collects its messages, reporting interruption instead of retrying.
    pub fn dump(&mut self, req: &Request) -> Result<DumpResult> {
        let mut messages = Vec::new();
        let interrupted = self.dump_with(req, |m| {
            messages.push(m.to_owned());
            Ok(())
        })?;
        Ok(DumpResult {
            messages,
            interrupted,
        })
    }

    /// Runs a dump, retrying up to `retries` more times (each with a fresh sequence number) while it
    /// comes back interrupted.
    ///
    /// # Errors
    /// [`Error::DumpInterrupted`] when every attempt was interrupted.
    pub fn dump_consistent(&mut self, req: &Request, retries: u32) -> Result<Vec<Message>> {
        for _ in 0..=retries {
            let r = self.dump(req)?;
            if !r.interrupted {
                return Ok(r.messages);
            }
        }
        Err(Error::DumpInterrupted {
            subsystem: self.protocol.subsystem(),
            operation: req.operation(),
            attempts: retries + 1,
        })
    }

    fn exchange(
        &mut self,
        req: &Request,
        extra_flags: u16,
        dump: bool,
        mut f: impl FnMut(Msg<'_>) -> Result<()>,
    ) -> Result<bool> {
        let seq = self.seq.next_seq();
        self.send_buf.clear();
        self.send_buf.extend_from_slice(&req.bytes);
        if self.send_buf.len() >= NLMSG_HDRLEN {
            let fl = u16::from_ne_bytes([self.send_buf[6], self.send_buf[7]]) | extra_flags;
            self.send_buf[6..8].copy_from_slice(&fl.to_ne_bytes());
            self.send_buf[8..12].copy_from_slice(&seq.to_ne_bytes());
            self.send_buf[12..16].copy_from_slice(&0u32.to_ne_bytes());
        }
        let op = req.operation();
        self.send_all(op)?;

        let mut interrupted = false;
        let mut callback_error: Option<Error> = None;
        let mut buf = std::mem::take(&mut self.buf);
        let result = loop {
            let n = match self.recv_datagram(&mut buf, op, self.timeout) {
                Ok(n) => n,
                Err(e) => break Err(e),
            };
            let mut finished: Option<Result<()>> = None;
            for m in wire::messages(&buf[..n]) {
                let m = match m {
                    Ok(m) => m,
                    Err(e) => {
                        finished = Some(Err(e.into()));
                        break;
                    }
                };
                if m.header.seq != seq || m.header.pid != self.port_id {
                    continue; // a late reply of an earlier request, or a notification
                }
                if m.header.flags & flags::DUMP_INTR != 0 {
                    interrupted = true;
                }
                match m.header.msg_type {
                    NLMSG_NOOP => {}
                    NLMSG_ERROR => {
                        finished = Some(match wire::parse_error(&m) {
                            Ok(e) if e.errno == 0 => Ok(()),
                            Ok(e) => Err(self.kernel_error(req, e.errno, &e.ext)),
                            Err(p) => Err(p.into()),
                        });
                        break;
                    }
                    NLMSG_DONE => {
                        finished = Some(self.done_status(req, &m));
                        break;
                    }
                    NLMSG_OVERRUN => {
                        finished = Some(Err(Error::Overrun {
                            subsystem: self.protocol.subsystem(),
                            operation: op,
                        }));
                        break;
                    }
                    _ => {
                        if callback_error.is_none()
                            && let Err(e) = f(m)
                        {
                            callback_error = Some(e);
                        }
                    }
                }
            }
            if let Some(r) = finished {
                break r;
            }
        };
        self.buf = buf;
        match result {
            Ok(()) => match callback_error {
                Some(e) => Err(e),
                None => Ok(interrupted),
            },
            Err(e) => {
                if matches!(
                    e,
                    Error::Protocol(_) | Error::Overrun { .. } | Error::Timeout(_)
                ) || dump
                {
                    self.drain();
                }
                Err(e)
            }
        }
    }

    fn done_status(&self, req: &Request, m: &Msg<'_>) -> Result<()> {
        let Some(code) = m.payload.get(..4) else {
            return Ok(());
        };
        let code = i32::from_ne_bytes([code[0], code[1], code[2], code[3]]);
        if code >= 0 {
            return Ok(());
        }
        let mut ext = wire::ExtAck::default();
        if m.header.flags & flags::ACK_TLVS != 0 {
            for a in wire::attrs(&m.payload[4..]).flatten() {
                match a.kind() {
                    wire::extack_attr::MSG => ext.msg = a.str().ok().map(str::to_owned),
                    wire::extack_attr::OFFS => ext.offset = a.u32().ok(),
                    _ => {}
                }
            }
        }
        Err(self.kernel_error(req, code.saturating_neg(), &ext))
    }

    fn kernel_error(&self, req: &Request, errno: i32, ext: &wire::ExtAck) -> Error {
        let mut e = self.os(req.operation(), Errno::from_raw_os_error(errno));
        if let Some(msg) = ext.msg.as_deref().filter(|m| !m.is_empty()) {
            e = e.extack(msg);
        }
        if let Some(off) = ext.offset {
            let path = wire::attr_path_at(&req.bytes, req.fixed_len, off as usize);
            if !path.is_empty() {
                let named = match req.namer {
                    Some(namer) => namer(&path),
                    None => path
                        .iter()
                        .map(u16::to_string)
                        .collect::<Vec<_>>()
                        .join("/"),
                };
                e = e.attr_path(named);
            }
        }
        e.into()
    }

    fn send_all(&mut self, op: Operation) -> Result<()> {
        loop {
            match rustix::net::send(&self.fd, &self.send_buf, rustix::net::SendFlags::empty()) {
                Ok(n) if n == self.send_buf.len() => return Ok(()),
                Ok(n) => {
                    return Err(Error::protocol(
                        self.protocol.subsystem(),
                        ProtocolKind::Truncated,
                        format!("{op}: sent {n} of {} bytes", self.send_buf.len()),
                    ));
                }
                Err(Errno::INTR) => continue,
                Err(e) => return Err(self.os(Operation::Send, e).into()),
            }
        }
    }

    /// Waits for one datagram and reads it whole into `buf` (grown as needed). Returns its length.
    fn recv_datagram(
        &mut self,
        buf: &mut Vec<u8>,
        op: Operation,
        timeout: Option<Duration>,
    ) -> Result<usize> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            if let Some(deadline) = deadline {
                let left = deadline.saturating_duration_since(Instant::now());
                if !self.wait_readable(left)? {
                    let e =
                        Error::timeout(self.protocol.subsystem(), op, timeout.unwrap_or_default());
                    return Err(match &self.target {
                        Some(t) => e.with_context(|c| c.target = Some(t.clone())),
                        None => e,
                    });
                }
            }
            // Learn the datagram's size without copying it, so it is never truncated.
            let flags = RecvFlags::PEEK
                | RecvFlags::TRUNC
                | if deadline.is_some() {
                    RecvFlags::DONTWAIT
                } else {
                    RecvFlags::empty()
                };
            let size = match rustix::net::recv(&self.fd, &mut [0u8; 0][..], flags) {
                Ok((_, size)) => size,
                Err(Errno::INTR) | Err(Errno::AGAIN) => continue,
                Err(Errno::NOBUFS) => {
                    self.drain();
                    return Err(Error::Overrun {
                        subsystem: self.protocol.subsystem(),
                        operation: op,
                    });
                }
                Err(e) => return Err(self.os(Operation::Recv, e).into()),
            };
            if size > buf.len() {
                buf.resize(size, 0);
            }
            match rustix::net::recv(
                &self.fd,
                &mut buf[..],
                RecvFlags::TRUNC | RecvFlags::DONTWAIT,
            ) {
                Ok((_, full)) if full > buf.len() => {
                    return Err(Error::protocol(
                        self.protocol.subsystem(),
                        ProtocolKind::Truncated,
                        format!("{op}: datagram of {full} bytes truncated to {}", buf.len()),
                    ));
                }
                Ok((_, full)) => return Ok(full),
                Err(Errno::INTR) | Err(Errno::AGAIN) => continue,
                Err(Errno::NOBUFS) => {
                    self.drain();
                    return Err(Error::Overrun {
                        subsystem: self.protocol.subsystem(),
                        operation: op,
                    });
                }
                Err(e) => return Err(self.os(Operation::Recv, e).into()),
            }
        }
    }

    fn wait_readable(&self, timeout: Duration) -> Result<bool> {
        let ts = rustix::time::Timespec {
            tv_sec: i64::try_from(timeout.as_secs()).unwrap_or(i64::MAX),
            tv_nsec: i64::from(timeout.subsec_nanos()),
        };
        let mut fds = [rustix::event::PollFd::new(
            &self.fd,
            rustix::event::PollFlags::IN,
        )];
        loop {
            match rustix::event::poll(&mut fds, Some(&ts)) {
                Ok(n) => return Ok(n > 0),
                Err(Errno::INTR) => continue,
                Err(e) => return Err(self.os(Operation::Poll, e).into()),
            }
        }
    }

    /// Discards everything queued on the socket (used after overruns and malformed replies).
    fn drain(&mut self) {
        let mut scratch = [0u8; 8192];
        // Bounded, in case a flood refills the queue as fast as it drains.
        for _ in 0..1_000_000 {
            match rustix::net::recv(
                &self.fd,
                &mut scratch[..],
                RecvFlags::DONTWAIT | RecvFlags::TRUNC,
            ) {
                Ok(_) | Err(Errno::NOBUFS) | Err(Errno::INTR) => {}
                Err(_) => break,
            }
        }
    }

    /// Receives one datagram of notifications from the joined multicast groups.
    ///
    /// Returns `Ok(None)` when `timeout` passes without data (`None` waits forever), and
    /// [`Received::Overrun`] when notifications were lost (`ENOBUFS`); never panics.
    pub fn recv_multicast(&mut self, timeout: Option<Duration>) -> Result<Option<Received>> {
        let mut buf = std::mem::take(&mut self.buf);
        let r = self.recv_datagram(&mut buf, Operation::Recv, timeout);
        let out = match r {
            Ok(n) => wire::messages(&buf[..n])
                .map(|m| m.map(|m| m.to_owned()))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map(|v| Some(Received::Messages(v)))
                .map_err(Error::from),
            Err(Error::Timeout(_)) => Ok(None),
            Err(Error::Overrun { .. }) => Ok(Some(Received::Overrun)),
            Err(e) => Err(e),
        };
        self.buf = buf;
        if matches!(out, Err(Error::Protocol(_))) {
            self.drain();
        }
        out
    }

    /// Sends a whole datagram as given (no flags or sequence numbers added): the escape hatch for
    /// protocols linx does not model.
    pub fn send_raw(&mut self, datagram: &[u8]) -> Result<()> {
        self.send_buf.clear();
        self.send_buf.extend_from_slice(datagram);
        self.send_all(Operation::Send)
    }

    /// Receives one whole datagram; `Ok(None)` on timeout.
    pub fn recv_raw(&mut self, timeout: Option<Duration>) -> Result<Option<Vec<u8>>> {
        let mut buf = std::mem::take(&mut self.buf);
        let r = self.recv_datagram(&mut buf, Operation::Recv, timeout);
        let out = match r {
            Ok(n) => Ok(Some(buf[..n].to_vec())),
            Err(Error::Timeout(_)) => Ok(None),
            Err(e) => Err(e),
        };
        self.buf = buf;
        out
    }

    /// The next sequence number this socket will use (for building raw datagrams by hand).
    pub fn next_seq(&mut self) -> u32 {
        self.seq.next_seq()
    }
}

impl AsFd for NetlinkSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

fn last_errno() -> Errno {
    Errno::from_raw_os_error(
        std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO),
    )
}

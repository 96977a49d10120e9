//! rtnetlink benchmark: figures and ratios against the kernel floor and iproute2, in one run.
//!
//! In fresh network namespaces holding 2,000 links and 100,000 IPv4 routes it measures:
//! 1. dump-and-decode of every route with linx vs. the kernel floor (a raw receive loop that
//!    discards the bytes) — target ≤ 1.5×;
//! 2. route listing as iproute2-style JSON: linx (library dump + JSON, and the `linx` binary when
//!    it is built next to this example) vs. `ip -j route show table all` — target: faster;
//! 3. installing 100,000 routes with linx's pipelined batch vs. `ip -batch` — target: no slower.
//!
//! Each figure is the best of N runs (`LINX_BENCH_RUNS`, default 7); the machines are shared, so
//! the minimum is the stable estimate. Needs root and `ip`. Run: `cargo run --release -p linx --all-features --example rtnl_bench`
//! (`LINX_BENCH_ROUTES=N` changes the route count).

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::{AsFd, AsRawFd};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use linx::netlink::wire::{self, MsgBuilder, NLMSG_DONE, flags};
use linx::netlink::{NetlinkSocket, Protocol};
use linx::ns::NsTarget;
use linx::rtnl::{RouteFilter, RouteSpec, Rtnl};
use linx::types::Prefix;
use linx_testkit::NetNs;

/// Runs per measurement (`LINX_BENCH_RUNS`, default 7).
fn runs() -> usize {
    std::env::var("LINX_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7)
}

/// The best of `runs()` timings: on a shared, noisy machine the minimum is the most stable
/// estimate of the intrinsic cost.
fn time<T>(f: impl FnMut() -> T) -> Duration {
    let mut f = f;
    let mut best = Duration::MAX;
    for _ in 0..runs() {
        let t = Instant::now();
        std::hint::black_box(f());
        best = best.min(t.elapsed());
    }
    best
}

fn ms(d: Duration) -> String {
    format!("{:9.2} ms", d.as_secs_f64() * 1e3)
}

fn run_ip_batch(ns: &NetNs, batch: &str) {
    let mut child = ns
        .command("ip")
        .args(["-batch", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn ip -batch");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(batch.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "ip -batch failed");
}

/// A namespace with 1,000 veth pairs (2,000 links) and `v0` (192.0.2.10/24) up.
fn namespace() -> (NetNs, NsTarget) {
    let ns = NetNs::new().expect("netns (needs root)");
    let mut batch = String::new();
    for i in 0..999 {
        batch.push_str(&format!("link add ba{i} type veth peer name bb{i}\n"));
    }
    batch.push_str("link add v0 type veth peer name v1\nlink set v0 up\nlink set v1 up\n");
    batch.push_str("addr add 192.0.2.10/24 dev v0\n");
    run_ip_batch(&ns, &batch);
    let target = NsTarget::fd(ns.try_clone_fd().unwrap());
    (ns, target)
}

fn route_prefix(i: u32) -> Ipv4Addr {
    Ipv4Addr::from(0x0a00_0000 + (i << 8))
}

/// The kernel floor: one IPv4 route dump, received and discarded.
fn raw_dump(sock: &NetlinkSocket, buf: &mut [u8], seq: u32) -> usize {
    let mut b = MsgBuilder::new(26, flags::REQUEST | flags::DUMP);
    b.push_header(&[2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let mut req = b.finish().unwrap();
    req[8..12].copy_from_slice(&seq.to_ne_bytes());
    rustix::net::send(sock.as_fd(), &req, rustix::net::SendFlags::empty()).unwrap();
    let mut total = 0;
    loop {
        let (n, _) =
            rustix::net::recv(sock.as_fd(), &mut *buf, rustix::net::RecvFlags::empty()).unwrap();
        total += n;
        // The DONE message ends a dump datagram; the rest is not looked at.
        if wire::messages(&buf[..n])
            .flatten()
            .any(|m| m.header.msg_type == NLMSG_DONE)
        {
            return total;
        }
    }
}

fn main() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("rtnl_bench needs root (network namespaces)");
        std::process::exit(2);
    }
    let n: u32 = std::env::var("LINX_BENCH_ROUTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    println!(
        "rtnl_bench: {n} IPv4 routes, 2,000 links, best of {} runs\n",
        runs()
    );

    // (3) install: ip -batch vs linx pipelined batch, each into a fresh namespace.
    let (ns_ip, _) = namespace();
    let mut batch = String::with_capacity(n as usize * 48);
    for i in 0..n {
        batch.push_str(&format!("route add {}/24 via 192.0.2.1\n", route_prefix(i)));
    }
    let t = Instant::now();
    run_ip_batch(&ns_ip, &batch);
    let ip_install = t.elapsed();

    let (ns, target) = namespace();
    let specs: Vec<RouteSpec> = (0..n)
        .map(|i| {
            RouteSpec::new(Prefix::new(IpAddr::V4(route_prefix(i)), 24).unwrap())
                .gateway("192.0.2.1".parse().unwrap())
        })
        .collect();
    let mut rtnl = Rtnl::open(&target).unwrap();
    let t = Instant::now();
    rtnl.add_routes(&specs).unwrap();
    let linx_install = t.elapsed();
    drop(ns_ip);

    // (1) dump and decode vs the floor.
    let sock = NetlinkSocket::open(Protocol::ROUTE, &target).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    let mut seq = 1;
    let bytes = raw_dump(&sock, &mut buf, seq);
    let floor = time(|| {
        seq += 1;
        raw_dump(&sock, &mut buf, seq)
    });
    let ipv4 = RouteFilter::default().ipv4();
    let transport = {
        let req = ipv4.request(false, None).unwrap();
        let mut sock2 = NetlinkSocket::open(Protocol::ROUTE, &target).unwrap();
        time(|| {
            let mut k = 0usize;
            sock2
                .dump_with(&req, |m| {
                    k += m.payload.len();
                    Ok(())
                })
                .unwrap();
            k
        })
    };
    let count = rtnl.routes_filtered(&ipv4).unwrap().len();
    let decode = time(|| rtnl.routes_filtered(&ipv4).unwrap().len());
    let mut reused = Vec::new();
    let decode_reused = time(|| {
        rtnl.routes_into(&ipv4, &mut reused).unwrap();
        reused.len()
    });

    // (2) JSON listing: ip vs linx (library, and the CLI binary if built).
    let ip_json = time(|| {
        let out = ns
            .command("ip")
            .args(["-j", "route", "show", "table", "all"])
            .stdout(Stdio::piped())
            .output()
            .unwrap();
        out.stdout.len()
    });
    #[cfg(feature = "serde")]
    let lib_json = Some(time(|| {
        let mut r = Rtnl::open(&target).unwrap();
        let links = r.links().unwrap();
        let routes = r.routes().unwrap();
        serde_json::to_string(&linx::rtnl::json::routes(&routes, &links))
            .unwrap()
            .len()
    }));
    #[cfg(not(feature = "serde"))]
    let lib_json: Option<Duration> = None;
    let cli = std::env::current_exe()
        .ok()
        .and_then(|p| Some(p.parent()?.parent()?.join("linx")))
        .filter(|p| p.is_file());
    let netns_path = format!("/proc/{}/fd/{}", std::process::id(), ns.as_fd().as_raw_fd());
    let cli_json = cli.as_ref().map(|exe| {
        time(|| {
            let out = Command::new(exe)
                .args([
                    "route",
                    "show",
                    "--netns",
                    &netns_path,
                    "--json",
                    "table",
                    "all",
                ])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout.len()
        })
    });

    println!("dump: {count} routes decoded, {bytes} bytes per dump");
    println!("(1) kernel floor (raw recv)     {}", ms(floor));
    println!(
        "    linx transport only         {}   ratio {:.2}x the floor",
        ms(transport),
        transport.as_secs_f64() / floor.as_secs_f64()
    );
    println!(
        "    linx dump + decode          {}   ratio {:.2}x the floor (target <= 1.5)",
        ms(decode),
        decode.as_secs_f64() / floor.as_secs_f64()
    );
    println!(
        "    linx dump + decode, reused  {}   ratio {:.2}x the floor (routes_into)",
        ms(decode_reused),
        decode_reused.as_secs_f64() / floor.as_secs_f64()
    );
    println!("(2) ip -j route show table all  {}", ms(ip_json));
    if let Some(d) = lib_json {
        println!(
            "    linx library dump + JSON    {}   ratio {:.2}x ip (target < 1)",
            ms(d),
            d.as_secs_f64() / ip_json.as_secs_f64()
        );
    }
    match cli_json {
        Some(d) => println!(
            "    linx route show --json      {}   ratio {:.2}x ip (target < 1)",
            ms(d),
            d.as_secs_f64() / ip_json.as_secs_f64()
        ),
        None => println!(
            "    (linx binary not found next to the examples: build it with --release to time the CLI)"
        ),
    }
    println!("(3) ip -batch install           {}", ms(ip_install));
    println!(
        "    linx add_routes (pipelined) {}   ratio {:.2}x ip (target <= 1)",
        ms(linx_install),
        linx_install.as_secs_f64() / ip_install.as_secs_f64()
    );
}

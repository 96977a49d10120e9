//! Benchmark: parse a 5,000-entry mountinfo with linx vs `findmnt -J` on the same file, in the
//! same run, and print the ratio.
//!
//! ```sh
//! cargo run --release -p linx --features serde --example mountinfo_bench [-- ENTRIES [ROUNDS]]
//! ```
//!
//! The file is synthetic but kernel-shaped: paths with escaped spaces, newlines, tabs and
//! backslashes, bind mounts, propagation tags. `findmnt -F FILE` parses it as a mountinfo file.
//! Three linx figures are printed: parse only (read + decode), parse + findmnt-shaped JSON
//! (with the `serde` feature; the same work `findmnt -J` does), and the whole `findmnt` process
//! (which includes its start-up).

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use linx::mount::mountinfo;

const COLUMNS: &str =
    "ID,PARENT,MAJ:MIN,TARGET,SOURCE,FSTYPE,VFS-OPTIONS,FS-OPTIONS,FSROOT,PROPAGATION";

fn synthetic(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * 120);
    writeln!(
        out,
        "1 0 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard"
    )
    .unwrap();
    for i in 0..n {
        let id = i + 2;
        let (root, name) = match i % 5 {
            0 => ("/".to_string(), format!("plain{i}")),
            1 => ("/".to_string(), format!("with\\040space\\040{i}")),
            2 => ("/sub".to_string(), format!("new\\012line{i}")),
            3 => ("/".to_string(), format!("back\\134slash{i}")),
            _ => ("/".to_string(), format!("tab\\011here{i}")),
        };
        let tags = match i % 4 {
            0 => format!(" shared:{}", i + 10),
            1 => format!(" master:{}", i + 9),
            2 => " unbindable".to_string(),
            _ => String::new(),
        };
        writeln!(
            out,
            "{id} 1 0:{} {root} /srv/many/{name} rw,nosuid,relatime{tags} - tmpfs src\\040{i} rw,size=1024k,mode=755",
            40 + i % 1000
        )
        .unwrap();
    }
    out
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(rounds: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut v = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        std::hint::black_box(f());
        v.push(t.elapsed());
    }
    median(v)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(30);
    let text = synthetic(n);
    let dir = std::env::temp_dir().join(format!("linx-mountinfo-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("mountinfo");
    std::fs::write(&file, &text).expect("write the synthetic mountinfo");

    let table = mountinfo::read_table(&file).expect("linx parses it");
    assert_eq!(table.entries.len(), n + 1, "every line parses");
    assert!(table.skipped.is_empty());

    let parse = time(rounds, || {
        mountinfo::read_table(&file).map(|t| t.entries.len())
    });
    #[cfg(feature = "serde")]
    let with_json = Some(time(rounds, || {
        let t = mountinfo::read_table(&file).expect("parse");
        serde_json::to_vec(&linx::mount::FindmntJson(&t)).expect("json")
    }));
    #[cfg(not(feature = "serde"))]
    let with_json: Option<Duration> = None;

    let findmnt = |_: ()| {
        let out = Command::new("findmnt")
            .args(["-J", "-l", "-o", COLUMNS, "-F"])
            .arg(&file)
            .output();
        match out {
            Ok(o) if o.status.success() => Some(o.stdout.len()),
            _ => None,
        }
    };
    if findmnt(()).is_none() {
        eprintln!(
            "findmnt -F {} failed or is missing; linx only:",
            file.display()
        );
        println!("linx parse: {parse:?} for {} entries", n + 1);
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let tool = time(rounds.min(20), || findmnt(()));
    let _ = std::fs::remove_dir_all(&dir);

    let ratio = |d: Duration| tool.as_secs_f64() / d.as_secs_f64();
    println!(
        "mountinfo: {} entries, {} bytes, median of {rounds} rounds",
        n + 1,
        text.len()
    );
    println!(
        "linx read+parse:        {parse:>12.3?}  ({:.1}x faster than findmnt)",
        ratio(parse)
    );
    if let Some(j) = with_json {
        println!(
            "linx read+parse+JSON:   {j:>12.3?}  ({:.1}x faster than findmnt)",
            ratio(j)
        );
    }
    println!("findmnt -J -F (process): {tool:>11.3?}");
}

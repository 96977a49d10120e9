//! `linx caps show` against `/proc/<pid>/status` and `capsh --decode` (CAP-30).

const LINX: &str = env!("CARGO_BIN_EXE_linx");

fn status_masks(pid: u32) -> Vec<(String, String)> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            let name = match k {
                "CapInh" => "inheritable",
                "CapPrm" => "permitted",
                "CapEff" => "effective",
                "CapBnd" => "bounding",
                "CapAmb" => "ambient",
                _ => return None,
            };
            Some((name.to_owned(), v.trim().to_owned()))
        })
        .collect()
}

#[test]
fn cap_30_show_json_matches_proc_and_capsh() {
    let mut child = std::process::Command::new("sleep")
        .arg("1000")
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = std::process::Command::new(LINX)
        .args(["caps", "show", "--target", &pid.to_string(), "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for (name, hex) in status_masks(pid) {
        assert_eq!(json[&name]["hex"], hex, "{name}");
        if linx_testkit::find_tool("capsh").is_some() {
            let decoded = std::process::Command::new("capsh")
                .arg(format!("--decode={hex}"))
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&decoded.stdout);
            let names = text.trim().split_once('=').unwrap().1;
            let ours: Vec<&str> = json[&name]["names"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(ours.join(","), names, "{name}");
        }
    }
    // Text form: one line per set, in /proc order, with the hex mask.
    let out = std::process::Command::new(LINX)
        .args(["caps", "show", "--target", &pid.to_string()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5);
    for (line, (name, hex)) in lines.iter().zip(status_masks(pid)) {
        assert!(line.starts_with(&name) && line.contains(&hex), "{line}");
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let out = std::process::Command::new(LINX)
        .args(["caps", "show", "--target", "1234567890"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("caps: read /proc/1234567890/status: ENOENT (errno 2)")
    );
}

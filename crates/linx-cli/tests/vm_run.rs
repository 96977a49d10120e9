//! VM tier: `linx run` cgroup limits on a pure cgroup v2 hierarchy.

use std::process::Command;

#[test]
fn vm_proc_50_cgroup_limits_from_the_cli() {
    if !linx_testkit::require_vm("a pure cgroup v2 hierarchy with controllers") {
        return;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_linx"))
        .args([
            "run", "--cgroup", "linx-vm-run", "--memory-max", "64M", "--pids-max", "16", "--cpu-max",
            "50000/100000", "--", "sh", "-c",
            "cat /sys/fs/cgroup/linx-vm-run/memory.max /sys/fs/cgroup/linx-vm-run/pids.max /sys/fs/cgroup/linx-vm-run/cpu.max",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        ["67108864", "16", "50000 100000"],
        "{text}"
    );
    assert!(!std::path::Path::new("/sys/fs/cgroup/linx-vm-run").exists());
}

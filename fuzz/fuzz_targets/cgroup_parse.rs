//! The cgroup v2 file parsers over arbitrary text: nothing may panic, and typed values that parse
//! print back to text that parses to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linx::cgroup::{self, CpuList, CpuMax, DevNum, IoMax, IoWeight, Limit};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let t = text.as_ref();
    let _ = cgroup::parse::flat_keyed(t);
    let _ = cgroup::parse::nested_keyed(t);
    let _ = cgroup::parse::pid_list(t);
    let _ = cgroup::parse::proc_cgroup(t);
    let _ = cgroup::parse::events(t).to_string();
    let _ = cgroup::parse::pressure(t);
    let _ = cgroup::parse_io_stat(t);
    let _ = t.parse::<IoWeight>();
    let _ = t.parse::<DevNum>();
    let _ = t.parse::<cgroup::Controller>();
    let _ = t.parse::<cgroup::CgroupType>();
    let _ = t.parse::<cgroup::Partition>();
    let _ = Limit::parse_bytes(t);
    if let Ok(v) = t.parse::<Limit>() {
        assert_eq!(v.to_string().parse::<Limit>().ok(), Some(v));
    }
    if let Ok(v) = t.parse::<CpuMax>() {
        assert_eq!(v.to_string().parse::<CpuMax>().ok(), Some(v));
    }
    if let Ok(v) = t.parse::<CpuList>() {
        assert_eq!(v.to_string().parse::<CpuList>().ok(), Some(v));
    }
    if let Ok(v) = t.parse::<IoMax>() {
        assert_eq!(v.to_string().parse::<IoMax>().ok(), Some(v));
    }
});

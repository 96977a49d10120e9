//! Capabilities, pure tier: the table, sets, the status parser, plan validation and prediction,
//! file-capability codec; property tests (never panics, round trips); differential checks
//! against `capsh --decode`.

use linx::caps::{
    ApplyError, ApplyStep, Cap, CapPlan, CapSet, CapState, FileCaps, LAST_KNOWN, Securebits,
    ThreadSets,
};
use proptest::prelude::*;

fn set(names: &str) -> CapSet {
    names.parse().expect("valid capability list")
}

fn status(inh: &str, prm: &str, eff: &str, bnd: &str, amb: &str) -> String {
    format!(
        "Name:\tx\nCapInh:\t{inh}\nCapPrm:\t{prm}\nCapEff:\t{eff}\nCapBnd:\t{bnd}\nCapAmb:\t{amb}\nNoNewPrivs:\t0\n"
    )
}

#[test]
fn cap_01_supported() {
    assert!(linx::caps::supported());
    assert!(linx::caps::probe().is_usable());
}

#[test]
fn cap_02_table_has_41_names_and_keeps_unknown_bits() {
    assert_eq!(Cap::KNOWN.len(), 41);
    assert_eq!(LAST_KNOWN, 40);
    assert_eq!(Cap::KNOWN[40], Cap::CheckpointRestore);
    let expected = [
        (0, "cap_chown"),
        (8, "cap_setpcap"),
        (12, "cap_net_admin"),
        (21, "cap_sys_admin"),
        (31, "cap_setfcap"),
        (38, "cap_perfmon"),
        (39, "cap_bpf"),
        (40, "cap_checkpoint_restore"),
    ];
    for (n, name) in expected {
        let c = Cap::from_number(n).unwrap();
        assert_eq!(c.to_string(), name);
        assert_eq!(Cap::from_name(name).unwrap().number(), n);
        assert_eq!(Cap::from_name(&name.to_uppercase()).unwrap().number(), n);
        assert_eq!(Cap::from_name(&name[4..]).unwrap().number(), n);
    }
    assert_eq!(Cap::from_number(50), Some(Cap::Other(50)));
    assert!(Cap::from_name("64").unwrap_err().is_input());
    let e = Cap::from_name("cap_net_admn").unwrap_err();
    assert!(e.is_input());
    assert!(e.to_string().contains("\"cap_net_admn\""), "{e}");
    assert!(e.to_string().contains("did you mean cap_net_admin"), "{e}");
    // The running kernel's table: every number up to cap_last_cap is representable.
    let last = linx::caps::last_cap().unwrap();
    assert!(last >= 40, "this host's kernel knows {last}");
    assert_eq!(CapSet::kernel().unwrap().len(), usize::from(last) + 1);
    let text = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap").unwrap();
    assert_eq!(text.trim(), last.to_string());
}

#[test]
fn cap_03_set_masks_and_algebra() {
    assert_eq!(set("cap_chown,cap_setpcap").bits(), 0x101);
    assert_eq!(set("chown, SYS_ADMIN").bits(), 0x200001);
    let status_line = CapSet::from_hex("0004000000000101").unwrap();
    assert!(status_line.contains(Cap::Other(50)));
    assert_eq!(status_line.to_string(), "cap_chown,cap_setpcap,50");
    assert_eq!(
        status_line.iter().collect::<Vec<_>>(),
        [Cap::Chown, Cap::Setpcap, Cap::Other(50)]
    );
    let a = set("chown,kill,net_admin");
    let b = set("kill,net_raw");
    assert_eq!(a | b, set("chown,kill,net_admin,net_raw"));
    assert_eq!(a & b, set("kill"));
    assert_eq!(a - b, set("chown,net_admin"));
    assert!((a & b).is_subset(a));
    assert_eq!((!CapSet::EMPTY).len(), 64);
    assert_eq!(CapSet::all_known().len(), 41);
    assert_eq!(format!("{:016x}", set("all")), "000001ffffffffff");
    assert_eq!(format!("{:X}", set("sys_admin")), "200000");
    assert!("cap_bogus".parse::<CapSet>().unwrap_err().is_input());
    assert!("0xzz".parse::<CapSet>().unwrap_err().is_input());
}

#[test]
fn cap_03_display_matches_capsh_decode() {
    if !linx_testkit::require_tool("capsh") {
        return;
    }
    for mask in [
        0u64,
        0x101,
        0x200001,
        0x1ff_ffff_ffff,
        0x0004_0000_0000_0101,
        0x1ff_feff_ffff,
        u64::MAX,
    ] {
        let out = std::process::Command::new("capsh")
            .arg(format!("--decode={mask:x}"))
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let s = CapSet::from_bits(mask);
        assert_eq!(text.trim(), format!("0x{s:016x}={s}"), "mask {mask:#x}");
    }
}

#[test]
fn cap_04_parse_status_fixtures() {
    let full = status(
        "0000000000000000",
        "000001ffffffffff",
        "000001ffffffffff",
        "000001ffffffffff",
        "0000000000000000",
    );
    let s = CapState::parse_status(&full).unwrap();
    assert_eq!(s.effective, CapSet::all_known());
    assert_eq!(s.to_string(), "E41 P41 I0 B41 A0");
    let empty = status(
        "0000000000000000",
        "0000000000000000",
        "0000000000000000",
        "0000000000000000",
        "0000000000000000",
    );
    assert_eq!(CapState::parse_status(&empty).unwrap(), CapState::default());
    // Reordered, odd whitespace, upper-case hex.
    let odd = "CapAmb:  0000000000000000\nCapBnd:\t\t000001FFFFFFFFFF \nCapEff:0000000000000101\n\
               CapPrm:\t0000000000000101\nUid:\t0\t0\t0\t0\nCapInh:\t0000000000000001\n";
    let s = CapState::parse_status(odd).unwrap();
    assert_eq!(s.effective, set("chown,setpcap"));
    assert_eq!(s.bounding, CapSet::all_known());
    assert_eq!(s.inheritable, set("chown"));
    // A future kernel's bit 50 is kept.
    let future = status(
        "0000000000000000",
        "0004000000000000",
        "0004000000000000",
        "0004000000000000",
        "0000000000000000",
    );
    assert!(
        CapState::parse_status(&future)
            .unwrap()
            .bounding
            .contains(Cap::Other(50))
    );
    // A missing line names the field.
    let missing = odd.replace("CapAmb:  0000000000000000\n", "");
    let e = CapState::parse_status(&missing).unwrap_err();
    assert!(matches!(e, linx::Error::Protocol(_)), "{e}");
    assert!(e.to_string().contains("CapAmb"), "{e}");
    let bad = odd.replace("000001FFFFFFFFFF", "zz");
    assert!(
        CapState::parse_status(&bad)
            .unwrap_err()
            .to_string()
            .contains("CapBnd")
    );
}

#[test]
fn cap_04_read_errors_name_the_path() {
    let e = linx::caps::read(1234567890).unwrap_err();
    assert_eq!(e.errno(), Some(rustix::io::Errno::NOENT));
    assert_eq!(
        e.to_string(),
        "caps: read /proc/1234567890/status: ENOENT (errno 2)"
    );
    assert!(linx::caps::read(0).unwrap_err().is_input());
    assert!(linx::caps::read(-3).unwrap_err().is_input());
}

#[test]
fn cap_09_plan_validation() {
    let k = set("net_bind_service,chown");
    assert!(CapPlan::keep_only(k).validate().is_ok());
    // effective ⊄ permitted
    let e = CapPlan::new()
        .thread(ThreadSets {
            effective: set("chown,kill"),
            permitted: set("chown"),
            inheritable: CapSet::EMPTY,
        })
        .validate()
        .unwrap_err();
    assert!(e.is_input());
    assert!(e.to_string().contains("cap_kill"), "{e}");
    assert!(e.to_string().contains("permitted"), "{e}");
    // ambient ⊄ P ∩ I
    let e = CapPlan::new()
        .thread(ThreadSets {
            effective: k,
            permitted: k,
            inheritable: set("chown"),
        })
        .ambient(k)
        .validate()
        .unwrap_err();
    assert!(e.to_string().contains("cap_net_bind_service"), "{e}");
    assert!(e.to_string().contains("ambient"), "{e}");
    // permitted outside bounding
    let e = CapPlan::new()
        .bounding(set("chown"))
        .thread(ThreadSets::same(k))
        .validate()
        .unwrap_err();
    assert!(e.to_string().contains("bounding"), "{e}");
    // NO_CAP_AMBIENT_RAISE with ambient
    let e = CapPlan::new()
        .securebits(Securebits::NO_CAP_AMBIENT_RAISE)
        .thread(ThreadSets {
            effective: k,
            permitted: k,
            inheritable: k,
        })
        .ambient(k)
        .validate()
        .unwrap_err();
    assert!(e.to_string().contains("NO_CAP_AMBIENT_RAISE"), "{e}");
    // locked keep-caps contradiction
    assert!(
        CapPlan::new()
            .securebits(Securebits::KEEP_CAPS_LOCKED)
            .keep_caps(true)
            .validate()
            .is_err()
    );
}

#[test]
fn cap_10_validate_for_refuses_what_the_kernel_would() {
    let before = CapState {
        effective: set("chown,net_bind_service"),
        permitted: set("chown,net_bind_service"),
        inheritable: CapSet::EMPTY,
        bounding: CapSet::all_known(),
        ambient: CapSet::EMPTY,
    };
    // Adding to permitted.
    let e = CapPlan::new()
        .thread(ThreadSets::same(set("chown,sys_admin")))
        .validate_for(&before)
        .unwrap_err();
    assert!(e.is_input());
    assert!(e.to_string().contains("cap_sys_admin"), "{e}");
    // Bounding drop without cap_setpcap.
    let e = CapPlan::new()
        .bounding(set("chown"))
        .validate_for(&before)
        .unwrap_err();
    assert!(e.to_string().contains("cap_setpcap"), "{e}");
    // Ambient outside the resulting P ∩ I.
    let e = CapPlan::new()
        .ambient(set("chown"))
        .validate_for(&before)
        .unwrap_err();
    assert!(e.to_string().contains("ambient"), "{e}");
    // Fine: lowering.
    CapPlan::new()
        .thread(ThreadSets::same(set("chown")))
        .validate_for(&before)
        .unwrap();
}

#[test]
fn cap_09_predict_exec_rules() {
    let all = CapSet::all_known();
    let before = CapState {
        effective: all,
        permitted: all,
        inheritable: CapSet::EMPTY,
        bounding: all,
        ambient: CapSet::EMPTY,
    };
    let k = set("net_bind_service,chown");
    // Root workload: E = P = B = K.
    let p = CapPlan::keep_only(k).predict_exec(&before, true, true);
    assert_eq!(
        (p.effective, p.permitted, p.bounding, p.inheritable),
        (k, k, k, CapSet::EMPTY)
    );
    // Non-root with ambient: E = P = A = K.
    let plan = CapPlan::new()
        .thread(ThreadSets {
            effective: k,
            permitted: k,
            inheritable: k,
        })
        .ambient(k);
    let p = plan.predict_exec(&before, false, false);
    assert_eq!((p.effective, p.permitted, p.ambient), (k, k, k));
    // NOROOT: a root workload gains nothing.
    let p = CapPlan::new()
        .securebits(Securebits::NOROOT | Securebits::NOROOT_LOCKED)
        .predict_exec(&before, true, true);
    assert!(p.effective.is_empty() && p.permitted.is_empty());
}

#[test]
fn cap_12_file_caps_codec() {
    let v2 = FileCaps {
        permitted: set("net_raw,net_admin"),
        inheritable: set("chown"),
        effective: true,
        root_uid: None,
    };
    let bytes = v2.encode();
    assert_eq!(bytes.len(), 20);
    assert_eq!(&bytes[..4], &0x0200_0001u32.to_le_bytes());
    assert_eq!(FileCaps::decode(&bytes).unwrap(), v2);
    let v3 = FileCaps {
        root_uid: Some(100000),
        permitted: set("cap_checkpoint_restore"),
        ..FileCaps::default()
    };
    let bytes = v3.encode();
    assert_eq!(bytes.len(), 24);
    assert_eq!(FileCaps::decode(&bytes).unwrap(), v3);
    // Revision 1 (32-bit masks).
    let mut v1 = 0x0100_0000u32.to_le_bytes().to_vec();
    v1.extend_from_slice(&0x2000u32.to_le_bytes());
    v1.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(FileCaps::decode(&v1).unwrap().permitted, set("net_raw"));
    assert!(FileCaps::decode(&[1, 2, 3]).is_err());
    assert!(FileCaps::decode(&bytes[..23]).is_err());
    assert!(FileCaps::decode(&[0, 0, 0, 0x09, 0, 0, 0, 0]).is_err());
}

#[test]
fn cap_13_error_display() {
    let e = ApplyError {
        errno: libc::EPERM,
        step: ApplyStep::DropBounding,
        cap: Some(21),
    };
    assert_eq!(
        e.to_string(),
        "caps: prctl(PR_CAPBSET_DROP) cap_sys_admin: EPERM (errno 1)"
    );
    let e: linx::Error = ApplyError {
        errno: libc::EPERM,
        step: ApplyStep::SetThread,
        cap: None,
    }
    .into();
    assert_eq!(e.to_string(), "caps: capset: EPERM (errno 1)");
}

proptest! {
    #[test]
    fn cap_03_names_and_hex_round_trip(bits in any::<u64>()) {
        let s = CapSet::from_bits(bits);
        prop_assert_eq!(s.to_string().parse::<CapSet>().unwrap(), s);
        prop_assert_eq!(CapSet::from_hex(&format!("{s:016x}")).unwrap(), s);
        prop_assert_eq!(format!("0x{s:x}").parse::<CapSet>().unwrap(), s);
        prop_assert_eq!(s.iter().count(), s.len());
        prop_assert_eq!(s.iter().collect::<CapSet>(), s);
    }

    #[test]
    fn cap_04_status_parser_never_panics(text in "\\PC{0,400}") {
        let _ = CapState::parse_status(&text);
        let _ = CapSet::from_hex(&text);
        let _ = text.parse::<CapSet>();
        let _ = Cap::from_name(&text);
    }

    #[test]
    fn cap_04_status_round_trip(i in any::<u64>(), p in any::<u64>(), e in any::<u64>(), b in any::<u64>(), a in any::<u64>()) {
        let text = status(&format!("{i:016x}"), &format!("{p:016x}"), &format!("{e:016X}"), &format!("{b:016x}"), &format!("{a:016x}"));
        let s = CapState::parse_status(&text).unwrap();
        prop_assert_eq!(s.inheritable.bits(), i);
        prop_assert_eq!(s.permitted.bits(), p);
        prop_assert_eq!(s.effective.bits(), e);
        prop_assert_eq!(s.bounding.bits(), b);
        prop_assert_eq!(s.ambient.bits(), a);
    }

    #[test]
    fn cap_12_file_caps_decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
        if let Ok(fc) = FileCaps::decode(&bytes) {
            // Revision 1 re-encodes as revision 2; the meaning is kept.
            prop_assert_eq!(FileCaps::decode(&fc.encode()).unwrap(), fc);
        }
    }

    #[test]
    fn cap_12_file_caps_round_trip(p in any::<u64>(), i in any::<u64>(), eff in any::<bool>(), root in proptest::option::of(any::<u32>())) {
        let fc = FileCaps { permitted: CapSet::from_bits(p), inheritable: CapSet::from_bits(i), effective: eff, root_uid: root };
        prop_assert_eq!(FileCaps::decode(&fc.encode()).unwrap(), fc);
    }
}

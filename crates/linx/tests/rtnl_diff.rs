//! Unit tier: properties of the pure diff helpers (RT-42, RT-43; spec scenario 14).

use std::collections::{BTreeMap, BTreeSet};

use linx::rtnl::diff::{Op, diff, diff_owned, diff_routes, route_key};
use linx::rtnl::{Route, RouteProtocol, RouteType};
use proptest::prelude::*;

type Item = (u8, u8); // (key, value)

fn unique(v: Vec<Item>) -> Vec<Item> {
    let mut seen = BTreeSet::new();
    v.into_iter().filter(|(k, _)| seen.insert(*k)).collect()
}

fn apply(observed: &[Item], ops: &[Op<Item>]) -> Vec<Item> {
    let mut out = observed.to_vec();
    for op in ops {
        match op {
            Op::Create(d) => out.push(*d),
            Op::Update(d) => {
                let i = out
                    .iter()
                    .position(|o| o.0 == d.0)
                    .expect("update of a present key");
                out[i] = *d;
            }
            Op::Delete(o) => {
                let i = out
                    .iter()
                    .position(|x| x == o)
                    .expect("delete of a present object");
                out.remove(i);
            }
        }
    }
    out
}

fn order_rank(op: &Op<Item>) -> u8 {
    match op {
        Op::Create(_) => 0,
        Op::Update(_) => 1,
        Op::Delete(_) => 2,
    }
}

proptest! {
    #[test]
    fn rt_42_two_way_partition_and_fixpoint(
        observed in proptest::collection::vec((0u8..20, 0u8..4), 0..30),
        desired in proptest::collection::vec((0u8..20, 0u8..4), 0..30),
    ) {
        let desired = unique(desired);
        let ops = diff(&observed, &desired, |x| x.0, |x| x.1);
        // Order: creates, then updates, then deletes.
        prop_assert!(ops.windows(2).all(|w| order_rank(&w[0]) <= order_rank(&w[1])));
        // Partition: every desired key is created, updated or unchanged, exactly once.
        let obs_first: BTreeMap<u8, u8> = observed.iter().rev().map(|x| (x.0, x.1)).collect();
        for d in &desired {
            let created = ops.iter().filter(|o| matches!(o, Op::Create(x) if x == d)).count();
            let updated = ops.iter().filter(|o| matches!(o, Op::Update(x) if x == d)).count();
            match obs_first.get(&d.0) {
                None => prop_assert_eq!((created, updated), (1, 0)),
                Some(v) if *v != d.1 => prop_assert_eq!((created, updated), (0, 1)),
                Some(_) => prop_assert_eq!((created, updated), (0, 0)),
            }
        }
        // Fixpoint: applying the ops yields exactly the desired state, and diffing again is empty.
        let after = apply(&observed, &ops);
        let a: BTreeSet<Item> = after.iter().copied().collect();
        let d: BTreeSet<Item> = desired.iter().copied().collect();
        prop_assert_eq!(&a, &d);
        prop_assert_eq!(after.len(), desired.len());
        prop_assert!(diff(&after, &desired, |x| x.0, |x| x.1).is_empty());
    }

    #[test]
    fn rt_42_three_way_never_deletes_unowned(
        observed in proptest::collection::vec((0u8..20, 0u8..4), 0..30),
        desired in proptest::collection::vec((0u8..20, 0u8..4), 0..30),
        owned in proptest::collection::btree_set(0u8..20, 0..20),
    ) {
        let desired = unique(desired);
        let ops = diff_owned(&observed, &desired, &owned, |x| x.0, |x| x.1);
        for op in &ops {
            if let Op::Delete(o) = op {
                prop_assert!(owned.contains(&o.0), "deleted unowned {:?}", o);
            }
        }
        // Creates and updates are the same as the two-way diff's.
        let two: Vec<_> = diff(&observed, &desired, |x| x.0, |x| x.1)
            .into_iter()
            .filter(|o| !matches!(o, Op::Delete(_)))
            .collect();
        let three: Vec<_> = ops.iter().filter(|o| !matches!(o, Op::Delete(_))).cloned().collect();
        prop_assert_eq!(two, three);
        // Everything owned and undesired is gone after applying; unowned survives.
        let after = apply(&observed, &ops);
        let dk: BTreeSet<u8> = desired.iter().map(|x| x.0).collect();
        for o in &observed {
            if !dk.contains(&o.0) {
                let still = after.contains(o);
                prop_assert_eq!(still, !owned.contains(&o.0));
            }
        }
    }
}

fn route(dst: [u8; 4], len: u8, gw: [u8; 4], proto: u8, metric: Option<u32>) -> Route {
    let mut r = Route::default();
    r.family = 2;
    r.dst_len = len;
    r.dst = (len > 0).then(|| dst.into());
    r.gateway = Some(gw.into());
    r.table = 254;
    r.protocol = RouteProtocol(proto);
    r.kind = RouteType::UNICAST;
    r.metric = metric;
    r
}

#[test]
fn rt_43_route_keys_filter_protocol_and_distinguish_metric_and_tos() {
    let a = route([10, 0, 0, 0], 8, [192, 0, 2, 1], 4, Some(10));
    let b = route([10, 0, 0, 0], 8, [192, 0, 2, 1], 4, Some(20));
    assert_ne!(route_key(&a), route_key(&b), "metric is part of the key");
    let mut c = a.clone();
    c.tos = 0x10;
    assert_ne!(route_key(&a), route_key(&c), "TOS is part of the key");
    let d = route([0, 0, 0, 0], 0, [192, 0, 2, 1], 4, None);
    assert_eq!(
        route_key(&d).dst,
        None,
        "the default route's destination is 'default'"
    );
    // Observed routes of other protocols are invisible to the diff.
    let kernel = route([192, 0, 2, 0], 24, [192, 0, 2, 1], 2, None);
    let ops = diff_routes(
        &[kernel, a.clone()],
        std::slice::from_ref(&b),
        RouteProtocol(4),
    );
    assert_eq!(ops, vec![Op::Create(b), Op::Delete(a)]);
}

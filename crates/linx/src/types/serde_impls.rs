//! `serde` support (feature `serde`): every type serialises as its `Display` string and
//! deserialises through its strict `FromStr` (TYP-10).

use core::fmt;
use core::marker::PhantomData;
use core::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use super::{
    IfAddr, IfName, IpRange, Ipv4IfAddr, Ipv4Prefix, Ipv6IfAddr, Ipv6Prefix, Mac, ParseError,
    Prefix,
};

struct StrVisitor<T>(PhantomData<T>, &'static str);

impl<T: FromStr<Err = ParseError>> Visitor<'_> for StrVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.1)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(E::custom)
    }
}

macro_rules! string_serde {
    ($($ty:ty => $what:literal),* $(,)?) => {$(
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str(StrVisitor(PhantomData, $what))
            }
        }
    )*};
}

string_serde! {
    Prefix => "a network prefix such as \"10.0.0.0/24\"",
    Ipv4Prefix => "an IPv4 network prefix such as \"10.0.0.0/24\"",
    Ipv6Prefix => "an IPv6 network prefix such as \"2001:db8::/32\"",
    IfAddr => "an interface address such as \"10.0.0.5/24\"",
    Ipv4IfAddr => "an IPv4 interface address such as \"10.0.0.5/24\"",
    Ipv6IfAddr => "an IPv6 interface address such as \"fe80::1/64\"",
    IpRange => "an address range such as \"10.0.0.1-10.0.0.6\"",
    Mac => "a MAC address such as \"02:aa:bb:cc:dd:ee\"",
    IfName => "an interface name such as \"eth0\"",
}

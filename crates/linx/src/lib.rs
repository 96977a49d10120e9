//! linx — Linux kernel-interface primitives.
#![warn(missing_docs)]

pub mod types;

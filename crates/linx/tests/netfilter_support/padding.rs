//! Netlink attribute padding: what the golden tests ignore.

/// Zeroes the alignment padding after every attribute in `b[start..end]`, recursing into nests
/// (`NLA_F_NESTED`): nft's buffers sometimes carry stale bytes there, which mean nothing.
pub fn zero_padding(b: &mut [u8], start: usize, end: usize) {
    let mut off = start;
    while off + 4 <= end {
        let len = usize::from(u16::from_ne_bytes([b[off], b[off + 1]]));
        let ty = u16::from_ne_bytes([b[off + 2], b[off + 3]]);
        if len < 4 || off + len > end {
            return;
        }
        if ty & 0x8000 != 0 {
            zero_padding(b, off + 4, off + len);
        }
        let aligned = ((len + 3) & !3).min(end - off);
        for x in &mut b[off + len..off + aligned] {
            *x = 0;
        }
        off += aligned;
    }
}

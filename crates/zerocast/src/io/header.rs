//! The 4-byte frame header (see the [module docs](super)).

/// Bytes in a frame header.
///
/// # Examples
///
/// ```
/// use zerocast::io::{encode_header, HEADER_LEN};
///
/// assert_eq!(encode_header(100).unwrap().len(), HEADER_LEN);
/// ```
pub const HEADER_LEN: usize = 4;

/// The largest payload a header can describe: 16 MiB − 1.
///
/// # Examples
///
/// ```
/// use zerocast::io::{encode_header, MAX_FRAME_LEN};
///
/// assert!(encode_header(MAX_FRAME_LEN).is_some());
/// assert!(encode_header(MAX_FRAME_LEN + 1).is_none());
/// ```
pub const MAX_FRAME_LEN: usize = (1 << 24) - 1;

/// Mixed into the check byte, so a run of zero bytes is not a valid header.
const CHECK: u8 = 0xA5;

/// The header of a frame whose payload is `len` bytes, or `None` if `len`
/// exceeds [`MAX_FRAME_LEN`].
///
/// # Examples
///
/// ```
/// use zerocast::io::{encode_header, MAX_FRAME_LEN};
///
/// assert_eq!(encode_header(5), Some([5, 0, 0, 0xA5 ^ 5]));
/// assert_eq!(encode_header(MAX_FRAME_LEN + 1), None);
/// ```
#[inline]
pub fn encode_header(len: usize) -> Option<[u8; HEADER_LEN]> {
    if len > MAX_FRAME_LEN {
        return None;
    }
    let [b0, b1, b2, _] = (len as u32).to_le_bytes();
    Some([b0, b1, b2, CHECK ^ b0 ^ b1 ^ b2])
}

/// The payload length a header describes, or `None` if its check byte is
/// wrong.
#[inline]
pub(super) fn decode_header(header: [u8; HEADER_LEN]) -> Option<usize> {
    let [b0, b1, b2, check] = header;
    (check == CHECK ^ b0 ^ b1 ^ b2).then(|| u32::from_le_bytes([b0, b1, b2, 0]) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_length_round_trips_and_a_flipped_bit_is_caught() {
        for len in [0, 1, 255, 256, 65_535, 65_536, MAX_FRAME_LEN] {
            let header = encode_header(len).unwrap();
            assert_eq!(decode_header(header), Some(len));
            for bit in 0..32 {
                let mut bad = header;
                bad[bit / 8] ^= 1 << (bit % 8);
                assert_eq!(decode_header(bad), None, "len {len}, bit {bit}");
            }
        }
        assert_eq!(decode_header([0; 4]), None);
    }
}

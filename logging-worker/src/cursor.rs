//! Opaque paging cursors: a position `(ts, id)` in the newest-first order, base64url.
//!
//! Layout: version byte, `ts` and `id` as big-endian i64, and a 4-byte FNV-1a checksum of
//! the rest. The checksum catches edited or truncated cursors; it is not a secret MAC, and
//! needs not be: a forged position only pages through what the caller may read anyway.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::time::MAX_TS;

const VERSION: u8 = 1;
const LEN: usize = 1 + 8 + 8 + 4;

/// Largest id a cursor may hold: JavaScript's largest safe integer, so that D1 binds it
/// exactly. Also the id of a boundary position that sorts after every entry of its `ts`.
pub const MAX_ID: i64 = (1 << 53) - 1;

/// A position between entries, ordered by `ts` then `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor {
    pub ts: i64,
    pub id: i64,
}

impl Cursor {
    pub fn encode(self) -> String {
        let mut bytes = Vec::with_capacity(LEN);
        bytes.push(VERSION);
        bytes.extend_from_slice(&self.ts.to_be_bytes());
        bytes.extend_from_slice(&self.id.to_be_bytes());
        let sum = checksum(&bytes);
        bytes.extend_from_slice(&sum.to_be_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Decodes a cursor; `None` for anything not made by [`Cursor::encode`].
    pub fn decode(text: &str) -> Option<Self> {
        if text.len() > 64 {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        let bytes: [u8; LEN] = bytes.try_into().ok()?;
        let (body, sum) = bytes.split_at(LEN - 4);
        if u32::from_be_bytes(sum.try_into().ok()?) != checksum(body) {
            return None;
        }
        let (version, rest) = body.split_first()?;
        let (ts, id) = rest.split_at(8);
        let cursor = Self {
            ts: i64::from_be_bytes(ts.try_into().ok()?),
            id: i64::from_be_bytes(id.try_into().ok()?),
        };
        let valid = *version == VERSION
            && (0..=MAX_TS).contains(&cursor.ts)
            && (0..=MAX_ID).contains(&cursor.id);
        valid.then_some(cursor)
    }
}

/// 32-bit FNV-1a.
fn checksum(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(*byte)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        for cursor in [
            Cursor { ts: 0, id: 0 },
            Cursor {
                ts: 1_776_679_200_123,
                id: 42,
            },
            Cursor {
                ts: MAX_TS,
                id: MAX_ID,
            },
        ] {
            let text = cursor.encode();
            assert!(text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            assert_eq!(Cursor::decode(&text), Some(cursor));
        }
    }

    #[test]
    fn every_single_character_edit_is_refused() {
        let text = Cursor {
            ts: 1_776_679_200_123,
            id: 42,
        }
        .encode();
        for i in 0..text.len() {
            for replacement in ['A', 'z', '0', '-', '_'] {
                let mut edited: Vec<char> = text.chars().collect();
                if edited[i] == replacement {
                    continue;
                }
                edited[i] = replacement;
                let edited: String = edited.into_iter().collect();
                assert_eq!(Cursor::decode(&edited), None, "{edited}");
            }
        }
    }

    #[test]
    fn malformed_cursors_are_refused() {
        let good = Cursor { ts: 5, id: 6 }.encode();
        for bad in [
            "",
            "abc",
            "!!!!",
            &good[..good.len() - 1],
            &format!("{good}A"),
            &"A".repeat(100),
        ] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn out_of_range_positions_are_refused_even_with_a_valid_checksum() {
        assert_eq!(Cursor::decode(&Cursor { ts: -1, id: 1 }.encode()), None);
        assert_eq!(
            Cursor::decode(
                &Cursor {
                    ts: 1,
                    id: MAX_ID + 1
                }
                .encode()
            ),
            None
        );
        assert_eq!(
            Cursor::decode(
                &Cursor {
                    ts: MAX_TS + 1,
                    id: 1
                }
                .encode()
            ),
            None
        );
    }
}

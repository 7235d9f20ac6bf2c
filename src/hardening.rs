//! Neutralises upstream ENet 1.3.18's receive-path defects that were fixed only after the release
//! (spec upstream-enet.md §1.5), without editing the vendored protocol files:
//!
//! 1. **Unreliable fragments are never validated** (fixed upstream in 657eaf9): a connected peer
//!    can send `SEND_UNRELIABLE_FRAGMENT` commands with `fragmentLength == 0` or
//!    `totalLength < fragmentCount`, e.g. a 1-byte packet in 1,048,576 fragments, and each makes
//!    the host allocate a 128 KiB fragment bitmap while only the 1 byte counts against
//!    `maximumWaitingData`. [`has_invalid_unreliable_fragment`] finds such commands; the intercept
//!    trampoline drops their datagram before ENet parses it. No conforming sender produces them
//!    (every fragment carries at least one byte), so nothing legitimate is lost.
//! 2. **`totalWaitingData` drift** (fixed upstream in a52811e/1e80a78): incomplete unreliable
//!    fragments that ENet discards are freed without being subtracted, so on a long-lived lossy
//!    link the counter grows until it reaches `maximumWaitingData` and the peer silently stops
//!    receiving anything. The host recomputes the counter exactly (the sum of the packets still
//!    queued, [`crate::host`]) for every peer that holds any waiting data, at most every
//!    [`DRIFT_CHECK_INTERVAL_MS`].

use enet_sys as sys;
use std::mem::{offset_of, size_of};

/// How often, in ms of ENet's clock, a host recomputes its peers' `totalWaitingData` (only peers
/// with a non-zero value are walked). A drifted peer recovers within this interval; reliable data
/// it refused meanwhile is retransmitted by its sender.
pub(crate) const DRIFT_CHECK_INTERVAL_MS: u32 = 100;

/// ENet's `commandSizes` table (protocol.c), from the sizes of the wire structs, so the walk needs
/// no FFI call per command; `command_sizes_equal_enets` pins it to ENet's own table.
const COMMAND_SIZES: [usize; sys::ENET_PROTOCOL_COMMAND_COUNT as usize] = [
    0,
    size_of::<sys::ENetProtocolAcknowledge>(),
    size_of::<sys::ENetProtocolConnect>(),
    size_of::<sys::ENetProtocolVerifyConnect>(),
    size_of::<sys::ENetProtocolDisconnect>(),
    size_of::<sys::ENetProtocolPing>(),
    size_of::<sys::ENetProtocolSendReliable>(),
    size_of::<sys::ENetProtocolSendUnreliable>(),
    size_of::<sys::ENetProtocolSendFragment>(),
    size_of::<sys::ENetProtocolSendUnsequenced>(),
    size_of::<sys::ENetProtocolBandwidthLimit>(),
    size_of::<sys::ENetProtocolThrottleConfigure>(),
    size_of::<sys::ENetProtocolSendFragment>(),
];

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// Walks the commands of a datagram body (after the protocol header and checksum, decompressed)
/// the way ENet does and reports whether any is a `SEND_UNRELIABLE_FRAGMENT` that upstream master
/// rejects: `fragmentLength == 0` or `totalLength < fragmentCount`. Parsing stops where ENet's
/// would (unknown or truncated command), so only commands ENet would act on are judged.
pub(crate) fn has_invalid_unreliable_fragment(mut commands: &[u8]) -> bool {
    type Fragment = sys::ENetProtocolSendFragment;
    while let Some(&first) = commands.first() {
        let command = first & sys::ENET_PROTOCOL_COMMAND_MASK as u8;
        let Some(&size) = COMMAND_SIZES.get(usize::from(command)) else {
            return false;
        };
        if size == 0 || commands.len() < size {
            return false;
        }
        let payload = match u32::from(command) {
            sys::ENET_PROTOCOL_COMMAND_SEND_RELIABLE => be16(
                commands,
                offset_of!(sys::ENetProtocolSendReliable, dataLength),
            ),
            sys::ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE => be16(
                commands,
                offset_of!(sys::ENetProtocolSendUnreliable, dataLength),
            ),
            sys::ENET_PROTOCOL_COMMAND_SEND_UNSEQUENCED => be16(
                commands,
                offset_of!(sys::ENetProtocolSendUnsequenced, dataLength),
            ),
            sys::ENET_PROTOCOL_COMMAND_SEND_FRAGMENT => {
                be16(commands, offset_of!(Fragment, dataLength))
            }
            sys::ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE_FRAGMENT => {
                let fragment_length = be16(commands, offset_of!(Fragment, dataLength));
                let fragment_count = be32(commands, offset_of!(Fragment, fragmentCount));
                let total_length = be32(commands, offset_of!(Fragment, totalLength));
                match (fragment_length, fragment_count, total_length) {
                    (Some(0), _, _) => return true,
                    (_, Some(count), Some(total)) if total < count => return true,
                    _ => {}
                }
                fragment_length
            }
            _ => Some(0),
        };
        let Some(next) = payload.and_then(|p| size.checked_add(usize::from(p))) else {
            return false;
        };
        match commands.get(next..) {
            Some(rest) => commands = rest,
            None => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A SEND_UNRELIABLE_FRAGMENT command with its payload.
    fn unreliable_fragment(
        count: u32,
        number: u32,
        total: u32,
        offset: u32,
        payload: &[u8],
    ) -> Vec<u8> {
        let mut c = vec![
            sys::ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE_FRAGMENT as u8,
            0,
            0,
            1,
        ];
        c.extend_from_slice(&1u16.to_be_bytes()); // start sequence number
        c.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        for field in [count, number, total, offset] {
            c.extend_from_slice(&field.to_be_bytes());
        }
        c.extend_from_slice(payload);
        c
    }

    fn unreliable(payload: &[u8]) -> Vec<u8> {
        let mut c = vec![
            sys::ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE as u8,
            1,
            0,
            0,
            0,
            7,
        ];
        c.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        c.extend_from_slice(payload);
        c
    }

    #[test]
    fn command_sizes_equal_enets() {
        for (command, &size) in COMMAND_SIZES.iter().enumerate() {
            // SAFETY: a pure lookup in ENet's constant table, for a command number below its count.
            let enets = unsafe { sys::enet_protocol_command_size(command as u8) };
            assert_eq!(enets, size, "command {command}");
        }
    }

    #[test]
    fn well_formed_unreliable_fragments_are_valid() {
        assert!(!has_invalid_unreliable_fragment(&unreliable_fragment(
            3, 0, 3000, 0, &[5; 1000]
        )));
    }

    #[test]
    fn zero_length_unreliable_fragment_is_invalid() {
        assert!(has_invalid_unreliable_fragment(&unreliable_fragment(
            2,
            0,
            10,
            0,
            &[]
        )));
    }

    #[test]
    fn total_length_below_fragment_count_is_invalid() {
        assert!(has_invalid_unreliable_fragment(&unreliable_fragment(
            1 << 20,
            0,
            1,
            0,
            &[9]
        )));
    }

    #[test]
    fn invalid_fragment_after_other_commands_is_found() {
        let mut datagram = unreliable(b"hello");
        datagram.extend(unreliable_fragment(1 << 20, 0, 1, 0, &[9]));
        assert!(has_invalid_unreliable_fragment(&datagram));
    }

    #[test]
    fn parsing_stops_where_enet_stops() {
        // A truncated command: ENet ignores the rest of the datagram, so do we.
        let mut datagram = unreliable(b"hello");
        datagram.truncate(datagram.len() - 1);
        datagram.extend(unreliable_fragment(1 << 20, 0, 1, 0, &[9]));
        assert!(!has_invalid_unreliable_fragment(&datagram));
        // An unknown command number.
        let mut datagram = vec![13, 0, 0, 0];
        datagram.extend(unreliable_fragment(1 << 20, 0, 1, 0, &[9]));
        assert!(!has_invalid_unreliable_fragment(&datagram));
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for len in 0..2000 {
            let bytes: Vec<u8> = (0..len % 300)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect();
            let _ = has_invalid_unreliable_fragment(&bytes);
        }
    }
}

//! Neutralises upstream ENet 1.3.18's receive-path defects that were fixed only after the release
//! (spec upstream-enet.md §1.5), without editing the vendored protocol files:
//!
//! 1. **Fragments are never checked to cover their packet.** ENet declares a fragmented packet
//!    complete once every fragment *number* has arrived, whatever bytes the fragments carried, and
//!    reassembles into uninitialised heap memory: a peer announcing a 100 KiB packet in two 1-byte
//!    fragments gets a 100 KiB packet delivered holding whatever the heap held before (other
//!    clients' earlier packets, seen through an echo), and turns 1 KiB on the wire into a 4 MiB
//!    packet. Unreliable fragments are not even checked for `fragmentLength == 0` or
//!    `totalLength < fragmentCount` (fixed upstream in 657eaf9): a 1-byte packet in 1,048,576
//!    fragments makes the host allocate a 128 KiB fragment bitmap for one byte of waiting data.
//!    [`inspect`] holds every `SEND_FRAGMENT` and `SEND_UNRELIABLE_FRAGMENT` to the
//!    one geometry every ENet sender produces (peer.c, `enet_peer_send`): fragment `n` of a
//!    `totalLength`-byte packet starts at `n × stride` and carries `min(stride, totalLength −
//!    offset)` bytes, in `ceil(totalLength / stride)` fragments, where the stride is fixed by the
//!    connection's MTU (both ends agree on it in the handshake) and the checksum setting. The
//!    distinct fragment numbers then tile the packet exactly, so a complete packet holds only
//!    bytes its sender sent. The intercept trampoline drops datagrams with any other fragment
//!    before ENet parses them; no conforming sender produces one, so nothing legitimate is lost.
//! 2. **Half-open handshakes hold slots for ENet's whole timeout.** Every CONNECT (from any
//!    source, spoofed ones included) takes a free slot and keeps it while ENet retransmits its
//!    VERIFY_CONNECT, about 30 s; a few CONNECTs a second keep a server full and legitimate
//!    clients are silently ignored. As TCP stacks do against SYN floods, a CONNECT that finds no
//!    free slot evicts the oldest half-open handshake (the trampoline, `make_room` in
//!    [`crate::callbacks`]), and while CONNECTs find the host full, half-open handshakes older
//!    than [`HALF_OPEN_TIMEOUT_MS`] are reset. A host with free slots leaves even slow handshakes
//!    alone. Half-open peers have raised no event, so no handle or application state refers to
//!    them.
//! 3. **`totalWaitingData` drift** (fixed upstream in a52811e/1e80a78): incomplete unreliable
//!    fragments that ENet discards are freed without being subtracted, so on a long-lived lossy
//!    link the counter grows until it reaches `maximumWaitingData` and the peer silently stops
//!    receiving anything. The host recomputes the counter exactly (the sum of the packets still
//!    queued, [`crate::host`]) for every peer at its limit, at most every
//!    [`DRIFT_CHECK_INTERVAL_MS`].

use enet_sys as sys;
use std::mem::{offset_of, size_of};

/// How many incoming commands one peer may have queued in ENet by default (see
/// `Connection::set_max_queued_commands`): about 700 KiB of ENet's bookkeeping, and a bound on
/// the walk of ENet's ordered insertion.
pub(crate) const DEFAULT_MAX_QUEUED_COMMANDS: usize = 4096;

/// How long, in ms, a half-open handshake (a CONNECT answered, our VERIFY_CONNECT never
/// acknowledged) may hold a peer slot. A real handshake needs one round trip, a few with losses;
/// ENet itself keeps retransmitting for about 30 s.
pub(crate) const HALF_OPEN_TIMEOUT_MS: u32 = 5000;

/// How often, in ms of ENet's clock, a host recomputes its peers' `totalWaitingData` (only peers
/// at their limit are walked). A drifted peer recovers within this interval; reliable data
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

/// The fragment stride of a connection whose negotiated MTU is `mtu`: what `enet_peer_send` puts
/// in every fragment but the last (the MTU less the protocol header, the fragment command and,
/// with checksums, the checksum).
pub(crate) fn fragment_stride(mtu: u32, checksummed: bool) -> usize {
    let overhead = size_of::<sys::ENetProtocolHeader>()
        + size_of::<Fragment>()
        + if checksummed { size_of::<u32>() } else { 0 };
    (mtu as usize).saturating_sub(overhead)
}

type Fragment = sys::ENetProtocolSendFragment;

/// Whether a fragment command's fields follow the geometry of [`fragment_stride`] `stride` (see
/// the module documentation): `count == ceil(total / stride)`, `number < count`,
/// `offset == number × stride` and `length == min(stride, total − offset)`.
fn is_tiling_fragment(
    stride: usize,
    count: u32,
    number: u32,
    total: u32,
    offset: u32,
    length: u16,
) -> bool {
    let (count, number, total, offset, length) = (
        count as usize,
        number as usize,
        total as usize,
        offset as usize,
        usize::from(length),
    );
    stride > 0
        && total > 0
        && count == total.div_ceil(stride)
        && number < count
        && Some(offset) == number.checked_mul(stride)
        && length == stride.min(total - offset)
}

/// What [`inspect`] found in a datagram's commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Commands {
    /// A `SEND_FRAGMENT` or `SEND_UNRELIABLE_FRAGMENT` whose fields do not tile its packet.
    InvalidFragment,
    /// Valid; this many of them carry data (each may become a queued incoming command).
    Valid { data: usize },
}

/// Whether any command of a datagram body is a fragment that does not tile its packet (see
/// [`inspect`]).
#[cfg(test)]
fn has_invalid_fragment(commands: &[u8], stride: usize) -> bool {
    inspect(commands, stride) == Commands::InvalidFragment
}

/// Walks the commands of a datagram body (after the protocol header and checksum, decompressed)
/// the way ENet does: reports a `SEND_FRAGMENT` or `SEND_UNRELIABLE_FRAGMENT` whose fields do
/// not tile its packet with `stride` (see the module documentation), and otherwise counts the
/// data commands. Parsing stops where ENet's would (unknown or truncated command), so only
/// commands ENet would act on are judged.
pub(crate) fn inspect(mut commands: &[u8], stride: usize) -> Commands {
    let mut data = 0;
    while let Some(&first) = commands.first() {
        let command = first & sys::ENET_PROTOCOL_COMMAND_MASK as u8;
        let Some(&size) = COMMAND_SIZES.get(usize::from(command)) else {
            break;
        };
        if size == 0 || commands.len() < size {
            break;
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
            sys::ENET_PROTOCOL_COMMAND_SEND_FRAGMENT
            | sys::ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE_FRAGMENT => {
                let field = |at| be32(commands, at).unwrap_or(0);
                let length = be16(commands, offset_of!(Fragment, dataLength)).unwrap_or(0);
                if !is_tiling_fragment(
                    stride,
                    field(offset_of!(Fragment, fragmentCount)),
                    field(offset_of!(Fragment, fragmentNumber)),
                    field(offset_of!(Fragment, totalLength)),
                    field(offset_of!(Fragment, fragmentOffset)),
                    length,
                ) {
                    return Commands::InvalidFragment;
                }
                Some(length)
            }
            _ => None,
        };
        let next = match payload {
            Some(length) => {
                data += 1;
                size + usize::from(length)
            }
            None => size,
        };
        match commands.get(next..) {
            Some(rest) => commands = rest,
            None => break,
        }
    }
    Commands::Valid { data }
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

    /// A SEND_FRAGMENT (reliable) command with its payload.
    fn reliable_fragment(
        count: u32,
        number: u32,
        total: u32,
        offset: u32,
        payload: &[u8],
    ) -> Vec<u8> {
        let mut c = unreliable_fragment(count, number, total, offset, payload);
        c[0] = sys::ENET_PROTOCOL_COMMAND_SEND_FRAGMENT as u8 | 0x80;
        c
    }

    const STRIDE: usize = 1000;

    #[test]
    fn the_stride_is_the_mtu_less_header_fragment_command_and_checksum() {
        assert_eq!(fragment_stride(1392, false), 1392 - 4 - 24);
        assert_eq!(fragment_stride(1392, true), 1392 - 4 - 24 - 4);
        assert_eq!(fragment_stride(10, false), 0);
    }

    #[test]
    fn fragments_as_enet_sends_them_are_valid() {
        for make in [unreliable_fragment, reliable_fragment] {
            // 2500 bytes: 1000 + 1000 + 500.
            for (number, length) in [(0u32, 1000usize), (1, 1000), (2, 500)] {
                let command = make(3, number, 2500, number * 1000, &vec![5; length]);
                assert!(!has_invalid_fragment(&command, STRIDE), "fragment {number}");
            }
            // Exactly two strides: the last fragment is a whole stride.
            assert!(!has_invalid_fragment(
                &make(2, 1, 2000, 1000, &[5; 1000]),
                STRIDE
            ));
        }
    }

    #[test]
    fn fragments_that_leave_bytes_of_their_packet_uncovered_are_invalid() {
        for make in [unreliable_fragment, reliable_fragment] {
            let invalid = [
                // A 100 KiB packet announced in two 1-byte fragments.
                make(2, 0, 100 << 10, 0, &[1]),
                make(2, 1, 100 << 10, 1, &[1]),
                // A short fragment that is not the last.
                make(3, 0, 2500, 0, &[5; 999]),
                // A fragment at the wrong offset.
                make(3, 1, 2500, 999, &[5; 1000]),
                // More or fewer fragments than the stride gives.
                make(4, 0, 2500, 0, &[5; 1000]),
                make(2, 0, 2500, 0, &[5; 1000]),
                // Fragment number beyond the count; an empty packet.
                make(3, 3, 2500, 3000, &[]),
                make(1, 0, 0, 0, &[]),
            ];
            for command in invalid {
                assert!(
                    has_invalid_fragment(&command, STRIDE),
                    "{:?}",
                    &command[..24]
                );
            }
        }
    }

    #[test]
    fn upstream_masters_unreliable_fragment_rules_are_included() {
        // fragmentLength == 0; totalLength < fragmentCount (1,048,576 fragments of a 1-byte packet).
        assert!(has_invalid_fragment(
            &unreliable_fragment(2, 0, 10, 0, &[]),
            STRIDE
        ));
        assert!(has_invalid_fragment(
            &unreliable_fragment(1 << 20, 0, 1, 0, &[9]),
            STRIDE
        ));
    }

    #[test]
    fn without_a_stride_every_fragment_is_invalid() {
        assert!(has_invalid_fragment(
            &reliable_fragment(1, 0, 5, 0, &[5; 5]),
            0
        ));
    }

    #[test]
    fn data_commands_are_counted() {
        let mut datagram = unreliable(b"hello");
        datagram.extend(unreliable(b""));
        datagram.extend(reliable_fragment(1, 0, 5, 0, &[5; 5]));
        assert_eq!(inspect(&datagram, STRIDE), Commands::Valid { data: 3 });
        let ping = [sys::ENET_PROTOCOL_COMMAND_PING as u8 | 0x80, 0xFF, 0, 1];
        assert_eq!(inspect(&ping, STRIDE), Commands::Valid { data: 0 });
    }

    #[test]
    fn invalid_fragment_after_other_commands_is_found() {
        let mut datagram = unreliable(b"hello");
        datagram.extend(unreliable_fragment(1 << 20, 0, 1, 0, &[9]));
        assert!(has_invalid_fragment(&datagram, STRIDE));
    }

    #[test]
    fn parsing_stops_where_enet_stops() {
        // A truncated command: ENet ignores the rest of the datagram, so do we.
        let mut datagram = unreliable(b"hello");
        datagram.truncate(datagram.len() - 1);
        datagram.extend(unreliable_fragment(1 << 20, 0, 1, 0, &[9]));
        assert!(!has_invalid_fragment(&datagram, STRIDE));
        // An unknown command number.
        let mut datagram = vec![13, 0, 0, 0];
        datagram.extend(unreliable_fragment(1 << 20, 0, 1, 0, &[9]));
        assert!(!has_invalid_fragment(&datagram, STRIDE));
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
            let _ = has_invalid_fragment(&bytes, STRIDE);
        }
    }
}

//! The intercept trampoline: ENet's `host->intercept` hook, which sees every received datagram
//! before ENet parses it. It runs the connection's own filter (refusing new connections) and the
//! user's intercept closure, with every panic caught at the FFI boundary.
//!
//! `ENetHost` has no user-data pointer, so the trampoline finds its filter through a thread-local
//! set for the duration of each `enet_host_service` call (the hook only ever runs inside that call,
//! on the calling thread). Calls the user's closure makes on connections follow the re-entrancy
//! rule of [`crate::shared`].

use crate::address;
use crate::hardening;
use crate::host;
use enet_sys as sys;
use std::any::Any;
use std::cell::Cell;
use std::ffi::c_int;
use std::mem::{offset_of, size_of};
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;

/// What an intercept callback decides about a received datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Let ENet process the datagram normally.
    Pass,
    /// Drop the datagram before ENet sees it.
    Drop,
}

/// A user intercept: called with the datagram's source address and its raw bytes (the ENet
/// protocol header included, compressed bodies still compressed).
pub type InterceptFn = dyn FnMut(SocketAddr, &[u8]) -> Verdict + Send;

/// Per-host datagram filter run by the trampoline.
pub(crate) struct Filter {
    /// Drop every datagram addressed to "no peer yet" (peer id 0xFFF): those carry CONNECT
    /// commands, so new connections are refused before ENet allocates a slot. A readable CONNECT
    /// is answered at once with a DISCONNECT carrying `refusal_data`.
    pub(crate) refusing: bool,
    pub(crate) refusal_data: u32,
    /// Apply the [`hardening`] fixes (on unless a test turns them off to show the defects).
    pub(crate) hardened: bool,
    pub(crate) user: Option<Box<InterceptFn>>,
    /// Per peer slot, the half-open handshake seen there: its `connectID` and since when (ENet's
    /// `serviceTime`), as the host's periodic pass records it. Read by [`make_room`] to find
    /// the oldest.
    pub(crate) half_open: Box<[Option<(u32, u32)>]>,
    /// When (ENet's `serviceTime`) a CONNECT last found every slot taken: half-open handshakes
    /// are only timed out while slots are in demand.
    pub(crate) full_at: Option<u32>,
    /// How many incoming commands one peer may have queued in ENet (see [`room_for`]).
    pub(crate) max_queued_commands: usize,
    /// Per peer slot, an upper bound of the incoming commands ENet holds for it (see
    /// [`room_for`]).
    pub(crate) queued_estimate: Box<[usize]>,
    /// Payloads of panics caught from `user` during the current service call, taken out (and
    /// dropped outside it) when ENet returns: a payload's own `Drop` may panic or call back.
    pub(crate) caught: Vec<Box<dyn Any + Send>>,
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            refusing: false,
            refusal_data: 0,
            hardened: true,
            user: None,
            half_open: Box::default(),
            full_at: None,
            max_queued_commands: hardening::DEFAULT_MAX_QUEUED_COMMANDS,
            queued_estimate: Box::default(),
            caught: Vec::new(),
        }
    }
}

impl Filter {
    fn judge(&mut self, from: SocketAddr, datagram: &[u8]) -> Verdict {
        match self.user.as_mut() {
            Some(user) => user(from, datagram),
            None => Verdict::Pass,
        }
    }
}

const PEER_ID_MASK: u16 = sys::ENET_PROTOCOL_MAXIMUM_PEER_ID as u16;

/// The protocol header's size: 2 bytes, 4 with the sent time, plus 4 for the checksum.
fn header_size(flags: u32, checksummed: bool) -> usize {
    let header = if flags & sys::ENET_PROTOCOL_HEADER_FLAG_SENT_TIME != 0 {
        4
    } else {
        2
    };
    header + if checksummed { 4 } else { 0 }
}

/// A datagram flagged COMPRESSED but shorter than its own header. Upstream 1.3.18 hands the
/// decompressor `receivedDataLength - headerSize`, which then underflows to nearly `usize::MAX`
/// (anyone can send one: peer id 0xFFF skips ENet's address and session checks), so such
/// datagrams are always dropped before ENet sees them, whatever the hardening switch says.
fn is_truncated_compressed(datagram: &[u8], checksummed: bool) -> bool {
    let flags = match datagram {
        [hi, lo, ..] => u32::from(u16::from_be_bytes([*hi, *lo])),
        _ => return false,
    };
    flags & sys::ENET_PROTOCOL_HEADER_FLAG_COMPRESSED != 0
        && datagram.len() < header_size(flags, checksummed)
}

/// The peer id and session bits of a datagram's header (flag bits aside); `None` when it is
/// shorter than ENet's smallest header.
fn peer_id_and_session(datagram: &[u8]) -> Option<(u16, u8)> {
    let header = match datagram {
        [hi, lo, ..] => u32::from(u16::from_be_bytes([*hi, *lo])),
        _ => return None,
    };
    let session = (header & sys::ENET_PROTOCOL_HEADER_SESSION_MASK)
        >> sys::ENET_PROTOCOL_HEADER_SESSION_SHIFT;
    let peer_id =
        header & !(sys::ENET_PROTOCOL_HEADER_FLAG_MASK | sys::ENET_PROTOCOL_HEADER_SESSION_MASK);
    Some((peer_id as u16, session as u8))
}

/// The host being serviced on this thread and its filter.
type Active = (*mut sys::ENetHost, *mut Filter);

thread_local! {
    /// The host being serviced on this thread (innermost, when services nest across connections)
    /// and its filter.
    static ACTIVE: Cell<Active> =
        const { Cell::new((std::ptr::null_mut(), std::ptr::null_mut())) };
}

/// Marks `host`'s `filter` active on this thread until dropped.
pub(crate) struct Entered {
    previous: Active,
}

pub(crate) fn enter(host: NonNull<sys::ENetHost>, filter: &mut Filter) -> Entered {
    let previous = ACTIVE.with(|active| active.replace((host.as_ptr(), filter as *mut Filter)));
    Entered { previous }
}

impl Drop for Entered {
    fn drop(&mut self) {
        ACTIVE.with(|active| active.set(self.previous));
    }
}

/// Installed as every host's `intercept`.
pub(crate) unsafe extern "C" fn intercept(
    host: *mut sys::ENetHost,
    _event: *mut sys::ENetEvent,
) -> c_int {
    // SAFETY: ENet calls this with a live host whose receivedData/receivedDataLength describe the
    // datagram just received; plain reads, no reference to the host is formed.
    let (datagram, checksummed) = unsafe {
        (
            std::slice::from_raw_parts((*host).receivedData, (*host).receivedDataLength),
            (*host).checksum.is_some(),
        )
    };
    // Checked before anything else, so it holds whatever the filter says.
    if is_truncated_compressed(datagram, checksummed) {
        return 1;
    }
    let (active, filter) = ACTIVE.with(Cell::get);
    if active != host || filter.is_null() {
        return 0;
    }
    // SAFETY: ENet calls this from enet_protocol_receive_incoming_commands inside the
    // enet_host_service call of `host` during which `enter` made `filter` point at its Filter (an
    // exclusive borrow held by the servicing code, unused until the call returns; the host check
    // above makes sure it is this host's, and the connection is Busy for every nested call, so
    // nothing replaces or frees the filter meanwhile). The datagram lives in packetData[0]; no
    // reference to the whole host is formed, so the datagram slice aliases nothing mutable.
    let (from, filter) = unsafe { (address::from_enet(&(*host).receivedAddress), &mut *filter) };
    let verdict = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `host` is live, inside its own servicing, and `datagram` is its received
        // datagram (see above).
        let addressee = unsafe { addressee(host, datagram) };
        if filter.refusing && addressee == Addressee::NewConnection {
            // SAFETY: as above.
            let commands = unsafe { commands_of(host, datagram) };
            // SAFETY: as above.
            unsafe { answer_refused(host, commands, filter.refusal_data) };
            return Verdict::Drop;
        }
        if filter.hardened && addressee == Addressee::NewConnection {
            // SAFETY: as above.
            let commands = unsafe { commands_of(host, datagram) };
            if let Some((_, connect_id)) = commands.and_then(connect_request) {
                // SAFETY: as above; between datagrams ENet's peers are consistent.
                unsafe { make_room(host, u32::from_ne_bytes(connect_id), filter) };
            }
        }
        if filter.hardened {
            if let Addressee::Peer { slot, stride } = addressee {
                // SAFETY: as above.
                let commands = unsafe { commands_of(host, datagram) };
                let data = match commands.map(|c| hardening::inspect(c, stride)) {
                    Some(hardening::Commands::InvalidFragment) => return Verdict::Drop,
                    Some(hardening::Commands::Valid { data }) => data,
                    None => 0,
                };
                // SAFETY: as above; `slot` names a live peer of `host`.
                if data > 0 && !unsafe { room_for(host, slot, data, filter) } {
                    return Verdict::Drop;
                }
            }
        }
        filter.judge(from, datagram)
    }));
    match verdict {
        Ok(Verdict::Pass) => 0,
        Ok(Verdict::Drop) => 1,
        // A panicking intercept drops the datagram: nothing unwinds into C, and the payload is
        // dropped after ENet returns.
        Err(payload) => {
            filter.caught.push(payload);
            1
        }
    }
}

/// Whom a datagram is for, by the checks `enet_protocol_handle_incoming_commands` makes, in its
/// order, before it parses (or decompresses) anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Addressee {
    /// Peer id 0xFFF ("no peer yet"): ENet only acts on a CONNECT in it.
    NewConnection,
    /// A live peer (in `slot`) whose address and session match; `stride` is its connection's
    /// fragment stride ([`hardening::fragment_stride`]).
    Peer { slot: usize, stride: usize },
    /// ENet drops it unread: too short, a slot out of range, a peer not connected, another
    /// address or session.
    Nobody,
}

/// Whom `datagram` is for (see [`Addressee`]).
///
/// # Safety
/// `host` must be live, inside its own servicing, with `datagram` its received datagram.
unsafe fn addressee(host: *mut sys::ENetHost, datagram: &[u8]) -> Addressee {
    let Some((peer_id, session)) = peer_id_and_session(datagram) else {
        return Addressee::Nobody;
    };
    if peer_id == PEER_ID_MASK {
        return Addressee::NewConnection;
    }
    let peer_id = usize::from(peer_id);
    // SAFETY: plain reads of the live host's fields and of one in-bounds element of its `peers`
    // array (`peerCount` entries, checked first); no reference to the host is formed.
    unsafe {
        if peer_id >= (*host).peerCount {
            return Addressee::Nobody;
        }
        let peer = (*host).peers.add(peer_id);
        let from = (*host).receivedAddress;
        let other_address = (from.host != (*peer).address.host
            || from.port != (*peer).address.port)
            && (*peer).address.host != sys::ENET_HOST_BROADCAST;
        let other_session = u32::from((*peer).outgoingPeerID) < sys::ENET_PROTOCOL_MAXIMUM_PEER_ID
            && session != (*peer).incomingSessionID;
        if matches!(
            (*peer).state,
            sys::ENET_PEER_STATE_DISCONNECTED | sys::ENET_PEER_STATE_ZOMBIE
        ) || other_address
            || other_session
        {
            return Addressee::Nobody;
        }
        Addressee::Peer {
            slot: peer_id,
            stride: hardening::fragment_stride((*peer).mtu, (*host).checksum.is_some()),
        }
    }
}

/// The command bytes of `datagram` as ENet will parse them: after the header (2 or 4 bytes) and
/// the checksum (when enabled), decompressed with the host's own compressor when the datagram is
/// compressed. `None` where ENet would drop the datagram anyway.
///
/// A compressed datagram is decompressed once: into ENet's second packet buffer behind a copy of
/// its header, exactly as `enet_protocol_handle_incoming_commands` would do it, and, when the
/// host has no checksum, ENet is handed that result (`receivedData`, with the COMPRESSED flag
/// cleared) so it does not decompress it again. With checksums the flag is part of what the
/// sender summed, so ENet gets the original and decompresses it itself.
///
/// # Safety
/// `host` must be live, inside its own servicing, with `datagram` its received datagram (which
/// lives in `packetData[0]`, disjoint from the `packetData[1]` written here), and called only for
/// a datagram ENet will parse (not [`Addressee::Nobody`]).
unsafe fn commands_of<'h>(host: *mut sys::ENetHost, datagram: &'h [u8]) -> Option<&'h [u8]> {
    let flags = u32::from(u16::from_be_bytes([*datagram.first()?, *datagram.get(1)?]));
    // SAFETY: reads of plain fields of a live host (caller's contract).
    let (checksum, compressor) = unsafe { ((*host).checksum, (*host).compressor) };
    let header = header_size(flags, checksum.is_some());
    let body = datagram.get(header..)?;
    if flags & sys::ENET_PROTOCOL_HEADER_FLAG_COMPRESSED == 0 {
        return Some(body);
    }
    // As ENet: without a context (or decompressor) a compressed datagram is dropped.
    if compressor.context.is_null() {
        return None;
    }
    let decompress = compressor.decompress?;
    // SAFETY: packetData[1] is a field of the live host, disjoint from packetData[0] (which
    // `datagram` borrows); the place is reached through the raw pointer without forming a
    // reference to the host or to packetData as a whole. Nothing else uses it until ENet's own
    // parsing, after we return.
    let buffer: &'h mut [u8] = unsafe {
        let buffer = std::ptr::addr_of_mut!((*host).packetData[1]);
        std::slice::from_raw_parts_mut(buffer.cast::<u8>(), std::mem::size_of_val(&*buffer))
    };
    let (copied_header, scratch) = buffer.split_at_mut_checked(header)?;
    // SAFETY: ENet's compressor contract: read `body`, write at most `scratch.len()` bytes into
    // `scratch`, both valid for the call. Our compressors never unwind (they catch panics).
    let size = unsafe {
        decompress(
            compressor.context,
            body.as_ptr(),
            body.len(),
            scratch.as_mut_ptr(),
            scratch.len(),
        )
    };
    if size == 0 || size > scratch.len() {
        return None;
    }
    if checksum.is_none() {
        copied_header.copy_from_slice(&datagram[..header]);
        copied_header[0] &= !((sys::ENET_PROTOCOL_HEADER_FLAG_COMPRESSED >> 8) as u8);
        // SAFETY: plain field writes of the live host: ENet parses `receivedData` of
        // `receivedDataLength` bytes right after we return, and the buffer (packetData[1]) lives
        // as long as the host.
        unsafe {
            (*host).receivedData = copied_header.as_mut_ptr();
            (*host).receivedDataLength = header + size;
        }
    }
    Some(&scratch[..size])
}

/// Makes sure the CONNECT with `connect_id` just received finds a slot: when every slot is taken
/// and the CONNECT is not a retransmission of one ENet already holds, resets the oldest half-open
/// handshake (see [`crate::hardening`]), so a flood of CONNECTs that never complete cannot keep
/// legitimate clients out.
///
/// # Safety
/// `host` must be live, inside its own servicing, between datagrams (the intercept), where no
/// list of ENet's is being walked.
unsafe fn make_room(host: *mut sys::ENetHost, connect_id: u32, filter: &mut Filter) {
    let half_open = &mut filter.half_open;
    // SAFETY: plain reads of the live host's fields and of its `peerCount` peers; the reset peer
    // is half-open (it raised no event, so no handle is attached to it) and ENet is not using it
    // while it waits for the next datagram.
    unsafe {
        let (from, now) = ((*host).receivedAddress, (*host).serviceTime);
        let mut oldest: Option<(usize, u32)> = None;
        for index in 0..(*host).peerCount {
            let peer = (*host).peers.add(index);
            let state = (*peer).state;
            if state == sys::ENET_PEER_STATE_DISCONNECTED {
                return;
            }
            let address = (*peer).address;
            if address.host == from.host
                && address.port == from.port
                && (*peer).connectID == connect_id
            {
                return;
            }
            if state == sys::ENET_PEER_STATE_ACKNOWLEDGING_CONNECT {
                // Not recorded yet by the periodic pass: the youngest.
                let age = match half_open.get(index).copied().flatten() {
                    Some((id, since)) if id == (*peer).connectID => now.wrapping_sub(since),
                    _ => 0,
                };
                if oldest.map_or(true, |(_, oldest_age)| age > oldest_age) {
                    oldest = Some((index, age));
                }
            }
        }
        filter.full_at = Some(now);
        if let Some((index, _)) = oldest {
            sys::enet_peer_reset((*host).peers.add(index));
            if let Some(entry) = half_open.get_mut(index) {
                *entry = None;
            }
        }
    }
}

/// Whether the peer in `slot` may have `data` more incoming commands queued, within
/// `filter.max_queued_commands`.
///
/// ENet queues every data command it accepts (about 170 bytes each, zero-length ones included,
/// which count nothing against `maximumWaitingData`) until it is delivered, and inserts each in
/// order by walking its channel's queue: unbounded, a peer made the host hold gigabytes and spend
/// quadratic CPU. Counting ENet's queues on every datagram would cost what it guards against, so
/// the filter keeps an upper bound per slot, raised by every data command it lets through, and
/// counts the real queues only when the bound reaches the limit: at most one walk of at most the
/// limit per datagram, and for peers well under it one walk per `limit` commands.
///
/// # Safety
/// `host` must be live, inside its own servicing, between datagrams, and `slot` one of its peers.
unsafe fn room_for(
    host: *mut sys::ENetHost,
    slot: usize,
    data: usize,
    filter: &mut Filter,
) -> bool {
    let limit = filter.max_queued_commands;
    let Some(estimate) = filter.queued_estimate.get_mut(slot) else {
        return true;
    };
    if *estimate + data > limit {
        // SAFETY: the caller's contract: ENet's lists are consistent between datagrams.
        *estimate = unsafe { queued_commands(host, slot, limit) };
        if *estimate + data > limit {
            return false;
        }
    }
    *estimate += data;
    true
}

/// The incoming commands ENet holds for the peer in `slot` (on its channels, and dispatched but
/// not yet received), counting no further than `limit + 1`.
///
/// # Safety
/// As [`room_for`].
unsafe fn queued_commands(host: *mut sys::ENetHost, slot: usize, limit: usize) -> usize {
    // SAFETY: the caller's contract: a live peer of `host`, whose lists ENet leaves consistent
    // and unchanged between datagrams.
    unsafe {
        host::incoming_lists((*host).peers.add(slot))
            .flat_map(|list| host::list_nodes(list))
            .take(limit.saturating_add(1))
            .count()
    }
}

/// If `commands` is exactly one CONNECT command, its `outgoingPeerID` (the peer id the client wants
/// replies addressed to) and its raw `connectID`.
fn connect_request(commands: &[u8]) -> Option<(u16, [u8; 4])> {
    type Connect = sys::ENetProtocolConnect;
    let command = u32::from(*commands.first()?) & sys::ENET_PROTOCOL_COMMAND_MASK;
    if command != sys::ENET_PROTOCOL_COMMAND_CONNECT || commands.len() != size_of::<Connect>() {
        return None;
    }
    let at = offset_of!(Connect, outgoingPeerID);
    let peer_id = u16::from_be_bytes([commands[at], commands[at + 1]]) & PEER_ID_MASK;
    let at = offset_of!(Connect, connectID);
    Some((peer_id, commands[at..at + 4].try_into().ok()?))
}

/// The datagram `enet_peer_disconnect_now(data)` sends to a client still connecting: a 2-byte
/// header addressed to its `peer_id` (no sent time), a checksum slot when `checksummed`, then one
/// unsequenced DISCONNECT on channel 0xFF carrying `data`. A connecting client accepts it without a
/// session check, moves to ZOMBIE and reports a DISCONNECT event with `data`.
fn refusal_notice(peer_id: u16, checksummed: bool, data: u32) -> ([u8; 14], usize) {
    let mut notice = [0u8; 14];
    notice[..2].copy_from_slice(&peer_id.to_be_bytes());
    let at = if checksummed { 6 } else { 2 };
    let command =
        sys::ENET_PROTOCOL_COMMAND_DISCONNECT | sys::ENET_PROTOCOL_COMMAND_FLAG_UNSEQUENCED;
    notice[at] = command as u8;
    notice[at + 1] = 0xFF;
    notice[at + 4..at + 8].copy_from_slice(&data.to_be_bytes());
    (notice, at + 8)
}

/// Answers a refused CONNECT at once, from the host's socket to its sender, so the client learns
/// within one round trip instead of waiting for ENet's timeout. Datagrams that are not a readable
/// CONNECT get no answer.
///
/// # Safety
/// As [`commands_of`].
unsafe fn answer_refused(host: *mut sys::ENetHost, commands: Option<&[u8]>, data: u32) {
    let Some((peer_id, connect_id)) = commands.and_then(connect_request) else {
        return;
    };
    // SAFETY: plain field reads of the live host.
    let (checksum, socket) = unsafe { ((*host).checksum, (*host).socket) };
    let (mut notice, len) = refusal_notice(peer_id, checksum.is_some(), data);
    // Made afresh for each use, after the last write to `notice`, so no older pointer is read.
    let buffer = |notice: &mut [u8; 14]| sys::ENetBuffer {
        data: notice.as_mut_ptr().cast(),
        dataLength: len,
    };
    if let Some(checksum) = checksum {
        // As ENet does: the checksum covers the datagram with the peer's connectID in its slot.
        notice[2..6].copy_from_slice(&connect_id);
        let whole = buffer(&mut notice);
        // SAFETY: the host's checksum callback reads the one buffer, valid for the call.
        let sum = unsafe { checksum(&whole, 1) };
        notice[2..6].copy_from_slice(&sum.to_ne_bytes());
    }
    let buffer = buffer(&mut notice);
    // SAFETY: a live socket; receivedAddress is the sender of the datagram being judged; the
    // buffer describes `notice`, which outlives the call. A failed send is ignored: the client
    // retransmits its CONNECT and is answered again.
    unsafe {
        sys::enet_socket_send(
            socket,
            std::ptr::addr_of!((*host).receivedAddress),
            &buffer,
            1,
        )
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_holds_flags_session_and_peer_id() {
        assert_eq!(peer_id_and_session(&[0x0F, 0xFF, 0, 0]), Some((0xFFF, 0)));
        // Flag bits (sent time, compressed) do not change the peer id or session.
        assert_eq!(peer_id_and_session(&[0xFF, 0xFF, 0, 0]), Some((0xFFF, 3)));
        assert_eq!(peer_id_and_session(&[0x90, 0x01]), Some((1, 1)));
        assert_eq!(peer_id_and_session(&[0x0F]), None);
    }

    /// A CONNECT command as ENet 1.3 sends it (48 bytes), with `outgoing_peer_id`.
    fn connect_command(outgoing_peer_id: u16) -> Vec<u8> {
        let mut command = vec![0x82, 0xFF, 0x00, 0x01];
        command.extend_from_slice(&outgoing_peer_id.to_be_bytes());
        command.resize(size_of::<sys::ENetProtocolConnect>(), 0);
        let at = offset_of!(sys::ENetProtocolConnect, connectID);
        command[at..at + 4].copy_from_slice(&[9, 8, 7, 6]);
        command
    }

    #[test]
    fn compressed_datagrams_shorter_than_their_header_are_truncated() {
        assert!(
            !is_truncated_compressed(&[0x4F, 0xFF], false),
            "2 bytes hold a 2-byte header"
        );
        assert!(
            is_truncated_compressed(&[0xCF, 0xFF], false),
            "sent time needs 4 bytes"
        );
        assert!(
            is_truncated_compressed(&[0x4F, 0xFF, 0, 0], true),
            "a checksum needs 6 bytes"
        );
        assert!(!is_truncated_compressed(&[0xCF, 0xFF, 0, 0], false));
        assert!(
            !is_truncated_compressed(&[0x8F, 0xFF], false),
            "not compressed: ENet's business"
        );
    }

    #[test]
    fn reads_the_peer_id_and_connect_id_of_a_connect() {
        assert_eq!(
            connect_request(&connect_command(7)),
            Some((7, [9, 8, 7, 6]))
        );
    }

    #[test]
    fn ignores_what_is_not_a_lone_connect() {
        let mut longer = connect_command(7);
        longer.push(0);
        let mut not_connect = connect_command(7);
        not_connect[0] = 0x84;
        for commands in [longer, not_connect, Vec::new()] {
            assert_eq!(connect_request(&commands), None, "{commands:02x?}");
        }
    }

    #[test]
    fn refusal_notice_is_an_unsequenced_disconnect_with_the_data() {
        let (notice, len) = refusal_notice(3, false, 0x0102_0304);
        assert_eq!(&notice[..len], [0x00, 0x03, 0x44, 0xFF, 0, 0, 1, 2, 3, 4]);
        let (notice, len) = refusal_notice(3, true, 5);
        assert_eq!(
            &notice[..len],
            [0x00, 0x03, 0, 0, 0, 0, 0x44, 0xFF, 0, 0, 0, 0, 0, 5]
        );
    }
}

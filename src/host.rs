//! The FFI core behind [`Connection`](crate::Connection) and [`PacketPeer`](crate::PacketPeer):
//! one ENet host, and the per-slot bookkeeping that makes peer handles generational.
//!
//! Every dereference of an `ENetHost` or `ENetPeer` in the crate is in this file. A [`Host`] is
//! only reachable through the `Mutex` in [`Shared`](crate::shared::Shared), so the host, its peers and every packet queued
//! on them (one exclusion domain, per upstream ENet) are touched by one thread at a time.
//!
//! Peer identity is a [`PeerId`] `{ slot, generation }`: `slot` is the peer's index in
//! `host->peers` and `generation` a per-connection counter taken each time a slot gets a new
//! occupant (an incoming CONNECT, or `connect_to_host`). A handle is valid only while its slot is
//! attached with the same generation and ENet's peer still carries the `connectID` seen at attach
//! time, so a recycled slot can never be reached through an old handle.

use crate::address;
use crate::callbacks::{self, Filter};
use crate::error::{Error, Result};
use crate::hardening::{DRIFT_CHECK_INTERVAL_MS, HALF_OPEN_TIMEOUT_MS};
use crate::packet::Packet;
use crate::shared::Graveyard;
use enet_sys as sys;
use once_cell::sync::OnceCell;
use std::any::Any;
use std::collections::VecDeque;
use std::ffi::{c_int, c_void};
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::ptr::NonNull;

/// The safe default for `maximumPacketSize` (ENet's is 32 MiB): the largest packet a peer may
/// send us or we may send.
pub(crate) const DEFAULT_MAX_PACKET_SIZE: usize = 4 << 20;
/// The safe default for `maximumWaitingData` (ENet's is 32 MiB): received but undelivered data per
/// peer. One peer can pin about this plus one maximum packet.
pub(crate) const DEFAULT_MAX_WAITING_DATA: usize = 8 << 20;

/// The safe default for the data queued toward one peer and not yet acknowledged (ENet has no
/// limit): see `Connection::set_max_queued_outgoing`.
pub(crate) const DEFAULT_MAX_QUEUED_OUTGOING: usize = 8 << 20;

/// What one queued outgoing command costs beyond its bytes (ENet's `ENetOutgoingCommand`).
const OUTGOING_COMMAND_OVERHEAD: usize = std::mem::size_of::<sys::ENetOutgoingCommand>();

/// What a received packet the application has not taken yet costs beyond its bytes: the
/// `ENetPacket` and our handle to it. A packet held for the application counts its bytes plus
/// this against its peer's `maximumWaitingData`, so zero-length packets are not free either.
const HELD_PACKET_OVERHEAD: usize =
    std::mem::size_of::<sys::ENetPacket>() + std::mem::size_of::<Packet>();

/// What `packet`, held for the application, counts against its peer's `maximumWaitingData`.
pub(crate) fn held_cost(packet: &Packet) -> usize {
    packet.len() + HELD_PACKET_OVERHEAD
}

/// Runs `enet_initialize` once per process; `enet_deinitialize` is never called (git2's `init`).
fn init() -> Result<()> {
    static INIT: OnceCell<c_int> = OnceCell::new();
    // SAFETY: enet_initialize has no preconditions; OnceCell runs it once per process.
    let rc = *INIT.get_or_init(|| unsafe { sys::enet_initialize() });
    if rc == 0 {
        Ok(())
    } else {
        Err(Error::CantCreate)
    }
}

/// The lockable state: the host, if one exists, the generation counter, which survives
/// destroy/create so handles from an earlier host never match a later one, and the user values
/// removed while the state is borrowed, to be dropped once it no longer is (see
/// [`crate::shared`]).
#[derive(Default)]
pub(crate) struct State {
    host: Option<Host>,
    generations: u64,
    graveyard: Graveyard,
}

impl State {
    /// The live host, or [`Error::Unconfigured`].
    pub(crate) fn host(&mut self) -> Result<&mut Host> {
        self.host.as_mut().ok_or(Error::Unconfigured)
    }

    pub(crate) fn is_active(&self) -> bool {
        self.host.is_some()
    }

    /// Installs a new host (the caller checked that none exists).
    pub(crate) fn set_host(&mut self, host: Host) {
        debug_assert!(self.host.is_none());
        self.host = Some(host);
    }

    /// Keeps `value`, which may run user code when dropped, until the state is no longer
    /// borrowed: [`Shared`](crate::shared::Shared) drops it then.
    pub(crate) fn bury(&mut self, value: impl Any + Send) {
        self.graveyard.push(Box::new(value));
    }

    /// What was buried since the last call, if anything (the common case, nothing, costs a
    /// check).
    pub(crate) fn take_graveyard(&mut self) -> Option<Graveyard> {
        (!self.graveyard.is_empty()).then(|| std::mem::take(&mut self.graveyard))
    }

    /// Destroys the host (peers are not told; they time out), detaching every handle. The host
    /// holds the user's intercept closure: it is buried, and destroyed when the state is released.
    pub(crate) fn destroy(&mut self) -> Result<()> {
        let host = self.host.take().ok_or(Error::Unconfigured)?;
        self.bury(host);
        Ok(())
    }

    /// Services the host once without waiting (`enet_host_service(host, event, 0)`), or only
    /// drains already-queued events when `io` is false (`enet_host_check_events`). Payloads of
    /// panics the intercept callback raised meanwhile are buried.
    pub(crate) fn service(&mut self, io: bool) -> Result<RawEvent> {
        let host = self.host.as_mut().ok_or(Error::Unconfigured)?;
        let mut event = MaybeUninit::<sys::ENetEvent>::zeroed();
        host.epoch += 1;
        let rc = {
            let _entered = callbacks::enter(host.raw, &mut host.filter);
            // SAFETY: the host is live and exclusively ours (we hold the lock); `event` is a valid
            // out-pointer. The intercept trampoline only uses the filter registered above.
            unsafe {
                if io {
                    sys::enet_host_service(host.raw.as_ptr(), event.as_mut_ptr(), 0)
                } else {
                    sys::enet_host_check_events(host.raw.as_ptr(), event.as_mut_ptr())
                }
            }
        };
        if host.filter.hardened && host.drift_check_due() {
            host.housekeeping();
        }
        if !host.filter.caught.is_empty() {
            let caught = std::mem::take(&mut host.filter.caught);
            self.graveyard.extend(caught);
        }
        let host = self.host.as_mut().ok_or(Error::Unconfigured)?;
        if rc < 0 {
            return Err(Error::Failed);
        }
        // SAFETY: all-zero is a valid ENetEvent and ENet fully initialises it when it returns > 0.
        let event = unsafe { event.assume_init() };
        if rc == 0 {
            return Ok(RawEvent::None);
        }
        host.translate(&event, &mut self.generations)
    }

    /// Starts an outgoing connection and attaches a handle to it.
    pub(crate) fn connect(
        &mut self,
        address: &sys::ENetAddress,
        channels: usize,
        data: u32,
    ) -> Result<PeerId> {
        let host = self.host.as_mut().ok_or(Error::Unconfigured)?;
        // SAFETY: live host, exclusive; `address` is valid for the call.
        let peer = unsafe { sys::enet_host_connect(host.raw.as_ptr(), address, channels, data) };
        let peer = NonNull::new(peer).ok_or(Error::CantCreate)?;
        let slot = host.slot_of(peer);
        Ok(host.attach(slot, &mut self.generations))
    }
}

/// A peer handle's identity: its slot and the generation of the occupant it was made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PeerId {
    pub(crate) slot: usize,
    pub(crate) generation: u64,
}

/// An event as the host reports it, before the public layer wraps the ids into handles.
pub(crate) enum RawEvent {
    None,
    Connect(PeerId, u32),
    Disconnect(PeerId, u32),
    Receive(PeerId, u8),
}

struct Slot {
    attached: bool,
    generation: u64,
    connect_id: u32,
    /// The peer's address, pinned in the platform layer's IPv6 mapping while attached.
    address: sys::ENetAddress,
    /// Whether `address`'s pin was taken (only a taken pin is released).
    pinned: bool,
    queue: VecDeque<Packet>,
    /// The [`held_cost`] of the peer's received packets that left ENet but not the application
    /// yet: those in `queue` and those a `MultiplayerPeer` holds in its FIFO. ENet stops counting
    /// a packet in `totalWaitingData` when it hands it over; this adds it back, so ENet's own
    /// limit covers them too.
    held: usize,
    /// An upper bound of what is queued toward the peer (see [`PeerMut::room_to_send`]): raised
    /// by every send, set to the exact figure whenever it is counted.
    outgoing_estimate: usize,
    /// The host's `epoch` when the queue was last counted and found full: until ENet services
    /// again (the only time the queue shrinks), sends are refused without counting again.
    outgoing_full: Option<u64>,
}

/// One live `ENetHost`, destroyed on drop.
pub(crate) struct Host {
    raw: NonNull<sys::ENetHost>,
    slots: Box<[Slot]>,
    pub(crate) filter: Filter,
    /// When `housekeeping` last ran, on ENet's millisecond clock (`serviceTime`).
    drift_checked: u32,
    /// How long a half-open handshake may hold a slot, in ms.
    half_open_timeout: u32,
    /// The bound on what is queued toward one peer, in bytes plus per-command overhead.
    max_queued_outgoing: usize,
    /// Counts the calls that let ENet send or process acknowledgements (service, flush): the
    /// outgoing queues can only shrink in them.
    epoch: u64,
}

// SAFETY: the host, its peers and their queued packets are owned by this value alone and reached
// only through `&mut Host` (under `Shared`'s mutex); ENet keeps no thread-affine state, so the
// whole domain may move between threads.
unsafe impl Send for Host {}

impl Host {
    /// `enet_host_create` with this crate's safe limits and the intercept trampoline installed.
    pub(crate) fn create(
        address: Option<&sys::ENetAddress>,
        peers: usize,
        channels: usize,
        in_bandwidth: u32,
        out_bandwidth: u32,
    ) -> Result<Host> {
        init()?;
        let address = address.map_or(std::ptr::null(), |a| a as *const sys::ENetAddress);
        // SAFETY: `address` is null or valid for the call; ENet validates the counts.
        let raw =
            unsafe { sys::enet_host_create(address, peers, channels, in_bandwidth, out_bandwidth) };
        let raw = NonNull::new(raw).ok_or(Error::CantCreate)?;
        // SAFETY: `raw` is a fresh live host we own exclusively.
        unsafe {
            let host = &mut *raw.as_ptr();
            host.maximumPacketSize = DEFAULT_MAX_PACKET_SIZE;
            host.maximumWaitingData = DEFAULT_MAX_WAITING_DATA;
            host.intercept = Some(callbacks::intercept);
        }
        let slots = (0..peers)
            .map(|_| Slot {
                attached: false,
                generation: 0,
                connect_id: 0,
                address: sys::ENetAddress { host: 0, port: 0 },
                pinned: false,
                queue: VecDeque::new(),
                held: 0,
                outgoing_estimate: 0,
                outgoing_full: None,
            })
            .collect();
        let filter = Filter {
            half_open: vec![None; peers].into(),
            queued_estimate: vec![0; peers].into(),
            ..Filter::default()
        };
        Ok(Host {
            raw,
            slots,
            filter,
            drift_checked: 0,
            half_open_timeout: HALF_OPEN_TIMEOUT_MS,
            max_queued_outgoing: DEFAULT_MAX_QUEUED_OUTGOING,
            epoch: 0,
        })
    }

    fn fields(&self) -> &sys::ENetHost {
        // SAFETY: the host is live for as long as `self`, and `&self` excludes concurrent mutation.
        unsafe { self.raw.as_ref() }
    }

    fn fields_mut(&mut self) -> &mut sys::ENetHost {
        // SAFETY: as `fields`, with exclusive access.
        unsafe { self.raw.as_mut() }
    }

    fn slot_of(&self, peer: NonNull<sys::ENetPeer>) -> usize {
        // SAFETY: ENet only hands out pointers into its `peers` array of `peerCount` entries.
        let slot = unsafe { peer.as_ptr().offset_from(self.fields().peers) };
        debug_assert!((0..self.slots.len() as isize).contains(&slot));
        slot as usize
    }

    fn peer_ptr(&self, slot: usize) -> NonNull<sys::ENetPeer> {
        assert!(slot < self.slots.len());
        // SAFETY: `slot` is within the `peers` array (checked above), which lives as long as the host.
        unsafe { NonNull::new_unchecked(self.fields().peers.add(slot)) }
    }

    fn attach(&mut self, slot: usize, generations: &mut u64) -> PeerId {
        *generations += 1;
        // SAFETY: in-bounds peer of our live host.
        let (connect_id, address) = unsafe {
            let peer = self.peer_ptr(slot).as_ref();
            (peer.connectID, peer.address)
        };
        // A live peer's IPv6 mapping must never be evicted.
        let pinned = address::pin(&address);
        let entry = &mut self.slots[slot];
        entry.pinned = pinned;
        entry.attached = true;
        entry.generation = *generations;
        entry.connect_id = connect_id;
        entry.address = address;
        entry.queue.clear();
        entry.held = 0;
        entry.outgoing_estimate = 0;
        entry.outgoing_full = None;
        PeerId {
            slot,
            generation: *generations,
        }
    }

    fn translate(&mut self, event: &sys::ENetEvent, generations: &mut u64) -> Result<RawEvent> {
        let Some(peer) = NonNull::new(event.peer) else {
            return Ok(RawEvent::None);
        };
        let slot = self.slot_of(peer);
        let current = self.slots[slot].attached.then(|| PeerId {
            slot,
            generation: self.slots[slot].generation,
        });
        match event.type_ {
            sys::ENET_EVENT_TYPE_CONNECT => {
                let id = match current {
                    Some(id) => id,
                    None => self.attach(slot, generations),
                };
                Ok(RawEvent::Connect(id, event.data))
            }
            sys::ENET_EVENT_TYPE_DISCONNECT => {
                let id = current.ok_or(Error::Failed)?;
                self.detach(slot);
                Ok(RawEvent::Disconnect(id, event.data))
            }
            sys::ENET_EVENT_TYPE_RECEIVE => {
                // SAFETY: a RECEIVE event hands the application a live packet with reference
                // count 0; from here on the Packet owns it (and frees it if it cannot be queued).
                let packet =
                    unsafe { Packet::from_raw(NonNull::new(event.packet).ok_or(Error::Failed)?) };
                let id = current.ok_or(Error::Failed)?;
                let cost = held_cost(&packet);
                self.slots[slot].held += cost;
                // SAFETY: in-bounds peer of our live, exclusively held host (not inside ENet).
                unsafe { (*peer.as_ptr()).totalWaitingData += cost };
                self.slots[slot].queue.push_back(packet);
                Ok(RawEvent::Receive(id, event.channelID))
            }
            _ => Ok(RawEvent::None),
        }
    }

    /// Whether [`DRIFT_CHECK_INTERVAL_MS`] has passed since the last drift check, by the time
    /// ENet's last service pass took (`serviceTime`): no extra clock read.
    fn drift_check_due(&self) -> bool {
        self.fields().serviceTime.wrapping_sub(self.drift_checked) >= DRIFT_CHECK_INTERVAL_MS
    }

    /// The periodic pass over the peers (see [`crate::hardening`]):
    ///
    /// * resets half-open handshakes older than the half-open timeout that held their slot while
    ///   it was in demand (a CONNECT found none free since they began) (default
    ///   [`HALF_OPEN_TIMEOUT_MS`]; a peer that sent a CONNECT and never acknowledged our
    ///   VERIFY_CONNECT; it has no handle yet). A host with free slots leaves slow handshakes to
    ///   ENet;
    /// * sets the `totalWaitingData` of every peer at its limit to the exact size of the packets
    ///   it still holds (queued on its channels or dispatched and not yet received) plus what is
    ///   held for the application (`Slot::held`), undoing upstream 1.3.18's drift. Drift only
    ///   matters once it makes ENet refuse data, so only peers at the limit are walked: a peer
    ///   cannot make every pass walk its queue by keeping data waiting.
    fn housekeeping(&mut self) {
        let now = self.fields().serviceTime;
        self.drift_checked = now;
        let limit = self.fields().maximumWaitingData;
        let full_at = self.filter.full_at;
        for slot in 0..self.slots.len() {
            let peer = self.peer_ptr(slot).as_ptr();
            // SAFETY: in-bounds peer of our live, exclusively held host. ENet's lists are
            // consistent between calls (we are not inside ENet); `channels` holds `channelCount`
            // channels (null with a count of 0 when the peer has none). A half-open peer has
            // raised no event, so no handle is attached to its slot.
            unsafe {
                let half_open = &mut self.filter.half_open[slot];
                if (*peer).state != sys::ENET_PEER_STATE_ACKNOWLEDGING_CONNECT {
                    *half_open = None;
                } else {
                    let connect_id = (*peer).connectID;
                    match *half_open {
                        Some((id, since)) if id == connect_id => {
                            let age = now.wrapping_sub(since);
                            // It held a slot someone needed: a CONNECT found none free since.
                            let in_demand = full_at.is_some_and(|at| now.wrapping_sub(at) <= age);
                            if in_demand && age >= self.half_open_timeout {
                                sys::enet_peer_reset(peer);
                                *half_open = None;
                                continue;
                            }
                        }
                        _ => *half_open = Some((connect_id, now)),
                    }
                }
                if (*peer).totalWaitingData < limit {
                    continue;
                }
                // Each packet belongs to exactly one incoming command, the list node's container.
                let queued: usize = incoming_lists(peer)
                    .flat_map(|list| list_nodes(list))
                    .filter_map(|node| (*node.cast::<sys::ENetIncomingCommand>()).packet.as_ref())
                    .map(|packet| packet.dataLength)
                    .sum();
                (*peer).totalWaitingData = self.slots[slot].held + queued;
            }
        }
    }

    fn detach(&mut self, slot: usize) {
        let entry = &mut self.slots[slot];
        if entry.attached && entry.pinned {
            address::unpin(&entry.address);
        }
        entry.attached = false;
        entry.pinned = false;
        entry.queue.clear();
        entry.held = 0;
    }

    /// The live peer behind `id`, or [`Error::Unconfigured`] if the handle is stale.
    pub(crate) fn peer(&mut self, id: PeerId) -> Result<PeerMut<'_>> {
        let entry = self.slots.get(id.slot).ok_or(Error::Unconfigured)?;
        if !entry.attached || entry.generation != id.generation {
            return Err(Error::Unconfigured);
        }
        if !self.occupied_as_attached(id.slot) {
            // ENet reset the slot without an event: the handle's peer is gone.
            self.detach(id.slot);
            return Err(Error::Unconfigured);
        }
        Ok(PeerMut {
            raw: self.peer_ptr(id.slot),
            host: self,
            slot: id.slot,
        })
    }

    /// Whether ENet's peer in `slot` is still the occupant the slot was attached to: not reset
    /// (ENet resets without an event, e.g. `enet_peer_disconnect` on a peer still connecting) and
    /// carrying the same `connectID`.
    fn occupied_as_attached(&self, slot: usize) -> bool {
        // SAFETY: in-bounds peer of our live host.
        let peer = unsafe { self.peer_ptr(slot).as_ref() };
        peer.state != sys::ENET_PEER_STATE_DISCONNECTED
            && peer.connectID == self.slots[slot].connect_id
    }

    /// The queue of received packets of `id`'s slot if `id` is still attached (a detached handle's
    /// queue was freed at detach).
    pub(crate) fn queue_len(&self, id: PeerId) -> usize {
        match self.slots.get(id.slot) {
            Some(entry) if entry.attached && entry.generation == id.generation => entry.queue.len(),
            _ => 0,
        }
    }

    /// Handles of every attached slot whose peer is still there (connected, connecting or
    /// disconnecting peers).
    pub(crate) fn attached(&self) -> impl Iterator<Item = PeerId> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|&(slot, s)| s.attached && self.occupied_as_attached(slot))
            .map(|(slot, s)| PeerId {
                slot,
                generation: s.generation,
            })
    }

    pub(crate) fn flush(&mut self) {
        self.epoch += 1;
        // SAFETY: live host, exclusive.
        unsafe { sys::enet_host_flush(self.raw.as_ptr()) }
    }

    pub(crate) fn bandwidth_limit(&mut self, incoming: u32, outgoing: u32) {
        // SAFETY: live host, exclusive.
        unsafe { sys::enet_host_bandwidth_limit(self.raw.as_ptr(), incoming, outgoing) }
    }

    pub(crate) fn channel_limit(&mut self, limit: usize) {
        // SAFETY: live host, exclusive.
        unsafe { sys::enet_host_channel_limit(self.raw.as_ptr(), limit) }
    }

    pub(crate) fn max_channels(&self) -> usize {
        self.fields().channelLimit
    }

    pub(crate) fn peer_count(&self) -> usize {
        self.slots.len()
    }

    /// Queues `packet` for every connected peer with room for it (as `enet_host_broadcast`,
    /// which knows no bound, but skipping peers whose queue is full).
    pub(crate) fn broadcast(&mut self, channel: u8, packet: Packet) {
        let cost = self.outgoing_cost(&packet);
        let raw = packet.into_raw();
        for slot in 0..self.slots.len() {
            let peer = self.peer_ptr(slot);
            // SAFETY: in-bounds peer of our live, exclusively held host.
            if unsafe { peer.as_ref().state } != sys::ENET_PEER_STATE_CONNECTED {
                continue;
            }
            let mut peer = PeerMut {
                raw: peer,
                host: self,
                slot,
            };
            if peer.room_to_send(cost) {
                // SAFETY: live peer; `raw` is a live packet we hold (reference count 0 until a
                // peer takes one); a failed send takes no reference.
                if unsafe { sys::enet_peer_send(peer.raw.as_ptr(), channel, raw) } == 0 {
                    peer.sent(cost);
                }
            }
        }
        // SAFETY: `raw` is live; if no peer took a reference it is still ours alone.
        unsafe {
            if (*raw).referenceCount == 0 {
                sys::enet_packet_destroy(raw);
            }
        }
    }

    /// What queuing `packet` toward a peer costs against `max_queued_outgoing`: its bytes plus
    /// one command's overhead per fragment ENet will cut it into.
    fn outgoing_cost(&self, packet: &Packet) -> usize {
        let len = packet.len();
        let stride = crate::hardening::fragment_stride(self.fields().mtu, self.checksum()).max(1);
        let commands = if len <= stride {
            1
        } else {
            len.div_ceil(stride)
        };
        len + commands * OUTGOING_COMMAND_OVERHEAD
    }

    /// Reads and zeroes one of the host's 32-bit traffic counters.
    pub(crate) fn pop_statistic(&mut self, pick: fn(&mut sys::ENetHost) -> &mut u32) -> u32 {
        std::mem::take(pick(self.fields_mut()))
    }

    /// The socket's bound address (`enet_socket_get_address`).
    pub(crate) fn local_address(&self) -> Result<SocketAddr> {
        let mut address = sys::ENetAddress { host: 0, port: 0 };
        // SAFETY: live host; `address` is a valid out-pointer.
        let rc = unsafe { sys::enet_socket_get_address(self.fields().socket, &mut address) };
        if rc < 0 {
            return Err(Error::Failed);
        }
        Ok(address::from_enet(&address))
    }

    pub(crate) fn socket(&self) -> sys::ENetSocket {
        self.fields().socket
    }

    /// The address families the host's socket reaches.
    pub(crate) fn families(&self) -> address::Families {
        address::families(self.socket())
    }

    /// One raw datagram from the host's socket (`enet_socket_send`).
    pub(crate) fn socket_send(&mut self, to: &sys::ENetAddress, datagram: &[u8]) -> Result<()> {
        let buffer = sys::ENetBuffer {
            data: datagram.as_ptr() as *mut c_void,
            dataLength: datagram.len(),
        };
        // SAFETY: live socket; the buffer describes `datagram`, which ENet only reads.
        let rc = unsafe { sys::enet_socket_send(self.fields().socket, to, &buffer, 1) };
        if rc < 0 {
            Err(Error::Failed)
        } else {
            Ok(())
        }
    }

    /// Installs the compressor of `mode` (replacing and freeing the previous one).
    pub(crate) fn set_compression(&mut self, mode: crate::CompressionMode) {
        // SAFETY: our host is live and exclusively held for the call.
        unsafe { crate::compress::set_compression(self.raw.as_ptr(), mode) }
    }

    /// The hardening switch (see [`crate::hardening`]); only tests turn it off.
    pub(crate) fn set_hardened(&mut self, hardened: bool) {
        self.filter.hardened = hardened;
    }

    pub(crate) fn set_checksum(&mut self, enabled: bool) {
        self.fields_mut().checksum = if enabled { Some(sys::enet_crc32) } else { None };
    }

    pub(crate) fn checksum(&self) -> bool {
        self.fields().checksum.is_some()
    }

    pub(crate) fn set_max_packet_size(&mut self, bytes: usize) {
        self.fields_mut().maximumPacketSize = bytes;
    }

    pub(crate) fn max_packet_size(&self) -> usize {
        self.fields().maximumPacketSize
    }

    pub(crate) fn set_max_waiting_data(&mut self, bytes: usize) {
        self.fields_mut().maximumWaitingData = bytes;
    }

    pub(crate) fn max_waiting_data(&self) -> usize {
        self.fields().maximumWaitingData
    }

    pub(crate) fn set_duplicate_peers(&mut self, limit: usize) {
        self.fields_mut().duplicatePeers = limit;
    }

    pub(crate) fn duplicate_peers(&self) -> usize {
        self.fields().duplicatePeers
    }

    pub(crate) fn set_max_queued_commands(&mut self, limit: usize) {
        self.filter.max_queued_commands = limit;
    }

    pub(crate) fn max_queued_commands(&self) -> usize {
        self.filter.max_queued_commands
    }

    pub(crate) fn set_max_queued_outgoing(&mut self, bytes: usize) {
        self.max_queued_outgoing = bytes;
    }

    pub(crate) fn max_queued_outgoing(&self) -> usize {
        self.max_queued_outgoing
    }

    pub(crate) fn set_half_open_timeout(&mut self, ms: u32) {
        self.half_open_timeout = ms;
    }

    pub(crate) fn half_open_timeout(&self) -> u32 {
        self.half_open_timeout
    }

    pub(crate) fn set_mtu(&mut self, mtu: u32) {
        self.fields_mut().mtu = mtu;
    }

    pub(crate) fn mtu(&self) -> u32 {
        self.fields().mtu
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        // Received packets are the application's (reference count 0): free them ourselves; and
        // release the address pins of attached peers.
        for slot in 0..self.slots.len() {
            self.detach(slot);
        }
        // SAFETY: we own the host; it is destroyed exactly once and never used again.
        unsafe { sys::enet_host_destroy(self.raw.as_ptr()) }
    }
}

/// The nodes of an ENet list, front to back (each the first field of its command).
///
/// # Safety
/// `list` must be a live, consistent ENet list that nothing changes while the iterator is used.
pub(crate) unsafe fn list_nodes(
    list: *mut sys::ENetList,
) -> impl Iterator<Item = *mut sys::ENetListNode> {
    // SAFETY: the caller's contract: the list and its sentinel node are live.
    let (sentinel, first) = unsafe {
        let sentinel = std::ptr::addr_of_mut!((*list).sentinel);
        (sentinel, (*sentinel).next)
    };
    std::iter::successors(Some(first), |&node| {
        // SAFETY: the caller's contract: every node reached from the sentinel, the sentinel
        // included, is live.
        Some(unsafe { (*node).next })
    })
    .take_while(move |&node| node != sentinel)
}

/// The lists holding a peer's incoming commands: dispatched but not yet received, then each
/// channel's reliable and unreliable queue.
///
/// # Safety
/// `peer` must be a live peer of an exclusively held host, not inside ENet, that nothing changes
/// while the iterator is used.
pub(crate) unsafe fn incoming_lists(
    peer: *mut sys::ENetPeer,
) -> impl Iterator<Item = *mut sys::ENetList> {
    // SAFETY: the caller's contract; plain field reads.
    let (dispatched, channels, count) = unsafe {
        (
            std::ptr::addr_of_mut!((*peer).dispatchedCommands),
            (*peer).channels,
            (*peer).channelCount,
        )
    };
    std::iter::once(dispatched).chain((0..count).flat_map(move |index| {
        // SAFETY: `channels` holds `channelCount` channels (null with a count of 0, when this
        // closure never runs); the places are reached without forming references.
        unsafe {
            let channel = channels.add(index);
            [
                std::ptr::addr_of_mut!((*channel).incomingReliableCommands),
                std::ptr::addr_of_mut!((*channel).incomingUnreliableCommands),
            ]
        }
    }))
}

/// A validated live peer of a locked host.
pub(crate) struct PeerMut<'h> {
    raw: NonNull<sys::ENetPeer>,
    host: &'h mut Host,
    slot: usize,
}

impl PeerMut<'_> {
    fn fields(&self) -> &sys::ENetPeer {
        // SAFETY: validated in-bounds peer of a host we hold exclusively for 'h.
        unsafe { self.raw.as_ref() }
    }

    /// Graceful disconnect. A peer that is not connected yet is reset by ENet at once, without an
    /// event: then the handle is detached here.
    pub(crate) fn disconnect(self, data: u32) {
        // SAFETY: live peer of an exclusively held host.
        unsafe { sys::enet_peer_disconnect(self.raw.as_ptr(), data) }
        self.detach_if_reset();
    }

    /// Disconnect once queued packets are sent; like [`disconnect`](Self::disconnect) for a peer
    /// that is not connected yet.
    pub(crate) fn disconnect_later(self, data: u32) {
        // SAFETY: live peer of an exclusively held host.
        unsafe { sys::enet_peer_disconnect_later(self.raw.as_ptr(), data) }
        self.detach_if_reset();
    }

    fn detach_if_reset(self) {
        if !self.host.occupied_as_attached(self.slot) {
            self.host.detach(self.slot);
        }
    }

    /// Sends an unsequenced DISCONNECT, flushes, resets the peer (no event) and detaches the handle.
    pub(crate) fn disconnect_now(self, data: u32) {
        // SAFETY: live peer of an exclusively held host.
        unsafe { sys::enet_peer_disconnect_now(self.raw.as_ptr(), data) }
        self.host.detach(self.slot);
    }

    /// Resets the peer without telling the remote (it times out) and detaches the handle.
    pub(crate) fn reset(self) {
        // SAFETY: live peer of an exclusively held host.
        unsafe { sys::enet_peer_reset(self.raw.as_ptr()) }
        self.host.detach(self.slot);
    }

    pub(crate) fn ping(&mut self) {
        // SAFETY: live peer of an exclusively held host.
        unsafe { sys::enet_peer_ping(self.raw.as_ptr()) }
    }

    pub(crate) fn ping_interval(&mut self, interval_ms: u32) {
        // SAFETY: live peer of an exclusively held host.
        unsafe { sys::enet_peer_ping_interval(self.raw.as_ptr(), interval_ms) }
    }

    pub(crate) fn timeout(&mut self, limit: u32, minimum: u32, maximum: u32) {
        // SAFETY: live peer of an exclusively held host.
        unsafe { sys::enet_peer_timeout(self.raw.as_ptr(), limit, minimum, maximum) }
    }

    pub(crate) fn throttle_configure(
        &mut self,
        interval: u32,
        acceleration: u32,
        deceleration: u32,
    ) {
        // SAFETY: live peer of an exclusively held host.
        unsafe {
            sys::enet_peer_throttle_configure(
                self.raw.as_ptr(),
                interval,
                acceleration,
                deceleration,
            )
        }
    }

    /// `enet_peer_send`: on success ENet holds the packet; on failure it is freed here.
    /// [`Error::OutOfMemory`] if the peer's outgoing queue has no room for it
    /// ([`room_to_send`](Self::room_to_send)); nothing already queued is touched.
    pub(crate) fn send(&mut self, channel: u8, packet: Packet) -> Result<()> {
        let cost = self.host.outgoing_cost(&packet);
        if !self.room_to_send(cost) {
            return Err(Error::OutOfMemory);
        }
        let raw = packet.into_raw();
        // SAFETY: live peer of an exclusively held host; `raw` is a packet we own.
        let rc = unsafe { sys::enet_peer_send(self.raw.as_ptr(), channel, raw) };
        if rc < 0 {
            // SAFETY: on failure ENet did not take a reference (upstream peer.c): it is still ours.
            drop(unsafe { Packet::from_raw(NonNull::new_unchecked(raw)) });
            return Err(Error::Failed);
        }
        self.sent(cost);
        Ok(())
    }

    /// Whether `cost` more fits the peer's outgoing queue within the host's
    /// `max_queued_outgoing`. ENet keeps what it sends a peer until the peer acknowledges it, so a
    /// peer that acknowledges late but never times out made the queue grow without end. An upper
    /// bound is kept per peer (raised by each send) and the queue is counted only when the bound
    /// reaches the limit, and at most once between two services: a send costs no walk while there
    /// is room, and at most one walk per service when there is none.
    fn room_to_send(&mut self, cost: usize) -> bool {
        let limit = self.host.max_queued_outgoing;
        let epoch = self.host.epoch;
        let slot = &self.host.slots[self.slot];
        if slot.outgoing_estimate.saturating_add(cost) <= limit {
            return true;
        }
        if slot.outgoing_full == Some(epoch) {
            return false;
        }
        let queued = self.queued_outgoing(limit);
        let slot = &mut self.host.slots[self.slot];
        slot.outgoing_estimate = queued;
        let room = queued.saturating_add(cost) <= limit;
        slot.outgoing_full = (!room).then_some(epoch);
        room
    }

    fn sent(&mut self, cost: usize) {
        let slot = &mut self.host.slots[self.slot];
        slot.outgoing_estimate = slot.outgoing_estimate.saturating_add(cost);
    }

    /// What is queued toward the peer and not yet acknowledged (or, unreliable, not yet sent):
    /// the bytes of every outgoing command plus its overhead, counting no further than just past
    /// `limit`.
    pub(crate) fn queued_outgoing(&self, limit: usize) -> usize {
        let peer = self.raw.as_ptr();
        let mut total = 0;
        // SAFETY: live peer of an exclusively held host, not inside ENet: its lists are consistent
        // lists of ENetOutgoingCommand (the list node is their first field), unchanged meanwhile.
        unsafe {
            let lists = [
                std::ptr::addr_of_mut!((*peer).sentReliableCommands),
                std::ptr::addr_of_mut!((*peer).outgoingSendReliableCommands),
                std::ptr::addr_of_mut!((*peer).outgoingCommands),
            ];
            for node in lists.into_iter().flat_map(|list| list_nodes(list)) {
                if total > limit {
                    break;
                }
                let command = node.cast::<sys::ENetOutgoingCommand>();
                total += usize::from((*command).fragmentLength) + OUTGOING_COMMAND_OVERHEAD;
            }
        }
        total
    }

    pub(crate) fn state(&self) -> sys::ENetPeerState {
        self.fields().state
    }

    pub(crate) fn channel_count(&self) -> usize {
        self.fields().channelCount
    }

    pub(crate) fn address(&self) -> SocketAddr {
        address::from_enet(&self.fields().address)
    }

    /// Reads one `ENetPeer` field chosen by the caller.
    pub(crate) fn read<T>(&self, pick: impl FnOnce(&sys::ENetPeer) -> T) -> T {
        pick(self.fields())
    }

    /// The oldest received packet, if any, without taking it.
    pub(crate) fn front_packet(&self) -> Option<&Packet> {
        self.host.slots[self.slot].queue.front()
    }

    /// Takes the oldest received packet; it stops counting against `maximumWaitingData`.
    pub(crate) fn take_packet(&mut self) -> Option<Packet> {
        let packet = self.take_packet_held()?;
        self.release(held_cost(&packet));
        Some(packet)
    }

    /// Takes the oldest received packet, which keeps counting against `maximumWaitingData` until
    /// [`release`](Self::release)d: for a `MultiplayerPeer` that moves it into its own FIFO.
    pub(crate) fn take_packet_held(&mut self) -> Option<Packet> {
        self.host.slots[self.slot].queue.pop_front()
    }

    /// Stops counting `cost` (a taken packet's [`held_cost`]) against `maximumWaitingData`.
    pub(crate) fn release(&mut self, cost: usize) {
        let slot = &mut self.host.slots[self.slot];
        slot.held = slot.held.saturating_sub(cost);
        // SAFETY: validated live peer of a host we hold exclusively (not inside ENet). ENet
        // zeroes the count when it resets the peer, which also detaches its slot, so a live
        // peer's count includes `cost`; saturating anyway.
        unsafe {
            let peer = self.raw.as_ptr();
            (*peer).totalWaitingData = (*peer).totalWaitingData.saturating_sub(cost);
        }
    }
}

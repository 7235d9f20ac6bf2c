//! Fuzz target: sequences of safe API calls.
//!
//! Each input decodes (with `arbitrary`) into up to 64 operations on three `Connection` slots and
//! up to 16 stored `PacketPeer` handles: create and destroy hosts (valid and invalid arguments),
//! connect between the slots, service, send with arbitrary channels, flags and bytes, broadcast,
//! the three disconnects, reset, reading packets and statistics, the `set_*` limits, compression
//! and checksums, intercepts (passing, dropping, panicking, or calling back into their own
//! connection), raw `socket_send`, and dropping handles and whole connections.
//!
//! Invariants (a violation panics, which libFuzzer reports as a crash):
//! - no crash, no undefined behaviour (the build has debug assertions: Rust's UB precondition
//!   checks are on), no panic escaping any call;
//! - every error is one the method documents;
//! - a handle, once detached (`Unconfigured`, or `is_active` false), stays detached forever,
//!   whatever happens to its connection afterwards (generational handles);
//! - calls from inside a connection's own intercept return `Busy`.
//!
//! Everything stays on loopback: hosts bind 127.0.0.1 or ::1 (or an unbound client socket) on
//! port 0, datagrams only go to the slots' own ports, and no name needs DNS.
#![no_main]

use enet::{
    CompressionMode, Connection, Error, Event, HostStatistic, Packet, PacketPeer, PeerStatistic,
    Verdict,
};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, Mutex};

const SLOTS: usize = 3;
const HANDLES: usize = 16;
const MAX_OPS: usize = 64;
const MAX_BYTES: usize = 5000;

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Bind {
    Loopback,
    Ipv6,
    Name,
    Empty,
    Garbage,
}

impl Bind {
    fn address(self) -> &'static str {
        match self {
            Bind::Loopback => "127.0.0.1",
            Bind::Ipv6 => "::1",
            Bind::Name => "localhost",
            Bind::Empty => "",
            Bind::Garbage => "256.1.2.3",
        }
    }
}

/// A port argument: 0 (any), or one out of range. Never a fixed real port.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum BindPort {
    Any,
    Negative,
    TooLarge,
}

impl BindPort {
    fn value(self) -> i32 {
        match self {
            BindPort::Any => 0,
            BindPort::Negative => -1,
            BindPort::TooLarge => 65536,
        }
    }
}

/// Where a connect or raw send goes: another slot's port, or an invalid port.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Target {
    Slot(u8),
    Zero,
    Negative,
    TooLarge,
}

/// A remote address: literals and `localhost` only (from /etc/hosts). Names that need DNS are
/// left out: a fuzzer must not send queries to the machine's resolver.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Remote {
    Loopback,
    Localhost,
    Ipv6,
}

impl Remote {
    fn address(self) -> &'static str {
        match self {
            Remote::Loopback => "127.0.0.1",
            Remote::Localhost => "localhost",
            Remote::Ipv6 => "::1",
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum InterceptKind {
    None,
    Pass,
    Drop,
    Panic,
    /// Calls back into its own connection through a stored handle: must get `Busy`.
    Reenter(u8),
}

#[derive(Arbitrary, Debug)]
enum Op {
    New(u8),
    CreateBound {
        slot: u8,
        bind: Bind,
        port: BindPort,
        peers: i16,
        channels: i16,
        in_bw: i32,
        out_bw: i32,
    },
    Create {
        slot: u8,
        peers: i16,
        channels: i16,
        in_bw: i32,
        out_bw: i32,
    },
    Destroy(u8),
    Connect {
        slot: u8,
        remote: Remote,
        target: Target,
        channels: i16,
        data: u32,
    },
    Service {
        slot: u8,
        timeout: u8,
    },
    CheckEvents(u8),
    Flush(u8),
    Broadcast {
        slot: u8,
        channel: i16,
        len: u16,
        flags: i32,
    },
    BandwidthLimit(u8, u32, u32),
    ChannelLimit(u8, u32),
    RefuseNewConnections(u8, bool),
    PopStatistic(u8, u8),
    Getters(u8),
    GetPeers(u8),
    SocketSend {
        slot: u8,
        target: Target,
        remote: Remote,
        bytes: Vec<u8>,
    },
    Intercept(u8, InterceptKind),
    Hardening(u8, bool),
    Checksum(u8, bool),
    Compress(u8, u8),
    MaxPacketSize(u8, u32),
    MaxWaitingData(u8, u32),
    DuplicatePeers(u8, u16),
    Mtu(u8, u32),
    Send {
        handle: u8,
        channel: i16,
        len: u16,
        flags: i32,
        zero_copy: bool,
    },
    PutPacket(u8, u16),
    Disconnect(u8, u32),
    DisconnectLater(u8, u32),
    DisconnectNow(u8, u32),
    Reset(u8),
    Ping(u8),
    PingInterval(u8, u32),
    SetTimeout(u8, u32, u32, u32),
    Throttle(u8, u32, u32, u32),
    GetPacket(u8),
    PeerGetters(u8, u8),
    DropHandle(u8),
    /// Services every slot a few times, so connections progress.
    Pump(u8),
    /// Shortcut to the deep states: gives `server` a loopback host and `client` a client host if
    /// they lack one, connects, and services both until connected (bounded).
    Establish {
        server: u8,
        client: u8,
        channels: u8,
    },
}

/// A stored handle and whether it was seen detached (which must then hold forever).
struct Handle {
    peer: PacketPeer,
    dead: bool,
}

struct World {
    slots: Vec<Connection>,
    handles: Vec<Handle>,
}

/// Asserts `result` is `Ok` or one of `allowed` errors.
#[track_caller]
fn expect<T: std::fmt::Debug>(what: &str, result: &Result<T, Error>, allowed: &[Error]) {
    if let Err(e) = result {
        assert!(
            allowed.contains(e),
            "{what}: undocumented error {e:?} (allowed: {allowed:?})"
        );
    }
}

use Error::{
    AlreadyInUse, Busy, CantCreate, CantResolve, Failed, InvalidParameter, OutOfMemory,
    Unavailable, Unconfigured,
};

fn bytes(len: u16, seed: u8) -> Vec<u8> {
    (0..usize::from(len) % (MAX_BYTES + 1))
        .map(|i| (i as u8).wrapping_mul(31) ^ seed)
        .collect()
}

impl World {
    fn new() -> World {
        World {
            slots: (0..SLOTS).map(|_| Connection::new()).collect(),
            handles: Vec::new(),
        }
    }

    fn slot(&self, i: u8) -> &Connection {
        &self.slots[usize::from(i) % SLOTS]
    }

    fn port_of(&self, target: Target) -> i32 {
        match target {
            Target::Slot(i) => self.slot(i).get_local_port().map_or(0, i32::from),
            Target::Zero => 0,
            Target::Negative => -7,
            Target::TooLarge => 70_000,
        }
    }

    fn keep(&mut self, peer: PacketPeer) {
        let dead = !peer.is_active();
        if self.handles.len() == HANDLES {
            self.handles.remove(0);
        }
        self.handles.push(Handle { peer, dead });
    }

    /// The handle `i` (if any), checking the "detached forever" invariant around `f`.
    fn with_handle(&mut self, i: u8, f: impl FnOnce(&PacketPeer) -> Option<Error>) {
        if self.handles.is_empty() {
            return;
        }
        let n = self.handles.len();
        let handle = &mut self.handles[usize::from(i) % n];
        let active_before = handle.peer.is_active();
        assert!(
            !(handle.dead && active_before),
            "a detached handle came back to life: {:?}",
            handle.peer
        );
        let error = f(&handle.peer);
        if error == Some(Unconfigured) || !handle.peer.is_active() {
            handle.dead = true;
        }
    }

    fn record(&mut self, event: Event) {
        match event {
            Event::None => {}
            Event::Connect { peer, .. } | Event::Receive { peer, .. } => self.keep(peer),
            Event::Disconnect { peer, .. } => {
                assert!(
                    !peer.is_active(),
                    "a Disconnect event's peer is still active"
                );
                self.keep(peer);
            }
        }
    }

    fn service(&mut self, slot: u8, timeout: u32) {
        let result = self.slot(slot).service(timeout);
        expect("service", &result, &[Unconfigured]);
        if let Ok(event) = result {
            self.record(event);
        }
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::New(slot) => self.slots[usize::from(slot) % SLOTS] = Connection::new(),
            Op::CreateBound {
                slot,
                bind,
                port,
                peers,
                channels,
                in_bw,
                out_bw,
            } => {
                let result = self.slot(slot).create_host_bound(
                    bind.address(),
                    port.value(),
                    i32::from(peers),
                    i32::from(channels),
                    in_bw,
                    out_bw,
                );
                expect(
                    "create_host_bound",
                    &result,
                    &[InvalidParameter, AlreadyInUse, CantCreate],
                );
            }
            Op::Create {
                slot,
                peers,
                channels,
                in_bw,
                out_bw,
            } => {
                let result = self.slot(slot).create_host(
                    i32::from(peers),
                    i32::from(channels),
                    in_bw,
                    out_bw,
                );
                expect(
                    "create_host",
                    &result,
                    &[InvalidParameter, AlreadyInUse, CantCreate],
                );
            }
            Op::Destroy(slot) => {
                expect("destroy", &self.slot(slot).destroy(), &[Unconfigured]);
            }
            Op::Connect {
                slot,
                remote,
                target,
                channels,
                data,
            } => {
                let port = self.port_of(target);
                let result = self.slot(slot).connect_to_host(
                    remote.address(),
                    port,
                    i32::from(channels),
                    data,
                );
                expect(
                    "connect_to_host",
                    &result,
                    &[
                        Unconfigured,
                        AlreadyInUse,
                        InvalidParameter,
                        CantResolve,
                        CantCreate,
                    ],
                );
                if let Ok(peer) = result {
                    self.keep(peer);
                }
            }
            Op::Service { slot, timeout } => self.service(slot, u32::from(timeout % 3)),
            Op::CheckEvents(slot) => {
                let result = self.slot(slot).check_events();
                expect("check_events", &result, &[Unconfigured]);
                if let Ok(event) = result {
                    self.record(event);
                }
            }
            Op::Flush(slot) => expect("flush", &self.slot(slot).flush(), &[Unconfigured]),
            Op::Broadcast {
                slot,
                channel,
                len,
                flags,
            } => {
                let result = self
                    .slot(slot)
                    .broadcast(i32::from(channel), &bytes(len, 1), flags);
                expect(
                    "broadcast",
                    &result,
                    &[Unconfigured, InvalidParameter, OutOfMemory],
                );
            }
            Op::BandwidthLimit(slot, i, o) => {
                expect(
                    "bandwidth_limit",
                    &self.slot(slot).bandwidth_limit(i, o),
                    &[Unconfigured],
                );
            }
            Op::ChannelLimit(slot, limit) => {
                expect(
                    "channel_limit",
                    &self.slot(slot).channel_limit(limit),
                    &[Unconfigured],
                );
            }
            Op::RefuseNewConnections(slot, refuse) => {
                expect(
                    "refuse_new_connections",
                    &self.slot(slot).refuse_new_connections(refuse),
                    &[Unconfigured],
                );
            }
            Op::PopStatistic(slot, which) => {
                let statistic = [
                    HostStatistic::TotalSentData,
                    HostStatistic::TotalSentPackets,
                    HostStatistic::TotalReceivedData,
                    HostStatistic::TotalReceivedPackets,
                ][usize::from(which) % 4];
                expect(
                    "pop_statistic",
                    &self.slot(slot).pop_statistic(statistic),
                    &[Unconfigured],
                );
            }
            Op::Getters(slot) => {
                let c = self.slot(slot);
                expect("get_max_channels", &c.get_max_channels(), &[Unconfigured]);
                expect("get_max_peers", &c.get_max_peers(), &[Unconfigured]);
                // An unbound client host has no local address until it sends.
                expect(
                    "get_local_port",
                    &c.get_local_port(),
                    &[Unconfigured, Failed],
                );
                expect(
                    "get_local_address",
                    &c.get_local_address(),
                    &[Unconfigured, Failed],
                );
                expect(
                    "get_max_packet_size",
                    &c.get_max_packet_size(),
                    &[Unconfigured],
                );
                expect(
                    "get_max_waiting_data",
                    &c.get_max_waiting_data(),
                    &[Unconfigured],
                );
                expect(
                    "get_duplicate_peers",
                    &c.get_duplicate_peers(),
                    &[Unconfigured],
                );
                expect("get_mtu", &c.get_mtu(), &[Unconfigured]);
                expect(
                    "is_checksum_enabled",
                    &c.is_checksum_enabled(),
                    &[Unconfigured],
                );
                expect("dtls_server_setup", &c.dtls_server_setup(), &[Unavailable]);
                let _ = format!("{c:?}");
            }
            Op::GetPeers(slot) => {
                let result = self.slot(slot).get_peers();
                expect("get_peers", &result, &[Unconfigured]);
                for peer in result.unwrap_or_default() {
                    assert!(peer.is_active(), "get_peers listed a detached handle");
                    self.keep(peer);
                }
            }
            Op::SocketSend {
                slot,
                target,
                remote,
                bytes,
            } => {
                let port = self.port_of(target);
                let mut bytes = bytes;
                bytes.truncate(MAX_BYTES);
                let result = self.slot(slot).socket_send(remote.address(), port, &bytes);
                expect(
                    "socket_send",
                    &result,
                    &[Unconfigured, InvalidParameter, CantResolve, Failed],
                );
            }
            Op::Intercept(slot, kind) => {
                let intercept: Option<Box<enet::InterceptFn>> = match kind {
                    InterceptKind::None => None,
                    InterceptKind::Pass => Some(Box::new(|_, _| Verdict::Pass)),
                    InterceptKind::Drop => Some(Box::new(|_, _| Verdict::Drop)),
                    InterceptKind::Panic => Some(Box::new(|_, _| panic!("{DELIBERATE}"))),
                    InterceptKind::Reenter(h) => {
                        // A handle of this same connection, if one is stored.
                        let own = self.slot(slot).get_peers().ok().and_then(|peers| {
                            let n = peers.len();
                            (n > 0).then(|| peers[usize::from(h) % n].clone())
                        });
                        let Some(own) = own else { return };
                        let seen = Arc::new(Mutex::new(()));
                        Some(Box::new(move |_, _| {
                            let _guard = seen.lock();
                            let result = own.send(0, b"re-entrant", 1);
                            assert_eq!(result, Err(Busy), "re-entrant send from the intercept");
                            assert_eq!(own.ping(), Err(Busy), "re-entrant ping");
                            Verdict::Pass
                        }))
                    }
                };
                expect(
                    "set_intercept",
                    &self.slot(slot).set_intercept(intercept),
                    &[Unconfigured],
                );
            }
            Op::Hardening(slot, on) => {
                expect(
                    "set_hardening_enabled",
                    &self.slot(slot).set_hardening_enabled(on),
                    &[Unconfigured],
                );
            }
            Op::Checksum(slot, on) => {
                expect(
                    "set_checksum_enabled",
                    &self.slot(slot).set_checksum_enabled(on),
                    &[Unconfigured],
                );
            }
            Op::Compress(slot, mode) => {
                let mode = [
                    CompressionMode::None,
                    CompressionMode::RangeCoder,
                    CompressionMode::Fastlz,
                    CompressionMode::Zlib,
                    CompressionMode::Zstd,
                ][usize::from(mode) % 5];
                expect("compress", &self.slot(slot).compress(mode), &[Unconfigured]);
            }
            Op::MaxPacketSize(slot, bytes) => {
                expect(
                    "set_max_packet_size",
                    &self.slot(slot).set_max_packet_size(bytes as usize),
                    &[Unconfigured],
                );
            }
            Op::MaxWaitingData(slot, bytes) => {
                expect(
                    "set_max_waiting_data",
                    &self.slot(slot).set_max_waiting_data(bytes as usize),
                    &[Unconfigured],
                );
            }
            Op::DuplicatePeers(slot, limit) => {
                expect(
                    "set_duplicate_peers",
                    &self.slot(slot).set_duplicate_peers(usize::from(limit)),
                    &[Unconfigured],
                );
            }
            Op::Mtu(slot, mtu) => {
                expect(
                    "set_mtu",
                    &self.slot(slot).set_mtu(mtu),
                    &[Unconfigured, InvalidParameter],
                );
            }
            Op::Send {
                handle,
                channel,
                len,
                flags,
                zero_copy,
            } => self.with_handle(handle, |peer| {
                let data = bytes(len, 2);
                let result = if zero_copy {
                    match Packet::from_vec(data, flags) {
                        Ok(packet) => peer.send_packet(i32::from(channel), packet),
                        Err(e) => {
                            assert_eq!(e, InvalidParameter, "Packet::from_vec");
                            return None;
                        }
                    }
                } else {
                    peer.send(i32::from(channel), &data, flags)
                };
                expect(
                    "send",
                    &result,
                    &[Unconfigured, InvalidParameter, Failed, OutOfMemory],
                );
                result.err()
            }),
            Op::PutPacket(handle, len) => self.with_handle(handle, |peer| {
                let result = peer.put_packet(&bytes(len, 3));
                expect("put_packet", &result, &[Unconfigured, Failed, OutOfMemory]);
                result.err()
            }),
            Op::Disconnect(handle, data) => self.with_handle(handle, |peer| {
                let result = peer.peer_disconnect(data);
                expect("peer_disconnect", &result, &[Unconfigured]);
                result.err()
            }),
            Op::DisconnectLater(handle, data) => self.with_handle(handle, |peer| {
                let result = peer.peer_disconnect_later(data);
                expect("peer_disconnect_later", &result, &[Unconfigured]);
                result.err()
            }),
            Op::DisconnectNow(handle, data) => self.with_handle(handle, |peer| {
                let result = peer.peer_disconnect_now(data);
                expect("peer_disconnect_now", &result, &[Unconfigured]);
                if result.is_ok() {
                    assert!(
                        !peer.is_active(),
                        "disconnect_now leaves the handle attached"
                    );
                }
                result.err()
            }),
            Op::Reset(handle) => self.with_handle(handle, |peer| {
                let result = peer.reset();
                expect("reset", &result, &[Unconfigured]);
                if result.is_ok() {
                    assert!(!peer.is_active(), "reset leaves the handle attached");
                }
                result.err()
            }),
            Op::Ping(handle) => self.with_handle(handle, |peer| {
                let result = peer.ping();
                expect("ping", &result, &[Unconfigured]);
                result.err()
            }),
            Op::PingInterval(handle, ms) => self.with_handle(handle, |peer| {
                let result = peer.ping_interval(ms);
                expect("ping_interval", &result, &[Unconfigured]);
                result.err()
            }),
            Op::SetTimeout(handle, t, min, max) => self.with_handle(handle, |peer| {
                let result = peer.set_timeout(t, min, max);
                expect("set_timeout", &result, &[Unconfigured, InvalidParameter]);
                result.err()
            }),
            Op::Throttle(handle, i, a, d) => self.with_handle(handle, |peer| {
                let result = peer.throttle_configure(i, a, d);
                expect("throttle_configure", &result, &[Unconfigured]);
                result.err()
            }),
            Op::GetPacket(handle) => self.with_handle(handle, |peer| {
                let count = peer.get_available_packet_count();
                let flags = peer.get_packet_flags();
                expect("get_packet_flags", &flags, &[Unconfigured, Unavailable]);
                let result = peer.get_packet();
                expect("get_packet", &result, &[Unconfigured, Unavailable]);
                match &result {
                    Ok(packet) => {
                        assert!(count > 0, "a packet from an empty queue");
                        assert_eq!(Ok(packet.flags()), flags, "flags of the packet taken");
                        let _ = packet.iter().fold(0u8, |a, b| a ^ b);
                    }
                    Err(Unavailable) => assert_eq!(count, 0, "Unavailable with {count} queued"),
                    Err(_) => {}
                }
                result.err()
            }),
            Op::PeerGetters(handle, which) => self.with_handle(handle, |peer| {
                let statistic = [
                    PeerStatistic::PacketLoss,
                    PeerStatistic::PacketLossVariance,
                    PeerStatistic::PacketLossEpoch,
                    PeerStatistic::RoundTripTime,
                    PeerStatistic::RoundTripTimeVariance,
                    PeerStatistic::LastRoundTripTime,
                    PeerStatistic::LastRoundTripTimeVariance,
                    PeerStatistic::PacketThrottle,
                    PeerStatistic::PacketThrottleLimit,
                    PeerStatistic::PacketThrottleCounter,
                    PeerStatistic::PacketThrottleEpoch,
                    PeerStatistic::PacketThrottleAcceleration,
                    PeerStatistic::PacketThrottleDeceleration,
                    PeerStatistic::PacketThrottleInterval,
                ][usize::from(which) % 14];
                let result = peer.get_statistic(statistic);
                expect("get_statistic", &result, &[Unconfigured]);
                expect("get_traffic", &peer.get_traffic(), &[Unconfigured]);
                expect("get_channels", &peer.get_channels(), &[Unconfigured]);
                expect(
                    "get_remote_address",
                    &peer.get_remote_address(),
                    &[Unconfigured],
                );
                expect("get_remote_port", &peer.get_remote_port(), &[Unconfigured]);
                let _ = (peer.get_state(), format!("{peer:?}"));
                result.err()
            }),
            Op::DropHandle(handle) => {
                if !self.handles.is_empty() {
                    let n = self.handles.len();
                    self.handles.remove(usize::from(handle) % n);
                }
            }
            Op::Establish {
                server,
                client,
                channels,
            } => {
                let (s, c) = (usize::from(server) % SLOTS, usize::from(client) % SLOTS);
                if s == c {
                    return;
                }
                let _ = self.slots[s].create_host_bound("127.0.0.1", 0, 8, 0, 0, 0);
                let _ = self.slots[c].create_host(1, 0, 0, 0);
                let port = self.slots[s].get_local_port().map_or(0, i32::from);
                let channels = i32::from(channels % 8);
                let Ok(peer) = self.slots[c].connect_to_host("127.0.0.1", port, channels, 7) else {
                    return;
                };
                self.keep(peer.clone());
                for _ in 0..64 {
                    if peer.get_state() == enet::PeerState::Connected {
                        break;
                    }
                    self.service(server, 0);
                    self.service(client, 0);
                }
            }
            Op::Pump(rounds) => {
                for _ in 0..rounds % 8 {
                    for slot in 0..SLOTS as u8 {
                        self.service(slot, 0);
                    }
                }
            }
        }
    }
}

/// The message of the intercept's deliberate panics, which the wrapper must catch.
const DELIBERATE: &str = "deliberate panic in an intercept";

/// libFuzzer's panic hook aborts on every panic, even one that is caught; let the deliberate
/// ones through to the wrapper's `catch_unwind` and keep aborting on every other.
fn let_deliberate_panics_unwind() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied());
            if message != Some(DELIBERATE) {
                previous(info);
            }
        }));
    });
}

fuzz_target!(|ops: Vec<Op>| {
    let_deliberate_panics_unwind();
    let mut world = World::new();
    for op in ops.into_iter().take(MAX_OPS) {
        world.apply(op);
    }
    // Dropping the world destroys the hosts with handles, packets and intercepts still around.
});

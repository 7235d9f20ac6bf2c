//! Fuzz target: sequences of safe API calls, also nested inside the crate's own calls.
//!
//! Each input decodes (with `arbitrary`) into up to 64 operations on three `Connection` slots and
//! up to 16 stored `PacketPeer` handles (addressed newest first): create and destroy hosts (valid
//! and invalid arguments), connect between the slots, service, drain, send with arbitrary
//! channels, flags and bytes, broadcast, the three disconnects, reset, reading packets and
//! statistics, the `set_*` limits, compression and checksums, intercepts, raw `socket_send`, and
//! dropping handles and whole connections.
//!
//! The same operations also run **nested**, where the crate runs user code (module `nesting`): a
//! *script*, a slice of up to 8 of the input's own operations chosen by the operation that
//! installs it, runs in an intercept (on every datagram), in a drain handler (on every event), and
//! in the `Drop` of a value handed to the crate (a value an intercept closure owns, dropped when
//! the closure is replaced, refused or destroyed or its connection dropped; the payload of an
//! intercept's panic, whose `Drop` may then panic too). A drain handler may also panic. A nested
//! operation reaches any slot or handle, including the connections serviced or drained further up
//! the stack, and may nest further: at most 3 scripts deep, 128 nested operations per input.
//!
//! Invariants (a violation panics, which libFuzzer reports as a crash):
//! - no crash, no undefined behaviour (the build has debug assertions: Rust's UB precondition
//!   checks are on), no hang, no panic leaving a call except the deliberate ones the crate lets
//!   through (a panic payload's `Drop`, a drain handler);
//! - every result follows the re-entrancy rule, checked against a model of which connections
//!   this thread is inside (`nesting`): a call on a connection ENet is servicing further up the
//!   stack (from inside its intercept, at any depth) returns `Busy`, and so does `drain` of a
//!   connection serviced or drained up the stack; every other call (top level, other connections,
//!   the connection whose drain handler is running) returns `Ok` or an error the method
//!   documents, never `Busy` (one thread: no wait can deadlock). The only check that comes first
//!   is `create_host_bound`'s of its arguments (Godot's order): invalid ones are
//!   `InvalidParameter` whatever the nesting. Handles of a busy connection read as detached
//!   (`is_active` false, no packets, `Disconnected`); `drain` returns how many events its handler
//!   saw;
//! - a handle, once detached (`Unconfigured`, or `is_active` false while its connection is not
//!   busy), stays detached forever, whatever happens to its connection afterwards (generational
//!   handles);
//! - every value handed to the crate (intercept closures and what they own, panic payloads) is
//!   dropped exactly once by the end of the input, when all its connections are dropped.
//!
//! The harness's own bookkeeping (`Arc<Mutex<Store>>`) is never locked while calling into the
//! crate or dropping anything that can run user code, so no nested call deadlocks on it, and
//! intercepts and `Drop`s hold it only weakly, so nothing outlives the input.
//!
//! Everything stays on loopback and on the fuzzing thread: hosts bind 127.0.0.1 or ::1 (or an
//! unbound client socket) on port 0, datagrams only go to the slots' own ports, and no name needs
//! DNS.
#![no_main]

#[path = "api_sequences/nesting.rs"]
mod nesting;

use enet::{
    CompressionMode, Connection, Error, Event, HostStatistic, Packet, PacketPeer, PeerStatistic,
    Verdict,
};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use nesting::{check, Access};
use std::collections::HashSet;
use std::fmt::Debug;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

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
    /// Runs the script `on_datagram` on every datagram, owns a value whose `Drop` runs the script
    /// `on_drop`, and ends as `end` says (see `nesting`).
    Nested {
        on_datagram: Option<Script>,
        on_drop: Option<Script>,
        end: End,
    },
}

/// How a nested intercept ends, after its script.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum End {
    Pass,
    Drop,
    Panic,
    /// Panics with a payload whose `Drop` runs the script `on_drop`, then panics too if
    /// `drop_panics`.
    PanicWith {
        on_drop: Script,
        drop_panics: bool,
    },
}

/// A script: the input's operations `start..` (modulo their number), at most `len % 8 + 1` of
/// them (see `nesting`).
#[derive(Arbitrary, Debug, Clone, Copy)]
struct Script {
    start: u8,
    len: u8,
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
    /// `drain`, whose handler records the event, runs the script `script` (if any) and then
    /// panics if `panic`.
    Drain {
        slot: u8,
        timeout: u8,
        script: Option<Script>,
        panic: bool,
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

/// A connection slot: the connection, shared so that no call holds the store's lock, and its
/// identity in the model (new for every `Connection` the harness makes).
#[derive(Clone)]
struct Slot {
    id: u64,
    conn: Arc<Connection>,
}

/// A stored handle and the identity of the connection it came from.
#[derive(Clone)]
struct Handle {
    peer: PacketPeer,
    conn: u64,
}

/// The harness's bookkeeping. Locked only briefly, never while calling into the crate or dropping
/// a connection (whose intercept's `Drop` may run a script that locks it again).
struct Store {
    slots: Vec<Slot>,
    handles: Vec<Handle>,
    /// Handles seen detached: they must stay detached.
    detached: HashSet<PacketPeer>,
    next_id: u64,
}

impl Store {
    fn fresh_slot(&mut self) -> Slot {
        self.next_id += 1;
        Slot {
            id: self.next_id,
            conn: Arc::new(Connection::new()),
        }
    }
}

/// One input's world: the store and the input's operations (which scripts are slices of).
#[derive(Clone)]
struct World {
    store: Arc<Mutex<Store>>,
    ops: Arc<[Op]>,
}

/// What intercepts and `Drop`s keep of the world: the world owns the connections, which own
/// them, so they must not keep it alive.
#[derive(Clone)]
struct WeakWorld {
    store: Weak<Mutex<Store>>,
    ops: Arc<[Op]>,
}

impl WeakWorld {
    fn upgrade(&self) -> Option<World> {
        Some(World {
            store: self.store.upgrade()?,
            ops: self.ops.clone(),
        })
    }
}

/// Asserts `result` is `Ok` or one of `allowed` errors.
#[track_caller]
fn expect<T: Debug>(what: &str, result: &Result<T, Error>, allowed: &[Error]) {
    if let Err(e) = result {
        assert!(
            allowed.contains(e),
            "{what}: undocumented error {e:?} (allowed: {allowed:?})"
        );
    }
}

use Error::{
    AlreadyInUse, CantCreate, CantResolve, Failed, InvalidParameter, OutOfMemory, Unavailable,
    Unconfigured,
};

const CREATE_ERRORS: &[Error] = &[InvalidParameter, AlreadyInUse, CantCreate];
const CONNECT_ERRORS: &[Error] = &[
    Unconfigured,
    AlreadyInUse,
    InvalidParameter,
    CantResolve,
    CantCreate,
];

fn bytes(len: u16, seed: u8) -> Vec<u8> {
    (0..usize::from(len) % (MAX_BYTES + 1))
        .map(|i| (i as u8).wrapping_mul(31) ^ seed)
        .collect()
}

impl World {
    fn new(mut ops: Vec<Op>) -> World {
        let mut store = Store {
            slots: Vec::new(),
            handles: Vec::new(),
            detached: HashSet::new(),
            next_id: 0,
        };
        store.slots = (0..SLOTS).map(|_| store.fresh_slot()).collect();
        ops.truncate(MAX_OPS);
        World {
            store: Arc::new(Mutex::new(store)),
            ops: ops.into(),
        }
    }

    fn downgrade(&self) -> WeakWorld {
        WeakWorld {
            store: Arc::downgrade(&self.store),
            ops: self.ops.clone(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn slot(&self, i: u8) -> Slot {
        self.lock().slots[usize::from(i) % SLOTS].clone()
    }

    /// The stored handle `i`, counting from the newest.
    fn handle(&self, i: u8) -> Option<Handle> {
        let store = self.lock();
        let n = store.handles.len();
        (n > 0).then(|| store.handles[n - 1 - usize::from(i) % n].clone())
    }

    /// Replaces slot `i` by a fresh connection; the old one is dropped (destroying its host,
    /// dropping its intercept) once the store is unlocked and no call up the stack uses it.
    fn renew(&self, i: usize) {
        let old = {
            let mut store = self.lock();
            let fresh = store.fresh_slot();
            std::mem::replace(&mut store.slots[i], fresh)
        };
        drop(old);
    }

    /// Calls `f` on slot `slot` and checks its result against the model.
    fn call<T: Debug>(
        &self,
        slot: u8,
        what: &str,
        allowed: &[Error],
        f: impl FnOnce(&Connection) -> Result<T, Error>,
    ) -> Option<T> {
        let Slot { id, conn } = self.slot(slot);
        let result = f(&conn);
        check(what, id, &result, allowed);
        result.ok()
    }

    /// Asserts a handle seen `active` was never seen detached.
    fn assert_not_revived(&self, peer: &PacketPeer, active: bool) {
        if active {
            assert!(
                !self.lock().detached.contains(peer),
                "a detached handle came back to life: {peer:?}"
            );
        }
    }

    fn mark_detached(&self, peer: &PacketPeer) {
        let mut store = self.lock();
        if !store.detached.contains(peer) {
            store.detached.insert(peer.clone());
        }
    }

    fn keep(&self, peer: PacketPeer, conn: u64) {
        let active = peer.is_active();
        self.assert_not_revived(&peer, active);
        if !active && nesting::access(conn) != Some(Access::Busy) {
            self.mark_detached(&peer);
        }
        let removed = {
            let mut store = self.lock();
            let removed = (store.handles.len() == HANDLES).then(|| store.handles.remove(0));
            store.handles.push(Handle { peer, conn });
            removed
        };
        drop(removed);
    }

    /// The handle `i` (if any), checking around `f` that a detached handle stays detached.
    fn with_handle(&self, i: u8, f: impl FnOnce(&PacketPeer, u64) -> Option<Error>) {
        let Some(Handle { peer, conn }) = self.handle(i) else {
            return;
        };
        let busy = nesting::access(conn) == Some(Access::Busy);
        let active = peer.is_active();
        assert!(
            !(busy && active),
            "is_active on a connection serviced up the stack"
        );
        self.assert_not_revived(&peer, active);
        let error = f(&peer, conn);
        if !busy && (error == Some(Unconfigured) || !peer.is_active()) {
            self.mark_detached(&peer);
        }
    }

    fn record(&self, event: Event, conn: u64) {
        match event {
            Event::None => {}
            Event::Connect { peer, .. } | Event::Receive { peer, .. } => self.keep(peer, conn),
            Event::Disconnect { peer, .. } => {
                assert!(
                    !peer.is_active(),
                    "a Disconnect event's peer is still active"
                );
                self.keep(peer, conn);
            }
        }
    }

    fn service(&self, slot: u8, timeout: u32) {
        let Slot { id, conn } = self.slot(slot);
        let Some(result) = nesting::catch_deliberate(|| conn.service(timeout)) else {
            return;
        };
        check("service", id, &result, &[Unconfigured]);
        if let Ok(event) = result {
            self.record(event, id);
        }
    }

    /// `drain`, with the model holding the connection while it runs (see `nesting`).
    fn drain(&self, slot: u8, timeout: u32, script: Option<Script>, panic: bool) {
        let Slot { id, conn } = self.slot(slot);
        let inside = nesting::access(id).is_some();
        let mut handled = 0;
        let result = {
            let _held = nesting::Frame::enter(id, Access::Held);
            nesting::catch_deliberate(|| {
                conn.drain(timeout, |event| {
                    assert!(!inside, "a nested drain of connection {id} ran its handler");
                    handled += 1;
                    self.record(event, id);
                    if let Some(script) = script {
                        nesting::run_script(self, script);
                    }
                    if panic {
                        panic!("{}", nesting::HANDLER_PANIC);
                    }
                })
            })
        };
        let Some(result) = result else { return };
        nesting::check_drain(id, &result);
        if let Ok(count) = result {
            assert_eq!(count, handled, "drain's count of the events it handled");
        }
    }

    fn port_of(&self, target: Target) -> i32 {
        match target {
            Target::Slot(i) => self
                .call(i, "get_local_port", &[Unconfigured, Failed], |c| {
                    c.get_local_port()
                })
                .map_or(0, i32::from),
            Target::Zero => 0,
            Target::Negative => -7,
            Target::TooLarge => 70_000,
        }
    }

    fn set_intercept(&self, slot: u8, kind: InterceptKind) {
        let Slot { id, conn } = self.slot(slot);
        let intercept: Option<Box<enet::InterceptFn>> = match kind {
            InterceptKind::None => None,
            InterceptKind::Pass => Some(Box::new(|_, _| Verdict::Pass)),
            InterceptKind::Drop => Some(Box::new(|_, _| Verdict::Drop)),
            InterceptKind::Panic => Some(Box::new(|_, _| panic!("{}", nesting::DELIBERATE))),
            InterceptKind::Reenter(h) => {
                // A handle of this same connection, if it has one.
                let peers = conn.get_peers();
                check("get_peers", id, &peers, &[Unconfigured]);
                let own = peers.ok().and_then(|peers| {
                    let n = peers.len();
                    (n > 0).then(|| peers[usize::from(h) % n].clone())
                });
                let Some(own) = own else { return };
                let seen = Arc::new(Mutex::new(()));
                Some(Box::new(move |_, _| {
                    let _guard = seen.lock();
                    let result = own.send(0, b"re-entrant", 1);
                    assert_eq!(
                        result,
                        Err(Error::Busy),
                        "re-entrant send from the intercept"
                    );
                    assert_eq!(own.ping(), Err(Error::Busy), "re-entrant ping");
                    Verdict::Pass
                }))
            }
            InterceptKind::Nested {
                on_datagram,
                on_drop,
                end,
            } => Some(nesting::intercept(self, id, on_datagram, on_drop, end)),
        };
        // The replaced closure, or this one if refused, is dropped inside: at this nesting.
        let result = conn.set_intercept(intercept);
        check("set_intercept", id, &result, &[Unconfigured]);
    }

    /// Applies `op` at nesting depth `D` (0: top level). One copy per depth, so that coverage
    /// tells the fuzzer which operations it has reached at which depth.
    fn apply<const D: usize>(&self, op: &Op) {
        debug_assert_eq!(nesting::depth(), D, "apply at the wrong depth");
        match *op {
            Op::New(slot) => self.renew(usize::from(slot) % SLOTS),
            Op::CreateBound {
                slot,
                bind,
                port,
                peers,
                channels,
                in_bw,
                out_bw,
            } => {
                let Slot { id, conn } = self.slot(slot);
                let result = conn.create_host_bound(
                    bind.address(),
                    port.value(),
                    i32::from(peers),
                    i32::from(channels),
                    in_bw,
                    out_bw,
                );
                if !matches!(bind, Bind::Loopback | Bind::Ipv6) || !matches!(port, BindPort::Any) {
                    // Godot's order: the bind address and port are checked first, before the
                    // connection's state is touched, so whatever the nesting.
                    assert_eq!(
                        result,
                        Err(InvalidParameter),
                        "create_host_bound's arguments"
                    );
                } else {
                    check("create_host_bound", id, &result, CREATE_ERRORS);
                }
            }
            Op::Create {
                slot,
                peers,
                channels,
                in_bw,
                out_bw,
            } => {
                self.call(slot, "create_host", CREATE_ERRORS, |c| {
                    c.create_host(i32::from(peers), i32::from(channels), in_bw, out_bw)
                });
            }
            Op::Destroy(slot) => {
                // The intercept is dropped inside, once the connection is released.
                self.call(slot, "destroy", &[Unconfigured], Connection::destroy);
            }
            Op::Connect {
                slot,
                remote,
                target,
                channels,
                data,
            } => {
                let port = self.port_of(target);
                let Slot { id, conn } = self.slot(slot);
                let result =
                    conn.connect_to_host(remote.address(), port, i32::from(channels), data);
                check("connect_to_host", id, &result, CONNECT_ERRORS);
                if let Ok(peer) = result {
                    self.keep(peer, id);
                }
            }
            Op::Service { slot, timeout } => self.service(slot, u32::from(timeout % 3)),
            Op::Drain {
                slot,
                timeout,
                script,
                panic,
            } => self.drain(slot, u32::from(timeout % 3), script, panic),
            Op::CheckEvents(slot) => {
                let Slot { id, conn } = self.slot(slot);
                let result = conn.check_events();
                check("check_events", id, &result, &[Unconfigured]);
                if let Ok(event) = result {
                    self.record(event, id);
                }
            }
            Op::Flush(slot) => {
                self.call(slot, "flush", &[Unconfigured], Connection::flush);
            }
            Op::Broadcast {
                slot,
                channel,
                len,
                flags,
            } => {
                let allowed = &[Unconfigured, InvalidParameter, OutOfMemory];
                self.call(slot, "broadcast", allowed, |c| {
                    c.broadcast(i32::from(channel), &bytes(len, 1), flags)
                });
            }
            Op::BandwidthLimit(slot, i, o) => {
                self.call(slot, "bandwidth_limit", &[Unconfigured], |c| {
                    c.bandwidth_limit(i, o)
                });
            }
            Op::ChannelLimit(slot, limit) => {
                self.call(slot, "channel_limit", &[Unconfigured], |c| {
                    c.channel_limit(limit)
                });
            }
            Op::RefuseNewConnections(slot, refuse) => {
                self.call(slot, "refuse_new_connections", &[Unconfigured], |c| {
                    c.refuse_new_connections(refuse)
                });
            }
            Op::PopStatistic(slot, which) => {
                let statistic = [
                    HostStatistic::TotalSentData,
                    HostStatistic::TotalSentPackets,
                    HostStatistic::TotalReceivedData,
                    HostStatistic::TotalReceivedPackets,
                ][usize::from(which) % 4];
                self.call(slot, "pop_statistic", &[Unconfigured], |c| {
                    c.pop_statistic(statistic)
                });
            }
            Op::Getters(slot) => {
                let Slot { id, conn: c } = self.slot(slot);
                let u = &[Unconfigured];
                check("get_max_channels", id, &c.get_max_channels(), u);
                check("get_max_peers", id, &c.get_max_peers(), u);
                // An unbound client host has no local address until it sends.
                let uf = &[Unconfigured, Failed];
                check("get_local_port", id, &c.get_local_port(), uf);
                check("get_local_address", id, &c.get_local_address(), uf);
                check("get_max_packet_size", id, &c.get_max_packet_size(), u);
                check("get_max_waiting_data", id, &c.get_max_waiting_data(), u);
                check("get_duplicate_peers", id, &c.get_duplicate_peers(), u);
                check("get_mtu", id, &c.get_mtu(), u);
                check("is_checksum_enabled", id, &c.is_checksum_enabled(), u);
                // Touches no state: the same whatever the nesting.
                assert_eq!(c.dtls_server_setup(), Err(Unavailable), "dtls_server_setup");
                let _ = format!("{c:?}");
            }
            Op::GetPeers(slot) => {
                let Slot { id, conn } = self.slot(slot);
                let result = conn.get_peers();
                check("get_peers", id, &result, &[Unconfigured]);
                for peer in result.unwrap_or_default() {
                    assert!(peer.is_active(), "get_peers listed a detached handle");
                    self.keep(peer, id);
                }
            }
            Op::SocketSend {
                slot,
                target,
                remote,
                ref bytes,
            } => {
                let port = self.port_of(target);
                let bytes = &bytes[..bytes.len().min(MAX_BYTES)];
                let allowed = &[Unconfigured, InvalidParameter, CantResolve, Failed];
                self.call(slot, "socket_send", allowed, |c| {
                    c.socket_send(remote.address(), port, bytes)
                });
            }
            Op::Intercept(slot, kind) => self.set_intercept(slot, kind),
            Op::Hardening(slot, on) => {
                self.call(slot, "set_hardening_enabled", &[Unconfigured], |c| {
                    c.set_hardening_enabled(on)
                });
            }
            Op::Checksum(slot, on) => {
                self.call(slot, "set_checksum_enabled", &[Unconfigured], |c| {
                    c.set_checksum_enabled(on)
                });
            }
            Op::Compress(slot, mode) => {
                let mode = [
                    CompressionMode::None,
                    CompressionMode::RangeCoder,
                    CompressionMode::Fastlz,
                    CompressionMode::Zlib,
                    CompressionMode::Zstd,
                ][usize::from(mode) % 5];
                self.call(slot, "compress", &[Unconfigured], |c| c.compress(mode));
            }
            Op::MaxPacketSize(slot, bytes) => {
                self.call(slot, "set_max_packet_size", &[Unconfigured], |c| {
                    c.set_max_packet_size(bytes as usize)
                });
            }
            Op::MaxWaitingData(slot, bytes) => {
                self.call(slot, "set_max_waiting_data", &[Unconfigured], |c| {
                    c.set_max_waiting_data(bytes as usize)
                });
            }
            Op::DuplicatePeers(slot, limit) => {
                self.call(slot, "set_duplicate_peers", &[Unconfigured], |c| {
                    c.set_duplicate_peers(usize::from(limit))
                });
            }
            Op::Mtu(slot, mtu) => {
                self.call(slot, "set_mtu", &[Unconfigured, InvalidParameter], |c| {
                    c.set_mtu(mtu)
                });
            }
            Op::Send {
                handle,
                channel,
                len,
                flags,
                zero_copy,
            } => self.with_handle(handle, |peer, conn| {
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
                let allowed = &[Unconfigured, InvalidParameter, Failed, OutOfMemory];
                check("send", conn, &result, allowed);
                result.err()
            }),
            Op::PutPacket(handle, len) => self.with_handle(handle, |peer, conn| {
                let result = peer.put_packet(&bytes(len, 3));
                check(
                    "put_packet",
                    conn,
                    &result,
                    &[Unconfigured, Failed, OutOfMemory],
                );
                result.err()
            }),
            Op::Disconnect(handle, data) => self.with_handle(handle, |peer, conn| {
                let result = peer.peer_disconnect(data);
                check("peer_disconnect", conn, &result, &[Unconfigured]);
                result.err()
            }),
            Op::DisconnectLater(handle, data) => self.with_handle(handle, |peer, conn| {
                let result = peer.peer_disconnect_later(data);
                check("peer_disconnect_later", conn, &result, &[Unconfigured]);
                result.err()
            }),
            Op::DisconnectNow(handle, data) => self.with_handle(handle, |peer, conn| {
                let result = peer.peer_disconnect_now(data);
                check("peer_disconnect_now", conn, &result, &[Unconfigured]);
                if result.is_ok() {
                    assert!(
                        !peer.is_active(),
                        "disconnect_now leaves the handle attached"
                    );
                }
                result.err()
            }),
            Op::Reset(handle) => self.with_handle(handle, |peer, conn| {
                let result = peer.reset();
                check("reset", conn, &result, &[Unconfigured]);
                if result.is_ok() {
                    assert!(!peer.is_active(), "reset leaves the handle attached");
                }
                result.err()
            }),
            Op::Ping(handle) => self.with_handle(handle, |peer, conn| {
                let result = peer.ping();
                check("ping", conn, &result, &[Unconfigured]);
                result.err()
            }),
            Op::PingInterval(handle, ms) => self.with_handle(handle, |peer, conn| {
                let result = peer.ping_interval(ms);
                check("ping_interval", conn, &result, &[Unconfigured]);
                result.err()
            }),
            Op::SetTimeout(handle, t, min, max) => self.with_handle(handle, |peer, conn| {
                let result = peer.set_timeout(t, min, max);
                check(
                    "set_timeout",
                    conn,
                    &result,
                    &[Unconfigured, InvalidParameter],
                );
                result.err()
            }),
            Op::Throttle(handle, i, a, d) => self.with_handle(handle, |peer, conn| {
                let result = peer.throttle_configure(i, a, d);
                check("throttle_configure", conn, &result, &[Unconfigured]);
                result.err()
            }),
            Op::GetPacket(handle) => self.with_handle(handle, |peer, conn| {
                let count = peer.get_available_packet_count();
                if nesting::access(conn) == Some(Access::Busy) {
                    assert_eq!(count, 0, "packets counted on a busy connection");
                }
                let flags = peer.get_packet_flags();
                check(
                    "get_packet_flags",
                    conn,
                    &flags,
                    &[Unconfigured, Unavailable],
                );
                let result = peer.get_packet();
                check("get_packet", conn, &result, &[Unconfigured, Unavailable]);
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
            Op::PeerGetters(handle, which) => self.with_handle(handle, |peer, conn| {
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
                let u = &[Unconfigured];
                let result = peer.get_statistic(statistic);
                check("get_statistic", conn, &result, u);
                check("get_traffic", conn, &peer.get_traffic(), u);
                check("get_channels", conn, &peer.get_channels(), u);
                check("get_remote_address", conn, &peer.get_remote_address(), u);
                check("get_remote_port", conn, &peer.get_remote_port(), u);
                let state = peer.get_state();
                if nesting::access(conn) == Some(Access::Busy) {
                    assert_eq!(state, enet::PeerState::Disconnected, "state while busy");
                }
                let _ = format!("{peer:?}");
                result.err()
            }),
            Op::DropHandle(handle) => {
                let removed = {
                    let mut store = self.lock();
                    let n = store.handles.len();
                    (n > 0).then(|| store.handles.remove(n - 1 - usize::from(handle) % n))
                };
                drop(removed);
            }
            Op::Establish {
                server,
                client,
                channels,
            } => {
                if usize::from(server) % SLOTS == usize::from(client) % SLOTS {
                    return;
                }
                self.call(server, "create_host_bound", CREATE_ERRORS, |c| {
                    c.create_host_bound("127.0.0.1", 0, 8, 0, 0, 0)
                });
                self.call(client, "create_host", CREATE_ERRORS, |c| {
                    c.create_host(1, 0, 0, 0)
                });
                let port = self.port_of(Target::Slot(server));
                let channels = i32::from(channels % 8);
                let Slot { id, conn } = self.slot(client);
                let result = conn.connect_to_host("127.0.0.1", port, channels, 7);
                check("connect_to_host", id, &result, CONNECT_ERRORS);
                let Ok(peer) = result else { return };
                self.keep(peer.clone(), id);
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

    /// Drops everything, with the `Drop`s of intercepts still able to run their scripts: each
    /// round drops the connections (their intercepts' `Drop`s may make new hosts and intercepts
    /// in the fresh slots), and the last drop of the store leaves nothing for a script to reach.
    fn teardown(self) {
        for _ in 0..=SLOTS {
            let old = {
                let mut store = self.lock();
                let fresh = (0..SLOTS).map(|_| store.fresh_slot()).collect();
                std::mem::replace(&mut store.slots, fresh)
            };
            drop(old);
        }
        let (handles, detached) = {
            let mut store = self.lock();
            (
                std::mem::take(&mut store.handles),
                std::mem::take(&mut store.detached),
            )
        };
        drop((handles, detached));
        drop(self);
    }
}

fuzz_target!(|ops: Vec<Op>| {
    nesting::setup();
    nesting::begin_input();
    let world = World::new(ops);
    for op in world.ops.clone().iter() {
        world.apply::<0>(op);
    }
    // Drops the hosts with handles, packets and intercepts still around.
    world.teardown();
    nesting::end_input();
});

//! The re-entrancy rule: from any nesting of intercept callbacks, `drain` handlers and `Drop`s of
//! values the connection owns, every safe call either works or returns `Error::Busy`; none frees
//! a host C is still using, drops a value twice, or deadlocks. Each scenario runs under a watchdog
//! that turns a hang into a failure.

mod common;

use common::DEADLINE;
use enet::{Connection, Error, PacketPeer, Verdict};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Barrier, Mutex, Weak};
use std::time::Instant;

const R: i32 = PacketPeer::FLAG_RELIABLE;

/// Runs `scenario` on its own thread; a scenario that does not finish within the deadline is a
/// deadlock and fails the test.
fn watchdog<T: Send + 'static>(scenario: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || done.send(scenario()));
    finished
        .recv_timeout(DEADLINE * 2)
        .expect("the scenario hung: a deadlock")
}

/// Runs a closure when dropped: a value owned by an intercept closure whose `Drop` calls back.
struct OnDrop<F: FnMut()>(F);

impl<F: FnMut()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        (self.0)()
    }
}

/// A slot for the result of a call made deep inside a nesting.
type Slot<T> = Arc<Mutex<Option<T>>>;

/// The result of a call that returns nothing on success.
type Outcome = Result<(), Error>;

fn slot<T>() -> Slot<T> {
    Arc::new(Mutex::new(None))
}

fn take<T>(slot: &Slot<T>) -> Option<T> {
    slot.lock().unwrap().take()
}

/// A connected pair whose connections are shared with closures: (server, client, client's
/// handle of the server).
fn pair() -> (Arc<Connection>, Arc<Connection>, PacketPeer) {
    let (server, client, _, to_server) = common::connected_pair(1);
    (Arc::new(server), Arc::new(client), to_server)
}

/// Puts one datagram in `to`'s socket: the next service of its connection reads it (and runs the
/// intercept on it).
fn poke(to: &PacketPeer, from: &Connection) {
    to.send(0, b"poke", R).unwrap();
    from.flush().unwrap();
}

/// Sets an intercept on `connection` that runs `inner` once, the first time a datagram arrives
/// after `armed` is set, and passes every datagram.
fn intercept_once(
    connection: &Connection,
    armed: &Arc<AtomicBool>,
    inner: impl FnOnce() + Send + 'static,
) {
    let armed = armed.clone();
    let mut inner = Some(inner);
    connection
        .set_intercept(Some(Box::new(move |_, _: &[u8]| {
            if armed.load(Ordering::SeqCst) {
                if let Some(inner) = inner.take() {
                    inner();
                }
            }
            Verdict::Pass
        })))
        .unwrap();
}

fn upgrade(connection: &Weak<Connection>) -> Arc<Connection> {
    connection.upgrade().expect("the connection is alive")
}

/// Drains `connection` until `handler` ran once, with `to`/`from` poking it first.
fn drain_once(
    connection: &Connection,
    to: &PacketPeer,
    from: &Connection,
    mut handler: impl FnMut(),
) -> usize {
    poke(to, from);
    let start = Instant::now();
    let mut ran = false;
    loop {
        assert!(start.elapsed() < DEADLINE, "no event to drain");
        let handled = connection
            .drain(1, |_| {
                if !std::mem::replace(&mut ran, true) {
                    handler()
                }
            })
            .unwrap();
        if handled > 0 {
            return handled;
        }
    }
}

/// Services `connection` until its intercept has seen a datagram after `armed` was set.
fn service_until(connection: &Connection, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "the intercept never ran");
        connection.service(1).unwrap();
    }
}

/// Nests A's service through B's: once `armed`, A's intercept pokes B and services it (recorded
/// in the second slot), and B's intercept runs `on_a` on A (recorded in the first).
fn nest_through_b(
    (a, b): (&Arc<Connection>, &Arc<Connection>),
    (to_b, b_client): (PacketPeer, Arc<Connection>),
    armed: &Arc<AtomicBool>,
    on_a: impl FnOnce(&Connection) -> Outcome + Send + 'static,
) -> (Slot<Outcome>, Slot<Outcome>) {
    let (inner, b_service) = (slot(), slot());
    {
        let (a, inner) = (Arc::downgrade(a), inner.clone());
        intercept_once(b, armed, move || {
            *inner.lock().unwrap() = Some(on_a(&upgrade(&a)));
        });
    }
    {
        let (b, b_service) = (Arc::downgrade(b), b_service.clone());
        intercept_once(a, armed, move || {
            poke(&to_b, &b_client);
            *b_service.lock().unwrap() = Some(upgrade(&b).service(0).map(drop));
        });
    }
    (inner, b_service)
}

#[test]
fn destroying_a_connection_inside_its_own_service_nested_through_another_is_busy() {
    // A.drain handler → A.service → A's intercept → B.service → B's intercept → A.destroy().
    let (destroy, b_service, a_service) = watchdog(|| {
        let (a, a_client, to_a) = pair();
        let (b, b_client, to_b) = pair();
        let armed = Arc::new(AtomicBool::new(false));
        let (destroy, b_service) =
            nest_through_b((&a, &b), (to_b, b_client), &armed, Connection::destroy);
        let mut a_service = None;
        drain_once(&a, &to_a, &a_client, || {
            armed.store(true, Ordering::SeqCst);
            poke(&to_a, &a_client);
            a_service = Some(a.service(0).map(drop));
        });
        assert_eq!(a.get_max_peers(), Ok(8), "A's host survived");
        a.set_intercept(None).unwrap();
        b.set_intercept(None).unwrap();
        (take(&destroy), take(&b_service), a_service)
    });
    assert_eq!(destroy, Some(Err(Error::Busy)));
    assert_eq!(b_service, Some(Ok(())));
    assert_eq!(a_service, Some(Ok(())));
}

#[test]
fn a_connection_is_busy_inside_its_own_service_nested_through_another() {
    // A.service → A's intercept → B.service → B's intercept → A.flush().
    let (flush, b_service) = watchdog(|| {
        let (a, a_client, to_a) = pair();
        let (b, b_client, to_b) = pair();
        let armed = Arc::new(AtomicBool::new(true));
        let (flush, b_service) =
            nest_through_b((&a, &b), (to_b, b_client), &armed, Connection::flush);
        poke(&to_a, &a_client);
        service_until(&a, || flush.lock().unwrap().is_some());
        a.set_intercept(None).unwrap();
        b.set_intercept(None).unwrap();
        (take(&flush), take(&b_service))
    });
    assert_eq!(flush, Some(Err(Error::Busy)));
    assert_eq!(b_service, Some(Ok(())));
}

#[test]
fn a_drain_handler_nested_in_another_connections_drain_handler_can_use_the_outer_one() {
    // A.drain → handler → B.drain → handler → A.flush(): A's state is held, not borrowed.
    let (flush, b_drained) = watchdog(|| {
        let (a, a_client, to_a) = pair();
        let (b, b_client, to_b) = pair();
        let mut flush = None;
        let mut b_drained = 0;
        drain_once(&a, &to_a, &a_client, || {
            b_drained = drain_once(&b, &to_b, &b_client, || flush = Some(a.flush()));
        });
        (flush, b_drained)
    });
    assert_eq!(flush, Some(Ok(())));
    assert_eq!(b_drained, 1);
}

#[test]
fn an_old_intercept_replaced_in_a_drain_handler_is_dropped_once_and_may_destroy_the_host() {
    // Inside A.drain's handler, A.set_intercept(None) drops the old closure, whose Drop destroys A.
    let (replaced, destroyed, drained, after) = watchdog(|| {
        let (a, a_client, to_a) = pair();
        let destroyed = slot();
        {
            let (weak, destroyed) = (Arc::downgrade(&a), destroyed.clone());
            let bomb = OnDrop(move || {
                let mut destroyed = destroyed.lock().unwrap();
                assert!(destroyed.is_none(), "dropped twice");
                *destroyed = Some(upgrade(&weak).destroy());
            });
            a.set_intercept(Some(Box::new(move |_, _: &[u8]| {
                let _owned = &bomb;
                Verdict::Pass
            })))
            .unwrap();
        }
        let mut replaced = None;
        let drained = drain_once(&a, &to_a, &a_client, || {
            replaced = Some(a.set_intercept(None))
        });
        (replaced, take(&destroyed), drained, a.get_max_peers())
    });
    assert_eq!(replaced, Some(Ok(())));
    assert_eq!(destroyed, Some(Ok(())));
    assert_eq!(drained, 1, "the batch ends with the event it handled");
    assert_eq!(after, Err(Error::Unconfigured));
}

/// An intercept closure owning a value whose `Drop` sends to `peer` and records the result.
fn intercept_sending_on_drop(connection: &Connection, peer: PacketPeer) -> Slot<Result<(), Error>> {
    let sent = slot();
    let record = sent.clone();
    let bomb = OnDrop(move || *record.lock().unwrap() = Some(peer.send(0, b"bye", R)));
    connection
        .set_intercept(Some(Box::new(move |_, _: &[u8]| {
            let _owned = &bomb;
            Verdict::Pass
        })))
        .unwrap();
    sent
}

#[test]
fn a_replaced_intercept_is_dropped_after_the_lock_is_released() {
    let sent = watchdog(|| {
        let (server, _client, to_client, _to_server) = common::connected_pair(1);
        let sent = intercept_sending_on_drop(&server, to_client);
        assert_eq!(server.set_intercept(None), Ok(()));
        take(&sent)
    });
    assert_eq!(sent, Some(Ok(())), "the peer is still there");
}

#[test]
fn an_intercept_is_dropped_after_destroy_released_the_lock() {
    let (destroyed, sent) = watchdog(|| {
        let (server, _client, to_client, _to_server) = common::connected_pair(1);
        let sent = intercept_sending_on_drop(&server, to_client);
        (server.destroy(), take(&sent))
    });
    assert_eq!(destroyed, Ok(()));
    assert_eq!(sent, Some(Err(Error::Unconfigured)), "the host is gone");
}

#[test]
fn an_intercept_is_dropped_after_dropping_its_connection_released_the_lock() {
    let sent = watchdog(|| {
        let (server, _client, to_client, _to_server) = common::connected_pair(1);
        let sent = intercept_sending_on_drop(&server, to_client);
        drop(server);
        take(&sent)
    });
    assert_eq!(sent, Some(Err(Error::Unconfigured)));
}

#[test]
fn closing_a_multiplayer_peer_drops_an_intercept_on_its_host_after_the_lock_is_released() {
    let sent = watchdog(|| {
        let (mut server, _client, _to_server) = common::multiplayer_server_with_client(7);
        let peer = server.get_peer(7).unwrap();
        let sent = intercept_sending_on_drop(server.get_host().unwrap(), peer);
        server.close();
        take(&sent)
    });
    assert_eq!(sent, Some(Err(Error::Unconfigured)));
}

/// A panic payload whose own `Drop` panics.
struct PanicsWhenDropped;

impl Drop for PanicsWhenDropped {
    fn drop(&mut self) {
        panic!("the payload's Drop panicked");
    }
}

#[test]
fn an_intercept_panic_whose_payload_panics_when_dropped_reaches_the_caller_not_an_abort() {
    let (outcome, after) = watchdog(|| {
        let (a, a_client, to_a) = pair();
        a.set_intercept(Some(Box::new(|_, _: &[u8]| {
            std::panic::panic_any(PanicsWhenDropped)
        })))
        .unwrap();
        poke(&to_a, &a_client);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let start = Instant::now();
            while start.elapsed() < DEADLINE {
                a.service(1).unwrap();
            }
        }));
        let message = outcome
            .expect_err("the payload was dropped in service")
            .downcast_ref::<&str>()
            .map(|message| message.to_string());
        // The connection stays usable.
        let after = (a.set_intercept(None), a.service(0).map(drop));
        (message, after)
    });
    assert_eq!(outcome.as_deref(), Some("the payload's Drop panicked"));
    assert_eq!(after, (Ok(()), Ok(())));
}

#[test]
fn two_threads_each_holding_one_connection_and_calling_the_other_do_not_deadlock() {
    // Thread 1: A.drain → handler → B.flush(); thread 2: B.drain → handler → A.flush(), both
    // handlers running at once. One wait would close the cycle: that call is Busy, the other
    // waits for the lock and works.
    let results = watchdog(|| {
        let (a, a_client, to_a) = pair();
        let (b, b_client, to_b) = pair();
        let both_inside = Arc::new(Barrier::new(2));
        let run = |mine: Arc<Connection>,
                   to: PacketPeer,
                   from: Arc<Connection>,
                   other: Arc<Connection>| {
            let both_inside = both_inside.clone();
            std::thread::spawn(move || {
                let mut flush = None;
                drain_once(&mine, &to, &from, || {
                    both_inside.wait();
                    flush = Some(other.flush());
                });
                flush.unwrap()
            })
        };
        let first = run(a.clone(), to_a, a_client, b.clone());
        let second = run(b, to_b, b_client, a);
        let mut results = [first.join().unwrap(), second.join().unwrap()];
        results.sort_by_key(|result| result.is_err());
        results
    });
    assert_eq!(results, [Ok(()), Err(Error::Busy)]);
}

#[test]
fn two_intercept_panics_in_one_service_whose_payloads_panic_when_dropped_do_not_abort() {
    let (outcome, after) = watchdog(|| {
        let (a, a_client, to_a) = pair();
        a.set_intercept(Some(Box::new(|_, _: &[u8]| {
            std::panic::panic_any(PanicsWhenDropped)
        })))
        .unwrap();
        // Two datagrams waiting: one service reads both, and both payloads are buried.
        poke(&to_a, &a_client);
        poke(&to_a, &a_client);
        let outcome = catch_unwind(AssertUnwindSafe(|| a.service(0)));
        let message = outcome
            .expect_err("the first payload's panic leaves service")
            .downcast_ref::<&str>()
            .map(|message| message.to_string());
        let after = (a.set_intercept(None), a.service(0).map(drop));
        (message, after)
    });
    assert_eq!(outcome.as_deref(), Some("the payload's Drop panicked"));
    assert_eq!(after, (Ok(()), Ok(())));
}

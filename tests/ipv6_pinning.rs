//! A live IPv6 peer's entry in the platform layer's address mapping is pinned (never evicted)
//! exactly while the peer is attached. Own test binary: the mapping is process-wide and keyed by
//! IPv6 address, so no other test may use `::1` concurrently.
#![cfg(all(target_os = "linux", not(feature = "upstream-platform")))]

mod common;

use common::Pump;
use enet::{Connection, Event};
use enet_sys::platform::address_table_stats;

#[test]
fn a_live_ipv6_peer_is_pinned_in_the_address_mapping_until_it_leaves() {
    assert_eq!(address_table_stats().pinned, 0);
    let server = Connection::new();
    server.create_host_bound("::1", 0, 4, 0, 0, 0).unwrap();
    let port = i32::from(server.get_local_port().unwrap());
    let client = common::client();
    let to_server = client.connect_to_host("::1", port, 2, 0).unwrap();
    // The client pins its destination as soon as the connection starts.
    assert_eq!(address_table_stats().pinned, 1);
    let mut pump = Pump::new(&[&server, &client]);
    let Event::Connect {
        peer: to_client, ..
    } = pump.next(0)
    else {
        panic!("expected Connect")
    };
    assert_eq!(
        pump.next(1),
        Event::Connect {
            peer: to_server.clone(),
            data: 0
        }
    );
    // Both ends' peers live on the one `::1` entry.
    assert_eq!(address_table_stats().pinned, 1);

    to_server.peer_disconnect(0).unwrap();
    assert_eq!(
        pump.next(0),
        Event::Disconnect {
            peer: to_client,
            data: 0
        }
    );
    assert_eq!(
        pump.next(1),
        Event::Disconnect {
            peer: to_server,
            data: 0
        }
    );
    assert_eq!(address_table_stats().pinned, 0);

    // Destroying a host releases its peers' pins too.
    let again = client.connect_to_host("::1", port, 2, 0).unwrap();
    assert!(again.get_state() != enet::PeerState::Disconnected);
    assert_eq!(address_table_stats().pinned, 1);
    client.destroy().unwrap();
    assert_eq!(address_table_stats().pinned, 0);
}

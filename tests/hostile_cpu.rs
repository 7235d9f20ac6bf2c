//! A measurement, not a timed test (ignored by default; the figures need an optimised build):
//!
//! ```sh
//! cargo test --release --test hostile_cpu -- --ignored --nocapture
//! ```
//!
//! A connected peer sends zero-length reliable commands in descending sequence order on 16
//! channels. ENet inserts each incoming reliable command in order by walking its channel's queue
//! from the back, so each such command walks the whole queue: quadratic CPU for linear bytes on
//! the wire. With the crate's per-peer bound on queued commands (`set_max_queued_commands`) no
//! walk is longer than the bound. The server's CPU time for the same attack is compared with the
//! fix on and off, in one run.

mod common;

use enet::HostStatistic;

/// This thread's CPU time (user + system), in seconds.
fn thread_cpu() -> f64 {
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_THREAD)
        .expect("getrusage");
    let (user, system) = (usage.user_time(), usage.system_time());
    (user.tv_sec() + system.tv_sec()) as f64 + (user.tv_usec() + system.tv_usec()) as f64 / 1e6
}

/// The server's CPU seconds for about 2.2 MB of descending zero-length reliable commands, and the
/// bytes sent.
fn descending_zero_length_reliables(hardened: bool) -> (f64, usize) {
    let (server, client, _to_client, to_server) = common::connected_pair(16);
    server.set_hardening_enabled(hardened).unwrap();
    let header = common::client_header(&server, &client, &to_server);
    let port = i32::from(server.get_local_port().unwrap());
    let (mut bytes, mut cpu) = (0, 0.0);
    let mut sequence: u16 = 24_000;
    while sequence > 2 {
        // The sent-time flag: ENet acts on more than the first acknowledged command only then.
        let mut datagram = vec![header[0] | 0x80, header[1], 0, 1];
        while datagram.len() < 1300 && sequence > 2 {
            for channel in 0..16u8 {
                datagram.extend_from_slice(&[
                    enet_sys::ENET_PROTOCOL_COMMAND_SEND_RELIABLE as u8
                        | enet_sys::ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE as u8,
                    channel,
                ]);
                datagram.extend_from_slice(&sequence.to_be_bytes());
                datagram.extend_from_slice(&0u16.to_be_bytes());
            }
            sequence -= 1;
        }
        bytes += datagram.len();
        client.socket_send("127.0.0.1", port, &datagram).unwrap();
        let before = thread_cpu();
        while server
            .pop_statistic(HostStatistic::TotalReceivedPackets)
            .unwrap()
            == 0
        {
            server.service(0).unwrap();
        }
        cpu += thread_cpu() - before;
    }
    (cpu, bytes)
}

#[test]
#[ignore = "a measurement: run with --release --ignored --nocapture"]
fn descending_zero_length_reliable_commands_cost_linear_cpu() {
    let (hardened, bytes) = descending_zero_length_reliables(true);
    let (upstream, _) = descending_zero_length_reliables(false);
    eprintln!(
        "hostile CPU: {bytes} bytes of descending zero-length reliable commands on 16 channels: \
         server CPU {hardened:.3} s with the bound, {upstream:.3} s without"
    );
    assert!(
        upstream > 10.0 * hardened,
        "the bound saves less than 10x: {hardened:.3} s vs {upstream:.3} s"
    );
}

//! The intercept trampoline: ENet's `host->intercept` hook, which sees every received datagram
//! before ENet parses it. It runs the connection's own filter (refusing new connections) and the
//! user's intercept closure, with every panic caught at the FFI boundary.
//!
//! `ENetHost` has no user-data pointer, so the trampoline finds its filter through a thread-local
//! set for the duration of each `enet_host_service` call (the hook only ever runs inside that call,
//! on the calling thread). The same thread-local lets the connection refuse re-entrant calls from
//! inside the user's closure with [`Error::Busy`](crate::Error::Busy) instead of deadlocking.

use crate::address;
use crate::hardening;
use enet_sys as sys;
use std::cell::Cell;
use std::ffi::c_int;
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};

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
    /// commands, so new connections are refused before ENet allocates a slot.
    pub(crate) refusing: bool,
    /// Apply the [`hardening`] fixes (on unless a test turns them off to show the defects).
    pub(crate) hardened: bool,
    pub(crate) user: Option<Box<InterceptFn>>,
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            refusing: false,
            hardened: true,
            user: None,
        }
    }
}

impl Filter {
    fn judge(&mut self, from: SocketAddr, datagram: &[u8]) -> Verdict {
        if self.refusing && is_new_connection(datagram) {
            return Verdict::Drop;
        }
        match self.user.as_mut() {
            Some(user) => user(from, datagram),
            None => Verdict::Pass,
        }
    }
}

/// True for datagrams sent to peer id 0xFFF ("no peer yet"): ENet only acts on CONNECT in those.
fn is_new_connection(datagram: &[u8]) -> bool {
    let peer_id = match datagram {
        [hi, lo, ..] => u16::from_be_bytes([*hi, *lo]),
        _ => return false,
    };
    peer_id & sys::ENET_PROTOCOL_MAXIMUM_PEER_ID as u16 == sys::ENET_PROTOCOL_MAXIMUM_PEER_ID as u16
}

thread_local! {
    /// The filter of the host being serviced on this thread, and the identity of its connection.
    static ACTIVE: Cell<(*mut Filter, usize)> = const { Cell::new((std::ptr::null_mut(), 0)) };
}

/// Marks `filter` (of the connection identified by `owner`) active on this thread until dropped.
pub(crate) struct Entered {
    previous: (*mut Filter, usize),
}

pub(crate) fn enter(filter: &mut Filter, owner: usize) -> Entered {
    let previous = ACTIVE.with(|active| active.replace((filter as *mut Filter, owner)));
    Entered { previous }
}

impl Drop for Entered {
    fn drop(&mut self) {
        ACTIVE.with(|active| active.set(self.previous));
    }
}

/// True if this thread is inside the servicing of the connection identified by `owner` (that is,
/// in its intercept callback).
pub(crate) fn is_servicing(owner: usize) -> bool {
    ACTIVE.with(|active| active.get().1 == owner)
}

/// Installed as every host's `intercept`.
pub(crate) unsafe extern "C" fn intercept(
    host: *mut sys::ENetHost,
    _event: *mut sys::ENetEvent,
) -> c_int {
    let (filter, _) = ACTIVE.with(Cell::get);
    if filter.is_null() {
        return 0;
    }
    // SAFETY: ENet calls this from enet_protocol_receive_incoming_commands with a live host whose
    // receivedData/receivedDataLength describe the datagram just received (in packetData[0]),
    // inside the enet_host_service call during which `enter` made `filter` point at this host's
    // Filter (an exclusive borrow held by the servicing code, unused until the call returns). No
    // reference to the whole host is formed, so the datagram slice aliases nothing mutable.
    let (from, datagram, filter) = unsafe {
        let datagram = std::slice::from_raw_parts((*host).receivedData, (*host).receivedDataLength);
        (
            address::from_enet(&(*host).receivedAddress),
            datagram,
            &mut *filter,
        )
    };
    let verdict = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `host` is live and `datagram` is its received datagram (see above).
        if filter.hardened
            && unsafe { commands_of(host, datagram) }
                .is_some_and(hardening::has_invalid_unreliable_fragment)
        {
            return Verdict::Drop;
        }
        filter.judge(from, datagram)
    }));
    match verdict {
        Ok(Verdict::Pass) => 0,
        // A panicking intercept drops the datagram: nothing unwinds into C.
        Ok(Verdict::Drop) | Err(_) => 1,
    }
}

/// The command bytes of `datagram` as ENet will parse them: after the header (2 or 4 bytes) and
/// the checksum (when enabled), decompressed with the host's own compressor when the datagram is
/// compressed, into ENet's second packet buffer exactly as `enet_protocol_handle_incoming_commands`
/// does (which overwrites it again right after). `None` where ENet would drop the datagram anyway.
///
/// # Safety
/// `host` must be live, inside its own servicing, with `datagram` its received datagram (which
/// lives in `packetData[0]`, disjoint from the `packetData[1]` scratch written here).
unsafe fn commands_of<'h>(host: *mut sys::ENetHost, datagram: &'h [u8]) -> Option<&'h [u8]> {
    let flags = u32::from(u16::from_be_bytes([*datagram.first()?, *datagram.get(1)?]));
    let mut header = if flags & sys::ENET_PROTOCOL_HEADER_FLAG_SENT_TIME != 0 {
        4
    } else {
        2
    };
    // SAFETY: reads of plain fields of a live host (caller's contract).
    let (checksum, compressor) = unsafe { ((*host).checksum, (*host).compressor) };
    if checksum.is_some() {
        header += 4;
    }
    let body = datagram.get(header..)?;
    if flags & sys::ENET_PROTOCOL_HEADER_FLAG_COMPRESSED == 0 {
        return Some(body);
    }
    let decompress = compressor.decompress?;
    // SAFETY: packetData[1] is a field of the live host, disjoint from packetData[0] (which
    // `datagram` borrows); the place is reached through the raw pointer without forming a
    // reference to the host or to packetData as a whole. Nothing else uses it until ENet's own
    // parsing, after we return.
    let scratch: &'h mut [u8] = unsafe {
        let buffer = std::ptr::addr_of_mut!((*host).packetData[1]);
        std::slice::from_raw_parts_mut(buffer.cast::<u8>(), std::mem::size_of_val(&*buffer))
    };
    let scratch = scratch.get_mut(header..)?;
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
    (size > 0 && size <= scratch.len()).then(|| &scratch[..size])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datagrams_to_peer_id_0xfff_are_new_connections() {
        assert!(is_new_connection(&[0x0F, 0xFF, 0, 0]));
        // Flag bits (sent time, compressed) and session bits do not change the peer id.
        assert!(is_new_connection(&[0xFF, 0xFF, 0, 0]));
        assert!(!is_new_connection(&[0x00, 0x01, 0, 0]));
        assert!(!is_new_connection(&[0x0F]));
    }

    #[test]
    fn refusing_filter_drops_connects_and_passes_the_rest() {
        let mut filter = Filter {
            refusing: true,
            ..Filter::default()
        };
        let from: SocketAddr = "127.0.0.1:1".parse().unwrap();
        assert_eq!(filter.judge(from, &[0x8F, 0xFF, 0, 0]), Verdict::Drop);
        assert_eq!(filter.judge(from, &[0x80, 0x00, 0, 0]), Verdict::Pass);
    }
}

//! [`Packet`]: an ENet packet owned by Rust, and the packet flags Godot allows.

use crate::error::{Error, Result};
use enet_sys as sys;
use std::ffi::c_void;
use std::ptr::NonNull;

/// The flags Godot lets a caller set (`FLAG_RELIABLE | FLAG_UNSEQUENCED |
/// FLAG_UNRELIABLE_FRAGMENT` = 11); anything else is `ERR_INVALID_PARAMETER`.
pub(crate) const FLAG_ALLOWED: i32 = 1 | 2 | 8;

/// Checks caller-given flags the way Godot does and converts them to ENet's.
pub(crate) fn checked_flags(flags: i32) -> Result<u32> {
    if flags & !FLAG_ALLOWED != 0 {
        return Err(Error::InvalidParameter);
    }
    Ok(flags as u32)
}

/// A packet: bytes plus the ENet flags they were (or will be) sent with.
///
/// Received packets come from [`PacketPeer::get_packet`](crate::PacketPeer::get_packet) without a
/// copy: the `Packet` owns ENet's buffer and frees it when dropped. Packets to send are made with
/// [`Packet::new`] (copies, like Godot) or [`Packet::from_vec`] (takes the buffer, no copy).
///
/// ```
/// use enet::{Packet, PacketPeer};
/// let packet = Packet::from_vec(b"hello".to_vec(), PacketPeer::FLAG_RELIABLE).unwrap();
/// assert_eq!(&packet[..], b"hello");
/// assert_eq!(packet.flags(), PacketPeer::FLAG_RELIABLE);
/// ```
pub struct Packet {
    raw: NonNull<sys::ENetPacket>,
}

// SAFETY: a `Packet` is the only owner of its ENetPacket (reference count 0, not queued on any
// host), so moving it to another thread moves the whole object; ENet's allocator (malloc/free) is
// thread-safe.
unsafe impl Send for Packet {}
// SAFETY: `&Packet` only reads the bytes and the flags; nothing mutates through a shared borrow.
unsafe impl Sync for Packet {}

impl Packet {
    /// A packet holding a copy of `data`, with Godot-validated `flags` (a combination of
    /// `FLAG_RELIABLE`, `FLAG_UNSEQUENCED`, `FLAG_UNRELIABLE_FRAGMENT`; anything else is
    /// [`Error::InvalidParameter`]).
    pub fn new(data: &[u8], flags: i32) -> Result<Packet> {
        let flags = checked_flags(flags)?;
        // SAFETY: `data` is valid for reads of `data.len()` bytes; ENet copies it.
        let raw =
            unsafe { sys::enet_packet_create(data.as_ptr() as *const c_void, data.len(), flags) };
        NonNull::new(raw)
            .map(|raw| Packet { raw })
            .ok_or(Error::OutOfMemory)
    }

    /// A packet that takes ownership of `data` without copying it (ENet's `NO_ALLOCATE` packet with
    /// a free callback): the vector's buffer goes on the wire as is and is freed when ENet is done
    /// with it. Same flag rules as [`Packet::new`].
    pub fn from_vec(data: Vec<u8>, flags: i32) -> Result<Packet> {
        let flags = checked_flags(flags)? | sys::ENET_PACKET_FLAG_NO_ALLOCATE;
        let mut data = std::mem::ManuallyDrop::new(data);
        let (ptr, len, capacity) = (data.as_mut_ptr(), data.len(), data.capacity());
        // SAFETY: with NO_ALLOCATE, ENet stores `ptr` as the packet's data without copying; the
        // vector's allocation stays alive (ManuallyDrop) until `free_vec` rebuilds and drops it.
        let raw = unsafe { sys::enet_packet_create(ptr as *const c_void, len, flags) };
        let Some(raw) = NonNull::new(raw) else {
            // SAFETY: ENet did not take the buffer; give it back to Rust to free.
            drop(unsafe { Vec::from_raw_parts(ptr, len, capacity) });
            return Err(Error::OutOfMemory);
        };
        // SAFETY: `raw` is a fresh packet we own; userData and freeCallback are ours to set.
        unsafe {
            (*raw.as_ptr()).userData = capacity as *mut c_void;
            (*raw.as_ptr()).freeCallback = Some(free_vec);
        }
        Ok(Packet { raw })
    }

    /// The ENet flags: on a received packet, how it was delivered (`FLAG_RELIABLE`,
    /// `FLAG_UNSEQUENCED`, `FLAG_UNRELIABLE_FRAGMENT` or 0 for plain unreliable); on a packet to
    /// send, the flags it was created with (without ENet's internal `NO_ALLOCATE` bit).
    pub fn flags(&self) -> i32 {
        // SAFETY: `raw` is a live packet owned by self.
        let flags = unsafe { (*self.raw.as_ptr()).flags };
        (flags & FLAG_ALLOWED as u32) as i32
    }

    /// Wraps a packet ENet handed to the application (a received packet, reference count 0).
    ///
    /// # Safety
    /// `raw` must be a live packet that nothing else owns or will free.
    pub(crate) unsafe fn from_raw(raw: NonNull<sys::ENetPacket>) -> Packet {
        Packet { raw }
    }

    /// Gives the packet to ENet; the caller must hand it to a function that takes ownership or
    /// destroy it.
    pub(crate) fn into_raw(self) -> *mut sys::ENetPacket {
        let raw = self.raw.as_ptr();
        std::mem::forget(self);
        raw
    }
}

impl std::ops::Deref for Packet {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // SAFETY: a live packet's `data` points to `dataLength` initialised bytes that live as long
        // as the packet (`data` may dangle only when the length is 0, which from_raw_parts allows
        // for a non-null pointer; a null one is replaced).
        unsafe {
            let packet = &*self.raw.as_ptr();
            if packet.data.is_null() {
                return &[];
            }
            std::slice::from_raw_parts(packet.data, packet.dataLength)
        }
    }
}

impl std::fmt::Debug for Packet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Packet")
            .field("len", &self.len())
            .field("flags", &self.flags())
            .finish()
    }
}

impl Drop for Packet {
    fn drop(&mut self) {
        // SAFETY: we own the packet (reference count 0) and destroy it exactly once; its free
        // callback, if any, runs here.
        unsafe { sys::enet_packet_destroy(self.raw.as_ptr()) }
    }
}

/// ENet's free callback for [`Packet::from_vec`] packets: gives the buffer back to the `Vec`.
unsafe extern "C" fn free_vec(packet: *mut sys::ENetPacket) {
    // SAFETY: only packets made by `from_vec` carry this callback: `data`/`dataLength` are the
    // vector's pointer and length (ENet never resizes them: the crate never calls
    // enet_packet_resize) and `userData` its capacity. Dropping a Vec<u8> cannot panic.
    unsafe {
        let packet = &*packet;
        drop(Vec::from_raw_parts(
            packet.data,
            packet.dataLength,
            packet.userData as usize,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_copies_bytes_and_keeps_flags() {
        let packet = Packet::new(&[1, 2, 3], 1 | 8).unwrap();
        assert_eq!(&packet[..], &[1, 2, 3]);
        assert_eq!(packet.flags(), 9);
    }

    #[test]
    fn flags_outside_reliable_unsequenced_unreliable_fragment_are_invalid() {
        assert_eq!(Packet::new(b"x", 4).unwrap_err(), Error::InvalidParameter);
        assert_eq!(Packet::new(b"x", 256).unwrap_err(), Error::InvalidParameter);
        assert_eq!(
            Packet::from_vec(vec![1], -1).unwrap_err(),
            Error::InvalidParameter
        );
    }

    #[test]
    fn from_vec_uses_the_vector_buffer_without_copying() {
        let data = vec![7u8; 100];
        let ptr = data.as_ptr();
        let packet = Packet::from_vec(data, 0).unwrap();
        assert_eq!(packet.as_ptr(), ptr);
        assert_eq!(packet.len(), 100);
        assert_eq!(packet.flags(), 0);
    }

    #[test]
    fn empty_packets_are_empty_slices() {
        assert!(Packet::new(&[], 0).unwrap().is_empty());
        assert!(Packet::from_vec(Vec::new(), 0).unwrap().is_empty());
    }
}

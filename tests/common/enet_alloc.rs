//! Counts the bytes ENet holds from its allocator, for leak and amplification tests.
//!
//! ENet's allocator is process-wide (`enet_initialize_with_callbacks`), so a test binary that uses
//! this must install it before any host exists and must not run its measuring tests concurrently.
#![allow(dead_code)]

use std::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

static ENET_BYTES: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn counting_malloc(size: usize) -> *mut c_void {
    // SAFETY: plain libc allocation; counting_free subtracts the same usable size.
    unsafe {
        let memory = libc::malloc(size);
        if !memory.is_null() {
            ENET_BYTES.fetch_add(libc::malloc_usable_size(memory), Ordering::Relaxed);
        }
        memory
    }
}

unsafe extern "C" fn counting_free(memory: *mut c_void) {
    // SAFETY: `memory` is null or came from counting_malloc (or plain malloc before the counters
    // were installed: libc::free accepts it, only the count would be off, and that happens only
    // for blocks allocated before any host exists).
    unsafe {
        if !memory.is_null() {
            ENET_BYTES.fetch_sub(libc::malloc_usable_size(memory), Ordering::Relaxed);
        }
        libc::free(memory);
    }
}

/// Routes ENet's allocations through the counters (once per process, before any host exists).
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let callbacks = enet_sys::ENetCallbacks {
            malloc: Some(counting_malloc),
            free: Some(counting_free),
            no_memory: None,
        };
        // SAFETY: called before any host exists in this test binary; the callbacks are a matched
        // malloc/free pair over libc.
        let rc = unsafe {
            enet_sys::enet_initialize_with_callbacks((1 << 16) | (3 << 8) | 18, &callbacks)
        };
        assert_eq!(rc, 0);
    });
}

/// Bytes ENet currently holds from its allocator.
pub fn bytes() -> usize {
    ENET_BYTES.load(Ordering::Relaxed)
}

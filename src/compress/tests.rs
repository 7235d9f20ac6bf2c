//! Tests of the compression modes, driven through the `extern "C"` callbacks exactly as ENet
//! calls them, with other implementations as decoders where one exists.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::c_int;
use std::io::Read;
use std::sync::Once;
use std::time::{Duration, Instant};

use enet_sys::{
    ENetAddress, ENetBuffer, ENetCompressor, ENetEvent, ENetHost, ENetPeer,
    ENET_EVENT_TYPE_CONNECT, ENET_EVENT_TYPE_RECEIVE, ENET_PACKET_FLAG_RELIABLE,
    ENET_PROTOCOL_HEADER_FLAG_COMPRESSED,
};

use super::*;

/// Counts the codecs alive on this thread (each test runs on its own thread, and ENet calls
/// `destroy` on the thread that replaces the compressor or destroys the host).
pub(super) mod live_codecs {
    use std::cell::Cell;

    thread_local! {
        static LIVE: Cell<isize> = const { Cell::new(0) };
    }

    /// Records a new codec.
    pub(crate) fn created() {
        LIVE.with(|live| live.set(live.get() + 1));
    }

    /// Records a freed codec.
    pub(crate) fn dropped() {
        LIVE.with(|live| live.set(live.get() - 1));
    }

    /// Codecs created and not yet freed on this thread.
    pub(crate) fn count() -> isize {
        LIVE.with(Cell::get)
    }
}

/// The system allocator, counting the allocations of each thread: lets a test check that the
/// callbacks allocate nothing in the steady state. (zstd's C code allocates with `malloc`
/// directly; its contexts keep their workspace between frames.)
struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to `System`; the counter is a const-initialised
// thread-local without destructor, so touching it never allocates or re-enters the allocator.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|count| count.set(count.get() + 1));
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|count| count.set(count.get() + 1));
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

// ---------------------------------------------------------------------------------------------
// Inputs

/// xorshift64: deterministic, seedable bytes.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// Uniformly random bytes: incompressible.
fn random_bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut rng = XorShift(seed);
    (0..n).map(|_| rng.next() as u8).collect()
}

/// Random bytes drawn from the four letters of "ENet": random, yet compressible by every codec.
fn low_entropy(seed: u64, n: usize) -> Vec<u8> {
    let mut rng = XorShift(seed);
    (0..n).map(|_| b"ENet"[(rng.next() % 4) as usize]).collect()
}

/// A game-state line repeated: the kind of body compression is for.
fn repetitive(n: usize) -> Vec<u8> {
    const TEXT: &[u8] = b"player 7 position=(12.5, 3.25) velocity=(0.0, -9.8) ";
    (0..n).map(|i| TEXT[i % TEXT.len()]).collect()
}

/// Body sizes from 1 to 4096: every size to 64, then a spread, and the edges.
fn sizes() -> Vec<usize> {
    let mut sizes: Vec<usize> = (1..=64).chain((65..4096).step_by(61)).collect();
    sizes.extend([255, 256, 257, 1000, 1400, 4095, 4096]);
    sizes
}

/// Splits `body` into 1 to 4 consecutive non-empty parts, as ENet hands a datagram body over in
/// several buffers.
fn split(body: &[u8], seed: u64) -> Vec<&[u8]> {
    let mut rng = XorShift(seed | 1);
    let mut cuts: Vec<usize> = (0..rng.next() % 4)
        .map(|_| (rng.next() % (body.len() as u64 + 1)) as usize)
        .filter(|&cut| cut > 0 && cut < body.len())
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut parts = Vec::new();
    let mut start = 0;
    for cut in cuts {
        parts.push(&body[start..cut]);
        start = cut;
    }
    parts.push(&body[start..]);
    parts
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// FNV-1a, 64 bits: a compact fingerprint of a known output.
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

// ---------------------------------------------------------------------------------------------
// Raw ENet hosts and calling the callbacks like ENet

fn init_enet() {
    static INIT: Once = Once::new();
    // SAFETY: enet_initialize has no preconditions; it runs once.
    INIT.call_once(|| assert_eq!(unsafe { enet_sys::enet_initialize() }, 0));
}

/// An `ENetHost` destroyed on drop.
struct RawHost(*mut ENetHost);

impl RawHost {
    /// A host with one peer slot and one channel, bound to `address` (or unbound for NULL).
    fn create(address: Option<&ENetAddress>) -> Self {
        init_enet();
        let address = address.map_or(ptr::null(), ptr::from_ref);
        // SAFETY: `address` is NULL or points to a live ENetAddress for the call.
        let host = unsafe { enet_sys::enet_host_create(address, 1, 1, 0, 0) };
        assert!(!host.is_null(), "enet_host_create failed");
        Self(host)
    }

    /// A host bound to 127.0.0.1 on a port the system picks.
    fn loopback() -> Self {
        Self::create(Some(&ENetAddress {
            host: u32::from_ne_bytes([127, 0, 0, 1]),
            port: 0,
        }))
    }

    /// The address a bound host listens on.
    fn address(&self) -> ENetAddress {
        let mut address = ENetAddress { host: 0, port: 0 };
        // SAFETY: the host is live; its socket is open; `address` is writable.
        let rc = unsafe { enet_sys::enet_socket_get_address((*self.0).socket, &mut address) };
        assert_eq!(rc, 0);
        address
    }

    fn set(&self, mode: CompressionMode) {
        // SAFETY: the host is live and only this thread uses it.
        unsafe { set_compression(self.0, mode) };
    }

    /// A copy of the host's current compressor.
    fn compressor(&self) -> ENetCompressor {
        // SAFETY: the host is live.
        unsafe { (*self.0).compressor }
    }
}

impl Drop for RawHost {
    fn drop(&mut self) {
        // SAFETY: the host is live and destroyed exactly once.
        unsafe { enet_sys::enet_host_destroy(self.0) };
    }
}

/// Filled after each output limit, to catch writes past it.
const CANARY: u8 = 0xA5;
const CANARY_LEN: usize = 64;

/// Calls `compressor.compress` as ENet does: `parts` as separate heap buffers of exact size, an
/// output buffer of `out_limit` bytes. Returns the compressed bytes, or `None` for a 0 result.
fn compress(compressor: &ENetCompressor, parts: &[&[u8]], out_limit: usize) -> Option<Vec<u8>> {
    let mut owned: Vec<Vec<u8>> = parts.iter().map(|part| part.to_vec()).collect();
    let buffers: Vec<ENetBuffer> = owned
        .iter_mut()
        .map(|part| ENetBuffer {
            data: part.as_mut_ptr().cast(),
            dataLength: part.len(),
        })
        .collect();
    let in_limit = parts.iter().map(|part| part.len()).sum();
    let mut out = vec![CANARY; out_limit + CANARY_LEN];
    // SAFETY: the buffers point to live, exactly sized allocations; `out` is writable for
    // `out_limit` bytes; the compressor comes from a live host used only by this thread.
    let len = unsafe {
        compressor.compress.unwrap()(
            compressor.context,
            buffers.as_ptr(),
            buffers.len(),
            in_limit,
            out.as_mut_ptr(),
            out_limit,
        )
    };
    assert!(
        len <= out_limit,
        "compress returned {len} > limit {out_limit}"
    );
    assert!(
        out[out_limit..].iter().all(|&b| b == CANARY),
        "compress wrote past its limit"
    );
    (len > 0).then(|| out[..len].to_vec())
}

/// Calls `compressor.decompress` as ENet does, with `input` in an exactly sized allocation.
/// Returns the decompressed bytes, or `None` for a 0 result.
fn decompress(compressor: &ENetCompressor, input: &[u8], out_limit: usize) -> Option<Vec<u8>> {
    let input = input.to_vec();
    let mut out = vec![CANARY; out_limit + CANARY_LEN];
    // SAFETY: `input` and `out` are live allocations of the sizes passed; the compressor comes
    // from a live host used only by this thread.
    let len = unsafe {
        compressor.decompress.unwrap()(
            compressor.context,
            input.as_ptr(),
            input.len(),
            out.as_mut_ptr(),
            out_limit,
        )
    };
    assert!(
        len <= out_limit,
        "decompress returned {len} > limit {out_limit}"
    );
    assert!(
        out[out_limit..].iter().all(|&b| b == CANARY),
        "decompress wrote past its limit"
    );
    (len > 0).then(|| out[..len].to_vec())
}

/// The output limit for decompressing in these tests: ENet's 4096-byte receive buffer (ENet
/// subtracts the 2- to 8-byte header; the tests also use bodies of a whole 4096 bytes).
const DECOMPRESS_LIMIT: usize = MAX_DATAGRAM;

/// Asserts that a callback produced exactly `expected`, reporting lengths and the first
/// difference rather than whole buffers.
#[track_caller]
fn assert_output(actual: Option<Vec<u8>>, expected: &[u8], context: &str) {
    let Some(actual) = actual else {
        panic!("{context}: no output, expected {} bytes", expected.len());
    };
    if actual != expected {
        let at = actual
            .iter()
            .zip(expected)
            .take_while(|(a, b)| a == b)
            .count();
        panic!(
            "{context}: {} bytes, expected {}; first difference at byte {at}",
            actual.len(),
            expected.len()
        );
    }
}
/// An output limit big enough for any codec's output, compressible or not.
fn generous(len: usize) -> usize {
    2 * len + 128
}

/// Every mode that compresses.
const COMPRESSING_MODES: [CompressionMode; 4] = [
    CompressionMode::RangeCoder,
    CompressionMode::Fastlz,
    CompressionMode::Zlib,
    CompressionMode::Zstd,
];

/// The modes Godot implements through its own callbacks.
const CODEC_MODES: [CompressionMode; 3] = [
    CompressionMode::Fastlz,
    CompressionMode::Zlib,
    CompressionMode::Zstd,
];

/// What a body decompresses to: itself, except that FASTLZ pads short bodies to 16 bytes.
fn expected_output(mode: CompressionMode, body: &[u8]) -> Vec<u8> {
    let mut expected = body.to_vec();
    if mode == CompressionMode::Fastlz && expected.len() < 16 {
        expected.resize(16, 0);
    }
    expected
}

// ---------------------------------------------------------------------------------------------
// CompressionMode

#[test]
fn compression_mode_values_are_godots() {
    let table = [
        (CompressionMode::None, 0),
        (CompressionMode::RangeCoder, 1),
        (CompressionMode::Fastlz, 2),
        (CompressionMode::Zlib, 3),
        (CompressionMode::Zstd, 4),
    ];
    for (mode, value) in table {
        assert_eq!(i32::from(mode), value);
        assert_eq!(CompressionMode::try_from(value), Ok(mode));
    }
    assert_eq!(CompressionMode::default(), CompressionMode::None);
}

#[test]
fn compression_mode_rejects_unknown_values_with_the_value() {
    for value in [-1, 5, 6, i32::MIN, i32::MAX] {
        assert_eq!(CompressionMode::try_from(value), Err(value));
    }
}

// ---------------------------------------------------------------------------------------------
// All modes through the callbacks

#[test]
fn every_mode_round_trips_bodies_of_1_to_4096_bytes_split_across_buffers() {
    let host = RawHost::create(None);
    for mode in COMPRESSING_MODES {
        host.set(mode);
        let compressor = host.compressor();
        for n in sizes() {
            let bodies = [
                random_bytes(n as u64, n),
                low_entropy(n as u64 + 7, n),
                repetitive(n),
            ];
            for (kind, body) in bodies.iter().enumerate() {
                let parts = split(body, (n * 3 + kind) as u64);
                let packed = compress(&compressor, &parts, generous(n))
                    .unwrap_or_else(|| panic!("{mode:?}: no output for {n} bytes, kind {kind}"));
                assert_output(
                    decompress(&compressor, &packed, DECOMPRESS_LIMIT),
                    &expected_output(mode, body),
                    &format!("{mode:?}: {n} bytes, kind {kind}"),
                );
            }
        }
    }
}

#[test]
fn compressible_bodies_shrink_within_enets_limit() {
    let host = RawHost::create(None);
    for mode in COMPRESSING_MODES {
        host.set(mode);
        let compressor = host.compressor();
        for n in [300, 1400, 4096] {
            let body = repetitive(n);
            // ENet passes the body's size as the output limit.
            let packed = compress(&compressor, &split(&body, n as u64), n)
                .unwrap_or_else(|| panic!("{mode:?}: {n} compressible bytes not compressed"));
            assert!(packed.len() < n / 2, "{mode:?}: {n} -> {}", packed.len());
            assert_output(
                decompress(&compressor, &packed, DECOMPRESS_LIMIT),
                &body,
                &format!("{mode:?}: {n} bytes"),
            );
        }
    }
}

#[test]
fn compress_returns_zero_for_incompressible_bodies() {
    let host = RawHost::create(None);
    for mode in COMPRESSING_MODES {
        host.set(mode);
        let compressor = host.compressor();
        for n in [1, 2, 8, 15, 16, 17, 100, 1000, 4096] {
            let body = random_bytes(0xDEAD + n as u64, n);
            assert_eq!(
                compress(&compressor, &split(&body, 3), n),
                None,
                "{mode:?}, {n} bytes"
            );
        }
    }
}

#[test]
fn codec_compress_returns_zero_unless_strictly_smaller_than_the_limit() {
    let host = RawHost::create(None);
    for mode in CODEC_MODES {
        host.set(mode);
        let compressor = host.compressor();
        let body = low_entropy(11, 1000);
        let packed = compress(&compressor, &[&body], generous(1000)).unwrap();
        let len = packed.len();
        assert!(len < 1000, "{mode:?}: {len}");
        assert_eq!(
            compress(&compressor, &[&body], len),
            None,
            "{mode:?}: limit = size"
        );
        assert_eq!(
            compress(&compressor, &[&body], len - 1),
            None,
            "{mode:?}: limit < size"
        );
        assert_eq!(
            compress(&compressor, &[&body], len + 1),
            Some(packed),
            "{mode:?}: limit > size"
        );
    }
}

#[test]
fn codec_compress_reads_only_in_limit_bytes_and_rejects_short_buffers() {
    let host = RawHost::create(None);
    for mode in CODEC_MODES {
        host.set(mode);
        let compressor = host.compressor();
        let body = repetitive(500);
        let mut buffer = body.clone();
        let buffers = [ENetBuffer {
            data: buffer.as_mut_ptr().cast(),
            dataLength: buffer.len(),
        }];
        let mut out = vec![0u8; 1000];
        let call = |in_limit: usize, out: &mut [u8]| {
            // SAFETY: the buffer holds 500 readable bytes and `out` 1000 writable ones; the
            // compressor comes from a live host used only by this thread.
            unsafe {
                compressor.compress.unwrap()(
                    compressor.context,
                    buffers.as_ptr(),
                    1,
                    in_limit,
                    out.as_mut_ptr(),
                    out.len(),
                )
            }
        };
        // The first 300 bytes only, although the buffer holds 500.
        let len = call(300, &mut out);
        assert!(len > 0, "{mode:?}");
        assert_output(
            decompress(&compressor, &out[..len], DECOMPRESS_LIMIT),
            &body[..300],
            &format!("{mode:?}"),
        );
        // More bytes announced than the buffers hold: nothing to compress.
        assert_eq!(call(501, &mut out), 0, "{mode:?}");
    }
}

#[test]
fn codec_compress_accepts_empty_and_null_buffers_among_the_parts() {
    // ENet adds a `{NULL, 0}` buffer for a zero-length packet (`enet_packet_create` leaves its
    // data NULL). ENet's own range coder reads a byte from such a buffer; ours skip it.
    let host = RawHost::create(None);
    for mode in CODEC_MODES {
        host.set(mode);
        let compressor = host.compressor();
        let body = repetitive(600);
        let (first, second) = body.split_at(250);
        let mut first = first.to_vec();
        let mut second = second.to_vec();
        let buffers = [
            ENetBuffer {
                data: ptr::null_mut(),
                dataLength: 0,
            },
            ENetBuffer {
                data: first.as_mut_ptr().cast(),
                dataLength: first.len(),
            },
            ENetBuffer {
                data: ptr::null_mut(),
                dataLength: 0,
            },
            ENetBuffer {
                data: second.as_mut_ptr().cast(),
                dataLength: second.len(),
            },
            ENetBuffer {
                data: ptr::null_mut(),
                dataLength: 0,
            },
        ];
        let mut out = vec![0u8; 600];
        // SAFETY: every non-NULL buffer holds its `dataLength` bytes; `out` is writable for 600
        // bytes; the compressor comes from a live host used only by this thread.
        let len = unsafe {
            compressor.compress.unwrap()(
                compressor.context,
                buffers.as_ptr(),
                buffers.len(),
                600,
                out.as_mut_ptr(),
                600,
            )
        };
        assert!(len > 0 && len < 600, "{mode:?}: {len}");
        assert_output(
            decompress(&compressor, &out[..len], DECOMPRESS_LIMIT),
            &body,
            &format!("{mode:?}"),
        );
    }
}

#[test]
fn decompress_respects_the_output_limit() {
    let host = RawHost::create(None);
    for mode in COMPRESSING_MODES {
        host.set(mode);
        let compressor = host.compressor();
        for body in [repetitive(300), repetitive(4096)] {
            let n = body.len();
            let packed = compress(&compressor, &[&body], n).unwrap();
            // `decompress` also checks that nothing is written past the limit.
            assert_eq!(
                decompress(&compressor, &packed, n - 1),
                None,
                "{mode:?}, {n}"
            );
            assert_output(
                decompress(&compressor, &packed, n),
                &body,
                &format!("{mode:?}, {n}"),
            );
        }
    }
}

#[test]
fn codec_decompress_rejects_every_truncation_of_zlib_and_zstd_data() {
    let host = RawHost::create(None);
    for mode in [CompressionMode::Zlib, CompressionMode::Zstd] {
        host.set(mode);
        let compressor = host.compressor();
        for body in [repetitive(700), low_entropy(5, 700)] {
            let packed = compress(&compressor, &[&body], body.len()).unwrap();
            for cut in 0..packed.len() {
                assert_eq!(
                    decompress(&compressor, &packed[..cut], DECOMPRESS_LIMIT),
                    None,
                    "{mode:?} cut at {cut}"
                );
            }
        }
    }
}

#[test]
fn fastlz_decompress_never_rebuilds_a_body_from_a_truncation() {
    // A FastLZ block has no length or checksum: a cut at an instruction boundary is a valid,
    // shorter block. It must never reproduce the body, and never read or write out of bounds.
    let host = RawHost::create(None);
    host.set(CompressionMode::Fastlz);
    let compressor = host.compressor();
    for body in [repetitive(700), low_entropy(5, 700)] {
        let packed = compress(&compressor, &[&body], body.len()).unwrap();
        for cut in 0..packed.len() {
            let out = decompress(&compressor, &packed[..cut], DECOMPRESS_LIMIT);
            assert_eq!(out, reference_level1_decode(&packed[..cut]), "cut at {cut}");
            assert!(
                out.map_or(true, |out| out.len() < body.len()),
                "cut at {cut}"
            );
        }
    }
}

#[test]
fn codec_decompress_rejects_garbage() {
    let host = RawHost::create(None);
    for mode in [CompressionMode::Zlib, CompressionMode::Zstd] {
        host.set(mode);
        let compressor = host.compressor();
        for n in (0..=64).chain([500, 4096]) {
            let garbage = random_bytes(0xBAD + n as u64, n);
            assert_eq!(
                decompress(&compressor, &garbage, DECOMPRESS_LIMIT),
                None,
                "{mode:?}, {n} bytes"
            );
        }
    }
}

#[test]
fn codec_decompress_of_empty_input_returns_zero() {
    let host = RawHost::create(None);
    for mode in CODEC_MODES {
        host.set(mode);
        let compressor = host.compressor();
        assert_eq!(decompress(&compressor, &[], DECOMPRESS_LIMIT), None);
        let mut out = [0u8; 16];
        // SAFETY: a NULL input of length 0 and a 16-byte output; the compressor is live.
        let len = unsafe {
            compressor.decompress.unwrap()(compressor.context, ptr::null(), 0, out.as_mut_ptr(), 16)
        };
        assert_eq!(len, 0, "{mode:?}");
    }
}

#[test]
fn codec_callbacks_allocate_nothing_once_warmed_up() {
    let host = RawHost::create(None);
    let bodies: Vec<Vec<u8>> = (1..=40)
        .map(|i| match i % 3 {
            0 => repetitive(i * 100),
            1 => low_entropy(i as u64, i * 100),
            _ => random_bytes(i as u64, i * 100),
        })
        .collect();
    let mut out = vec![0u8; MAX_DATAGRAM];
    let mut back = vec![0u8; MAX_DATAGRAM];
    for mode in CODEC_MODES {
        host.set(mode);
        let compressor = host.compressor();
        let mut round_trip = |body: &[u8]| -> usize {
            let buffers = [ENetBuffer {
                data: body.as_ptr().cast_mut().cast(),
                dataLength: body.len(),
            }];
            let before = allocations();
            // SAFETY: the buffer holds `body.len()` bytes (read only), `out` and `back` are
            // writable for their lengths; the compressor comes from a live host of this thread.
            unsafe {
                let len = compressor.compress.unwrap()(
                    compressor.context,
                    buffers.as_ptr(),
                    1,
                    body.len(),
                    out.as_mut_ptr(),
                    body.len(),
                );
                if len > 0 {
                    let unpacked = compressor.decompress.unwrap()(
                        compressor.context,
                        out.as_ptr(),
                        len,
                        back.as_mut_ptr(),
                        back.len(),
                    );
                    assert_eq!(unpacked, body.len());
                }
            }
            allocations() - before
        };
        // The first datagram may set up codec state lazily.
        round_trip(&repetitive(MAX_DATAGRAM));
        let during: usize = bodies.iter().map(|body| round_trip(body)).sum();
        assert_eq!(during, 0, "{mode:?}");
    }
}

#[test]
fn callback_guard_turns_a_panic_into_zero() {
    assert_eq!(guarded(|| 7), 7);
    assert_eq!(guarded(|| panic!("codec bug")), 0);
}

// ---------------------------------------------------------------------------------------------
// Installing, replacing and freeing

#[test]
fn set_compression_installs_the_modes_compressor() {
    let host = RawHost::create(None);
    host.set(CompressionMode::Zlib);
    let ours = host.compressor();
    assert!(!ours.context.is_null());
    assert_eq!(
        ours.compress.map(|f| f as *const () as usize),
        Some(compress_callback as *const () as usize)
    );
    assert_eq!(
        ours.decompress.map(|f| f as *const () as usize),
        Some(decompress_callback as *const () as usize)
    );
    assert_eq!(
        ours.destroy.map(|f| f as *const () as usize),
        Some(destroy_callback as *const () as usize)
    );

    host.set(CompressionMode::RangeCoder);
    let range = host.compressor();
    assert!(!range.context.is_null());
    assert_eq!(
        range.compress.map(|f| f as *const () as usize),
        Some(range_coder_compress_callback as *const () as usize)
    );
    assert_eq!(
        range.decompress.map(|f| f as *const () as usize),
        Some(enet_sys::enet_range_coder_decompress as *const () as usize)
    );
    assert_eq!(
        range.destroy.map(|f| f as *const () as usize),
        Some(enet_sys::enet_range_coder_destroy as *const () as usize)
    );

    host.set(CompressionMode::None);
    assert!(host.compressor().context.is_null());
}

#[test]
fn replaced_and_destroyed_compressors_free_their_codec() {
    assert_eq!(live_codecs::count(), 0);
    let host = RawHost::create(None);
    host.set(CompressionMode::Fastlz);
    assert_eq!(live_codecs::count(), 1);
    host.set(CompressionMode::Zlib);
    assert_eq!(live_codecs::count(), 1);
    host.set(CompressionMode::Zstd);
    assert_eq!(live_codecs::count(), 1);
    host.set(CompressionMode::RangeCoder);
    assert_eq!(live_codecs::count(), 0);
    host.set(CompressionMode::Zstd);
    assert_eq!(live_codecs::count(), 1);
    host.set(CompressionMode::None);
    assert_eq!(live_codecs::count(), 0);
    host.set(CompressionMode::Zlib);
    assert_eq!(live_codecs::count(), 1);
    drop(host); // enet_host_destroy
    assert_eq!(live_codecs::count(), 0);
}

#[test]
fn max_buffers_is_the_length_of_enet_host_buffers() {
    fn array_len<T, const N: usize>(_: fn(&ENetHost) -> &[T; N]) -> usize {
        N
    }
    assert_eq!(array_len(|host| &host.buffers), MAX_BUFFERS);
}

// ---------------------------------------------------------------------------------------------
// RANGE_CODER

/// `enet_range_coder_compress` on a fresh coder with the body in one buffer: what upstream
/// ENet's range coder sends.
fn enet_range_coder_output(body: &[u8]) -> Vec<u8> {
    let mut body = body.to_vec();
    let buffer = ENetBuffer {
        data: body.as_mut_ptr().cast(),
        dataLength: body.len(),
    };
    let mut out = vec![0u8; generous(body.len())];
    // SAFETY: a coder from `enet_range_coder_create`, used once and destroyed; one readable
    // buffer; `out` writable for its length.
    unsafe {
        let coder = enet_sys::enet_range_coder_create();
        assert!(!coder.is_null());
        let len = enet_sys::enet_range_coder_compress(
            coder,
            &buffer,
            1,
            body.len(),
            out.as_mut_ptr(),
            out.len(),
        );
        enet_sys::enet_range_coder_destroy(coder);
        out.truncate(len);
    }
    out
}

#[test]
fn range_coder_output_is_enets_whatever_the_buffers() {
    let host = RawHost::create(None);
    host.set(CompressionMode::RangeCoder);
    let compressor = host.compressor();
    for body in [repetitive(1000), low_entropy(3, 700), random_bytes(4, 300)] {
        let expected = enet_range_coder_output(&body);
        assert!(!expected.is_empty());
        for seed in 0..5 {
            let mut parts = split(&body, seed);
            // Empty buffers, as ENet adds for zero-length packets, anywhere.
            parts.insert(0, &[]);
            parts.insert(parts.len() / 2, &[]);
            parts.push(&[]);
            let packed = compress(&compressor, &parts, generous(body.len()));
            assert_eq!(packed.as_deref(), Some(&expected[..]), "seed {seed}");
        }
    }
}

#[test]
fn range_coder_compress_skips_null_buffers_that_crash_enets_coder() {
    let host = RawHost::create(None);
    host.set(CompressionMode::RangeCoder);
    let compressor = host.compressor();
    let mut body = repetitive(300);
    let expected = enet_range_coder_output(&body);
    let buffers = [
        ENetBuffer {
            data: body.as_mut_ptr().cast(),
            dataLength: body.len(),
        },
        ENetBuffer {
            data: ptr::null_mut(),
            dataLength: 0,
        },
    ];
    let mut out = vec![0u8; 300];
    // SAFETY: the first buffer holds 300 readable bytes, the second is ENet's empty-packet
    // buffer; `out` is writable for 300 bytes; the coder belongs to a live host.
    let len = unsafe {
        compressor.compress.unwrap()(
            compressor.context,
            buffers.as_ptr(),
            2,
            300,
            out.as_mut_ptr(),
            300,
        )
    };
    assert_eq!(out[..len], expected[..]);
}

// ---------------------------------------------------------------------------------------------
// FASTLZ

/// A plain FastLZ level-1 decoder written from the block format alone (see `fastlz.rs`): a
/// second decoder to check the encoder's blocks and the decoder's verdicts against.
fn reference_level1_decode(block: &[u8]) -> Option<Vec<u8>> {
    if block.first()? >> 5 != 0 {
        return None;
    }
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        let opcode = if pos == 0 { block[0] & 31 } else { block[pos] };
        pos += 1;
        let high = usize::from(opcode & 31);
        match opcode >> 5 {
            0 => {
                out.extend_from_slice(block.get(pos..pos + high + 1)?);
                pos += high + 1;
            }
            code => {
                let len = if code == 7 {
                    pos += 1;
                    9 + usize::from(*block.get(pos - 1)?)
                } else {
                    usize::from(code) + 2
                };
                let distance = (high << 8) + usize::from(*block.get(pos)?) + 1;
                pos += 1;
                let start = out.len().checked_sub(distance)?;
                for k in 0..len {
                    out.push(out[start + k]);
                }
            }
        }
        // An instruction takes at least two bytes; a lone last byte is not one.
        if block.len() - pos < 2 {
            return Some(out);
        }
    }
}

#[test]
fn fastlz_encoder_matches_godots_fastlz_byte_for_byte() {
    // Produced by `fastlz_compress` of Godot's thirdparty/misc/fastlz.c (FastLZ 4f20f54).
    let vectors: [(Vec<u8>, &str); 5] = [
        (vec![0; 16], "010000e0020102000000"),
        (b"abcabcabcabcabcabcabcabcabcabc".to_vec(), "02616263e00f0202616263"),
        (vec![0x41; 300], "014141e0fd01e0180102414141"),
        (
            (0..40).collect(),
            "1f000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f072021222324252627",
        ),
        (
            repetitive(100),
            "1f706c61796572203720706f736974696f6e3d2831322e352c20332e323529207613656c6f636974793d28\
             302e302c202d392e382920e0243302202d39",
        ),
    ];
    let mut encoder = fastlz::Level1Encoder::new();
    let mut out = Vec::new();
    for (input, expected) in vectors {
        encoder.compress(&input, &mut out);
        assert_eq!(out, hex(expected), "input {input:?}");
    }

    // (input, compressed length, FNV-1a of the compressed bytes), from the same C.
    let fingerprints = [
        (random_bytes(1, 17), 18, 0xce1b_417c_21cf_5fce_u64),
        (low_entropy(2, 17), 18, 0xb799_0756_660a_43f0),
        (repetitive(17), 18, 0xdbea_1f70_edda_0a6a),
        (random_bytes(1, 100), 104, 0x8d5b_7c33_ccc3_eb69),
        (low_entropy(2, 100), 89, 0x7016_bb1a_d12b_dbcb),
        (repetitive(100), 61, 0x70dd_7e8b_51ab_ea50),
        (random_bytes(1, 1000), 1032, 0x7ed2_19d6_03b5_abdd),
        (low_entropy(2, 1000), 739, 0x680e_11d6_f501_d289),
        (repetitive(1000), 70, 0xb12c_9879_b526_8308),
        (random_bytes(1, 4096), 4224, 0x9b90_d6c9_a8fe_c2af),
        (low_entropy(2, 4096), 2919, 0xc551_1b2d_f9f7_d3a6),
        (repetitive(4096), 106, 0xa91d_153c_85ca_dcbc),
    ];
    for (input, len, fingerprint) in fingerprints {
        encoder.compress(&input, &mut out);
        assert_eq!(
            (out.len(), fnv1a(&out)),
            (len, fingerprint),
            "{} bytes",
            input.len()
        );
    }
}

#[test]
fn fastlz_round_trips_every_length_from_0_to_4096_through_both_decoders() {
    let mut encoder = fastlz::Level1Encoder::new();
    let mut packed = Vec::new();
    let mut out = vec![0u8; 4096];
    for n in 0..=4096 {
        for input in [
            random_bytes(n as u64 + 1, n),
            low_entropy(n as u64 + 2, n),
            repetitive(n),
        ] {
            encoder.compress(&input, &mut packed);
            assert!(packed.len() <= fastlz::max_compressed_len(n), "{n}");
            if n == 0 {
                assert!(packed.is_empty());
                continue;
            }
            assert_eq!(packed[0] >> 5, 0, "level-1 marker, {n}");
            assert_eq!(
                reference_level1_decode(&packed).as_deref(),
                Some(&input[..]),
                "{n}"
            );
            assert_eq!(fastlz::decompress(&packed, &mut out), Some(n), "{n}");
            assert_eq!(out[..n], input[..], "{n}");
        }
    }
}

#[test]
fn fastlz_compress_pads_short_bodies_to_16_bytes_like_godot() {
    let host = RawHost::create(None);
    host.set(CompressionMode::Fastlz);
    let compressor = host.compressor();
    // 12 zero bytes are compressed as 16: the block of 16 zeros, which decodes to 16 bytes.
    let packed = compress(&compressor, &[&[0; 5], &[0; 7]], 12).unwrap();
    assert_eq!(packed, hex("010000e0020102000000"));
    assert_eq!(
        decompress(&compressor, &packed, DECOMPRESS_LIMIT),
        Some(vec![0; 16])
    );
}

#[test]
fn fastlz_decompress_agrees_with_the_reference_decoder_on_garbage() {
    let host = RawHost::create(None);
    host.set(CompressionMode::Fastlz);
    let compressor = host.compressor();
    for seed in 0..3000u64 {
        let mut garbage = if seed % 2 == 0 {
            random_bytes(seed + 1, (seed % 97) as usize + 1)
        } else {
            low_entropy(seed, (seed % 97) as usize + 1)
                .iter()
                .map(|b| b & 0x27)
                .collect()
        };
        garbage[0] &= 0x1f; // level 1: the reference decoder knows no other level
        let limit = (seed % 300) as usize;
        let expected = reference_level1_decode(&garbage).filter(|out| out.len() <= limit);
        assert_eq!(
            decompress(&compressor, &garbage, limit),
            expected,
            "seed {seed}"
        );
    }
}

#[test]
fn fastlz_decompress_rejects_unknown_level_markers() {
    let host = RawHost::create(None);
    host.set(CompressionMode::Fastlz);
    let compressor = host.compressor();
    let valid = hex("02616263e00f0202616263");
    for marker in 2..8u8 {
        let mut block = valid.clone();
        block[0] |= marker << 5;
        assert_eq!(
            decompress(&compressor, &block, DECOMPRESS_LIMIT),
            None,
            "marker {marker}"
        );
    }
}

#[test]
fn fastlz_decompress_ignores_a_lone_trailing_byte_like_fastlz() {
    let host = RawHost::create(None);
    host.set(CompressionMode::Fastlz);
    let compressor = host.compressor();
    let mut block = hex("02616263e00f0202616263");
    block.push(0x05);
    assert_eq!(
        decompress(&compressor, &block, DECOMPRESS_LIMIT),
        Some(b"abcabcabcabcabcabcabcabcabcabc".to_vec())
    );
}

#[test]
fn fastlz_decompress_accepts_level_2_blocks_like_godot() {
    // `fastlz2_compress` output of Godot's FastLZ: a 600-byte run (extra length bytes 255, 255,
    // 76) and a text with a 3-byte extended match.
    let host = RawHost::create(None);
    host.set(CompressionMode::Fastlz);
    let compressor = host.compressor();
    let run = hex("214141e0ffff4c0002414141");
    assert_eq!(
        decompress(&compressor, &run, DECOMPRESS_LIMIT),
        Some(vec![0x41; 600])
    );
    let text = hex(
        "3f706c61796572203720706f736974696f6e3d2831322e352c20332e323529207613656c6f636974793d28\
         302e302c202d392e382920e0243302202d39",
    );
    assert_eq!(
        decompress(&compressor, &text, DECOMPRESS_LIMIT),
        Some(repetitive(100))
    );
    // A 16-bit far distance reaching before the output start is rejected.
    let far = hex("2041ff00ffff0000");
    assert_eq!(decompress(&compressor, &far, DECOMPRESS_LIMIT), None);
}

// ---------------------------------------------------------------------------------------------
// ZLIB

fn adler32(data: &[u8]) -> u32 {
    let (a, b) = data.iter().fold((1u32, 0u32), |(a, b), &byte| {
        let a = (a + u32::from(byte)) % 65521;
        (a, (b + a) % 65521)
    });
    b << 16 | a
}

#[test]
fn zlib_output_is_an_rfc1950_stream_that_miniz_oxide_decodes() {
    let host = RawHost::create(None);
    host.set(CompressionMode::Zlib);
    let compressor = host.compressor();
    for body in [repetitive(4096), low_entropy(9, 1000), repetitive(120)] {
        let packed = compress(&compressor, &split(&body, 5), body.len()).unwrap();
        // CMF 0x78: deflate, 32 KiB window; FLG 0x9C: level 6 ("default"), no dictionary.
        assert_eq!(packed[..2], [0x78, 0x9c]);
        assert_eq!((u32::from(packed[0]) * 256 + u32::from(packed[1])) % 31, 0);
        assert_eq!(packed[packed.len() - 4..], adler32(&body).to_be_bytes());
        let decoded = miniz_oxide::inflate::decompress_to_vec_zlib(&packed).unwrap();
        assert_eq!(decoded, body);
    }
}

#[test]
fn zlib_decompress_accepts_streams_from_c_zlib_and_miniz_oxide() {
    let host = RawHost::create(None);
    host.set(CompressionMode::Zlib);
    let compressor = host.compressor();
    let body = repetitive(120);
    // Python's `zlib.compress(body, level)` (C zlib 1.2.13), levels 1, 6 and 9.
    let deflated =
        "2bc849ac4c2d52305728c82fce2cc9cccfb3d53034d233d55130d63332d554284bcdc94fce2ca9b4d5\
                    30d033d051d0b5d4b3d05428a0821e006e982394";
    for header in ["7801", "789c", "78da"] {
        let stream = hex(&format!("{header}{deflated}"));
        assert_eq!(
            decompress(&compressor, &stream, DECOMPRESS_LIMIT),
            Some(body.clone()),
            "{header}"
        );
    }
    for level in [0, 1, 6, 10] {
        let stream = miniz_oxide::deflate::compress_to_vec_zlib(&body, level);
        assert_eq!(
            decompress(&compressor, &stream, DECOMPRESS_LIMIT),
            Some(body.clone()),
            "miniz level {level}"
        );
    }
}

#[test]
fn zlib_decompress_drops_bad_checksums_other_formats_and_dictionaries() {
    let host = RawHost::create(None);
    host.set(CompressionMode::Zlib);
    let compressor = host.compressor();
    let body = repetitive(120);
    let good = miniz_oxide::deflate::compress_to_vec_zlib(&body, 6);

    let mut bad_adler = good.clone();
    *bad_adler.last_mut().unwrap() ^= 1;
    let raw_deflate = miniz_oxide::deflate::compress_to_vec(&body, 6);
    let mut gzip = hex("1f8b08000000000000ff");
    gzip.extend_from_slice(&raw_deflate);
    // Python: zlib.compressobj(zdict=the repeated line), FDICT set in the header.
    let with_dictionary = hex("78bbb18e0ec52b18203d006e982394");

    for (what, stream) in [
        ("bad Adler-32", bad_adler),
        ("raw deflate", raw_deflate),
        ("gzip", gzip),
        ("preset dictionary", with_dictionary),
    ] {
        assert_eq!(
            decompress(&compressor, &stream, DECOMPRESS_LIMIT),
            None,
            "{what}"
        );
    }
    assert_eq!(decompress(&compressor, &good, DECOMPRESS_LIMIT), Some(body));
}

#[test]
fn zlib_decompress_ignores_bytes_after_the_stream_end_like_inflate() {
    let host = RawHost::create(None);
    host.set(CompressionMode::Zlib);
    let compressor = host.compressor();
    let body = repetitive(200);
    let mut stream = miniz_oxide::deflate::compress_to_vec_zlib(&body, 6);
    stream.extend_from_slice(b"trailing");
    assert_eq!(
        decompress(&compressor, &stream, DECOMPRESS_LIMIT),
        Some(body)
    );
}

// ---------------------------------------------------------------------------------------------
// ZSTD

fn ruzstd_decode(frame: &[u8]) -> Vec<u8> {
    let mut input = frame;
    let mut decoder = ruzstd::decoding::StreamingDecoder::new(&mut input).unwrap();
    let mut out = Vec::new();
    decoder.read_to_end(&mut out).unwrap();
    out
}

#[test]
fn zstd_output_is_one_frame_with_content_size_that_ruzstd_decodes() {
    let host = RawHost::create(None);
    host.set(CompressionMode::Zstd);
    let compressor = host.compressor();
    // Frame header: magic, descriptor (single segment, no checksum, no dictionary), then the
    // content size, 1 byte below 256, else 2 bytes little-endian minus 256.
    for (body, header) in [
        (repetitive(4096), "28b52ffd60000f"),
        (low_entropy(4, 1000), "28b52ffd60e802"),
        (repetitive(200), "28b52ffd20c8"),
    ] {
        let packed = compress(&compressor, &split(&body, 9), body.len()).unwrap();
        assert_eq!(packed[..header.len() / 2], hex(header));
        assert_eq!(ruzstd_decode(&packed), body);
    }
}

#[test]
fn zstd_decompress_accepts_frames_from_ruzstd_and_consecutive_frames() {
    let host = RawHost::create(None);
    host.set(CompressionMode::Zstd);
    let compressor = host.compressor();
    let first = repetitive(900);
    let second = low_entropy(8, 600);
    let frame =
        ruzstd::encoding::compress_to_vec(&first[..], ruzstd::encoding::CompressionLevel::Fastest);
    assert_output(
        decompress(&compressor, &frame, DECOMPRESS_LIMIT),
        &first,
        "one ruzstd frame",
    );
    // ZSTD_decompressDCtx, as Godot calls it, decodes frames one after another.
    let mut frames = frame;
    frames.extend(ruzstd::encoding::compress_to_vec(
        &second[..],
        ruzstd::encoding::CompressionLevel::Fastest,
    ));
    assert_output(
        decompress(&compressor, &frames, DECOMPRESS_LIMIT),
        &[first, second].concat(),
        "two ruzstd frames",
    );
}

#[test]
fn zstd_decompress_drops_corrupted_frames() {
    let host = RawHost::create(None);
    host.set(CompressionMode::Zstd);
    let compressor = host.compressor();
    let body = repetitive(1000);
    let good = compress(&compressor, &[&body], 1000).unwrap();
    let mut bad_magic = good.clone();
    bad_magic[0] ^= 0xff;
    let mut bad_size = good.clone();
    bad_size[5] ^= 1; // content size 1000 -> 1001: the blocks no longer add up
    for (what, frame) in [("magic", bad_magic), ("content size", bad_size)] {
        assert_eq!(
            decompress(&compressor, &frame, DECOMPRESS_LIMIT),
            None,
            "{what}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Two real hosts on loopback

thread_local! {
    /// Per receiving host: (COMPRESSED flag set, datagram length) of every datagram it got.
    static SEEN: RefCell<HashMap<usize, Vec<(bool, usize)>>> = RefCell::new(HashMap::new());
    /// Set when the intercept saw something it could not parse.
    static BAD_DATAGRAM: Cell<bool> = const { Cell::new(false) };
}

/// ENet intercept: records each raw datagram's COMPRESSED flag (bit 14 of the big-endian
/// peer-ID field, the first two bytes) and length, then lets ENet process it.
unsafe extern "C" fn record_datagram(host: *mut ENetHost, _event: *mut ENetEvent) -> c_int {
    // SAFETY: ENet calls the intercept with its live host, whose receive buffer holds
    // `receivedDataLength` bytes.
    let datagram = unsafe {
        raw_slice(
            (*host).receivedData.cast_const(),
            (*host).receivedDataLength,
        )
    };
    if let [high, low, ..] = *datagram {
        let flagged =
            u16::from_be_bytes([high, low]) & ENET_PROTOCOL_HEADER_FLAG_COMPRESSED as u16 != 0;
        SEEN.with(|seen| {
            seen.borrow_mut()
                .entry(host as usize)
                .or_default()
                .push((flagged, datagram.len()))
        });
    } else {
        BAD_DATAGRAM.with(|bad| bad.set(true));
    }
    0
}

/// Services both hosts until `want(index, event)` holds for an event of `hosts[index]`; other
/// events are dropped (with their packets). Fails after 5 seconds.
fn pump(
    hosts: [&RawHost; 2],
    mut want: impl FnMut(usize, &ENetEvent) -> bool,
) -> (usize, ENetEvent) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        for (index, host) in hosts.iter().enumerate() {
            // SAFETY: an all-zero ENetEvent is valid (type NONE, null pointers).
            let mut event: ENetEvent = unsafe { std::mem::zeroed() };
            // SAFETY: the host is live and used only by this thread; `event` is writable.
            let rc = unsafe { enet_sys::enet_host_service(host.0, &mut event, 1) };
            assert!(rc >= 0, "enet_host_service failed");
            if rc > 0 {
                if want(index, &event) {
                    return (index, event);
                }
                if event.type_ == ENET_EVENT_TYPE_RECEIVE {
                    // SAFETY: a RECEIVE event hands us the packet; it is destroyed once.
                    unsafe { enet_sys::enet_packet_destroy(event.packet) };
                }
            }
        }
    }
    panic!("no wanted event within 5 s");
}

/// Sends `data` reliably on channel 0 from `peer` and returns what `hosts[to]` receives.
fn send_and_receive(hosts: [&RawHost; 2], peer: *mut ENetPeer, data: &[u8], to: usize) -> Vec<u8> {
    // SAFETY: `data` is readable for its length; ENet copies it into the new packet.
    let packet = unsafe {
        enet_sys::enet_packet_create(data.as_ptr().cast(), data.len(), ENET_PACKET_FLAG_RELIABLE)
    };
    assert!(!packet.is_null());
    // SAFETY: `peer` is a connected peer of a live host; ENet takes the packet.
    assert_eq!(unsafe { enet_sys::enet_peer_send(peer, 0, packet) }, 0);
    let (_, event) = pump(hosts, |index, event| {
        index == to && event.type_ == ENET_EVENT_TYPE_RECEIVE
    });
    // SAFETY: the RECEIVE event owns a live packet of `dataLength` bytes, destroyed once after
    // the copy.
    unsafe {
        let received = raw_slice(
            (*event.packet).data.cast_const(),
            (*event.packet).dataLength,
        )
        .to_vec();
        enet_sys::enet_packet_destroy(event.packet);
        received
    }
}

/// Connects a client to a server on loopback, both in `mode`, exchanges a compressible reliable
/// packet each way, and checks what went over the wire.
fn exchange_on_loopback(mode: CompressionMode) {
    let server = RawHost::loopback();
    let client = RawHost::create(None);
    for host in [&server, &client] {
        host.set(mode);
        // SAFETY: the hosts are live and used only by this thread.
        unsafe { (*host.0).intercept = Some(record_datagram) };
    }
    let hosts = [&server, &client];

    // SAFETY: the client is live; the address is a live local.
    let client_peer = unsafe { enet_sys::enet_host_connect(client.0, &server.address(), 1, 0) };
    assert!(!client_peer.is_null());
    let mut server_peer = ptr::null_mut();
    let mut connected = [false; 2];
    while connected != [true; 2] {
        let (index, event) = pump(hosts, |_, event| event.type_ == ENET_EVENT_TYPE_CONNECT);
        connected[index] = true;
        if index == 0 {
            server_peer = event.peer;
        }
    }

    let upstream = repetitive(1000);
    let downstream = low_entropy(42, 1200);
    assert_eq!(
        send_and_receive(hosts, client_peer, &upstream, 0),
        upstream,
        "{mode:?}"
    );
    assert_eq!(
        send_and_receive(hosts, server_peer, &downstream, 1),
        downstream,
        "{mode:?}"
    );
    // Zero-length packets: ENet adds a `{NULL, 0}` buffer to their datagram, on which upstream
    // ENet's range coder would crash the sender.
    for (from, to) in [(client_peer, 0), (server_peer, 1)] {
        assert_eq!(send_and_receive(hosts, from, &[], to), [], "{mode:?}");
    }

    assert!(
        !BAD_DATAGRAM.with(Cell::get),
        "{mode:?}: datagram shorter than a header"
    );
    for (host, payload) in [(&server, upstream.len()), (&client, downstream.len())] {
        let seen = SEEN.with(|seen| {
            seen.borrow_mut()
                .remove(&(host.0 as usize))
                .unwrap_or_default()
        });
        let flagged = seen.iter().filter(|(flagged, _)| *flagged).count();
        let longest = seen.iter().map(|&(_, len)| len).max().unwrap_or(0);
        if mode == CompressionMode::None {
            assert_eq!(flagged, 0, "{mode:?}: {seen:?}");
            assert!(
                longest > payload,
                "{mode:?}: the payload datagram is {longest} bytes"
            );
        } else {
            assert!(flagged > 0, "{mode:?}: {seen:?}");
            // The datagram that carried the payload must have been compressed to be this short.
            assert!(
                longest < payload,
                "{mode:?}: the longest datagram is {longest} bytes"
            );
        }
    }
}

#[test]
fn two_hosts_exchange_uncompressed_datagrams_in_mode_none() {
    exchange_on_loopback(CompressionMode::None);
}

#[test]
fn two_hosts_exchange_compressed_datagrams_with_the_range_coder() {
    exchange_on_loopback(CompressionMode::RangeCoder);
}

#[test]
fn two_hosts_exchange_compressed_datagrams_with_fastlz() {
    exchange_on_loopback(CompressionMode::Fastlz);
}

#[test]
fn two_hosts_exchange_compressed_datagrams_with_zlib() {
    exchange_on_loopback(CompressionMode::Zlib);
}

#[test]
fn two_hosts_exchange_compressed_datagrams_with_zstd() {
    exchange_on_loopback(CompressionMode::Zstd);
}

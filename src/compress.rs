//! Godot 4's five ENet compression modes (`ENetConnection.CompressionMode`), wire-compatible
//! with Godot 4 peers.
//!
//! ENet runs the body of every outgoing datagram (all command bytes after the protocol header)
//! through the host's `ENetCompressor`. It keeps the result only if it is non-zero and strictly
//! smaller than the body, and then sets `ENET_PROTOCOL_HEADER_FLAG_COMPRESSED` (bit 14 of the
//! big-endian peer-ID field). The receiver decompresses into its 4096-byte buffer and drops the
//! datagram when the callback returns 0. Nothing is negotiated: both ends must use the same mode,
//! or the peers cannot talk (Godot's docs: clients "will fail to connect").
//!
//! [`CompressionMode::None`] and [`CompressionMode::RangeCoder`] are ENet's own (the range coder
//! behind a `compress` callback that shields it from empty buffers). The other three install
//! callbacks (`compress`, `decompress`, `destroy`) whose context is a boxed per-host [`Codec`],
//! holding the codec state and scratch buffers, so a steady stream of datagrams allocates
//! nothing. Like Godot's callbacks, `compress` concatenates ENet's buffers, compresses
//! them into a scratch buffer and copies the result out when it fits; `decompress` writes
//! straight into ENet's buffer.

// Every unsafe operation below sits in its own block with a `// SAFETY:` comment.
#![deny(unsafe_op_in_unsafe_fn)]

mod fastlz;
#[cfg(test)]
mod tests;

use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::{ptr, slice};

use enet_sys::{ENetBuffer, ENetCompressor, ENetHost};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use zstd::zstd_safe::{self, CCtx, DCtx};

/// How a host compresses the body of each datagram: Godot's `ENetConnection.CompressionMode`,
/// with the same integer values.
///
/// Both ends of a connection must use the same mode. A fresh ENet host uses
/// [`CompressionMode::None`] (the [`Default`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(i32)]
pub enum CompressionMode {
    /// `COMPRESS_NONE` (0): datagrams are sent uncompressed, exactly as ENet builds them.
    #[default]
    None = 0,
    /// `COMPRESS_RANGE_CODER` (1): ENet's built-in adaptive range coder (the `enet_range_coder_*`
    /// functions `enet_host_compress_with_range_coder` installs), byte-identical to upstream
    /// ENet 1.3; it interoperates with any ENet 1.3 peer using the range coder.
    ///
    /// One fix: ENet 1.3.18's coder dereferences the `{NULL, 0}` buffer ENet adds for a
    /// zero-length packet, which crashes the sender; empty buffers are left out before it runs,
    /// which does not change its output.
    RangeCoder = 1,
    /// `COMPRESS_FASTLZ` (2): the body is one raw FastLZ level-1 block (FastLZ 0.5.0's
    /// `fastlz_compress`, which picks level 1 for inputs under 65536 bytes), with no header of
    /// its own: the top three bits of the first byte are FastLZ's level marker, `000`. The
    /// receiver also decodes level-2 blocks (marker `001`), as Godot does.
    ///
    /// Godot quirk, mirrored: a body shorter than 16 bytes is zero-padded to 16 before it is
    /// compressed, so the receiver gets those zeros too. ENet then stops parsing at the first
    /// zero byte (command 0 has no size), so the padding is harmless; and it needs a body of 11 to
    /// 15 bytes that compresses to fewer bytes than it has, which ENet's commands rarely do.
    Fastlz = 2,
    /// `COMPRESS_ZLIB` (3): the body is one complete zlib stream (RFC 1950: a 2-byte header,
    /// DEFLATE data, then the Adler-32 of the body, big-endian), compressed at level 6 (Godot's
    /// default, zlib's `Z_DEFAULT_COMPRESSION`) with a 32 KiB window and no preset dictionary.
    /// Not raw DEFLATE and not gzip. The receiver drops a datagram whose stream does not end
    /// within it (bytes after the stream's end are ignored, as zlib's `inflate` does).
    Zlib = 3,
    /// `COMPRESS_ZSTD` (4): the body is one Zstandard frame (RFC 8878, magic `28 B5 2F FD`)
    /// made by `ZSTD_compressCCtx` at level 3, with the content size recorded, no checksum and no
    /// dictionary (Godot's defaults; long-distance matching off). The receiver decodes with
    /// `ZSTD_decompressDCtx`, which also accepts several frames in a row.
    Zstd = 4,
}

impl TryFrom<i32> for CompressionMode {
    /// The value itself, when it names no mode. Godot's `compress()` ignores such a value and
    /// leaves the host's compressor as it was; callers map this error as they see fit.
    type Error = i32;

    fn try_from(value: i32) -> Result<Self, i32> {
        Ok(match value {
            0 => Self::None,
            1 => Self::RangeCoder,
            2 => Self::Fastlz,
            3 => Self::Zlib,
            4 => Self::Zstd,
            _ => return Err(value),
        })
    }
}

impl From<CompressionMode> for i32 {
    /// Godot's integer value of the mode.
    fn from(mode: CompressionMode) -> i32 {
        mode as i32
    }
}

/// Installs `mode`'s compressor on `host` (Godot's `ENetConnection::compress` for a valid mode).
///
/// ENet calls the previous compressor's `destroy` callback first, so a replaced codec is freed;
/// ENet also calls it from `enet_host_destroy`.
///
/// [`CompressionMode::RangeCoder`] installs what `enet_host_compress_with_range_coder` does,
/// except for the `compress` callback, which leaves out empty buffers before calling
/// `enet_range_coder_compress` (see [`range_coder_compress_callback`]). ENet allocates the coder
/// with `malloc`; if that fails, the previous compressor stays, as with ENet's function (Godot
/// ignores this case too).
///
/// # Panics
///
/// If zstd cannot allocate its contexts ([`CompressionMode::Zstd`]).
///
/// # Safety
///
/// `host` must point to a live host made by `enet_host_create` and not yet destroyed, and no
/// other thread may use that host during the call.
pub(crate) unsafe fn set_compression(host: *mut ENetHost, mode: CompressionMode) {
    debug_assert!(!host.is_null());
    let compressor = match mode {
        CompressionMode::None => {
            // SAFETY: the caller guarantees a live, unshared host; NULL disables compression
            // after destroying the previous compressor's context.
            unsafe { enet_sys::enet_host_compress(host, ptr::null()) };
            return;
        }
        CompressionMode::RangeCoder => {
            // SAFETY: no preconditions; NULL when `malloc` fails.
            let coder = unsafe { enet_sys::enet_range_coder_create() };
            if coder.is_null() {
                // What `enet_host_compress_with_range_coder` does too: keep the old compressor.
                return;
            }
            ENetCompressor {
                context: coder,
                compress: Some(range_coder_compress_callback),
                decompress: Some(enet_sys::enet_range_coder_decompress),
                destroy: Some(enet_sys::enet_range_coder_destroy),
            }
        }
        CompressionMode::Fastlz | CompressionMode::Zlib | CompressionMode::Zstd => {
            let engine = match mode {
                CompressionMode::Fastlz => Engine::Fastlz(fastlz::Level1Encoder::new()),
                CompressionMode::Zlib => Engine::Zlib {
                    deflate: Compress::new(Compression::new(ZLIB_LEVEL), true),
                    inflate: Decompress::new(true),
                },
                _ => Engine::Zstd {
                    compressor: CCtx::create(),
                    decompressor: DCtx::create(),
                },
            };
            ENetCompressor {
                context: Box::into_raw(Box::new(Codec::new(engine))).cast(),
                compress: Some(compress_callback),
                decompress: Some(decompress_callback),
                destroy: Some(destroy_callback),
            }
        }
    };
    // SAFETY: the caller guarantees a live, unshared host. ENet copies `compressor`, destroys
    // the previous context, and from now on owns `context`: it is freed by the `destroy`
    // callback (`destroy_callback` for a `Codec`, `enet_range_coder_destroy` for the coder).
    unsafe { enet_sys::enet_host_compress(host, &compressor) };
}

/// zlib compression level: Godot's `compression/formats/zlib/compression_level` default (-1,
/// zlib's `Z_DEFAULT_COMPRESSION`), which zlib maps to 6.
const ZLIB_LEVEL: u32 = 6;
/// zstd compression level: Godot's `compression/formats/zstd/compression_level` default.
const ZSTD_LEVEL: i32 = 3;
/// Godot zero-pads FastLZ inputs shorter than this (`Compression::compress`, `MODE_FASTLZ`).
const FASTLZ_MIN_INPUT: usize = 16;
/// ENet's largest datagram, and so the largest body a callback sees.
const MAX_DATAGRAM: usize = enet_sys::ENET_PROTOCOL_MAXIMUM_MTU as usize;
/// ENet's `ENET_BUFFER_MAXIMUM` on this platform (the length of `ENetHost::buffers`): more
/// buffers than ENet ever hands a compressor.
const MAX_BUFFERS: usize = 1 + 2 * enet_sys::ENET_PROTOCOL_MAXIMUM_PACKET_COMMANDS as usize;

/// The per-host state behind ENet's `context` pointer for FASTLZ, ZLIB and ZSTD.
struct Codec {
    /// The codec and its reusable state.
    engine: Engine,
    /// The datagram body, gathered from ENet's buffers.
    body: Vec<u8>,
    /// The compressed body, before it is known to fit ENet's output limit.
    packed: Vec<u8>,
}

/// One of the three codecs Godot implements itself, with its reusable state.
// One per host, inside the `Box<Codec>` ENet holds: it is never moved, so the zlib variant's size
// costs nothing, and boxing it would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum Engine {
    /// FastLZ level 1, with the encoder's hash table.
    Fastlz(fastlz::Level1Encoder),
    /// zlib streams; both halves are reset before each datagram.
    Zlib {
        /// Level-6 zlib-format compressor.
        deflate: Compress,
        /// zlib-format decompressor.
        inflate: Decompress,
    },
    /// zstd frames; one-shot calls reuse the contexts' workspaces.
    Zstd {
        /// Compression context (`ZSTD_compressCCtx`).
        compressor: CCtx<'static>,
        /// Decompression context (`ZSTD_decompressDCtx`).
        decompressor: DCtx<'static>,
    },
}

// A `Send` host needs a `Send` codec: the codec moves with the host to whichever thread services
// it.
const _: () = {
    const fn assert_send<T: Send>() {}
    assert_send::<Codec>();
};

/// zlib's `deflateBound` for unknown parameters plus the zlib wrapper: room for the whole stream
/// at any level. A stream that would not fit is bigger than its input and useless to ENet anyway.
const fn zlib_bound(len: usize) -> usize {
    len + len.div_ceil(8) + len.div_ceil(64) + 5 + 6
}

impl Codec {
    /// A codec with scratch buffers sized for the largest datagram.
    fn new(engine: Engine) -> Self {
        #[cfg(test)]
        tests::live_codecs::created();
        Self {
            engine,
            body: Vec::with_capacity(MAX_DATAGRAM),
            packed: Vec::with_capacity(zlib_bound(MAX_DATAGRAM)),
        }
    }

    /// Copies the first `limit` bytes of `parts` into `self.body`. Returns false when the parts
    /// hold fewer bytes (ENet always passes exactly `limit`).
    fn gather<'a>(&mut self, parts: impl IntoIterator<Item = &'a [u8]>, limit: usize) -> bool {
        self.body.clear();
        for part in parts {
            let take = part.len().min(limit - self.body.len());
            self.body.extend_from_slice(&part[..take]);
        }
        self.body.len() == limit
    }

    /// Compresses `self.body` into `out`. Returns the compressed length, or 0 when compression
    /// failed or the result is not strictly smaller than `out.len()` (ENet passes the body's
    /// size; Godot gives up only above it, but ENet ignores an equal size anyway).
    fn compress(&mut self, out: &mut [u8]) -> usize {
        let Self {
            engine,
            body,
            packed,
        } = self;
        let complete = match engine {
            Engine::Fastlz(encoder) => {
                if body.len() < FASTLZ_MIN_INPUT {
                    body.resize(FASTLZ_MIN_INPUT, 0);
                }
                encoder.compress(body, packed);
                true
            }
            Engine::Zlib { deflate, .. } => {
                deflate.reset();
                packed.clear();
                packed.reserve(zlib_bound(body.len()));
                matches!(
                    deflate.compress_vec(body, packed, FlushCompress::Finish),
                    Ok(Status::StreamEnd)
                )
            }
            Engine::Zstd { compressor, .. } => {
                packed.clear();
                packed.reserve(zstd_safe::compress_bound(body.len()));
                compressor.compress(packed, body, ZSTD_LEVEL).is_ok()
            }
        };
        let len = packed.len();
        if !complete || len == 0 || len >= out.len() {
            return 0;
        }
        out[..len].copy_from_slice(packed);
        len
    }

    /// Decompresses `input` into `out`. Returns the decompressed length, or 0 when the input is
    /// invalid or its content does not fit `out`.
    fn decompress(&mut self, input: &[u8], out: &mut [u8]) -> usize {
        match &mut self.engine {
            Engine::Fastlz(_) => fastlz::decompress(input, out).unwrap_or(0),
            Engine::Zlib { inflate, .. } => {
                inflate.reset(true);
                match inflate.decompress(input, out, FlushDecompress::Finish) {
                    Ok(Status::StreamEnd) => usize::try_from(inflate.total_out()).unwrap_or(0),
                    _ => 0,
                }
            }
            Engine::Zstd { decompressor, .. } => decompressor.decompress(out, input).unwrap_or(0),
        }
    }
}

#[cfg(test)]
impl Drop for Codec {
    fn drop(&mut self) {
        tests::live_codecs::dropped();
    }
}

/// Runs a callback body and turns a panic into 0, ENet's "nothing produced": a panic must never
/// unwind into ENet's C frames.
///
/// Asserting unwind safety is sound: a panic can leave the codec half-updated, but every call
/// resets what it uses first (the body and output buffers, the FastLZ table, the zlib streams;
/// zstd's one-shot calls start a fresh frame).
fn guarded(body: impl FnOnce() -> usize) -> usize {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(0)
}

/// `slice::from_raw_parts`, with a null pointer or a zero length giving an empty slice.
///
/// # Safety
///
/// Unless `data` is null or `len` is 0, `data` must be valid for reads of `len` elements during
/// `'a`, and nothing may write to them meanwhile.
unsafe fn raw_slice<'a, T>(data: *const T, len: usize) -> &'a [T] {
    if data.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: non-null, and the caller guarantees `len` readable, unaliased-by-writes elements.
        unsafe { slice::from_raw_parts(data, len) }
    }
}

/// `slice::from_raw_parts_mut`, with a null pointer or a zero length giving an empty slice.
///
/// # Safety
///
/// Unless `data` is null or `len` is 0, `data` must be valid for reads and writes of `len`
/// bytes during `'a`, and nothing else may access them meanwhile.
unsafe fn raw_slice_mut<'a>(data: *mut u8, len: usize) -> &'a mut [u8] {
    if data.is_null() || len == 0 {
        &mut []
    } else {
        // SAFETY: non-null, and the caller guarantees `len` exclusively accessible bytes.
        unsafe { slice::from_raw_parts_mut(data, len) }
    }
}

/// Returns the codec behind ENet's `context`.
///
/// # Safety
///
/// `context` must be a pointer made by [`set_compression`] that ENet has not yet passed to
/// [`destroy_callback`], and no other reference to the codec may exist during `'a`.
unsafe fn codec_at<'a>(context: *mut c_void) -> Option<&'a mut Codec> {
    // SAFETY: per the contract, a non-null `context` is a live, unaliased `Box<Codec>` pointer.
    unsafe { context.cast::<Codec>().as_mut() }
}

/// ENet's `compress` callback: compresses the first `in_limit` bytes of `in_buffers` into
/// `out_data`, returning the compressed size, or 0 to send the datagram uncompressed.
///
/// # Safety
///
/// Called by ENet only (`protocol.c`, `enet_protocol_send_outgoing_commands`): `context` comes
/// from [`set_compression`]; `in_buffers` holds `in_buffer_count` buffers of readable bytes;
/// `out_data` is writable for `out_limit` bytes and overlaps none of them; ENet calls a host's
/// callbacks from the thread servicing it, one at a time.
unsafe extern "C" fn compress_callback(
    context: *mut c_void,
    in_buffers: *const ENetBuffer,
    in_buffer_count: usize,
    in_limit: usize,
    out_data: *mut u8,
    out_limit: usize,
) -> usize {
    guarded(|| {
        // SAFETY: `context` is ours and no other callback runs concurrently (contract above).
        let Some(codec) = (unsafe { codec_at(context) }) else {
            return 0;
        };
        // SAFETY: ENet passes `in_buffer_count` initialised buffers (contract above).
        let buffers = unsafe { raw_slice(in_buffers, in_buffer_count) };
        let parts = buffers.iter().map(|buffer| {
            // SAFETY: each ENet buffer points to `dataLength` readable bytes (contract above).
            unsafe { raw_slice(buffer.data.cast::<u8>().cast_const(), buffer.dataLength) }
        });
        if !codec.gather(parts, in_limit) {
            return 0;
        }
        // SAFETY: `out_data` is writable for `out_limit` bytes, not aliased (contract above).
        let out = unsafe { raw_slice_mut(out_data, out_limit) };
        codec.compress(out)
    })
}

/// ENet's `decompress` callback: decompresses the `in_limit` bytes at `in_data` into
/// `out_data`, returning the decompressed size, or 0 to drop the datagram.
///
/// # Safety
///
/// Called by ENet only (`protocol.c`, `enet_protocol_handle_incoming_commands`): `context` comes
/// from [`set_compression`]; `in_data` is readable for `in_limit` bytes; `out_data` is writable
/// for `out_limit` bytes and does not overlap the input; calls on one host never overlap.
unsafe extern "C" fn decompress_callback(
    context: *mut c_void,
    in_data: *const u8,
    in_limit: usize,
    out_data: *mut u8,
    out_limit: usize,
) -> usize {
    guarded(|| {
        // SAFETY: `context` is ours and no other callback runs concurrently (contract above).
        let Some(codec) = (unsafe { codec_at(context) }) else {
            return 0;
        };
        // Upstream 1.3.18 computes this length as `receivedDataLength - headerSize`, which
        // underflows for a compressed datagram shorter than its header. The intercept trampoline
        // drops those first; this keeps the slice below valid even if one got through.
        if in_limit > isize::MAX as usize {
            return 0;
        }
        // SAFETY: `in_data` is readable for `in_limit` bytes (contract above).
        let input = unsafe { raw_slice(in_data, in_limit) };
        // SAFETY: `out_data` is writable for `out_limit` bytes, not aliased (contract above).
        let out = unsafe { raw_slice_mut(out_data, out_limit) };
        codec.decompress(input, out)
    })
}

/// The `compress` callback of [`CompressionMode::RangeCoder`]: ENet's `enet_range_coder_compress`
/// over the non-empty buffers only.
///
/// ENet adds a `{NULL, 0}` buffer for a zero-length packet (`enet_packet_create` leaves its data
/// NULL), and ENet 1.3.18's range coder reads one byte from each buffer it moves to, so it would
/// dereference NULL. The coder consumes the bytes in order, whatever the buffer boundaries, so
/// leaving empty buffers out does not change its output. More than [`MAX_BUFFERS`] non-empty
/// buffers (never from ENet) give 0: the datagram goes uncompressed.
///
/// # Safety
///
/// Called by ENet only: `context` is a coder from `enet_range_coder_create`, the other
/// arguments as for [`compress_callback`].
unsafe extern "C" fn range_coder_compress_callback(
    context: *mut c_void,
    in_buffers: *const ENetBuffer,
    in_buffer_count: usize,
    in_limit: usize,
    out_data: *mut u8,
    out_limit: usize,
) -> usize {
    guarded(|| {
        // SAFETY: ENet passes `in_buffer_count` initialised buffers (contract above).
        let buffers = unsafe { raw_slice(in_buffers, in_buffer_count) };
        let mut kept = [ENetBuffer {
            data: ptr::null_mut(),
            dataLength: 0,
        }; MAX_BUFFERS];
        let mut count = 0;
        for buffer in buffers
            .iter()
            .filter(|buffer| buffer.dataLength > 0 && !buffer.data.is_null())
        {
            let Some(slot) = kept.get_mut(count) else {
                return 0;
            };
            *slot = *buffer;
            count += 1;
        }
        // SAFETY: `context` is ENet's coder; `kept[..count]` are ENet's own buffers, each
        // non-empty and readable; `out_data` and the limits are passed on as ENet gave them.
        unsafe {
            enet_sys::enet_range_coder_compress(
                context,
                kept.as_ptr(),
                count,
                in_limit,
                out_data,
                out_limit,
            )
        }
    })
}

/// ENet's `destroy` callback: frees the codec, when the compressor is replaced
/// (`enet_host_compress`) or the host destroyed (`enet_host_destroy`).
///
/// # Safety
///
/// Called by ENet only, once per context made by [`set_compression`], after the last
/// `compress`/`decompress` call with it.
unsafe extern "C" fn destroy_callback(context: *mut c_void) {
    guarded(|| {
        if !context.is_null() {
            // SAFETY: `context` came from `Box::into_raw` in `set_compression`, and ENet hands
            // it back exactly once, when it no longer uses it (contract above).
            drop(unsafe { Box::from_raw(context.cast::<Codec>()) });
        }
        0
    });
}

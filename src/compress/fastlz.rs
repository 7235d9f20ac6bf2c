//! FastLZ block format, as Godot 4 uses it (`thirdparty/misc/fastlz.c`, FastLZ 0.5.0,
//! ariya/FastLZ commit 4f20f54).
//!
//! Written from the format and the reference semantics; no crate implements this format
//! bit-exactly (`fastlz-rs` documents different output, `fastlz`/`fastlz-sys` bind the 2007
//! FastLZ 0.1.0, whose level-1 encoder stops its match search one byte later).
//!
//! * [`Level1Encoder`] produces exactly the bytes of `fastlz1_compress`, which is what
//!   `fastlz_compress` picks for every input shorter than 65536 bytes (every ENet datagram).
//! * [`decompress`] behaves like `fastlz_decompress`: it reads the level from the top three bits
//!   of the first byte and decodes level 1 and level 2 blocks, so it accepts whatever Godot's
//!   decoder accepts and produces the same bytes.
//!
//! # Level-1 block format
//!
//! A block is a sequence of instructions; the top three bits of the first byte are the level
//! marker (`000` for level 1, `001` for level 2) and are ignored when that first instruction is
//! read, which is always a literal run.
//!
//! * Literal run: `000LLLLL`, then `L + 1` bytes copied verbatim (1..=32 bytes).
//! * Short match: `LLLDDDDD DDDDDDDD` with `L` in 1..=6: copy `L + 2` bytes (3..=8) from
//!   `D + 1` bytes back (13-bit distance, 1..=8192). Copies may overlap their output (runs).
//! * Long match: `111DDDDD EEEEEEEE DDDDDDDD`: copy `E + 9` bytes (9..=264) from `D + 1` back.
//!
//! Level 2 (decoded only) differs in its matches: the extra length is a sequence of bytes added
//! up while they are 255, and a match whose distance byte is 255 with all five high distance bits
//! set is followed by a big-endian 16-bit distance `F`, meaning `F + 8192` bytes back.
//!
//! Decoding stops when fewer than two bytes remain (level 1; a lone trailing byte is ignored) or
//! when the input is used up (level 2).

/// Longest literal run of one instruction.
const MAX_COPY: usize = 32;
/// Longest match of one level-1 instruction, plus two (FastLZ's `MAX_LEN`).
const MAX_LEN: usize = 264;
/// Matches found by the level-1 encoder are strictly closer than this.
const MAX_L1_DISTANCE: usize = 8192;
/// Level-2 distances of at least this (biased) value use the 16-bit form.
const MAX_L2_DISTANCE: usize = 8191;
/// log2 of the number of hash table slots.
const HASH_LOG: u32 = 13;
/// Number of hash table slots.
const HASH_SIZE: usize = 1 << HASH_LOG;

/// Hash of the three bytes at `input[at..at + 3]` (FastLZ's `HASH_FUNCTION`, little-endian reads).
fn hash(input: &[u8], at: usize) -> usize {
    let v = usize::from(input[at]) | usize::from(input[at + 1]) << 8;
    let w = usize::from(input[at + 1]) | usize::from(input[at + 2]) << 8;
    (v ^ w ^ (v >> (16 - HASH_LOG))) & (HASH_SIZE - 1)
}

/// Worst-case size of a level-1 block for `len` input bytes: every byte a literal, one opcode per
/// 32 of them, plus one byte the encoder may hold for a run it then removes.
pub(super) const fn max_compressed_len(len: usize) -> usize {
    len + len / MAX_COPY + 2
}

/// A FastLZ level-1 encoder. Holds the hash table so repeated calls do not allocate.
pub(super) struct Level1Encoder {
    /// Position of the last occurrence of each 3-byte hash; 0 when unseen (FastLZ initialises
    /// every slot to the start of the input, which the encoder then tries as a match).
    table: Box<[u32; HASH_SIZE]>,
}

impl Level1Encoder {
    /// An encoder with its table allocated.
    pub(super) fn new() -> Self {
        Self {
            table: Box::new([0; HASH_SIZE]),
        }
    }

    /// Compresses `input` into `out` (cleared first) as one level-1 block, byte-identical to
    /// `fastlz1_compress`. An empty input gives an empty block.
    ///
    /// `input` must be shorter than 2^32 bytes (the table stores `u32` positions); ENet hands
    /// at most 4096.
    pub(super) fn compress(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.clear();
        let n = input.len();
        if n < 4 {
            if n > 0 {
                out.push((n - 1) as u8);
                out.extend_from_slice(input);
            }
            return;
        }
        out.reserve(max_compressed_len(n));
        self.table.fill(0);

        // Matches never extend past `bound`; the search stops 13 bytes before the end.
        let bound = n - 2;
        // `copy` counts the literals of the open run, whose opcode sits at `out[len - copy - 1]`
        // as a placeholder until the run is closed.
        let mut copy = 2;
        out.extend_from_slice(&[MAX_COPY as u8 - 1, input[0], input[1]]);
        let mut ip = 2;

        while ip + 13 < n {
            let anchor = ip;
            let slot = hash(input, anchor);
            let candidate = self.table[slot] as usize;
            self.table[slot] = anchor as u32;
            let distance = anchor - candidate;

            if distance == 0
                || distance >= MAX_L1_DISTANCE
                || input[candidate..candidate + 3] != input[anchor..anchor + 3]
            {
                out.push(input[anchor]);
                ip = anchor + 1;
                copy += 1;
                if copy == MAX_COPY {
                    copy = 0;
                    out.push(MAX_COPY as u8 - 1);
                }
                continue;
            }

            // `scan` ends one past the first differing byte, or at `bound`.
            let mut scan = anchor + 3;
            if distance == 1 {
                let byte = input[anchor + 2];
                while scan < bound && input[scan - 1] == byte {
                    scan += 1;
                }
            } else {
                let mut back = candidate + 3;
                loop {
                    let same = input[back] == input[scan];
                    back += 1;
                    scan += 1;
                    // The first eight comparisons are unconditional: `anchor + 11 <= n - 3`.
                    if !same || (scan - anchor > 10 && scan >= bound) {
                        break;
                    }
                }
            }

            if copy > 0 {
                let at = out.len() - copy - 1;
                out[at] = (copy - 1) as u8;
            } else {
                out.pop();
            }
            copy = 0;

            // The match covers `len + 2` bytes; the distance is stored minus one.
            let mut len = scan - 3 - anchor;
            let biased = distance - 1;
            let high = (biased >> 8) as u8;
            let low = biased as u8;
            while len > MAX_LEN - 2 {
                out.extend_from_slice(&[(7 << 5) + high, (MAX_LEN - 2 - 7 - 2) as u8, low]);
                len -= MAX_LEN - 2;
            }
            if len < 7 {
                out.extend_from_slice(&[((len as u8) << 5) + high, low]);
            } else {
                out.extend_from_slice(&[(7 << 5) + high, (len - 7) as u8, low]);
            }

            ip = scan - 3;
            self.table[hash(input, ip)] = ip as u32;
            ip += 1;
            self.table[hash(input, ip)] = ip as u32;
            ip += 1;
            out.push(MAX_COPY as u8 - 1);
        }

        for &byte in &input[ip..] {
            out.push(byte);
            copy += 1;
            if copy == MAX_COPY {
                copy = 0;
                out.push(MAX_COPY as u8 - 1);
            }
        }
        if copy > 0 {
            let at = out.len() - copy - 1;
            out[at] = (copy - 1) as u8;
        } else {
            out.pop();
        }
    }
}

/// Decodes a FastLZ block into `output`, like `fastlz_decompress(input, len, output, maxout)`.
///
/// Returns the number of bytes written, or `None` where FastLZ returns 0: an empty input, a level
/// marker other than 1 or 2, an instruction that would read past the input or write past
/// `output`, or a match reaching before the start of the output. On `None` the bytes written so
/// far into `output` are unspecified.
///
/// One difference from the C, on malformed input only: a level-2 match opcode that is the very
/// last input byte makes FastLZ read its distance byte from past the end of the input (in
/// ENet, stale bytes of the receive buffer); this decoder rejects it.
pub(super) fn decompress(input: &[u8], output: &mut [u8]) -> Option<usize> {
    let first = *input.first()?;
    let level2 = match first >> 5 {
        0 => false,
        1 => true,
        _ => return None,
    };
    let n = input.len();
    let mut ip = 1;
    let mut op = 0;
    let mut ctrl = usize::from(first & 31);
    loop {
        if ctrl >= 32 {
            let mut len = (ctrl >> 5) - 1;
            let high = (ctrl & 31) << 8;
            if len == 6 {
                loop {
                    if ip + 2 > n {
                        return None;
                    }
                    let extra = input[ip];
                    ip += 1;
                    len += usize::from(extra);
                    if !level2 || extra != 255 {
                        break;
                    }
                }
            }
            let low = *input.get(ip)?;
            ip += 1;
            len += 3;
            let mut distance = high + usize::from(low) + 1;
            if level2 && low == 255 && high == 31 << 8 {
                if ip + 2 >= n {
                    return None;
                }
                distance = (usize::from(input[ip]) << 8 | usize::from(input[ip + 1]))
                    + MAX_L2_DISTANCE
                    + 1;
                ip += 2;
            }
            if op + len > output.len() || distance > op {
                return None;
            }
            if distance >= len {
                output.copy_within(op - distance..op - distance + len, op);
            } else {
                // Overlapping copy: each byte may be one this match just wrote.
                for at in op..op + len {
                    output[at] = output[at - distance];
                }
            }
            op += len;
        } else {
            let run = ctrl + 1;
            if op + run > output.len() || ip + run > n {
                return None;
            }
            output[op..op + run].copy_from_slice(&input[ip..ip + run]);
            ip += run;
            op += run;
        }

        let done = if level2 { ip >= n } else { ip + 2 > n };
        if done {
            return Some(op);
        }
        ctrl = usize::from(input[ip]);
        ip += 1;
    }
}

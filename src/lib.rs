//! Safe Rust wrapper around the reference C ENet 1.3.18, shaped like Godot 4's ENet classes.
//!
//! The safe layer is being built; the raw bindings are in the `enet-sys` crate.
#![deny(missing_docs)]

mod compress;
pub use compress::CompressionMode;

//! Build script of the `enet-sys` crate (not of the root package, which sets `build = false`).
//!
//! `enet-sys/Cargo.toml` points here with `build = "../build.rs"` and `links = "enet"`, because the
//! design card puts `build.rs` and `vendor/` at the repository's top level. Cargo runs this script
//! with `CARGO_MANIFEST_DIR` = `enet-sys/`, so every path is built from that. The one cost of the
//! layout: `enet-sys` cannot be packaged alone (`cargo package` refuses a build script outside the
//! package root); it is consumed as a path or git dependency.
//!
//! What it does:
//! 1. compiles the seven protocol files of the pristine upstream ENet 1.3.18 in `vendor/enet/`
//!    unchanged with `cc` (no cmake), plus one platform file (everything that touches the OS):
//!    - Linux, by default: the project's own layer `enet-sys/platform/unix_platform.c` (dual-stack
//!      IPv6 through a bounded address mapping, batched receives, contiguous sends, a monotonic
//!      clock; its extensions are declared in `enet-sys/platform/enet_platform.h`), compiled with
//!      `-Wall -Wextra`;
//!    - Linux with the `upstream-platform` feature, and every other unix: upstream's
//!      `vendor/enet/unix.c`, with the `HAS_*` macros upstream's own build detects on Linux
//!      (including `HAS_MSGHDR_FLAGS`, without which 1.3.18's fix for oversized datagrams is off);
//!    - Windows: upstream's `vendor/enet/win32.c`;
//! 2. exports the include directory as links metadata (`DEP_ENET_INCLUDE` for dependents) and the
//!    platform file in use (`DEP_ENET_PLATFORM` = `project` or `upstream`);
//! 3. with the maintainers-only `bindgen` feature, regenerates the bindings into
//!    `$OUT_DIR/bindings.rs` with [`bindgen_flags`], the single definition of the bindgen settings
//!    (`enet-sys/update-bindings.sh` runs this same path and copies the result). The platform
//!    layer's few extensions are declared by hand in `enet-sys/src/platform.rs`.

use std::env;
use std::path::{Path, PathBuf};

/// The protocol files, compiled unchanged on every target and with either platform file.
const PROTOCOL_FILES: [&str; 7] = [
    "callbacks.c",
    "compress.c",
    "host.c",
    "list.c",
    "packet.c",
    "peer.c",
    "protocol.c",
];

/// What upstream's build detects on Linux, for `unix.c`: one define per line of
/// `enet-sys/linux-defines.txt` (shared with the interop tests' reference C peer).
const LINUX_DEFINES: &str = include_str!("enet-sys/linux-defines.txt");

/// The defines of [`LINUX_DEFINES`], without its comments.
fn linux_defines() -> impl Iterator<Item = &'static str> {
    LINUX_DEFINES
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let vendor = manifest_dir.join("../vendor/enet").canonicalize().expect(
        "vendor/enet is missing: the pristine ENet sources must sit at the repository top level",
    );
    let include = vendor.join("include");
    let platform_dir = manifest_dir.join("platform");
    let family = env::var("CARGO_CFG_TARGET_FAMILY").unwrap_or_default();
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let upstream_platform = env::var_os("CARGO_FEATURE_UPSTREAM_PLATFORM").is_some();

    println!("cargo:rerun-if-changed=../vendor/enet");
    println!("cargo:rerun-if-changed=platform");
    println!("cargo:rerun-if-changed=wrapper.h");
    println!("cargo:include={}", include.display());

    let mut build = cc::Build::new();
    build.include(&include).warnings(false);
    for file in PROTOCOL_FILES {
        build.file(vendor.join(file));
    }
    if family.split(',').any(|f| f == "windows") {
        build.file(vendor.join("win32.c"));
        println!("cargo:rustc-link-lib=ws2_32");
        println!("cargo:rustc-link-lib=winmm");
        println!("cargo:platform=upstream");
    } else if os == "linux" && !upstream_platform {
        let objects = cc::Build::new()
            .include(&include)
            .include(&platform_dir)
            .file(platform_dir.join("unix_platform.c"))
            .warnings(true)
            .extra_warnings(true)
            .compile_intermediates();
        build.objects(objects);
        println!("cargo:platform=project");
    } else {
        build.file(vendor.join("unix.c"));
        if os == "linux" || os == "android" {
            for define in linux_defines() {
                build.define(define, "1");
            }
        }
        println!("cargo:platform=upstream");
    }
    build.compile("enet");

    generate_bindings(&manifest_dir, &include);
}

#[cfg(feature = "bindgen")]
fn generate_bindings(manifest_dir: &Path, include: &Path) {
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR")).join("bindings.rs");
    let header = manifest_dir.join("wrapper.h");
    let builder = bindgen::Builder::default()
        .header(header.to_str().expect("utf-8 path"))
        .clang_arg(format!("-I{}", include.display()));
    bindgen_flags(builder)
        .generate()
        .expect("bindgen failed (is libclang installed? apt-get install libclang-dev)")
        .write_to_file(&out)
        .expect("writing bindings.rs");
}

#[cfg(not(feature = "bindgen"))]
fn generate_bindings(_manifest_dir: &Path, _include: &Path) {}

/// The one definition of the bindgen settings; the committed files are generated through it.
#[cfg(feature = "bindgen")]
fn bindgen_flags(builder: bindgen::Builder) -> bindgen::Builder {
    builder
        .allowlist_function("enet_.*")
        .allowlist_type("_?ENet.*")
        .allowlist_var("ENET_.*")
        .blocklist_function("enet_socketset_select")
        .use_core()
        // ENet writes these values (peer->state, event.type): consts, never a Rust enum, so an
        // unexpected value cannot be undefined behaviour.
        .default_enum_style(bindgen::EnumVariation::Consts)
        .prepend_enum_name(false)
        .layout_tests(true)
        .generate_comments(false)
}

//! The vendored ENet is pristine upstream v1.3.18: every file listed in `vendor/enet/VENDOR.md`
//! hashes to the listed sha256, and the list covers every file in the tree.

use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn vendor_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../vendor/enet")
}

/// `(sha256, relative path)` for every `<64 hex>  <path>` line of VENDOR.md.
fn listed_hashes() -> Vec<(String, String)> {
    let text = fs::read_to_string(vendor_dir().join("VENDOR.md")).expect("VENDOR.md");
    text.lines()
        .filter_map(|line| {
            let (hash, path) = line.split_once("  ")?;
            let is_hash = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
            is_hash.then(|| (hash.to_string(), path.trim().to_string()))
        })
        .collect()
}

fn files_under(dir: &Path, prefix: &str, out: &mut BTreeSet<String>) {
    for entry in fs::read_dir(dir).expect("read_dir") {
        let entry = entry.expect("dir entry");
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if entry.file_type().expect("file type").is_dir() {
            files_under(&entry.path(), &format!("{name}/"), out);
        } else {
            out.insert(name);
        }
    }
}

#[test]
fn vendor_md_lists_the_19_upstream_files() {
    let listed: BTreeSet<String> = listed_hashes().into_iter().map(|(_, p)| p).collect();
    assert_eq!(listed.len(), 19);
    let mut present = BTreeSet::new();
    files_under(&vendor_dir(), "", &mut present);
    present.remove("VENDOR.md");
    assert_eq!(
        present, listed,
        "vendor/enet holds exactly the listed upstream files"
    );
}

#[test]
fn every_vendored_file_matches_its_upstream_v1_3_18_sha256() {
    let mut mismatched = Vec::new();
    for (expected, path) in listed_hashes() {
        let bytes = fs::read(vendor_dir().join(&path)).expect(&path);
        let actual: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if actual != expected {
            mismatched.push(format!("{path}: expected {expected}, found {actual}"));
        }
    }
    assert!(
        mismatched.is_empty(),
        "edited vendored files: {mismatched:#?}"
    );
}

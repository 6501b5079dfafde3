//! All or nothing: a load that fails at any step closes every fd it
//! opened. One test per binary, so that no other test's fds interfere
//! with the count.

mod loader_common;

use loader_common::{bpffs, corpus, open_fds, require_kernel};
use oxbpf::loader::{Collection, LoadError, LoadOptions};
use oxbpf::maps::MapType;

#[test]
fn failed_loads_close_every_fd() {
    if !require_kernel() {
        return;
    }
    let _serial = loader_common::serial();
    // Warm up: feature probes and kernel BTF are cached after the first
    // load, and keep no fds.
    drop(Collection::load(&corpus("externs"), &LoadOptions::default()).unwrap());
    drop(Collection::load(&corpus("maps"), &LoadOptions::default()).unwrap());
    let base = open_fds();

    // Success, then drop: everything closed.
    let coll = Collection::load(&corpus("maps"), &LoadOptions::default()).unwrap();
    assert!(open_fds() > base + 10, "maps and programs are open");
    drop(coll);
    assert_eq!(open_fds(), base, "after dropping a loaded collection");

    // The verifier refuses the second program, after BTF, 3 maps and the
    // first program were created.
    for _ in 0..3 {
        let err = Collection::load(&corpus("verifier_fail"), &LoadOptions::default()).unwrap_err();
        assert!(matches!(err, LoadError::Program { .. }), "{err}");
        assert_eq!(open_fds(), base, "after a verifier rejection");
    }

    // A map that cannot be created, after others were.
    let mut spec = corpus("maps");
    let last = spec.maps.len() - 1;
    spec.maps[last].map_type = MapType::from_raw(9999);
    let err = Collection::load(&spec, &LoadOptions::default()).unwrap_err();
    assert!(matches!(err, LoadError::Map { .. }), "{err}");
    assert_eq!(open_fds(), base, "after a map creation failure");

    // A program array slot that cannot be set (after every program loaded).
    let mut spec = corpus("maps");
    for s in &mut spec.map_slots {
        s.index = 100;
    }
    let err = Collection::load(&spec, &LoadOptions::default()).unwrap_err();
    assert!(matches!(err, LoadError::MapSlot { .. }), "{err}");
    assert_eq!(open_fds(), base, "after a slot failure");

    // A pinned map made, then a failure: fds closed and the pin removed.
    let fs = bpffs();
    let base = open_fds();
    let opts = LoadOptions {
        pin_root: fs.path().to_path_buf(),
        ..Default::default()
    };
    let mut spec = corpus("pinning");
    spec.programs[0].insns.truncate(3);
    assert!(Collection::load(&spec, &opts).is_err());
    assert_eq!(open_fds(), base, "after a failure with a pinned map");
    assert!(!fs.path().join("shared_counts").exists());
}

//! No fd leaks on success or error paths.
//!
//! Counting `/proc/self/fd` is only meaningful while no other test of the
//! same process opens or closes fds, so this binary has exactly one test.

mod common;

use common::{flow_stats_btf, open_fds, require_kernel};
use oxbpf_maps::*;
use oxbpf_sys::fs::TempBpfFs;

#[test]
fn no_fd_leaks() {
    if !require_kernel() {
        return;
    }
    let fs = TempBpfFs::mount().expect("mount bpffs");
    // Warm up what is cached lazily (possible CPUs, page size).
    oxbpf_sys::nr_possible_cpus().unwrap();
    oxbpf_sys::page_size();
    let before = open_fds();

    for round in 0..3 {
        // Success paths: create, use, iterate, batch, pin, reopen, drop.
        let map = Map::create(&MapSpec::hash::<u32, u64>("leak_hash", 64)).unwrap();
        {
            let h = HashMap::<_, u32, u64>::new(&map).unwrap();
            for k in 0..32u32 {
                h.insert(&k, &u64::from(k), UpdateMode::Any).unwrap();
            }
            assert_eq!(h.get(&3).unwrap(), Some(3));
            assert_eq!(h.get(&99).unwrap(), None);
            assert_eq!(h.iter().count(), 32);
            assert_eq!(h.lookup_batch().unwrap().len(), 32);
            let path = fs.path().join(format!("leak{round}"));
            map.pin(&path).unwrap();
            drop(Map::from_pin(&path).unwrap());
            drop(Map::from_id(map.id()).unwrap());
            drop(map.try_clone().unwrap());
            std::fs::remove_file(&path).unwrap();
        }
        drop(map);

        // BTF-typed map (BTF fd loaded and closed again).
        let btf =
            Map::create(&MapSpec::hash::<u32, [u64; 2]>("leak_btf", 4).with_btf(flow_stats_btf()));
        drop(btf.unwrap());

        // Map-in-map (inner template created and closed again).
        let inner = MapSpec::array::<u32>("leak_inner", 1);
        let outer = Map::create(&MapSpec::map_of_maps(
            "leak_outer",
            MapType::ARRAY_OF_MAPS,
            4,
            2,
            inner.clone(),
        ))
        .unwrap();
        let inner_map = Map::create(&inner).unwrap();
        ArrayOfMaps::new(&outer)
            .unwrap()
            .set(0, &inner_map)
            .unwrap();
        drop((outer, inner_map));

        // Mmapped array (the mapping holds no fd).
        let mm = Map::create(&MapSpec::array::<u64>("leak_mm", 8).with_flags(MapFlags::MMAPABLE))
            .unwrap();
        let mem = MmapArray::<u64>::new(&mm).unwrap();
        mem.set(1, 5).unwrap();
        drop((mem, mm));

        // Error paths: failing creates...
        let e = Map::create(&MapSpec::hash::<u32, u64>("leak_bad", 0)).unwrap_err();
        assert!(matches!(e, MapError::Create { .. }));
        // ... a failing create after the BTF and inner map were opened ...
        let mut bad_btf =
            MapSpec::hash::<u32, [u64; 2]>("leak_badbtf", 0).with_btf(flow_stats_btf());
        bad_btf.max_entries = 0;
        assert!(Map::create(&bad_btf).is_err());
        let mut bad_outer =
            MapSpec::map_of_maps("leak_badouter", MapType::HASH_OF_MAPS, 4, 0, inner.clone());
        bad_outer.max_entries = 0;
        assert!(Map::create(&bad_outer).is_err());
        // ... bad initial contents after a successful create ...
        let mut bad_contents = MapSpec::hash::<u32, u32>("leak_contents", 4);
        bad_contents.contents.push(MapEntry {
            key: vec![0; 4],
            value: vec![0; 3],
        });
        assert!(Map::create(&bad_contents).is_err());
        // ... wrong-size keys and values, wrong types ...
        let map = Map::create(&MapSpec::hash::<u32, u64>("leak_sizes", 4)).unwrap();
        assert!(HashMap::<_, u64, u64>::new(&map).is_err());
        assert!(Array::<_, u64>::new(&map).is_err());
        assert!(map
            .lookup(&[0; 2], &mut [0; 8], LookupFlags::empty())
            .is_err());
        // ... failing pins and opens.
        assert!(map
            .pin(std::env::temp_dir().join("leak-not-bpffs"))
            .is_err());
        assert!(Map::from_pin(fs.path().join("missing")).is_err());
        assert!(Map::from_id(MapId::new(u32::MAX - 1)).is_err());
        let file: std::os::fd::OwnedFd = std::fs::File::open("/proc/self/exe").unwrap().into();
        assert!(Map::from_fd(file).is_err());
        drop(map);

        assert_eq!(open_fds(), before, "fd count changed in round {round}");
    }
    assert_eq!(open_fds(), before);
}

//! oxbpf-maps against the running kernel: every map type, iteration,
//! batches, pinning, BTF and mmap.

mod common;

use std::collections::BTreeMap;
use std::os::fd::AsFd;

use common::*;
use oxbpf_maps::*;
use oxbpf_sys::{self as sys, fs::TempBpfFs, prog_info, ProgramType};

fn errno(e: &MapError) -> i32 {
    e.errno()
        .unwrap_or_else(|| panic!("expected a syscall error, got {e:?}"))
}

#[test]
fn hash_map_basics() {
    if !require_kernel() {
        return;
    }
    let map = Map::create(&MapSpec::hash::<u32, u64>("basics", 16)).unwrap();
    assert_eq!(map.name(), "basics");
    let info = map.info().clone();
    assert_eq!(info.map_type, MapType::HASH);
    assert_eq!(
        (info.key_size, info.value_size, info.max_entries),
        (4, 8, 16)
    );
    assert_eq!(info.name, "basics");
    assert!(info.id.as_raw() > 0);
    assert_eq!(info.btf_id, None);

    let h = HashMap::<_, u32, u64>::new(&map).unwrap();
    assert_eq!(h.get(&1).unwrap(), None);
    h.insert(&1, &100, UpdateMode::NoExist).unwrap();
    assert_eq!(h.get(&1).unwrap(), Some(100));
    let e = h.insert(&1, &5, UpdateMode::NoExist).unwrap_err();
    assert_eq!(errno(&e), libc::EEXIST);
    assert!(e.to_string().contains("basics"), "{e}");
    assert_eq!(
        errno(&h.insert(&2, &5, UpdateMode::Exist).unwrap_err()),
        libc::ENOENT
    );
    h.insert(&1, &101, UpdateMode::Exist).unwrap();
    h.insert(&2, &202, UpdateFlags::ANY).unwrap();
    assert_eq!(h.get(&1).unwrap(), Some(101));
    assert_eq!(h.take(&2).unwrap(), Some(202));
    assert_eq!(h.take(&2).unwrap(), None);
    assert!(h.remove(&1).unwrap());
    assert!(!h.remove(&1).unwrap());

    // Wrong sizes and types fail before any system call.
    match HashMap::<_, u64, u64>::new(&map).unwrap_err() {
        MapError::InvalidKeySize {
            size: 8,
            expected: 4,
            name,
        } => assert_eq!(name, "basics"),
        e => panic!("{e:?}"),
    }
    match HashMap::<_, u32, u32>::new(&map).unwrap_err() {
        MapError::InvalidValueSize {
            size: 4,
            expected: 8,
            ..
        } => {}
        e => panic!("{e:?}"),
    }
    match Array::<_, u64>::new(&map).unwrap_err() {
        MapError::WrongMapType {
            actual: MapType::HASH,
            ..
        } => {}
        e => panic!("{e:?}"),
    }
    // Raw byte API checks lengths too.
    match map
        .lookup(&[0; 3], &mut [0; 8], LookupFlags::empty())
        .unwrap_err()
    {
        MapError::InvalidKeySize {
            size: 3,
            expected: 4,
            ..
        } => {}
        e => panic!("{e:?}"),
    }
    map.update(&7u32.to_ne_bytes(), &9u64.to_ne_bytes(), UpdateMode::Any)
        .unwrap();
    let mut v = [0u8; 8];
    assert!(map
        .lookup(&7u32.to_ne_bytes(), &mut v, LookupFlags::empty())
        .unwrap());
    assert_eq!(u64::from_ne_bytes(v), 9);

    // Owned view.
    let owned = HashMap::<_, u32, u64>::new(map).unwrap();
    assert_eq!(owned.get(&7).unwrap(), Some(9));
    let map = owned.into_inner();
    assert_eq!(map.max_entries(), 16);
}

#[test]
fn lru_hash_evicts() {
    if !require_kernel() {
        return;
    }
    let map = Map::create(&MapSpec::new("lru", MapType::LRU_HASH, 4, 8, 64)).unwrap();
    let h = LruHashMap::<_, u32, u64>::new(&map).unwrap();
    for k in 0..1000u32 {
        h.insert(&k, &u64::from(k), UpdateMode::Any).unwrap();
    }
    let keys: Vec<u32> = h.keys().collect::<Result<_, _>>().unwrap();
    assert!(!keys.is_empty() && keys.len() <= 64, "{}", keys.len());
    // The most recent key survived.
    assert_eq!(h.get(&999).unwrap(), Some(999));
}

#[test]
fn per_cpu_hash_maps() {
    if !require_kernel() {
        return;
    }
    let cpus = sys::nr_possible_cpus().unwrap();
    for ty in [MapType::PERCPU_HASH, MapType::LRU_PERCPU_HASH] {
        let map = Map::create(&MapSpec::new("pcpu", ty, 4, 4, 32)).unwrap();
        let h = PerCpuHashMap::<_, u32, u32>::new(&map).unwrap();
        assert!(h.get(&1).unwrap().is_none());
        let values = PerCpuValues::from_fn(|cpu| cpu as u32 * 10 + 1).unwrap();
        assert_eq!(values.len(), cpus);
        h.insert(&1, &values, UpdateMode::Any).unwrap();
        let got = h.get(&1).unwrap().unwrap();
        assert_eq!(got, values);
        assert_eq!(
            got.to_vec(),
            (0..cpus).map(|c| c as u32 * 10 + 1).collect::<Vec<_>>()
        );
        let mut buf = PerCpuValues::zeroed().unwrap();
        assert!(h.get_into(&1, &mut buf).unwrap());
        assert_eq!(buf.get(0), Some(1));
        let all: Vec<_> = h.iter().collect::<Result<_, _>>().unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].0, 1);
        assert!(h.remove(&1).unwrap());
        assert!(h.get(&1).unwrap().is_none());
    }
    let lru = Map::create(&MapSpec::new("lrupcpu", MapType::LRU_PERCPU_HASH, 4, 8, 8)).unwrap();
    let _: LruPerCpuHashMap<_, u32, u64> = PerCpuHashMap::new(&lru).unwrap();
}

#[test]
fn arrays() {
    if !require_kernel() {
        return;
    }
    let map = Map::create(&MapSpec::array::<u64>("arr", 8)).unwrap();
    let a = Array::<_, u64>::new(&map).unwrap();
    assert_eq!(a.len(), 8);
    assert_eq!(a.get(3).unwrap(), 0);
    a.set(3, &33, UpdateMode::Any).unwrap();
    assert_eq!(a.get(3).unwrap(), 33);
    assert_eq!(
        errno(&a.set(3, &1, UpdateMode::NoExist).unwrap_err()),
        libc::EEXIST
    );
    match a.get(8).unwrap_err() {
        MapError::OutOfBounds {
            index: 8,
            max_entries: 8,
            ..
        } => {}
        e => panic!("{e:?}"),
    }
    assert!(matches!(
        a.set(9, &1, UpdateMode::Any),
        Err(MapError::OutOfBounds { .. })
    ));
    let all: Vec<u64> = a.iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(all, [0, 0, 0, 33, 0, 0, 0, 0]);
    a.update_batch(&[0, 1, 2], &[10, 11, 12], UpdateMode::Any)
        .unwrap();
    assert_eq!(a.lookup_batch().unwrap(), [10, 11, 12, 33, 0, 0, 0, 0]);
    // Arrays cannot delete.
    assert_eq!(
        errno(&map.delete(&0u32.to_ne_bytes()).unwrap_err()),
        libc::EINVAL
    );

    let pmap = Map::create(&MapSpec::new("parr", MapType::PERCPU_ARRAY, 4, 12, 4)).unwrap();
    let pa = PerCpuArray::<_, [u32; 3]>::new(&pmap).unwrap();
    assert_eq!(
        sys::MapFd::value_len(pmap.map_fd()),
        16 * sys::nr_possible_cpus().unwrap()
    );
    let v = PerCpuValues::from_fn(|c| [c as u32, 7, 8]).unwrap();
    pa.set(2, &v, UpdateMode::Any).unwrap();
    assert_eq!(pa.get(2).unwrap(), v);
    assert_eq!(pa.get(1).unwrap().get(0), Some([0, 0, 0]));
    assert_eq!(pa.iter().count(), 4);
    assert!(matches!(pa.get(4), Err(MapError::OutOfBounds { .. })));
}

#[test]
fn lpm_trie() {
    if !require_kernel() {
        return;
    }
    let map = Map::create(&MapSpec::lpm_trie::<[u8; 4], u32>("routes", 16)).unwrap();
    assert_eq!(map.key_size(), 8);
    let t = LpmTrie::<_, [u8; 4], u32>::new(&map).unwrap();
    t.insert(&LpmKey::new(8, [10, 0, 0, 0]), &1, UpdateMode::Any)
        .unwrap();
    t.insert(&LpmKey::new(16, [10, 1, 0, 0]), &2, UpdateMode::Any)
        .unwrap();
    t.insert(&LpmKey::new(24, [10, 1, 2, 0]), &3, UpdateMode::Any)
        .unwrap();
    assert_eq!(t.get(&LpmKey::new(32, [10, 1, 2, 3])).unwrap(), Some(3));
    assert_eq!(t.get(&LpmKey::new(32, [10, 1, 9, 3])).unwrap(), Some(2));
    assert_eq!(t.get(&LpmKey::new(32, [10, 9, 9, 3])).unwrap(), Some(1));
    assert_eq!(t.get(&LpmKey::new(32, [11, 0, 0, 1])).unwrap(), None);
    let keys: Vec<_> = t.keys().collect::<Result<_, _>>().unwrap();
    assert_eq!(keys.len(), 3);
    assert!(keys.contains(&LpmKey::new(16, [10, 1, 0, 0])));
    assert_eq!(t.iter().count(), 3);
    assert!(t.remove(&LpmKey::new(24, [10, 1, 2, 0])).unwrap());
    assert_eq!(t.get(&LpmKey::new(32, [10, 1, 2, 3])).unwrap(), Some(2));
    // u64 data: still at offset 4, no padding.
    let wide = Map::create(&MapSpec::lpm_trie::<u64, u8>("wide", 4)).unwrap();
    assert_eq!(wide.key_size(), 12);
    LpmTrie::<_, u64, u8>::new(&wide).unwrap();
}

#[test]
fn queue_and_stack() {
    if !require_kernel() {
        return;
    }
    let q = Map::create(&MapSpec::new("q", MapType::QUEUE, 0, 4, 3)).unwrap();
    let q = Queue::<_, u32>::new(q).unwrap();
    assert_eq!(q.pop().unwrap(), None);
    assert_eq!(q.peek().unwrap(), None);
    for v in 1..=3 {
        q.push(&v, false).unwrap();
    }
    assert_eq!(errno(&q.push(&4, false).unwrap_err()), libc::E2BIG);
    q.push(&4, true).unwrap(); // drops 1
    assert_eq!(q.peek().unwrap(), Some(2));
    assert_eq!(q.pop().unwrap(), Some(2));
    assert_eq!(q.pop().unwrap(), Some(3));
    assert_eq!(q.pop().unwrap(), Some(4));
    assert_eq!(q.pop().unwrap(), None);

    let s = Map::create(&MapSpec::new("s", MapType::STACK, 0, 8, 4)).unwrap();
    let s = Stack::<_, u64>::new(s).unwrap();
    for v in 1..=3u64 {
        s.push(&v, false).unwrap();
    }
    assert_eq!(s.peek().unwrap(), Some(3));
    assert_eq!(s.pop().unwrap(), Some(3));
    assert_eq!(s.pop().unwrap(), Some(2));
    assert_eq!(s.pop().unwrap(), Some(1));
    assert_eq!(s.pop().unwrap(), None);
    assert!(Queue::<_, u64>::new(s.into_inner()).is_err());
}

#[test]
fn bloom_filter() {
    if !require_kernel() {
        return;
    }
    let mut spec = MapSpec::new("bloom", MapType::BLOOM_FILTER, 0, 8, 1000);
    spec.map_extra = 3;
    let map = Map::create(&spec).unwrap();
    assert_eq!(map.info().map_extra, 3);
    let b = BloomFilter::<_, u64>::new(&map).unwrap();
    for v in [1u64, 42, 0xdead_beef] {
        b.insert(&v).unwrap();
    }
    for v in [1u64, 42, 0xdead_beef] {
        assert!(b.contains(&v).unwrap());
    }
    let false_positives = (1000u64..1100).filter(|v| b.contains(v).unwrap()).count();
    assert!(false_positives < 5, "{false_positives}");
}

#[test]
fn stack_trace_map() {
    if !require_kernel() {
        return;
    }
    let map = Map::create(&MapSpec::new(
        "stacks",
        MapType::STACK_TRACE,
        4,
        8 * 127,
        64,
    ))
    .unwrap();
    let st = StackTraceMap::new(&map).unwrap();
    assert_eq!(st.get(0).unwrap(), None);
    assert_eq!(st.get_raw(5).unwrap(), None);
    assert!(!st.remove(0).unwrap());
    assert_eq!(st.stack_ids().count(), 0);
}

#[test]
fn program_array() {
    if !require_kernel() {
        return;
    }
    let map = Map::create(&MapSpec::new("jmp", MapType::PROG_ARRAY, 4, 4, 4)).unwrap();
    let pa = ProgramArray::new(&map).unwrap();
    let prog = trivial_prog(ProgramType::SOCKET_FILTER);
    let id = prog_info(&prog).unwrap().id;
    assert_eq!(pa.get(1).unwrap(), None);
    pa.set(1, &prog).unwrap();
    assert_eq!(pa.get(1).unwrap(), Some(id));
    assert!(pa.remove(1).unwrap());
    assert!(!pa.remove(1).unwrap());
    assert_eq!(pa.get(1).unwrap(), None);
    // A map fd is not a program.
    let other = Map::create(&MapSpec::array::<u32>("x", 1)).unwrap();
    assert_eq!(errno(&pa.set(0, &other).unwrap_err()), libc::EINVAL);
}

#[test]
fn maps_of_maps() {
    if !require_kernel() {
        return;
    }
    let inner_spec = MapSpec::hash::<u32, u32>("inner", 8);
    let outer = Map::create(&MapSpec::map_of_maps(
        "outer_arr",
        MapType::ARRAY_OF_MAPS,
        4,
        4,
        inner_spec.clone(),
    ))
    .unwrap();
    assert_eq!(outer.value_size(), 4);
    let aom = ArrayOfMaps::new(&outer).unwrap();
    let inner = Map::create(&inner_spec).unwrap();
    HashMap::<_, u32, u32>::new(&inner)
        .unwrap()
        .insert(&1, &2, UpdateMode::Any)
        .unwrap();
    assert_eq!(aom.get(0).unwrap(), None);
    aom.set(0, &inner).unwrap();
    let id = aom.get(0).unwrap().unwrap();
    assert_eq!(id, inner.id());
    // Open the inner map by the ID the outer map reports.
    let reopened = Map::from_id(id).unwrap();
    assert_eq!(
        HashMap::<_, u32, u32>::new(&reopened)
            .unwrap()
            .get(&1)
            .unwrap(),
        Some(2)
    );
    // An inner map of another shape is rejected by the kernel.
    let wrong = Map::create(&MapSpec::hash::<u32, u64>("wrong", 8)).unwrap();
    assert_eq!(errno(&aom.set(1, &wrong).unwrap_err()), libc::EINVAL);
    assert!(aom.remove(0).unwrap());

    let hom_map = Map::create(&MapSpec::map_of_maps(
        "outer_hash",
        MapType::HASH_OF_MAPS,
        8,
        4,
        inner_spec,
    ))
    .unwrap();
    let hom = HashOfMaps::<_, u64>::new(&hom_map).unwrap();
    hom.insert(&77, &inner, UpdateMode::NoExist).unwrap();
    assert_eq!(hom.get(&77).unwrap(), Some(inner.id()));
    assert_eq!(hom.get(&78).unwrap(), None);
    assert_eq!(hom.keys().collect::<Result<Vec<_>, _>>().unwrap(), [77]);
    assert!(hom.remove(&77).unwrap());

    // A map-in-map needs an inner spec.
    let bad = MapSpec::new("noinner", MapType::HASH_OF_MAPS, 4, 4, 4);
    assert!(matches!(
        Map::create(&bad),
        Err(MapError::InvalidSpec { .. })
    ));
}

#[test]
fn perf_event_array() {
    if !require_kernel() {
        return;
    }
    let cpus = sys::nr_possible_cpus().unwrap() as u32;
    let map = Map::create(&MapSpec::new(
        "events",
        MapType::PERF_EVENT_ARRAY,
        4,
        4,
        cpus,
    ))
    .unwrap();
    let pea = PerfEventArray::new(&map).unwrap();
    let attr = sys::PerfEventAttr {
        event_type: sys::PerfType::SOFTWARE.as_raw(),
        config: sys::PerfSwId::BPF_OUTPUT.as_raw(),
        sample_period: 1,
        sample_type: sys::PerfSampleType::RAW.bits(),
        wakeup_events: 1,
        ..Default::default()
    };
    let event =
        sys::perf_event_open(&attr, -1, 0, None, sys::PerfEventOpenFlags::FD_CLOEXEC).unwrap();
    pea.set(0, &event).unwrap();
    assert!(pea.remove(0).unwrap());
    assert!(!pea.remove(0).unwrap());
    // Not a perf event.
    let other = Map::create(&MapSpec::array::<u32>("x", 1)).unwrap();
    assert!(pea.set(0, &other).is_err());
}

#[test]
fn ring_buffers_and_arena() {
    if !require_kernel() {
        return;
    }
    let page = sys::page_size() as u32;
    let rb = Map::create(&MapSpec::new("rb", MapType::RINGBUF, 0, 0, page * 4)).unwrap();
    assert_eq!(RingBuf::new(&rb).unwrap().size(), page * 4);
    let urb = Map::create(&MapSpec::new("urb", MapType::USER_RINGBUF, 0, 0, page * 8)).unwrap();
    assert_eq!(UserRingBuf::new(&urb).unwrap().size(), page * 8);
    // Not a power of two.
    let e = Map::create(&MapSpec::new("rb_bad", MapType::RINGBUF, 0, 0, page * 3)).unwrap_err();
    assert!(
        matches!(e, MapError::Create { ref name, .. } if name == "rb_bad"),
        "{e:?}"
    );
    assert_eq!(errno(&e), libc::EINVAL);
    assert!(RingBuf::new(&urb).is_err());

    let arena_spec = MapSpec::new("arena", MapType::ARENA, 0, 0, 16).with_flags(MapFlags::MMAPABLE);
    if kernel_has_enumerator("bpf_map_type", "BPF_MAP_TYPE_ARENA") {
        let arena = Map::create(&arena_spec).unwrap();
        assert_eq!(Arena::new(&arena).unwrap().pages(), 16);
        assert!(arena.flags().contains(MapFlags::MMAPABLE));
        kernel_note("maps: ARENA proven");
    } else {
        // Before 6.9 the kernel knows no such map type.
        let e = Map::create(&arena_spec).unwrap_err();
        assert!(
            matches!(e, MapError::Create { ref name, .. } if name == "arena"),
            "{e:?}"
        );
        assert_eq!(errno(&e), libc::EINVAL);
        kernel_note("maps: no ARENA: BPF_MAP_CREATE EINVAL asserted");
    }
}

#[test]
fn local_storage_maps() {
    if !require_kernel() {
        return;
    }
    let spec = |name: &str, ty| {
        MapSpec::new(name, ty, 4, 8, 0)
            .with_flags(MapFlags::NO_PREALLOC)
            .with_btf(storage_btf())
    };
    // Without BTF the kernel refuses local storage.
    let no_btf =
        MapSpec::new("sk_nobtf", MapType::SK_STORAGE, 4, 8, 0).with_flags(MapFlags::NO_PREALLOC);
    assert_eq!(errno(&Map::create(&no_btf).unwrap_err()), libc::EINVAL);

    let sk = Map::create(&spec("sk_store", MapType::SK_STORAGE)).unwrap();
    assert!(sk.info().btf_id.is_some());
    let sk = SkStorage::<_, u64>::new(sk).unwrap();
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    assert_eq!(sk.get(&sock).unwrap(), None);
    sk.insert(&sock, &11, UpdateMode::Any).unwrap();
    assert_eq!(sk.get(&sock).unwrap(), Some(11));
    assert!(sk.remove(&sock).unwrap());
    assert_eq!(sk.get(&sock).unwrap(), None);

    let task = Map::create(&spec("task_store", MapType::TASK_STORAGE)).unwrap();
    let task = TaskStorage::<_, u64>::new(task).unwrap();
    let pidfd = sys::fs::pidfd_open(std::process::id()).unwrap();
    assert_eq!(task.get(&pidfd).unwrap(), None);
    task.insert(&pidfd, &22, UpdateMode::Any).unwrap();
    assert_eq!(task.get(&pidfd).unwrap(), Some(22));
    assert!(task.remove(&pidfd).unwrap());

    if kernel_has_enumerator("bpf_map_type", "BPF_MAP_TYPE_CGRP_STORAGE") {
        let cg = Map::create(&spec("cg_store", MapType::CGRP_STORAGE)).unwrap();
        let cg = CgrpStorage::<_, u64>::new(cg).unwrap();
        let cgroup = std::fs::File::open(cgroup_dir()).unwrap();
        cg.insert(&cgroup, &33, UpdateMode::Any).unwrap();
        assert_eq!(cg.get(&cgroup).unwrap(), Some(33));
        assert!(cg.remove(&cgroup).unwrap());
        kernel_note("maps: CGRP_STORAGE proven");
    } else {
        // Before 6.2 the kernel knows no such map type.
        let e = Map::create(&spec("cg_store", MapType::CGRP_STORAGE)).unwrap_err();
        assert!(
            matches!(e, MapError::Create { ref name, .. } if name == "cg_store"),
            "{e:?}"
        );
        assert_eq!(errno(&e), libc::EINVAL);
        kernel_note("maps: no CGRP_STORAGE: BPF_MAP_CREATE EINVAL asserted");
    }

    // Inode storage exists only with CONFIG_BPF_LSM; its element
    // operations also need the BPF LSM to be active.
    let lsm_active = std::fs::read_to_string("/sys/kernel/security/lsm")
        .map(|s| s.split(',').any(|l| l.trim() == "bpf"))
        .unwrap_or(false);
    match Map::create(&spec("inode_store", MapType::INODE_STORAGE)) {
        Ok(inode) => {
            let inode = InodeStorage::<_, u64>::new(inode).unwrap();
            let file = std::fs::File::open("/proc/self/exe").unwrap();
            match inode.insert(&file, &44, UpdateMode::Any) {
                Ok(()) => {
                    assert_eq!(inode.get(&file).unwrap(), Some(44));
                    assert!(inode.remove(&file).unwrap());
                }
                Err(e) => {
                    assert!(
                        !lsm_active,
                        "inode storage update failed with BPF LSM on: {e:?}"
                    );
                    eprintln!(
                        "NOTE inode storage update: {e} ({:?}); BPF LSM inactive",
                        e.errno()
                    );
                }
            }
        }
        Err(e) => {
            assert_eq!(errno(&e), libc::EINVAL);
            eprintln!("NOTE INODE_STORAGE not available (no CONFIG_BPF_LSM?): {e}");
        }
    }
}

/// A cgroup directory: the cgroup2 mount if there is one, else the first
/// cgroup v1 hierarchy (both work as CGRP_STORAGE keys).
fn cgroup_dir() -> String {
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
    let find = |fstype: &str| {
        mounts.lines().find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.get(2) == Some(&fstype)).then(|| f[1].to_string())
        })
    };
    find("cgroup2")
        .or_else(|| find("cgroup"))
        .expect("no cgroup file system mounted")
}

#[test]
fn device_and_cpu_maps() {
    if !require_kernel() {
        return;
    }
    let lo = 1; // the loopback device is always ifindex 1
    let dm = Map::create(&MapSpec::new("devmap", MapType::DEVMAP, 4, 4, 4)).unwrap();
    let dm = DevMap::new(dm).unwrap();
    assert_eq!(dm.get(0).unwrap(), None);
    dm.set(0, lo, None).unwrap();
    assert_eq!(
        dm.get(0).unwrap(),
        Some(DevMapValue {
            ifindex: lo,
            prog_id: None
        })
    );
    assert!(dm.remove(0).unwrap());
    assert_eq!(dm.get(0).unwrap(), None);
    // 8-byte values (struct bpf_devmap_val) without a program.
    let dm8 = Map::create(&MapSpec::new("devmap8", MapType::DEVMAP, 4, 8, 4)).unwrap();
    let dm8 = DevMap::new(dm8).unwrap();
    dm8.set(3, lo, None).unwrap();
    assert_eq!(
        dm8.get(3).unwrap(),
        Some(DevMapValue {
            ifindex: lo,
            prog_id: None
        })
    );
    // No such device.
    assert!(dm8.set(1, 0x7fff_fff0, None).is_err());

    let dmh = Map::create(&MapSpec::new("devmaph", MapType::DEVMAP_HASH, 4, 4, 4)).unwrap();
    let dmh = DevMapHash::new(dmh).unwrap();
    dmh.insert(1000, lo, None).unwrap();
    assert_eq!(dmh.get(1000).unwrap().map(|v| v.ifindex), Some(lo));
    assert_eq!(dmh.keys().collect::<Result<Vec<_>, _>>().unwrap(), [1000]);
    assert!(dmh.remove(1000).unwrap());

    let cpus = sys::nr_possible_cpus().unwrap() as u32;
    let cm = Map::create(&MapSpec::new("cpumap", MapType::CPUMAP, 4, 4, cpus)).unwrap();
    let cm = CpuMap::new(cm).unwrap();
    cm.set(0, 192, None).unwrap();
    assert_eq!(
        cm.get(0).unwrap(),
        Some(CpuMapValue {
            qsize: 192,
            prog_id: None
        })
    );
    assert!(cm.remove(0).unwrap());
    let cm8 = Map::create(&MapSpec::new("cpumap8", MapType::CPUMAP, 4, 8, cpus)).unwrap();
    let cm8 = CpuMap::new(cm8).unwrap();
    cm8.set(0, 256, None).unwrap();
    assert_eq!(
        cm8.get(0).unwrap(),
        Some(CpuMapValue {
            qsize: 256,
            prog_id: None
        })
    );
    assert!(cm8.remove(0).unwrap());
    // Wrong value size for the view.
    let bad = Map::create(&MapSpec::array::<[u8; 12]>("x", 1)).unwrap();
    assert!(CpuMap::new(&bad).is_err());
}

#[test]
fn socket_maps() {
    if !require_kernel() {
        return;
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let sm = Map::create(&MapSpec::new("sockmap", MapType::SOCKMAP, 4, 8, 4)).unwrap();
    let sm = SockMap::new(sm).unwrap();
    assert_eq!(sm.cookie(0).unwrap(), None);
    sm.set(0, &listener).unwrap();
    let cookie = sm.cookie(0).unwrap().unwrap();
    assert_ne!(cookie, 0);
    assert!(sm.remove(0).unwrap());
    // A regular file is not a socket.
    let file = std::fs::File::open("/proc/self/exe").unwrap();
    assert!(sm.set(1, &file).is_err());
    // 4-byte values: update works, cookie lookup is ENOSPC.
    let sm4 = Map::create(&MapSpec::new("sockmap4", MapType::SOCKMAP, 4, 4, 4)).unwrap();
    let sm4 = SockMap::new(sm4).unwrap();
    sm4.set(2, &listener).unwrap();
    assert_eq!(errno(&sm4.cookie(2).unwrap_err()), libc::ENOSPC);

    let sh = Map::create(&MapSpec::new("sockhash", MapType::SOCKHASH, 8, 8, 4)).unwrap();
    let sh = SockHash::<_, u64>::new(sh).unwrap();
    sh.insert(&42, &listener, UpdateMode::NoExist).unwrap();
    assert_eq!(sh.cookie(&42).unwrap(), Some(cookie));
    assert_eq!(sh.keys().collect::<Result<Vec<_>, _>>().unwrap(), [42]);
    assert!(sh.remove(&42).unwrap());
    assert_eq!(sh.cookie(&42).unwrap(), None);
}

#[test]
fn xsk_map() {
    if !require_kernel() {
        return;
    }
    let xm = Map::create(&MapSpec::new("xsks", MapType::XSKMAP, 4, 4, 4)).unwrap();
    let xm = XskMap::new(&xm).unwrap();
    // Only bound AF_XDP sockets are accepted: a UDP socket is refused.
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let e = xm.set(0, &udp).unwrap_err();
    assert_eq!(errno(&e), libc::EOPNOTSUPP, "{e:?}");
    // Deleting an empty slot succeeds (the kernel does not report it).
    xm.remove(0).unwrap();
}

#[test]
fn mmap_array() {
    if !require_kernel() {
        return;
    }
    let spec = MapSpec::array::<u64>("mm", 1000).with_flags(MapFlags::MMAPABLE);
    let map = Map::create(&spec).unwrap();
    let mem = MmapArray::<u64>::new(&map).unwrap();
    let arr = Array::<_, u64>::new(&map).unwrap();
    assert_eq!(mem.len(), 1000);
    mem.set(999, 0xfeed).unwrap();
    assert_eq!(arr.get(999).unwrap(), 0xfeed);
    arr.set(5, &55, UpdateMode::Any).unwrap();
    assert_eq!(mem.get(5), Some(55));
    assert_eq!(mem.get(1000), None);
    assert!(matches!(
        mem.set(1000, 1),
        Err(MapError::OutOfBounds { .. })
    ));
    let counter = mem.atomic_u64(7).unwrap();
    counter.fetch_add(3, std::sync::atomic::Ordering::Relaxed);
    counter.fetch_add(4, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(arr.get(7).unwrap(), 7);

    // Odd value size: elements are 8-byte strided.
    let spec3 = MapSpec::array::<[u8; 3]>("mm3", 5).with_flags(MapFlags::MMAPABLE);
    let map3 = Map::create(&spec3).unwrap();
    let mem3 = MmapArray::<[u8; 3]>::new(&map3).unwrap();
    mem3.set(4, [1, 2, 3]).unwrap();
    assert_eq!(
        Array::<_, [u8; 3]>::new(&map3).unwrap().get(4).unwrap(),
        [1, 2, 3]
    );
    assert!(mem3.atomic_u64(0).is_none());

    // The mapping outlives the map's fd.
    drop(map);
    assert_eq!(mem.get(999), Some(0xfeed));

    // Not mmapable / frozen.
    let plain = Map::create(&MapSpec::array::<u64>("plain", 4)).unwrap();
    assert!(matches!(
        MmapArray::<u64>::new(&plain),
        Err(MapError::InvalidSpec { .. })
    ));
    let frozen = Map::create(&spec).unwrap();
    drop(MmapArray::<u64>::new(&frozen).unwrap()); // unmapped again, so freeze works
    frozen.freeze().unwrap();
    assert!(matches!(
        MmapArray::<u64>::new(&frozen),
        Err(MapError::Mmap { .. })
    ));
    let ro = MmapArray::<u64>::read_only(&frozen).unwrap();
    assert_eq!(ro.get(0), Some(0));
    assert!(!ro.is_writable());
    assert!(ro.set(0, 1).is_err());
    assert!(ro.atomic_u64(0).is_none());
}

#[test]
fn iteration_full_and_draining() {
    if !require_kernel() {
        return;
    }
    let map = Map::create(&MapSpec::hash::<u32, u64>("iter", 256)).unwrap();
    let h = HashMap::<_, u32, u64>::new(&map).unwrap();
    assert_eq!(h.keys().count(), 0);
    for k in 0..200u32 {
        h.insert(&k, &(u64::from(k) * 2), UpdateMode::Any).unwrap();
    }
    let all: BTreeMap<u32, u64> = h.iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(all.len(), 200);
    assert!(all.iter().all(|(k, v)| *v == u64::from(*k) * 2));

    // Delete every key as it is returned: the look-ahead keeps the walk
    // going, every key is seen exactly once, the map ends empty.
    let mut seen = Vec::new();
    for k in h.keys() {
        let k = k.unwrap();
        assert!(h.remove(&k).unwrap());
        seen.push(k);
    }
    seen.sort_unstable();
    assert_eq!(seen, (0..200).collect::<Vec<_>>());
    assert_eq!(h.keys().count(), 0);
}

#[test]
fn iteration_survives_concurrent_deletion() {
    if !require_kernel() {
        return;
    }
    let map = Map::create(&MapSpec::hash::<u32, u64>("iterdel", 128)).unwrap();
    let h = HashMap::<_, u32, u64>::new(&map).unwrap();
    for k in 0..128u32 {
        h.insert(&k, &u64::from(k), UpdateMode::Any).unwrap();
    }
    // Delete *other* keys (including the looked-ahead one, which forces a
    // restart from the first key) while iterating: the walk terminates,
    // never yields a key that was deleted before it was reached, and
    // every surviving key is seen at least once.
    let mut seen = std::collections::BTreeSet::new();
    let mut deleted = std::collections::BTreeSet::new();
    for (i, entry) in h.iter().enumerate() {
        let (k, v) = entry.unwrap();
        assert_eq!(u64::from(k), v);
        assert!(!deleted.contains(&k), "yielded deleted key {k}");
        seen.insert(k);
        if i % 3 == 0 {
            // Delete everything not yet seen with an odd key.
            for d in (0..128u32).filter(|d| d % 2 == 1 && !seen.contains(d)) {
                if h.remove(&d).unwrap() {
                    deleted.insert(d);
                }
            }
        }
    }
    let survivors: std::collections::BTreeSet<u32> =
        (0..128).filter(|k| !deleted.contains(k)).collect();
    assert!(survivors.is_subset(&seen));
}

#[test]
fn iteration_aborts_when_restarted_forever() {
    if !require_kernel() {
        return;
    }
    let map = Map::create(&MapSpec::hash::<u32, u32>("iterabort", 8)).unwrap();
    let h = HashMap::<_, u32, u32>::new(&map).unwrap();
    let mut next = 0u32;
    for _ in 0..8 {
        h.insert(&next, &0, UpdateMode::Any).unwrap();
        next += 1;
    }
    // Every step replaces all keys with new ones: the walk restarts at
    // every step and would never end without the bound.
    let mut steps = 0;
    let mut result = Ok(());
    for entry in h.keys() {
        match entry {
            Ok(_) => {
                steps += 1;
                let old: Vec<u32> = (next - 8..next).collect();
                h.delete_batch(&old).unwrap();
                for _ in 0..8 {
                    h.insert(&next, &0, UpdateMode::Any).unwrap();
                    next += 1;
                }
            }
            Err(e) => {
                result = Err(e);
                break;
            }
        }
        assert!(steps < 1000, "iteration did not abort");
    }
    match result {
        Err(MapError::IterationAborted { ref name, steps: s }) => {
            assert_eq!(name, "iterabort");
            assert_eq!(s, 8 * oxbpf_maps::iter::MAX_PASSES);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn batch_operations() {
    if !require_kernel() {
        return;
    }
    let n = 10_000u32;
    let map = Map::create(&MapSpec::hash::<u32, u64>("batch", n)).unwrap();
    let h = HashMap::<_, u32, u64>::new(&map).unwrap();
    let keys: Vec<u32> = (0..n).collect();
    let values: Vec<u64> = keys.iter().map(|&k| u64::from(k) * 7).collect();
    assert_eq!(
        h.update_batch(&keys, &values, UpdateMode::Any).unwrap(),
        n as usize
    );
    // Batch updates take no mode (the kernel accepts only BPF_ANY and
    // BPF_F_LOCK): refused before the call.
    assert!(matches!(
        h.update_batch(&keys, &values, UpdateMode::NoExist),
        Err(MapError::InvalidSpec { .. })
    ));
    assert_eq!(
        h.update_batch(&keys[..10], &values[..10], UpdateMode::Any)
            .unwrap(),
        10
    );

    let all = h.lookup_batch().unwrap();
    assert_eq!(all.len(), n as usize);
    assert!(all.iter().all(|(k, v)| *v == u64::from(*k) * 7));

    // Tiny chunks: buckets larger than the chunk are handled by doubling.
    for chunk in [1, 3, 64, 100_000] {
        let (mut ks, mut vs) = (Vec::new(), Vec::new());
        let got = h
            .lookup_batch_into(
                &mut ks,
                &mut vs,
                &BatchOptions {
                    chunk,
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(got, n as usize, "chunk {chunk}");
        let mut sorted = ks.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, keys, "chunk {chunk}");
    }

    // Delete a few, one of them twice: the batch stops at the missing key.
    assert_eq!(h.delete_batch(&[0, 1, 2]).unwrap(), 3);
    match h.delete_batch(&[3, 4, 0, 5]).unwrap_err() {
        MapError::Batch {
            processed: 2,
            ref source,
            ..
        } => assert_eq!(source.errno(), libc::ENOENT),
        e => panic!("{e:?}"),
    }
    assert_eq!(h.get(&5).unwrap(), Some(35));

    let drained = h.lookup_and_delete_batch().unwrap();
    assert_eq!(drained.len(), n as usize - 5);
    assert_eq!(h.keys().count(), 0);
    assert!(h.lookup_batch().unwrap().is_empty());
}

#[test]
fn btf_typed_map_and_spin_lock() {
    if !require_kernel() {
        return;
    }
    let spec = MapSpec::hash::<u32, FlowStats>("flows_btf", 8).with_btf(flow_stats_btf());
    let map = Map::create(&spec).unwrap();
    let info = map.info();
    assert!(info.btf_id.is_some());
    assert_eq!(
        info.btf_key_type_id,
        spec.btf.as_ref().unwrap().key_type_id.get()
    );
    assert_eq!(
        info.btf_value_type_id,
        spec.btf.as_ref().unwrap().value_type_id.get()
    );

    // BPF_F_LOCK needs a bpf_spin_lock in the value's BTF.
    let locked =
        Map::create(&MapSpec::hash::<i32, Locked>("locked", 4).with_btf(spin_lock_btf())).unwrap();
    let h = HashMap::<_, i32, Locked>::new(&locked).unwrap();
    let v = |value| Locked {
        lock: SpinLock { val: 0 },
        value,
    };
    h.insert(&1, &v(5), UpdateFlags::ANY.with_lock())
        .unwrap_or_else(|e| {
            // Update with F_LOCK on a new element: insert first, then lock.
            panic!("{e:?}")
        });
    h.insert(&1, &v(6), UpdateFlags::EXIST.with_lock()).unwrap();
    assert_eq!(
        h.get_with(&1, LookupFlags::LOCK).unwrap().map(|v| v.value),
        Some(6)
    );
    // A view whose value type contradicts the map's BTF is refused.
    assert!(matches!(
        HashMap::<_, i32, [u32; 2]>::new(&locked),
        Err(MapError::Layout { part: "value", .. })
    ));
    let plain = Map::create(&MapSpec::hash::<i32, [u32; 2]>("unlocked", 4)).unwrap();
    let p = HashMap::<_, i32, [u32; 2]>::new(&plain).unwrap();
    assert_eq!(
        errno(
            &p.insert(&1, &[0, 5], UpdateFlags::ANY.with_lock())
                .unwrap_err()
        ),
        libc::EINVAL
    );

    // BTF the kernel rejects: the value type ID does not exist.
    let mut bad = spec.clone();
    bad.name = "badbtf".into();
    bad.btf.as_mut().unwrap().value_type_id = oxbpf_btf::TypeId(99);
    let e = Map::create(&bad).unwrap_err();
    assert!(matches!(e, MapError::Create { .. }), "{e:?}");
}

#[test]
fn bpftool_dump_shows_btf_field_names() {
    if !require_kernel() {
        return;
    }
    let spec = MapSpec::hash::<u32, FlowStats>("flows_dump", 8).with_btf(flow_stats_btf());
    let map = Map::create(&spec).unwrap();
    HashMap::<_, u32, FlowStats>::new(&map)
        .unwrap()
        .insert(
            &7,
            &FlowStats {
                packets: 3,
                bytes: 1500,
            },
            UpdateMode::Any,
        )
        .unwrap();
    let out = match std::process::Command::new("bpftool")
        .args(["map", "dump", "id", &map.id().to_string()])
        .output()
    {
        Ok(out) => out,
        Err(e) if std::env::var_os("OXBPF_ALLOW_SKIP").is_some() => {
            eprintln!("SKIP SKIP SKIP bpftool not runnable: {e}");
            return;
        }
        Err(e) => panic!("bpftool not runnable: {e}; install bpftool or set OXBPF_ALLOW_SKIP=1"),
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("\"packets\": 3"), "{text}");
    assert!(text.contains("\"bytes\": 1500"), "{text}");
    assert!(text.contains("\"key\": 7"), "{text}");
}

#[test]
fn pinning() {
    if !require_kernel() {
        return;
    }
    let fs = TempBpfFs::mount().expect("mount bpffs");
    let map = Map::create(&MapSpec::hash::<u32, u32>("pinme", 4)).unwrap();
    HashMap::<_, u32, u32>::new(&map)
        .unwrap()
        .insert(&1, &2, UpdateMode::Any)
        .unwrap();
    let path = fs.path().join("pinme");
    map.pin(&path).unwrap();
    let again = Map::from_pin(&path).unwrap();
    assert_eq!(again.id(), map.id());
    assert_eq!(again.name(), "pinme");
    assert_eq!(
        HashMap::<_, u32, u32>::new(&again)
            .unwrap()
            .get(&1)
            .unwrap(),
        Some(2)
    );
    // Pinning twice at one path: EEXIST, naming the path.
    let e = map.pin(&path).unwrap_err();
    assert!(
        matches!(e, MapError::Pin { .. }) && e.errno() == Some(libc::EEXIST),
        "{e:?}"
    );
    assert!(e.to_string().contains(&*path.to_string_lossy()), "{e}");

    // Not a bpffs: a clear error naming the path, before trying.
    let tmp = std::env::temp_dir().join("oxbpf-not-bpffs-pin");
    match map.pin(&tmp).unwrap_err() {
        MapError::NotBpffs { path } => assert_eq!(path, tmp),
        e => panic!("{e:?}"),
    }
    let e = Map::from_pin(&tmp).unwrap_err();
    assert!(matches!(e, MapError::NotBpffs { .. }), "{e:?}");
    assert!(e.to_string().contains("oxbpf-not-bpffs-pin"), "{e}");
    // Nothing pinned there.
    let e = Map::from_pin(fs.path().join("missing")).unwrap_err();
    assert_eq!(e.errno(), Some(libc::ENOENT), "{e:?}");

    // Pinning::ByName: first create pins, second reuses, a different
    // shape is refused.
    let mut spec = MapSpec::array::<u64>("by_name", 4);
    spec.pinning = Pinning::ByName;
    spec.push_entry(&1u32, &11u64);
    let opts = MapCreateOptions {
        pin_root: fs.path(),
        ..Default::default()
    };
    let first = Map::create_with(&spec, &opts).unwrap();
    assert!(fs.path().join("by_name").exists());
    let a = Array::<_, u64>::new(&first).unwrap();
    a.set(2, &22, UpdateMode::Any).unwrap();
    let second = Map::create_with(&spec, &opts).unwrap();
    assert_eq!(second.id(), first.id());
    // Contents are not re-applied to a reused map.
    a.set(1, &12, UpdateMode::Any).unwrap();
    drop(Map::create_with(&spec, &opts).unwrap());
    assert_eq!(a.get(1).unwrap(), 12);
    let mut other = spec.clone();
    other.max_entries = 8;
    match Map::create_with(&other, &opts).unwrap_err() {
        MapError::Incompatible { reason, .. } => {
            assert!(reason.contains("max_entries"), "{reason}")
        }
        e => panic!("{e:?}"),
    }
    // By-name pinning outside a bpffs.
    let bad_opts = MapCreateOptions {
        pin_root: std::path::Path::new("/tmp"),
        ..Default::default()
    };
    assert!(matches!(
        Map::create_with(&spec, &bad_opts),
        Err(MapError::NotBpffs { .. })
    ));
}

#[test]
fn open_by_id_and_fd() {
    if !require_kernel() {
        return;
    }
    let map = Map::create(&MapSpec::hash::<u32, u32>("byid", 4)).unwrap();
    let by_id = Map::from_id(map.id()).unwrap();
    assert_eq!(by_id.info(), map.info());
    let dup = map.try_clone().unwrap();
    let from_fd = Map::from_fd(dup.into_fd()).unwrap();
    assert_eq!(from_fd.id(), map.id());
    assert_eq!(from_fd.name(), "byid");
    // Not a map.
    let file: std::os::fd::OwnedFd = std::fs::File::open("/proc/self/exe").unwrap().into();
    assert!(matches!(Map::from_fd(file), Err(MapError::Open { .. })));
    let prog = trivial_prog(ProgramType::SOCKET_FILTER);
    assert!(Map::from_fd(prog).is_err());
    // No such ID (IDs are allocated upwards; this one is far away).
    let e = Map::from_id(MapId::new(u32::MAX - 1)).unwrap_err();
    assert_eq!(e.errno(), Some(libc::ENOENT));
    let _ = map.as_fd();
}

#[test]
fn spec_contents_and_freeze() {
    if !require_kernel() {
        return;
    }
    let mut spec = MapSpec::array::<u32>("rodata", 4);
    spec.push_entry(&0u32, &0xabcu32);
    spec.push_entry(&3u32, &0xdefu32);
    spec.freeze = true;
    let map = Map::create(&spec).unwrap();
    let a = Array::<_, u32>::new(&map).unwrap();
    assert_eq!(a.lookup_batch().unwrap(), [0xabc, 0, 0, 0xdef]);
    assert_eq!(
        errno(&a.set(1, &1, UpdateMode::Any).unwrap_err()),
        libc::EPERM
    );

    // Bad contents: the create fails and names the map.
    let mut bad = MapSpec::hash::<u32, u32>("badcontents", 4);
    bad.contents.push(MapEntry {
        key: vec![1, 2],
        value: vec![0; 4],
    });
    assert!(matches!(
        Map::create(&bad),
        Err(MapError::InvalidKeySize {
            size: 2,
            expected: 4,
            ..
        })
    ));
    // Names longer than 15 bytes are truncated for the kernel only.
    let long = Map::create(&MapSpec::array::<u32>("a_rather_long_map_name", 1)).unwrap();
    assert_eq!(long.name(), "a_rather_long_map_name");
    assert_eq!(long.info().name, "a_rather_long_m");
}

//! Integration tests against the running kernel (need root or CAP_BPF +
//! CAP_SYS_ADMIN; see `common::require_kernel`).

mod common;

use std::os::fd::{AsFd, AsRawFd};

use common::{
    exit, int_btf, kernel_has_enumerator, kernel_has_member, kernel_note, kernel_sizeof, ld_map_fd,
    mov64_imm, require_kernel, BpfFs,
};
use oxbpf_sys::*;

fn hash_map(name: &str, max_entries: u32) -> MapFd {
    MapFd::create(&MapCreateArgs {
        map_type: MapType::HASH,
        key_size: 4,
        value_size: 8,
        max_entries,
        name: ObjName::new(name).unwrap(),
        ..Default::default()
    })
    .expect("create hash map")
}

fn xdp_ret2() -> std::os::fd::OwnedFd {
    let insns = [mov64_imm(0, 2), exit()];
    prog_load(
        &ProgLoadArgs {
            prog_type: ProgramType::XDP,
            insns: &insns,
            license: c"GPL",
            name: ObjName::new("ret2").unwrap(),
            ..Default::default()
        },
        None,
    )
    .expect("load xdp program")
}

#[test]
fn map_element_operations() {
    if !require_kernel() {
        return;
    }
    let map = hash_map("elems", 16);
    assert_eq!((map.key_size(), map.value_len()), (4, 8));
    let key = 7u32.to_ne_bytes();
    let mut value = [0u8; 8];

    let err = map_lookup_elem(&map, &key, &mut value, LookupFlags::empty()).unwrap_err();
    assert_eq!(err.errno(), libc::ENOENT);
    assert_eq!(err.call, "BPF_MAP_LOOKUP_ELEM");
    assert_eq!(err.to_string(), "BPF_MAP_LOOKUP_ELEM failed");

    map_update_elem(&map, &key, &42u64.to_ne_bytes(), UpdateFlags::NO_EXIST).unwrap();
    let err = map_update_elem(&map, &key, &1u64.to_ne_bytes(), UpdateFlags::NO_EXIST).unwrap_err();
    assert_eq!(err.errno(), libc::EEXIST);
    let err = map_update_elem(
        &map,
        &8u32.to_ne_bytes(),
        &1u64.to_ne_bytes(),
        UpdateFlags::EXIST,
    )
    .unwrap_err();
    assert_eq!(err.errno(), libc::ENOENT);

    map_lookup_elem(&map, &key, &mut value, LookupFlags::empty()).unwrap();
    assert_eq!(u64::from_ne_bytes(value), 42);

    // Wrong buffer sizes never reach the kernel.
    let err = map_lookup_elem(&map, &key, &mut [0u8; 4], LookupFlags::empty()).unwrap_err();
    assert_eq!(
        (err.errno(), err.call),
        (libc::EINVAL, "BPF_MAP_LOOKUP_ELEM")
    );
    let err = map_update_elem(&map, &[0u8; 8], &value, UpdateFlags::ANY).unwrap_err();
    assert_eq!(err.errno(), libc::EINVAL);

    // Iterate: one key.
    let mut next = [0u8; 4];
    map_get_next_key(&map, None, &mut next).unwrap();
    assert_eq!(next, key);
    let err = map_get_next_key(&map, Some(&key), &mut next).unwrap_err();
    assert_eq!(err.errno(), libc::ENOENT);

    // Lookup-and-delete on a hash map (5.14+).
    map_lookup_and_delete_elem(&map, &key, &mut value, LookupFlags::empty()).unwrap();
    assert_eq!(u64::from_ne_bytes(value), 42);
    let err = map_delete_elem(&map, &key).unwrap_err();
    assert_eq!(err.errno(), libc::ENOENT);

    map_update_elem(&map, &key, &5u64.to_ne_bytes(), UpdateFlags::ANY).unwrap();
    map_delete_elem(&map, &key).unwrap();
}

#[test]
fn queue_push_pop() {
    if !require_kernel() {
        return;
    }
    let queue = MapFd::create(&MapCreateArgs {
        map_type: MapType::QUEUE,
        key_size: 0,
        value_size: 4,
        max_entries: 4,
        ..Default::default()
    })
    .unwrap();
    for v in [1u32, 2, 3] {
        map_update_elem(&queue, &[], &v.to_ne_bytes(), UpdateFlags::ANY).unwrap();
    }
    let mut out = [0u8; 4];
    map_lookup_elem(&queue, &[], &mut out, LookupFlags::empty()).unwrap(); // peek
    assert_eq!(u32::from_ne_bytes(out), 1);
    for want in [1u32, 2, 3] {
        map_lookup_and_delete_elem(&queue, &[], &mut out, LookupFlags::empty()).unwrap();
        assert_eq!(u32::from_ne_bytes(out), want);
    }
    let err = map_lookup_and_delete_elem(&queue, &[], &mut out, LookupFlags::empty()).unwrap_err();
    assert_eq!(err.errno(), libc::ENOENT);
}

#[test]
fn per_cpu_values() {
    if !require_kernel() {
        return;
    }
    let cpus = nr_possible_cpus().unwrap();
    let map = MapFd::create(&MapCreateArgs {
        map_type: MapType::PERCPU_ARRAY,
        key_size: 4,
        value_size: 4,
        max_entries: 1,
        ..Default::default()
    })
    .unwrap();
    assert_eq!(map.value_len(), 8 * cpus);
    let values: Vec<u8> = (0..cpus as u64)
        .flat_map(|c| (c + 100).to_ne_bytes())
        .collect();
    map_update_elem(&map, &0u32.to_ne_bytes(), &values, UpdateFlags::ANY).unwrap();
    let mut out = vec![0u8; map.value_len()];
    map_lookup_elem(&map, &0u32.to_ne_bytes(), &mut out, LookupFlags::empty()).unwrap();
    for (cpu, slot) in out.chunks_exact(8).enumerate() {
        assert_eq!(
            u32::from_ne_bytes(slot[..4].try_into().unwrap()),
            cpu as u32 + 100
        );
    }
    // A buffer for one CPU only is refused before the kernel could overrun it.
    let err = map_lookup_elem(
        &map,
        &0u32.to_ne_bytes(),
        &mut [0u8; 8],
        LookupFlags::empty(),
    )
    .unwrap_err();
    assert_eq!(err.errno(), libc::EINVAL);
}

#[test]
fn batch_operations() {
    if !require_kernel() {
        return;
    }
    let map = hash_map("batch", 64);
    let n = 40u32;
    let keys: Vec<u8> = (0..n).flat_map(|k| k.to_ne_bytes()).collect();
    let values: Vec<u8> = (0..n)
        .flat_map(|k| (u64::from(k) * 10).to_ne_bytes())
        .collect();
    assert_eq!(
        map_update_batch(&map, &keys, &values, UpdateFlags::ANY).unwrap(),
        n
    );

    // Read everything back in chunks of 16 elements.
    let mut seen = Vec::new();
    let mut token = vec![0u8; map.batch_token_len()];
    let mut next_token = vec![0u8; map.batch_token_len()];
    let mut first = true;
    loop {
        let mut kbuf = vec![0u8; 16 * 4];
        let mut vbuf = vec![0u8; 16 * 8];
        let res = map_lookup_batch(
            &map,
            if first { None } else { Some(&token) },
            &mut next_token,
            &mut kbuf,
            &mut vbuf,
            LookupFlags::empty(),
        )
        .unwrap();
        for i in 0..res.count as usize {
            let k = u32::from_ne_bytes(kbuf[i * 4..i * 4 + 4].try_into().unwrap());
            let v = u64::from_ne_bytes(vbuf[i * 8..i * 8 + 8].try_into().unwrap());
            assert_eq!(v, u64::from(k) * 10);
            seen.push(k);
        }
        if res.done {
            break;
        }
        std::mem::swap(&mut token, &mut next_token);
        first = false;
    }
    seen.sort_unstable();
    assert_eq!(seen, (0..n).collect::<Vec<_>>());

    // Delete the first ten keys, then lookup-and-delete the rest.
    assert_eq!(map_delete_batch(&map, &keys[..10 * 4]).unwrap(), 10);
    let mut kbuf = vec![0u8; 64 * 4];
    let mut vbuf = vec![0u8; 64 * 8];
    let mut out_token = vec![0u8; map.batch_token_len()];
    let res = map_lookup_and_delete_batch(
        &map,
        None,
        &mut out_token,
        &mut kbuf,
        &mut vbuf,
        LookupFlags::empty(),
    )
    .unwrap();
    assert_eq!(
        res,
        BatchLookup {
            count: n - 10,
            done: true
        }
    );
    let mut next = [0u8; 4];
    assert_eq!(
        map_get_next_key(&map, None, &mut next).unwrap_err().errno(),
        libc::ENOENT
    );

    // Deleting absent keys reports how many went before the error.
    let err = map_delete_batch(&map, &keys[..8]).unwrap_err();
    assert_eq!(err.source.errno(), libc::ENOENT);
    assert_eq!(err.processed, 0);
    // Mismatched buffers are EINVAL before the syscall.
    let err = map_update_batch(&map, &keys[..8], &values[..8], UpdateFlags::ANY).unwrap_err();
    assert_eq!(err.source.errno(), libc::EINVAL);
}

#[test]
fn freeze_and_info() {
    if !require_kernel() {
        return;
    }
    let map = hash_map("frozen_info", 3);
    let info = map_info(&map).unwrap();
    // The kernel writes as much of `struct bpf_map_info` as both sides
    // know: 88 bytes on 6.1 and 6.12, all of ours (104) on 6.18.
    let ours = std::mem::size_of::<BpfMapInfo>();
    let kernels = kernel_sizeof("bpf_map_info");
    assert_eq!(info.info_len as usize, kernels.min(ours));
    kernel_note(&format!(
        "sys: map info_len {} (kernel's struct bpf_map_info {kernels}, ours {ours})",
        info.info_len
    ));
    assert_eq!(info.map_type, MapType::HASH);
    assert_eq!(info.name(), b"frozen_info");
    assert_eq!(
        (info.key_size, info.value_size, info.max_entries),
        (4, 8, 3)
    );
    assert_ne!(info.id, MapId::new(0));

    map_update_elem(&map, &1u32.to_ne_bytes(), &[1; 8], UpdateFlags::ANY).unwrap();
    map_freeze(&map).unwrap();
    let err = map_update_elem(&map, &2u32.to_ne_bytes(), &[1; 8], UpdateFlags::ANY).unwrap_err();
    assert_eq!(err.errno(), libc::EPERM);
    let mut value = [0u8; 8];
    map_lookup_elem(&map, &1u32.to_ne_bytes(), &mut value, LookupFlags::empty()).unwrap();
    assert_eq!(value, [1; 8]);

    // The ID leads back to the same map.
    let fd = map_get_fd_by_id(info.id, AccessFlags::RDONLY).unwrap();
    let again = MapFd::from_fd(fd).unwrap();
    assert_eq!(map_info(&again).unwrap().id, info.id);
    assert_eq!((again.key_size(), again.value_len()), (4, 8));
    // The ID is among the map IDs the kernel lists.
    let mut id = None;
    let mut found = false;
    while let Some(next) = map_get_next_id(id).unwrap() {
        found |= next == info.id;
        id = Some(next);
    }
    assert!(found);
}

#[test]
fn map_with_btf() {
    if !require_kernel() {
        return;
    }
    let btf = btf_load(&int_btf(), None, None).unwrap();
    let map = MapFd::create(&MapCreateArgs {
        map_type: MapType::HASH,
        key_size: 4,
        value_size: 4,
        max_entries: 1,
        name: ObjName::new("btf_map").unwrap(),
        btf: Some(btf.as_fd()),
        btf_key_type_id: 1,
        btf_value_type_id: 1,
        ..Default::default()
    })
    .unwrap();
    let info = map_info(&map).unwrap();
    let btf_info = btf_info(&btf).unwrap();
    assert_eq!(info.btf_id, btf_info.id);
    assert_eq!((info.btf_key_type_id, info.btf_value_type_id), (1, 1));
}

#[test]
fn prog_load_and_test_run() {
    if !require_kernel() {
        return;
    }
    let prog = xdp_ret2();
    let data = [0xabu8; 64];
    let mut out = [0u8; 64];
    let res = prog_test_run(
        &prog,
        &mut TestRunArgs {
            data_in: &data,
            data_out: Some(&mut out),
            repeat: 3,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(res.retval, 2); // XDP_PASS
    assert_eq!(res.data_size_out, 64);
    assert_eq!(out, data);

    // Output buffer too small: ENOSPC.
    let mut small = [0u8; 8];
    let err = prog_test_run(
        &prog,
        &mut TestRunArgs {
            data_in: &data,
            data_out: Some(&mut small),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(err.errno(), libc::ENOSPC);
    assert_eq!(small, [0xab; 8]);

    let info = prog_info(&prog).unwrap();
    assert_eq!(info.prog_type, ProgramType::XDP);
    assert_eq!(info.name(), b"ret2");
    assert!(info.gpl_compatible());
    assert_eq!(info.xlated_prog_len, 16);
    assert_ne!(info.tag, [0; 8]);
    assert!(info.has(std::mem::offset_of!(BpfProgInfo, attach_btf_id) + 4));

    let same = prog_get_fd_by_id(info.id).unwrap();
    assert_eq!(prog_info(&same).unwrap().id, info.id);
    assert!(prog_get_next_id(None).unwrap().is_some());

    // A program fd is not a map.
    let err = MapFd::from_fd(same).unwrap_err();
    assert_eq!(err.errno(), libc::EINVAL);
}

#[test]
fn socket_filter_test_run() {
    if !require_kernel() {
        return;
    }
    let insns = [mov64_imm(0, 2), exit()];
    let prog = prog_load(
        &ProgLoadArgs {
            prog_type: ProgramType::SOCKET_FILTER,
            insns: &insns,
            license: c"MIT",
            ..Default::default()
        },
        None,
    )
    .unwrap();
    let res = prog_test_run(
        &prog,
        &mut TestRunArgs {
            data_in: &[0u8; 64],
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(res.retval, 2);
    assert!(!prog_info(&prog).unwrap().gpl_compatible());
}

#[test]
fn prog_info_arrays_and_fd_array() {
    if !require_kernel() {
        return;
    }
    let used = hash_map("used", 1);
    let bound = hash_map("bound", 1);
    let [ld0, ld1] = ld_map_fd(1, &used);
    let insns = [ld0, ld1, mov64_imm(0, 2), exit()];
    let fds = [bound.as_fd()];
    let load = |bind_fd_array| {
        prog_load(
            &ProgLoadArgs {
                prog_type: ProgramType::XDP,
                insns: &insns,
                license: c"GPL",
                fd_array: &fds,
                bind_fd_array,
                ..Default::default()
            },
            None,
        )
    };
    // `fd_array_cnt` (6.14) binds every map of `fd_array`, used or not.
    let bind = kernel_has_member("bpf_attr", "fd_array_cnt");
    let (prog, maps) = if bind {
        (load(true).unwrap(), vec![&used, &bound])
    } else {
        // An older kernel refuses the field it does not know: past the end
        // of its `union bpf_attr` (6.1) the non-zero bytes are E2BIG, inside
        // its unused tail (6.12) EINVAL.
        let end = std::mem::offset_of!(oxbpf_sys::attr::ProgLoadAttr, fd_array_cnt) + 4;
        let want = if kernel_sizeof("bpf_attr") < end {
            libc::E2BIG
        } else {
            libc::EINVAL
        };
        let err = load(true).unwrap_err();
        assert_eq!((err.call, err.errno()), ("BPF_PROG_LOAD", want), "{err}");
        kernel_note(&format!(
            "sys: no fd_array_cnt: BPF_PROG_LOAD {} asserted",
            std::io::Error::from_raw_os_error(want)
        ));
        // Without it, `fd_array` only lends fds: the unused map is not bound.
        (load(false).unwrap(), vec![&used])
    };
    let info = prog_info(&prog).unwrap();
    assert_eq!(info.nr_map_ids as usize, maps.len());
    let mut map_ids = [MapId::new(0); 4];
    let mut xlated = vec![0u8; info.xlated_prog_len as usize];
    let info = prog_info_with(
        &prog,
        &mut ProgInfoBuffers {
            map_ids: &mut map_ids,
            xlated_prog_insns: &mut xlated,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(info.nr_map_ids as usize, maps.len());
    let mut got = map_ids[..maps.len()].to_vec();
    got.sort();
    let mut want: Vec<_> = maps.iter().map(|m| map_info(*m).unwrap().id).collect();
    want.sort();
    assert_eq!(got, want);
    assert!(map_ids[maps.len()..].iter().all(|id| *id == MapId::new(0)));
    assert_eq!(xlated.len(), 4 * 8);
    // The last translated instruction is still `exit`.
    assert_eq!(xlated[24], 0x95);
    if bind {
        kernel_note("sys: fd_array_cnt binds an unused map: proven");
    }
}

#[test]
fn verifier_log() {
    if !require_kernel() {
        return;
    }
    // `exit` with r0 never written.
    let insns = [exit()];
    let args = ProgLoadArgs {
        prog_type: ProgramType::SOCKET_FILTER,
        insns: &insns,
        license: c"GPL",
        ..Default::default()
    };
    let mut buf = vec![0u8; 64 * 1024];
    let mut log = LogBuffer::new(&mut buf, LogLevel::LEVEL1);
    let err = prog_load(&args, Some(&mut log)).unwrap_err();
    assert_eq!(err.errno(), libc::EACCES);
    assert_eq!(err.call, "BPF_PROG_LOAD");
    let text = log.to_string_lossy().into_owned();
    assert!(text.contains("R0 !read_ok"), "log: {text}");
    // `log_true_size` (6.4) reports the size the whole log needs; older
    // kernels leave it 0.
    let true_size = kernel_has_member("bpf_attr", "log_true_size");
    if true_size {
        assert_eq!(log.true_size() as usize, log.as_bytes().len() + 1);
    } else {
        assert_eq!(log.true_size(), 0);
    }
    assert!(!log.is_truncated());

    // Without a log the error is the same.
    assert_eq!(prog_load(&args, None).unwrap_err().errno(), libc::EACCES);

    // A good program with a too-small buffer: ENOSPC and the size needed;
    // a buffer of that size then holds the whole log.
    let good = [mov64_imm(0, 0), exit()];
    let args = ProgLoadArgs {
        prog_type: ProgramType::SOCKET_FILTER,
        insns: &good,
        license: c"GPL",
        ..Default::default()
    };
    let small_len = if true_size {
        16
    } else {
        // Before the log rework that brought `log_true_size` (6.4), a log
        // buffer under 128 bytes is refused outright.
        let mut tiny = [0u8; 16];
        let mut log = LogBuffer::new(&mut tiny, LogLevel::LEVEL2);
        let err = prog_load(&args, Some(&mut log)).unwrap_err();
        assert_eq!(err.errno(), libc::EINVAL);
        128
    };
    let mut small = vec![0u8; small_len];
    let mut log = LogBuffer::new(&mut small, LogLevel::LEVEL2);
    let err = prog_load(&args, Some(&mut log)).unwrap_err();
    assert_eq!(err.errno(), libc::ENOSPC);
    // Filled up: all but the NUL.
    assert_eq!(log.as_bytes().len(), small_len - 1);
    let needed = if true_size {
        assert!(log.is_truncated());
        let needed = log.true_size() as usize;
        assert!(needed > small_len);
        kernel_note(&format!(
            "sys: log_true_size proven ({needed} bytes for a {small_len}-byte buffer)"
        ));
        needed
    } else {
        // Not reported: the truncation shows only as ENOSPC.
        assert_eq!(log.true_size(), 0);
        assert!(!log.is_truncated());
        kernel_note(
            "sys: no log_true_size: 0, ENOSPC, and EINVAL for a buffer under 128 bytes asserted",
        );
        64 * 1024
    };
    let mut big = vec![0u8; needed];
    let mut log = LogBuffer::new(&mut big, LogLevel::LEVEL2);
    prog_load(&args, Some(&mut log)).unwrap();
    if true_size {
        assert_eq!(log.as_bytes().len() + 1, needed);
    }
    assert!(log.to_string_lossy().contains("processed 2 insns"));
}

#[test]
fn btf_load_and_info() {
    if !require_kernel() {
        return;
    }
    let blob = int_btf();
    let mut buf = vec![0u8; 4096];
    let mut log = LogBuffer::new(&mut buf, LogLevel::LEVEL1);
    let btf = btf_load(&blob, None, Some(&mut log)).unwrap();
    let info = btf_info(&btf).unwrap();
    assert_eq!(info.btf_size as usize, blob.len());
    assert_eq!(info.kernel_btf, 0);

    let mut data = vec![0u8; blob.len()];
    let mut name = [0u8; 16];
    let info = btf_info_with(
        &btf,
        &mut BtfInfoBuffers {
            name: &mut name,
            btf: &mut data,
        },
    )
    .unwrap();
    assert_eq!(data, blob);
    assert_eq!(info.name_len, 0);

    let again = btf_get_fd_by_id(info.id).unwrap();
    assert_eq!(btf_info(&again).unwrap().id, info.id);
    let mut id = None;
    let mut found = false;
    while let Some(next) = btf_get_next_id(id).unwrap() {
        found |= next == info.id;
        id = Some(next);
    }
    assert!(found);

    // Corrupt magic: EINVAL with a log explaining why.
    let mut bad = blob.clone();
    bad[0] ^= 0xff;
    let mut buf = vec![0u8; 4096];
    let mut log = LogBuffer::new(&mut buf, LogLevel::LEVEL1);
    let err = btf_load(&bad, None, Some(&mut log)).unwrap_err();
    assert_eq!((err.errno(), err.call), (libc::EINVAL, "BPF_BTF_LOAD"));
    assert!(
        log.to_string_lossy().to_lowercase().contains("magic"),
        "log: {}",
        log.to_string_lossy()
    );
    // `btf_log_true_size` is 6.4+, like the program load's.
    if kernel_has_member("bpf_attr", "btf_log_true_size") {
        assert_eq!(log.true_size() as usize, log.as_bytes().len() + 1);
    } else {
        assert_eq!(log.true_size(), 0);
    }
}

#[test]
fn pin_and_get() {
    if !require_kernel() {
        return;
    }
    let fs = BpfFs::mount().expect("mount bpffs");
    let map = hash_map("pinned", 2);
    map_update_elem(
        &map,
        &1u32.to_ne_bytes(),
        &9u64.to_ne_bytes(),
        UpdateFlags::ANY,
    )
    .unwrap();
    let path = fs.path().join("map");
    obj_pin(&map, &path).unwrap();
    assert_eq!(obj_pin(&map, &path).unwrap_err().errno(), libc::EEXIST);

    let fd = obj_get(&path, AccessFlags::empty()).unwrap();
    let got = MapFd::from_fd(fd).unwrap();
    assert_eq!(map_info(&got).unwrap().id, map_info(&map).unwrap().id);
    let mut value = [0u8; 8];
    map_lookup_elem(&got, &1u32.to_ne_bytes(), &mut value, LookupFlags::empty()).unwrap();
    assert_eq!(u64::from_ne_bytes(value), 9);

    // Read-only access refuses updates.
    let ro = MapFd::from_fd(obj_get(&path, AccessFlags::RDONLY).unwrap()).unwrap();
    let err = map_update_elem(&ro, &1u32.to_ne_bytes(), &value, UpdateFlags::ANY).unwrap_err();
    assert_eq!(err.errno(), libc::EPERM);

    // Relative to a directory fd: `BPF_F_PATH_FD` (6.5).
    let dir = fs.dir_fd();
    let prog = xdp_ret2();
    if kernel_has_member("bpf_attr", "path_fd") {
        obj_pin_at(&dir, "prog", &prog).unwrap();
        let prog2 = obj_get_at(&dir, "prog", AccessFlags::empty()).unwrap();
        assert_eq!(prog_info(&prog2).unwrap().id, prog_info(&prog).unwrap().id);
        kernel_note("sys: BPF_F_PATH_FD pin and get proven");
    } else {
        // An older kernel refuses the flag and the field it does not know.
        let err = obj_pin_at(&dir, "prog", &prog).unwrap_err();
        assert_eq!((err.call, err.errno()), ("BPF_OBJ_PIN", libc::EINVAL));
        assert!(!fs.path().join("prog").exists());
        obj_pin(&prog, fs.path().join("prog")).unwrap();
        let err = obj_get_at(&dir, "prog", AccessFlags::empty()).unwrap_err();
        assert_eq!((err.call, err.errno()), ("BPF_OBJ_GET", libc::EINVAL));
        kernel_note("sys: no BPF_F_PATH_FD: BPF_OBJ_PIN / BPF_OBJ_GET EINVAL asserted");
    }
    // A pinned program is not a map.
    let err =
        MapFd::from_fd(obj_get(fs.path().join("prog"), AccessFlags::empty()).unwrap()).unwrap_err();
    assert_eq!(err.errno(), libc::EINVAL);

    assert_eq!(
        obj_get(fs.path().join("missing"), AccessFlags::empty())
            .unwrap_err()
            .errno(),
        libc::ENOENT
    );
    assert_eq!(
        obj_get("/tmp/a\0b", AccessFlags::empty())
            .unwrap_err()
            .errno(),
        libc::EINVAL
    );
}

#[test]
fn perf_event_link() {
    if !require_kernel() {
        return;
    }
    let attr = PerfEventAttr {
        event_type: PerfType::SOFTWARE.as_raw(),
        // Not CPU_CLOCK: since 6.15-ish cpu-clock is its own dynamic PMU
        // and link info reports that PMU's type instead.
        config: PerfSwId::PAGE_FAULTS.as_raw(),
        sample_period: 1_000_000,
        flags: PerfEventFlags::DISABLED.bits(),
        ..Default::default()
    };
    let event = perf_event_open(&attr, 0, -1, None, PerfEventOpenFlags::empty()).unwrap();
    assert!(perf_event_ioc_id(&event).unwrap() > 0);
    perf_event_ioc_enable(&event).unwrap();
    perf_event_ioc_disable(&event).unwrap();
    perf_event_ioc_pause_output(&event, true).unwrap_or_else(|e| {
        // Only events with a ring buffer can pause; plain counters say so.
        assert_eq!(e.call, "PERF_EVENT_IOC_PAUSE_OUTPUT");
    });

    let insns = [mov64_imm(0, 0), exit()];
    let prog = prog_load(
        &ProgLoadArgs {
            prog_type: ProgramType::PERF_EVENT,
            insns: &insns,
            license: c"GPL",
            ..Default::default()
        },
        None,
    )
    .unwrap();
    let link = link_create(&LinkCreateArgs {
        prog: prog.as_fd(),
        target: Some(AttachTarget::Fd(event.as_fd())),
        attach_type: AttachType::PERF_EVENT,
        flags: 0,
        extra: LinkExtra::PerfEvent { bpf_cookie: 0x1234 },
    })
    .unwrap();
    let info = link_info(&link).unwrap();
    assert_eq!(info.link_type, LinkType::PERF_EVENT);
    assert_eq!(info.prog_id, prog_info(&prog).unwrap().id);
    assert_eq!(
        info.info_len as usize,
        kernel_sizeof("bpf_link_info").min(std::mem::size_of::<BpfLinkInfo>())
    );
    // What a perf-event link is attached to is reported since 6.6.
    let reported = kernel_has_member("bpf_link_info", "perf_event");
    match info.details() {
        LinkDetails::PerfEvent { event_type, raw } if reported => {
            assert_eq!(event_type, BpfPerfEventType::EVENT, "{info:?}");
            // `event { config, type, :32, cookie }`
            assert_eq!(raw[0], PerfSwId::PAGE_FAULTS.as_raw());
            assert_eq!(raw[1] as u32, PerfType::SOFTWARE.as_raw(), "{info:?}");
            assert_eq!(raw[2], 0x1234);
            kernel_note("sys: perf_event link info proven");
        }
        LinkDetails::PerfEvent { event_type, raw } => {
            assert_eq!(event_type, BpfPerfEventType::UNSPEC, "{info:?}");
            assert_eq!(raw, [0; 5], "{info:?}");
            kernel_note("sys: no perf_event link info: UNSPEC and zeros asserted");
        }
        other => panic!("unexpected link details {other:?} / {info:?}"),
    }
    let again = link_get_fd_by_id(info.id).unwrap();
    assert_eq!(link_info(&again).unwrap().id, info.id);
    assert!(link_get_next_id(None).unwrap().is_some());
    // Perf-event links cannot be detached, only closed.
    assert_eq!(link_detach(&link).unwrap_err().errno(), libc::EOPNOTSUPP);

    // The legacy attachment through the ioctl.
    let event2 = perf_event_open(&attr, 0, -1, None, PerfEventOpenFlags::empty()).unwrap();
    perf_event_ioc_set_bpf(&event2, &prog).unwrap();
    assert!(event2.as_raw_fd() >= 0);
}

#[test]
fn enable_stats_and_bump_rlimit() {
    if !require_kernel() {
        return;
    }
    let stats = enable_stats(StatsType::RUN_TIME).unwrap();
    let prog = xdp_ret2();
    prog_test_run(
        &prog,
        &mut TestRunArgs {
            data_in: &[0u8; 64],
            repeat: 10,
            ..Default::default()
        },
    )
    .unwrap();
    drop(stats);
    // Test runs are not counted in run_cnt; the fields are just reported.
    let info = prog_info(&prog).unwrap();
    assert!(info.has(std::mem::offset_of!(BpfProgInfo, run_cnt) + 8));

    let (old_soft, old_hard) = bump_memlock_rlimit().unwrap();
    let mut now = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `now` is a valid, writable `rlimit`.
    let ret = unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut now) };
    assert_eq!(ret, 0);
    // Either unlimited, or (without CAP_SYS_RESOURCE) the soft limit raised
    // to the unchanged hard limit.
    assert_eq!(now.rlim_cur, now.rlim_max);
    assert!(now.rlim_max == libc::RLIM_INFINITY || now.rlim_max == old_hard);
    assert!(now.rlim_cur >= old_soft);
}

#[test]
fn error_paths_name_the_command() {
    if !require_kernel() {
        return;
    }
    let err = map_create(&MapCreateArgs {
        map_type: MapType::HASH,
        key_size: 4,
        value_size: 4,
        max_entries: 0,
        ..Default::default()
    })
    .unwrap_err();
    assert_eq!((err.call, err.errno()), ("BPF_MAP_CREATE", libc::EINVAL));
    let err = prog_get_fd_by_id(ProgId::new(u32::MAX)).unwrap_err();
    assert_eq!(
        (err.call, err.errno()),
        ("BPF_PROG_GET_FD_BY_ID", libc::ENOENT)
    );
    let err = map_get_fd_by_id(MapId::new(u32::MAX), AccessFlags::empty()).unwrap_err();
    assert_eq!(err.call, "BPF_MAP_GET_FD_BY_ID");
    // No ID can follow the largest one the kernel allocates (INT_MAX - 1);
    // larger start IDs are EINVAL.
    assert_eq!(
        map_get_next_id(Some(MapId::new(i32::MAX as u32 - 1))).unwrap(),
        None
    );
    assert_eq!(
        map_get_next_id(Some(MapId::new(u32::MAX)))
            .unwrap_err()
            .errno(),
        libc::EINVAL
    );
    let io: std::io::Error = err.into();
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
}

/// Runs `f` on a new thread inside a fresh network namespace (whose `lo`,
/// ifindex 1, is down and private to the test).
fn in_new_netns(f: impl FnOnce() + Send + 'static) {
    std::thread::spawn(move || {
        // SAFETY: `unshare` has no memory-safety preconditions; it moves
        // only this (fresh) thread into a new network namespace.
        let ret = unsafe { libc::unshare(libc::CLONE_NEWNET) };
        assert_eq!(
            ret,
            0,
            "unshare(CLONE_NEWNET): {}",
            std::io::Error::last_os_error()
        );
        f();
    })
    .join()
    .expect("netns test thread panicked");
}

fn sched_cls(ret: i32) -> std::os::fd::OwnedFd {
    let insns = [mov64_imm(0, ret), exit()];
    prog_load(
        &ProgLoadArgs {
            prog_type: ProgramType::SCHED_CLS,
            insns: &insns,
            license: c"GPL",
            ..Default::default()
        },
        None,
    )
    .expect("load sched_cls program")
}

#[test]
fn xdp_link_update_detach() {
    if !require_kernel() {
        return;
    }
    in_new_netns(|| {
        let lo = 1;
        let prog1 = xdp_ret2();
        let prog2 = xdp_ret2();
        let link = link_create(&LinkCreateArgs {
            prog: prog1.as_fd(),
            target: Some(AttachTarget::Ifindex(lo)),
            attach_type: AttachType::XDP,
            flags: XdpFlags::SKB_MODE.bits(),
            extra: LinkExtra::None,
        })
        .unwrap();
        let info = link_info(&link).unwrap();
        assert_eq!(info.link_type, LinkType::XDP);
        assert_eq!(info.details(), LinkDetails::Xdp { ifindex: lo });
        let id1 = prog_info(&prog1).unwrap().id;
        let id2 = prog_info(&prog2).unwrap().id;
        assert_eq!(info.prog_id, id1);

        // Replace, first with a wrong expectation.
        let err = link_update(&link, &prog2, Some(prog2.as_fd())).unwrap_err();
        assert_eq!((err.call, err.errno()), ("BPF_LINK_UPDATE", libc::EPERM));
        link_update(&link, &prog2, Some(prog1.as_fd())).unwrap();
        assert_eq!(link_info(&link).unwrap().prog_id, id2);

        link_detach(&link).unwrap();
        // A detached XDP link no longer has a device.
        assert_eq!(
            link_info(&link).unwrap().details(),
            LinkDetails::Xdp { ifindex: 0 }
        );
    });
}

#[test]
fn tcx_attach_query_detach() {
    if !require_kernel() {
        return;
    }
    if !kernel_has_enumerator("bpf_attach_type", "BPF_TCX_INGRESS") {
        // Before tcx (6.6) the kernel knows no such attach type.
        in_new_netns(|| {
            let prog = sched_cls(0);
            let lo = AttachTarget::Ifindex(1);
            let err = link_create(&LinkCreateArgs {
                prog: prog.as_fd(),
                target: Some(lo),
                attach_type: AttachType::TCX_INGRESS,
                flags: 0,
                extra: LinkExtra::Tcx {
                    relative: Relative::None,
                    expected_revision: 0,
                },
            })
            .unwrap_err();
            assert_eq!((err.call, err.errno()), ("BPF_LINK_CREATE", libc::EINVAL));
            let err = prog_attach(&ProgAttachArgs {
                target: lo,
                prog: prog.as_fd(),
                attach_type: AttachType::TCX_INGRESS,
                flags: AttachFlags::empty(),
                replace: None,
                relative: Relative::None,
                expected_revision: 0,
            })
            .unwrap_err();
            assert_eq!((err.call, err.errno()), ("BPF_PROG_ATTACH", libc::EINVAL));
            let err = prog_query(&mut ProgQueryArgs {
                target: lo,
                attach_type: AttachType::TCX_INGRESS,
                query_flags: QueryFlags::empty(),
                prog_ids: &mut [],
                prog_attach_flags: None,
                link_ids: None,
                link_attach_flags: None,
            })
            .unwrap_err();
            assert_eq!((err.call, err.errno()), ("BPF_PROG_QUERY", libc::EINVAL));
        });
        kernel_note("sys: no tcx: BPF_LINK_CREATE / PROG_ATTACH / PROG_QUERY EINVAL asserted");
        return;
    }
    in_new_netns(|| {
        let lo = AttachTarget::Ifindex(1);
        let first = sched_cls(0);
        let second = sched_cls(0);
        let first_id = prog_info(&first).unwrap().id;
        let second_id = prog_info(&second).unwrap().id;

        // `first` through a link, `second` directly, before `first`.
        let link = link_create(&LinkCreateArgs {
            prog: first.as_fd(),
            target: Some(lo),
            attach_type: AttachType::TCX_INGRESS,
            flags: 0,
            extra: LinkExtra::Tcx {
                relative: Relative::None,
                expected_revision: 0,
            },
        })
        .unwrap();
        let link_id = link_info(&link).unwrap().id;
        prog_attach(&ProgAttachArgs {
            target: lo,
            prog: second.as_fd(),
            attach_type: AttachType::TCX_INGRESS,
            flags: AttachFlags::BEFORE,
            replace: None,
            relative: Relative::Id(first_id.as_raw()),
            expected_revision: 0,
        })
        .unwrap();

        // Count first, then fetch.
        let mut empty: [ProgId; 0] = [];
        let out = prog_query(&mut ProgQueryArgs {
            target: lo,
            attach_type: AttachType::TCX_INGRESS,
            query_flags: QueryFlags::empty(),
            prog_ids: &mut empty,
            prog_attach_flags: None,
            link_ids: None,
            link_attach_flags: None,
        })
        .unwrap();
        assert_eq!(out.count, 2);
        let revision = out.revision;
        assert!(revision > 0);

        let mut ids = [ProgId::new(0); 2];
        let mut links = [LinkId::new(0); 2];
        let out = prog_query(&mut ProgQueryArgs {
            target: lo,
            attach_type: AttachType::TCX_INGRESS,
            query_flags: QueryFlags::empty(),
            prog_ids: &mut ids,
            prog_attach_flags: None,
            link_ids: Some(&mut links),
            link_attach_flags: None,
        })
        .unwrap();
        assert_eq!(out.count, 2);
        assert_eq!(ids, [second_id, first_id]);
        assert_eq!(links, [LinkId::new(0), link_id]);

        // Too small a buffer: ENOSPC.
        let mut one = [ProgId::new(0); 1];
        let err = prog_query(&mut ProgQueryArgs {
            target: lo,
            attach_type: AttachType::TCX_INGRESS,
            query_flags: QueryFlags::empty(),
            prog_ids: &mut one,
            prog_attach_flags: None,
            link_ids: None,
            link_attach_flags: None,
        })
        .unwrap_err();
        assert_eq!((err.call, err.errno()), ("BPF_PROG_QUERY", libc::ENOSPC));

        // A stale revision is refused; the right one detaches.
        let detach = |rev| {
            prog_detach(&ProgDetachArgs {
                target: lo,
                prog: Some(second.as_fd()),
                attach_type: AttachType::TCX_INGRESS,
                flags: AttachFlags::empty(),
                relative: Relative::None,
                expected_revision: rev,
            })
        };
        assert_eq!(detach(revision + 100).unwrap_err().errno(), libc::ESTALE);
        detach(revision).unwrap();

        // Detaching the link leaves nothing attached.
        link_detach(&link).unwrap();
        let mut one = [ProgId::new(0); 1];
        let out = prog_query(&mut ProgQueryArgs {
            target: lo,
            attach_type: AttachType::TCX_INGRESS,
            query_flags: QueryFlags::empty(),
            prog_ids: &mut one,
            prog_attach_flags: None,
            link_ids: None,
            link_attach_flags: None,
        })
        .unwrap();
        assert_eq!(out.count, 0);
    });
    kernel_note("sys: tcx attach / query / detach proven");
}

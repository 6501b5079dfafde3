//! No fd leaks on success or error paths.
//!
//! Counting `/proc/self/fd` is only meaningful while no other test of the
//! same process opens or closes fds, so this binary has exactly one test.

mod common;

use std::os::fd::AsFd;

use common::{exit, int_btf, mov64_imm, open_fds, require_kernel, BpfFs};
use oxbpf_sys::*;

#[test]
fn no_fd_leaks() {
    if !require_kernel() {
        return;
    }
    let fs = BpfFs::mount().expect("mount bpffs");
    // Warm up anything that opens files lazily (CPU list cache, ...).
    nr_possible_cpus().unwrap();
    let before = open_fds();

    for round in 0..3 {
        // Successful creates, dropped again.
        let map = MapFd::create(&MapCreateArgs {
            map_type: MapType::HASH,
            key_size: 4,
            value_size: 4,
            max_entries: 8,
            ..Default::default()
        })
        .unwrap();
        let clone = map.try_clone().unwrap();
        drop(clone);
        let info = map_info(&map).unwrap();
        drop(MapFd::from_fd(map_get_fd_by_id(info.id, AccessFlags::empty()).unwrap()).unwrap());

        // Failing creates: HASH with max_entries 0 is EINVAL.
        let err = MapFd::create(&MapCreateArgs {
            map_type: MapType::HASH,
            key_size: 4,
            value_size: 4,
            max_entries: 0,
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err.errno(), libc::EINVAL);
        assert!(map_create(&MapCreateArgs::default()).is_err());

        // Programs: good, rejected, EAGAIN-free retry path not taken.
        let good = [mov64_imm(0, 2), exit()];
        let prog = prog_load(
            &ProgLoadArgs {
                prog_type: ProgramType::XDP,
                insns: &good,
                license: c"GPL",
                ..Default::default()
            },
            None,
        )
        .unwrap();
        let bad = [exit()];
        let mut buf = vec![0u8; 4096];
        let mut log = LogBuffer::new(&mut buf, LogLevel::LEVEL1);
        assert!(prog_load(
            &ProgLoadArgs {
                prog_type: ProgramType::XDP,
                insns: &bad,
                license: c"GPL",
                ..Default::default()
            },
            Some(&mut log),
        )
        .is_err());

        // Wrapping a non-map fd fails and closes it.
        let prog_dup = prog.try_clone().unwrap();
        assert!(MapFd::from_fd(prog_dup).is_err());

        // BTF, good and bad.
        let btf = btf_load(&int_btf(), None, None).unwrap();
        assert!(btf_load(&[0u8; 8], None, None).is_err());
        drop(btf);

        // Pin, get, and a failing get.
        let path = fs.path().join(format!("m{round}"));
        obj_pin(&map, &path).unwrap();
        drop(obj_get(&path, AccessFlags::empty()).unwrap());
        assert!(obj_get(fs.path().join("nope"), AccessFlags::empty()).is_err());
        std::fs::remove_file(&path).unwrap();

        // perf events.
        let attr = PerfEventAttr {
            event_type: PerfType::SOFTWARE.as_raw(),
            config: PerfSwId::DUMMY.as_raw(),
            ..Default::default()
        };
        let event = perf_event_open(&attr, 0, -1, None, PerfEventOpenFlags::empty()).unwrap();
        let bad_attr = PerfEventAttr {
            event_type: 0xdead,
            ..attr
        };
        assert!(perf_event_open(&bad_attr, 0, -1, None, PerfEventOpenFlags::empty()).is_err());
        let stats = enable_stats(StatsType::RUN_TIME).unwrap();
        drop((event, stats, prog, map));
        let _ = prog_test_run(std::io::stdin().as_fd(), &mut TestRunArgs::default());
    }

    assert_eq!(open_fds(), before, "fds leaked");
}

//! struct_ops: a TCP congestion control implemented by BPF programs
//! (`testdata/links/struct_ops.bpf.c`), registered through a bpf_link
//! (`.struct_ops.link`) and the legacy way (`.struct_ops`). Each test
//! proves the registration by selecting the algorithm on a loopback TCP
//! connection (`setsockopt(TCP_CONGESTION)`) and watching its callbacks
//! count, then drops the link and shows the name is gone.
//!
//! No default changes: only the test's own sockets use the algorithm.

mod net_common;

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use net_common::{common, require};
use oxbpf::loader::{AttachError, Collection, CollectionSpec, LinkKind, LoadOptions};
use oxbpf::maps::{Map, MapType};
use oxbpf::sys::{self, LinkType, LookupFlags};

fn spec() -> CollectionSpec {
    CollectionSpec::from_file(common::root().join("testdata/links/struct_ops.bpf.o")).unwrap()
}

/// `.bss` counters, by variable order in the C source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Calls {
    init: u64,
    ssthresh: u64,
    cong_avoid: u64,
    undo: u64,
    legacy: u64,
    unused: u64,
}

fn calls(bss: &Map) -> Calls {
    let mut v = [0u8; 48];
    assert!(bss
        .lookup(&0u32.to_ne_bytes(), &mut v, LookupFlags::empty())
        .unwrap());
    let w = |i: usize| u64::from_ne_bytes(v[i * 8..i * 8 + 8].try_into().unwrap());
    Calls {
        init: w(0),
        ssthresh: w(1),
        cong_avoid: w(2),
        undo: w(3),
        legacy: w(4),
        unused: w(5),
    }
}

/// A loopback TCP connection whose client uses congestion control `cc`,
/// with 256 KiB sent across (ACKs drive `cong_avoid`). `Err` is the
/// `setsockopt` error (ENOENT: no algorithm of that name is registered).
fn connect_with(cc: &str) -> std::io::Result<String> {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (mut s, _) = l.accept().unwrap();
    sys::set_tcp_congestion(&c, cc)?;
    let selected = sys::tcp_congestion(&c).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 << 10];
        let mut total = 0;
        while total < 256 << 10 {
            match s.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => total += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => panic!("reading: {e}"),
            }
        }
        total
    });
    let chunk = vec![7u8; 16 << 10];
    for _ in 0..16 {
        c.write_all(&chunk).unwrap();
    }
    c.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(reader.join().unwrap(), 256 << 10);
    Ok(selected)
}

fn assert_not_registered(cc: &str) {
    let e = connect_with(cc).expect_err(cc);
    assert_eq!(e.raw_os_error(), Some(libc::ENOENT), "{cc}: {e}");
}

#[test]
fn spec_lists_struct_ops_maps_and_their_programs() {
    let spec = spec();
    let names: Vec<_> = spec.struct_ops.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["oxcc", "oxcc_legacy"]);
    let cc = spec.struct_ops("oxcc").unwrap();
    assert_eq!(
        (
            cc.section.as_str(),
            cc.type_name.as_str(),
            cc.link,
            cc.autocreate
        ),
        (".struct_ops.link", "tcp_congestion_ops", true, true)
    );
    let members: Vec<_> = cc
        .programs
        .iter()
        .map(|p| (p.member.as_str(), p.program.as_str()))
        .collect();
    assert_eq!(
        members,
        [
            ("ssthresh", "oxcc_ssthresh"),
            ("cong_avoid", "oxcc_cong_avoid"),
            ("undo_cwnd", "oxcc_undo_cwnd"),
            ("init", "oxcc_init"),
        ]
    );
    // The object's struct: `name` holds "oxcc" at its BTF offset.
    let btf = spec.btf.as_ref().unwrap();
    let oxbpf::btf::Type::Struct(st) = btf.type_by_id(cc.type_id).unwrap() else {
        panic!("not a struct")
    };
    let name_off = st.member("name").unwrap().offset.bytes() as usize;
    assert_eq!(&cc.data[name_off..name_off + 5], b"oxcc\0");
    assert_eq!(cc.data.len(), st.size as usize);
    let legacy = spec.struct_ops("oxcc_legacy").unwrap();
    assert!(!legacy.link);
    assert_eq!(legacy.program_for("init"), Some("legacy_init"));
    assert_eq!(legacy.program_for("cong_avoid"), Some("legacy_cong_avoid"));
    assert_eq!(legacy.program_for("cong_control"), None);
}

fn load(spec: &CollectionSpec) -> Collection {
    Collection::load(spec, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("loading struct_ops.bpf.o: {e}"))
}

/// The running kernel's (major, minor).
fn kernel_version() -> (u32, u32) {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let mut parts = release.trim().split(['.', '-']);
    let mut next = || parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (next(), next())
}

#[test]
fn congestion_control_registered_by_link_runs_then_unregisters() {
    if !require("kernel") {
        return;
    }
    if kernel_version() < (6, 4) {
        // `.struct_ops.link` maps (BPF_F_LINK) came in 6.4.
        let e = Collection::load(&spec(), &LoadOptions::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "struct_ops map `oxcc`: this kernel cannot attach struct_ops maps through a \
             bpf_link (`.struct_ops.link` needs Linux 6.4); use `.struct_ops`"
        );
        common::kernel_note("struct_ops: asserted unsupported: `.struct_ops.link` (before 6.4)");
        return;
    }
    let coll = load(&spec());
    // Referenced by no struct_ops map: not loaded.
    assert!(coll.program("unused_ssthresh").is_none());
    assert!(coll.program("oxcc_init").is_some());
    let map = coll.map("oxcc").unwrap();
    assert_eq!(map.info().map_type, MapType::STRUCT_OPS);
    let bss = coll.map(".bss").unwrap();

    assert_not_registered("oxcc");
    let link = coll.attach_struct_ops("oxcc").unwrap();
    assert_eq!(link.kind(), LinkKind::Bpf);
    assert_eq!(link.info().unwrap().link_type, LinkType::STRUCT_OPS);
    let before = calls(bss);
    assert_eq!(connect_with("oxcc").unwrap(), "oxcc");
    let after = calls(bss);
    assert!(after.init > before.init, "{before:?} -> {after:?}");
    assert!(
        after.cong_avoid > before.cong_avoid,
        "{before:?} -> {after:?}"
    );
    assert_eq!(after.unused, 0);
    common::kernel_note(&format!(
        "struct_ops: proven: tcp_congestion_ops through a bpf_link ({} init, {} cong_avoid calls)",
        after.init - before.init,
        after.cong_avoid - before.cong_avoid
    ));

    drop(link);
    assert_not_registered("oxcc");
    let quiet = calls(bss);
    assert_eq!(connect_with("cubic").unwrap(), "cubic");
    assert_eq!(
        calls(bss),
        quiet,
        "the callbacks ran after the link was dropped"
    );

    // A BPF_F_LINK map can be linked again after its link is gone.
    let again = coll.attach_struct_ops("oxcc").unwrap();
    assert_eq!(connect_with("oxcc").unwrap(), "oxcc");
    assert!(calls(bss).init > quiet.init);
    again.detach().unwrap();
    assert_not_registered("oxcc");
}

#[test]
fn legacy_struct_ops_map_registers_on_update_and_unregisters_on_delete() {
    if !require("kernel") {
        return;
    }
    // Only the legacy map: `.struct_ops.link` needs 6.4.
    let mut spec = spec();
    spec.struct_ops_mut("oxcc").unwrap().autocreate = false;
    let coll = load(&spec);
    let bss = coll.map(".bss").unwrap();
    assert_not_registered("oxcc_legacy");
    let reg = coll.attach_struct_ops("oxcc_legacy").unwrap();
    assert_eq!(reg.kind(), LinkKind::Legacy);
    // Registered already: a second update is refused with a clear error.
    match coll.attach_struct_ops("oxcc_legacy").unwrap_err() {
        AttachError::AlreadyAttached { detail, .. } => {
            assert!(detail.contains("registered already"), "{detail}")
        }
        e => panic!("{e:?}"),
    }
    let before = calls(bss);
    assert_eq!(connect_with("oxcc_legacy").unwrap(), "oxcc_legacy");
    let after = calls(bss);
    assert!(after.legacy > before.legacy, "{before:?} -> {after:?}");
    assert_eq!((after.init, after.unused), (before.init, 0));
    reg.detach().unwrap();
    assert_not_registered("oxcc_legacy");
    let quiet = calls(bss);
    connect_with("cubic").unwrap();
    assert_eq!(calls(bss), quiet);
    common::kernel_note("struct_ops: proven: legacy tcp_congestion_ops (map update / delete)");
}

#[test]
fn struct_ops_errors_name_the_map_and_what_does_not_fit() {
    if !require("kernel") {
        return;
    }
    let load_err = |spec: &CollectionSpec| match Collection::load(spec, &LoadOptions::default()) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("loaded"),
    };
    let mut spec = spec();
    spec.struct_ops_mut("oxcc").unwrap().type_name = "oxbpf_no_such_ops".into();
    assert_eq!(
        load_err(&spec),
        "struct_ops map `oxcc`: struct oxbpf_no_such_ops is not in the kernel's BTF"
    );
    let mut spec = self::spec();
    spec.struct_ops_mut("oxcc").unwrap().programs[0].member = "renamed".into();
    assert_eq!(
        load_err(&spec),
        "struct_ops map `oxcc`: program `oxcc_ssthresh` is set for member `renamed`, \
         which is not a function pointer member here"
    );
    // Not created: its programs are not loaded either.
    let mut spec = self::spec();
    spec.struct_ops_mut("oxcc").unwrap().autocreate = false;
    let coll = load(&spec);
    assert!(coll.map("oxcc").is_none());
    assert!(coll.program("oxcc_init").is_none());
    assert!(coll.program("legacy_init").is_some());
    // Attaching a struct_ops program by itself points to the map.
    match coll.program("legacy_init").unwrap().attach().unwrap_err() {
        AttachError::InvalidArgument(m) => assert!(m.contains("attach_struct_ops"), "{m}"),
        e => panic!("{e:?}"),
    }
    match coll.attach_struct_ops("oxcc").unwrap_err() {
        AttachError::InvalidArgument(m) => assert!(m.contains("no struct_ops map"), "{m}"),
        e => panic!("{e:?}"),
    }
}

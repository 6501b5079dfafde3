//! `#[derive(BtfStruct)]` at run time: validation reports (exact text for
//! every kind of mismatch), emission round trips, and views checked against
//! the kernel's BTF and the test objects' BTF.

mod common;

use oxbpf::btf::layout::{emit, validate, validate_by_name, validate_named, BtfLayout, Problem};
use oxbpf::btf::{Btf, BtfBuilder, IntEncoding, Kind, MemberSpec, TypeId, VarSecInfo};
use oxbpf::BtfStruct;

fn m(name: &str, ty: TypeId, bit_offset: u32) -> MemberSpec<'_> {
    MemberSpec {
        name,
        ty,
        bit_offset,
        bitfield_size: 0,
    }
}

/// The C side:
/// ```c
/// struct event { int pid; unsigned int flags; char comm[16]; long long ts; };
/// ```
fn event_btf() -> (Btf<'static>, TypeId) {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, IntEncoding::Signed);
    let uint = b.add_int("unsigned int", 4, IntEncoding::Unsigned);
    let ch = b.add_int("char", 1, IntEncoding::Signed);
    let arr = b.add_array(ch, int, 16);
    let ll = b.add_int("long long", 8, IntEncoding::Signed);
    let ev = b
        .add_struct(
            "event",
            32,
            &[
                m("pid", int, 0),
                m("flags", uint, 32),
                m("comm", arr, 64),
                m("ts", ll, 192),
            ],
        )
        .unwrap();
    (Btf::parse_owned(b.to_bytes().unwrap()).unwrap(), ev)
}

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
#[btf(name = "event")]
struct Event {
    pid: i32,
    flags: u32,
    comm: [u8; 16],
    ts: i64,
}

#[test]
fn matching_struct_validates_and_is_pod() {
    let (btf, id) = event_btf();
    validate::<Event>(&btf, id).unwrap();
    assert_eq!(validate_named::<Event>(&btf).unwrap(), id);
    // Pod: usable as map keys and values.
    fn is_pod<T: oxbpf::sys::Pod>() {}
    is_pod::<Event>();
}

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
#[btf(name = "event")]
struct WrongEvent {
    pid: u32,   // signedness
    flags: u16, // size
    #[btf(pad)]
    _pad: [u8; 2],
    comm: [u8; 8], // element count
    #[btf(pad)]
    _pad2: [u8; 8],
    ts: u64,    // signedness
    extra: u32, // missing in BTF
    #[btf(pad)]
    _pad3: [u8; 4],
}

/// Each difference of a report as (path, problem).
fn problems(err: &oxbpf::btf::layout::LayoutMismatch) -> Vec<(&str, Problem)> {
    err.differences
        .iter()
        .map(|d| (d.path.as_str(), d.problem))
        .collect()
}

#[test]
fn every_difference_is_reported_in_one_table() {
    let (btf, id) = event_btf();
    let err = validate::<WrongEvent>(&btf, id).unwrap_err();
    let problems = problems(&err);
    assert_eq!(
        problems,
        [
            ("[size]", Problem::Size),
            ("pid", Problem::Signedness),
            ("flags", Problem::Size),
            ("comm", Problem::ElementCount),
            ("ts", Problem::Signedness),
            ("extra", Problem::MissingInBtf),
        ]
    );
    assert_eq!(
        err.to_string(),
        "`WrongEvent` does not match BTF struct event [6]:
  field  | Rust        | BTF              | problem
  -------+-------------+------------------+----------------------
  [size] | 40          | 32               | size differs
  pid    | u32 @ 0     | int @ 0          | signedness differs
  flags  | u16 @ 4     | unsigned int @ 4 | size differs
  comm   | [u8; 8] @ 8 | char[16] @ 8     | element count differs
  ts     | u64 @ 24    | long long @ 24   | signedness differs
  extra  | u32 @ 32    | -                | missing in BTF
"
    );
}

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
#[btf(name = "event")]
struct Shifted {
    pid: i32,
    comm: [u8; 16], // at 4, BTF has it at 8
    #[btf(pad)]
    _pad: [u8; 4],
    ts: i64,
}

#[test]
fn offsets_and_missing_rust_fields() {
    let (btf, id) = event_btf();
    let err = validate::<Shifted>(&btf, id).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`Shifted` does not match BTF struct event [6]:
  field | Rust         | BTF              | problem
  ------+--------------+------------------+----------------
  comm  | [u8; 16] @ 4 | char[16] @ 8     | offset differs
  flags | -            | unsigned int @ 4 | missing in Rust
"
    );
}

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
struct Inner {
    a: u16,
    b: u16,
}

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
#[btf(name = "outer")]
struct Outer {
    inner: Inner,
    list: [[u8; 2]; 3],
    #[btf(pad)]
    _pad: [u8; 6],
    f: f64,
}

#[derive(BtfStruct, Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u32)]
#[btf(name = "state")]
enum State {
    Idle = 0,
    Busy = 3,
}

#[test]
fn nested_types_kinds_and_enums() {
    let mut b = BtfBuilder::new();
    let u16_ = b.add_int("__u16", 2, IntEncoding::Unsigned);
    let s16 = b.add_int("short", 2, IntEncoding::Signed);
    let int = b.add_int("int", 4, IntEncoding::Signed);
    let inner = b
        .add_struct("Inner", 4, &[m("a", u16_, 0), m("b", s16, 16)])
        .unwrap();
    let u8_ = b.add_int("unsigned char", 1, IntEncoding::Unsigned);
    let row = b.add_array(u8_, int, 2);
    let rows = b.add_array(row, int, 3);
    let dbl = b.add_int("long", 8, IntEncoding::Signed); // not a float
    let outer = b
        .add_struct(
            "outer",
            24,
            &[m("inner", inner, 0), m("list", rows, 32), m("f", dbl, 128)],
        )
        .unwrap();
    let st = b
        .add_enum("state", 4, false, false, &[("Idle", 0), ("Busy", 2)])
        .unwrap();
    let btf = Btf::parse_owned(b.to_bytes().unwrap()).unwrap();
    let err = validate::<Outer>(&btf, outer).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`Outer` does not match BTF struct outer [9]:
  field   | Rust     | BTF                          | problem
  --------+----------+------------------------------+-------------------
  inner.b | u16 @ 2  | short @ 2                    | signedness differs
  f       | f64 @ 16 | long @ 16 (expected a float) | kind differs
"
    );
    let err = validate::<State>(&btf, st).unwrap_err();
    assert_eq!(err.differences.len(), 1);
    assert_eq!(
        (err.differences[0].path.as_str(), err.differences[0].problem),
        ("Busy", Problem::EnumValue)
    );
    assert_eq!(
        (
            err.differences[0].rust.as_str(),
            err.differences[0].btf.as_str()
        ),
        ("3", "2")
    );
    // A struct is not an int.
    let err = validate::<Inner>(&btf, int).unwrap_err();
    assert_eq!(err.differences[0].problem, Problem::Kind);
}

#[test]
fn emitted_btf_round_trips_and_validates() {
    let mut b = BtfBuilder::new();
    let outer = emit::<Outer>(&mut b).unwrap();
    let ev = Event::emit_btf(&mut b).unwrap();
    let st = emit::<State>(&mut b).unwrap();
    let btf = Btf::parse_owned(b.to_bytes().unwrap()).unwrap();
    validate::<Outer>(&btf, outer).unwrap();
    validate::<Event>(&btf, ev).unwrap();
    validate::<State>(&btf, st).unwrap();
    // Padding fields are not members; nested types are emitted once.
    let Some(oxbpf::btf::Type::Struct(s)) = btf.type_by_id(outer) else {
        panic!()
    };
    assert_eq!(
        s.members().map(|m| m.name).collect::<Vec<_>>(),
        ["inner", "list", "f"]
    );
    assert_eq!(btf.ids_by_name("Inner").len(), 1);
    assert_eq!(btf.size_of(ev).unwrap(), 32);
}

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
struct Globals {
    counter: u64,
    limit: u32,
    #[btf(pad)]
    _pad: [u8; 4],
}

#[test]
fn global_data_views_validate_against_datasec_variables() {
    let mut b = BtfBuilder::new();
    let u64_ = b.add_int("unsigned long long", 8, IntEncoding::Unsigned);
    let u32_ = b.add_int("unsigned int", 4, IntEncoding::Unsigned);
    let v1 = b.add_var("counter", u64_, oxbpf::btf::Linkage::Global);
    let v2 = b.add_var("limit", u32_, oxbpf::btf::Linkage::Global);
    let ds = b
        .add_datasec(
            ".data",
            16,
            &[
                VarSecInfo {
                    ty: v1,
                    offset: 0,
                    size: 8,
                },
                VarSecInfo {
                    ty: v2,
                    offset: 8,
                    size: 4,
                },
            ],
        )
        .unwrap();
    let btf = Btf::parse_owned(b.to_bytes().unwrap()).unwrap();
    validate::<Globals>(&btf, ds).unwrap();
}

// ---- the kernel's BTF ----

/// A read-only view of a few `task_struct` fields at this kernel's offsets
/// (Linux 6.18 x86_64 as built here). On another kernel the offsets differ,
/// and the report must say exactly which.
#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
#[btf(name = "task_struct", subset)]
struct TaskView {
    #[btf(pad)]
    _p0: [u8; 1136],
    #[btf(ptr = "mm_struct")]
    mm: u64,
    #[btf(pad)]
    _p1: [u8; 120],
    pid: i32,
    tgid: i32,
    #[btf(pad)]
    _p2: [u8; 480],
    comm: [u8; 16],
}

/// `struct iphdr`, all of it: the first byte holds the `ihl:4, version:4`
/// bitfields; saddr/daddr sit in an anonymous union (with `addrs`).
#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
#[btf(name = "iphdr")]
struct Iphdr {
    #[btf(bitfields = "ihl, version")]
    ihl_version: u8,
    tos: u8,
    tot_len: u16,
    id: u16,
    frag_off: u16,
    ttl: u8,
    protocol: u8,
    check: u16,
    saddr: u32,
    daddr: u32,
}

#[test]
fn kernel_views_of_task_struct_and_iphdr() {
    if !common::require("kernel-btf") {
        return;
    }
    let btf = Btf::kernel().unwrap();
    validate_named::<Iphdr>(&btf).unwrap();
    let task = btf.find_by_name_kind("task_struct", Kind::Struct).unwrap();
    let expected = [("mm", 1136), ("pid", 1264), ("tgid", 1268), ("comm", 1752)];
    let Some(oxbpf::btf::Type::Struct(s)) = btf.type_by_id(task) else {
        panic!()
    };
    let actual: Vec<_> = expected
        .iter()
        .map(|(n, _)| (*n, s.member(n).unwrap().offset.bytes() as usize))
        .collect();
    match validate_by_name::<TaskView>(&btf, "task_struct") {
        Ok(_) => assert_eq!(actual, expected, "validated although offsets differ"),
        Err(oxbpf::btf::layout::ValidateError::Mismatch(e)) => {
            // Another kernel: exactly the moved fields are reported.
            let moved: Vec<_> = expected
                .iter()
                .zip(&actual)
                .filter(|(e, a)| e != a)
                .map(|(e, _)| e.0)
                .collect();
            assert!(!moved.is_empty(), "mismatch although offsets agree:\n{e}");
            let reported: Vec<_> = e
                .differences
                .iter()
                .filter(|d| d.problem == Problem::Offset)
                .map(|d| d.path.as_str())
                .collect();
            assert_eq!(reported, moved, "{e}");
        }
        Err(e) => panic!("{e}"),
    }
    // A wrong view of the same kernel type is rejected with a table.
    let err = validate::<Iphdr>(&btf, task).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("`Iphdr` does not match BTF struct task_struct ["),
        "{err}"
    );
}

// ---- the test objects' BTF ----

/// `struct value` of testdata/btf/maps_globals.bpf.c: the value type of its
/// hash map and of the `.bss` variable `bss_last`.
#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
#[btf(name = "value")]
struct Value {
    count: u64,
    comm: [u8; 16],
}

#[test]
fn testdata_object_types_validate() {
    let obj = common::root().join("testdata/btf/maps_globals.bpf.o");
    let btf = Btf::parse_owned(common::elf_section(&obj, ".BTF")).unwrap();
    let id = validate_named::<Value>(&btf).unwrap();
    // The `bss_last` variable has exactly this type.
    let var = btf.find_by_name_kind("bss_last", Kind::Var).unwrap();
    validate::<Value>(&btf, btf.type_by_id(var).unwrap().referenced().unwrap()).unwrap();
    // And the wrong Rust type for it is caught.
    let err = validate::<Event>(&btf, id).unwrap_err();
    assert!(
        err.differences
            .iter()
            .any(|d| d.problem == Problem::MissingInBtf),
        "{err}"
    );
}

// ---- maps created from Rust carry BTF; views validate on open ----

#[derive(BtfStruct, Clone, Copy, Debug, PartialEq)]
#[repr(C)]
#[btf(name = "flow_key")]
struct FlowKey {
    saddr: u32,
    daddr: u32,
    sport: u16,
    dport: u16,
    proto: u8,
    #[btf(pad)]
    _pad: [u8; 3],
}

#[derive(BtfStruct, Clone, Copy, Debug, PartialEq)]
#[repr(C)]
#[btf(name = "flow_stats")]
struct FlowStats {
    packets: u64,
    bytes: u64,
}

/// Same size as `FlowStats`, different field names and signedness.
#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
#[btf(name = "flow_stats")]
struct WrongStats {
    pkts: i64,
    bytes: u64,
}

fn flow_map() -> oxbpf::maps::Map {
    use oxbpf::maps::{Map, MapBtf, MapSpec};
    let mut b = BtfBuilder::new();
    let mut e = oxbpf::btf::layout::Emitter::new(&mut b);
    let k = e.emit(&FlowKey::btf_type()).unwrap();
    let v = e.emit(&FlowStats::btf_type()).unwrap();
    let btf = MapBtf::from_bytes(b.to_bytes().unwrap(), k, v).unwrap();
    Map::create(&MapSpec::hash::<FlowKey, FlowStats>("flows", 16).with_btf(btf)).unwrap()
}

#[test]
fn rust_created_maps_carry_btf_and_views_validate_it() {
    use oxbpf::maps::{HashMap, Map, MapError, UpdateMode};
    if !common::require("kernel") {
        return;
    }
    let map = flow_map();
    let key = FlowKey {
        saddr: 0x0100_007f,
        daddr: 0x0200_007f,
        sport: 1234,
        dport: 80,
        proto: 6,
        _pad: [0; 3],
    };
    {
        let flows = HashMap::<_, FlowKey, FlowStats>::new(&map).unwrap();
        flows
            .insert(
                &key,
                &FlowStats {
                    packets: 3,
                    bytes: 1500,
                },
                UpdateMode::Any,
            )
            .unwrap();
        assert_eq!(
            flows.get(&key).unwrap(),
            Some(FlowStats {
                packets: 3,
                bytes: 1500
            })
        );
    }
    // The wrong value type is refused on open, with the report.
    let err = HashMap::<_, FlowKey, WrongStats>::new(&map)
        .err()
        .expect("mismatch not caught");
    let MapError::Layout { part, source, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(*part, "value");
    let problems: Vec<_> = source
        .differences
        .iter()
        .map(|d| (d.path.as_str(), d.problem))
        .collect();
    assert_eq!(
        problems,
        [
            ("pkts", Problem::MissingInBtf),
            ("packets", Problem::MissingInRust)
        ]
    );
    assert!(
        err.to_string().contains("does not match the map's BTF"),
        "{err}"
    );
    // Reopened by id, the map's BTF is read back from the kernel and still
    // checked.
    let reopened = Map::from_id(map.id()).unwrap();
    assert!(HashMap::<_, FlowKey, FlowStats>::new(&reopened).is_ok());
    assert!(matches!(
        HashMap::<_, FlowKey, WrongStats>::new(&reopened),
        Err(MapError::Layout { .. })
    ));
    // bpftool sees the field names.
    if common::require("bpftool") {
        let dump = common::bpftool(&["map", "dump", "id", &map.id().as_raw().to_string()]);
        for field in [
            "\"saddr\"",
            "\"dport\"",
            "\"packets\": 3",
            "\"bytes\": 1500",
        ] {
            assert!(
                dump.contains(field),
                "bpftool map dump lacks {field}:\n{dump}"
            );
        }
    }
}

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
#[btf(name = "flags")]
struct FlagsAsFields {
    lo: u8,
    hi: u8,
    #[btf(pad)]
    _pad: [u8; 2],
}

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
#[btf(name = "flags")]
struct FlagsAsStorage {
    #[btf(bitfields = "lo, hi")]
    bits: u8,
    #[btf(pad)]
    _pad: [u8; 3],
}

#[test]
fn bitfields_and_unresolved_types() {
    // struct flags { unsigned int lo:3, hi:5; };  and a typedef loop.
    let mut b = BtfBuilder::new();
    let uint = b.add_int("unsigned int", 4, IntEncoding::Unsigned);
    let flags = b
        .add_struct(
            "flags",
            4,
            &[
                MemberSpec {
                    name: "lo",
                    ty: uint,
                    bit_offset: 0,
                    bitfield_size: 3,
                },
                MemberSpec {
                    name: "hi",
                    ty: uint,
                    bit_offset: 3,
                    bitfield_size: 5,
                },
            ],
        )
        .unwrap();
    let looped = b.add_typedef("loop_t", TypeId(b.next_id().0 + 1));
    b.add_typedef("loop2_t", looped);
    let btf = Btf::parse_owned(b.to_bytes().unwrap()).unwrap();
    // Rust fields cannot be C bitfields ...
    let err = validate::<FlagsAsFields>(&btf, flags).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`FlagsAsFields` does not match BTF struct flags [2]:
  field | Rust   | BTF                             | problem
  ------+--------+---------------------------------+-------------------------
  lo    | u8 @ 0 | unsigned int : bitfield @ bit 0 | BTF member is a bitfield
  hi    | u8 @ 1 | unsigned int : bitfield @ bit 3 | BTF member is a bitfield
"
    );
    // ... but one integer can hold their storage.
    validate::<FlagsAsStorage>(&btf, flags).unwrap();
    // A reference loop is reported, not followed forever.
    let err = validate::<u32>(&btf, looped).unwrap_err();
    assert_eq!(err.differences.len(), 1);
    assert_eq!(err.differences[0].problem, Problem::Unresolved);
    assert!(
        err.differences[0]
            .btf
            .contains("reference chain too deep or cyclic"),
        "{err}"
    );
}

// ---- global data of a loaded object ----

/// `struct config` of testdata/loader/globals.bpf.c.
#[derive(BtfStruct, Clone, Copy, Debug, PartialEq)]
#[repr(C)]
#[btf(name = "config")]
struct Config {
    mode: u32,
    port: u16,
    flags: [u8; 2],
}

/// Its `.rodata`, variable by variable, at the offsets the loader fixed up
/// in the DATASEC: the section is 58 bytes (the last variable is the 10-byte
/// `bpf_printk` format string), so the view is packed, with the alignment
/// gap before `ro_array` spelled out.
#[derive(BtfStruct, Clone, Copy)]
#[repr(C, packed)]
#[btf(name = ".rodata")]
struct Rodata {
    ro_magic: u32,
    ro_config: Config,
    #[btf(pad)]
    _pad: [u8; 4],
    ro_array: [u64; 4],
    #[btf(name = "report.____fmt")]
    fmt: [u8; 10],
}

/// Same size, but `ro_magic` is not a u64 and `ro_config` is not there.
#[derive(BtfStruct, Clone, Copy)]
#[repr(C, packed)]
#[btf(name = ".rodata")]
struct StaleRodata {
    ro_magic: u64,
    #[btf(pad)]
    _pad: [u8; 8],
    ro_array: [u64; 4],
    #[btf(name = "report.____fmt")]
    fmt: [u8; 10],
}

#[test]
fn global_data_of_a_loaded_object_is_viewed_through_its_datasec() {
    use oxbpf::loader::{Collection, CollectionSpec, LoadOptions};
    use oxbpf::maps::{MapError, MmapArray};
    if !common::require("kernel") {
        return;
    }
    let spec =
        CollectionSpec::from_file(common::root().join("testdata/loader/globals.bpf.o")).unwrap();
    let coll = Collection::load(&spec, &LoadOptions::default()).unwrap();
    let rodata = coll.map(".rodata").expect(".rodata map");
    let view = MmapArray::<Rodata>::read_only(rodata).unwrap();
    let v = view.get(0).unwrap();
    // Packed fields are copied out before comparing (no references).
    let (magic, config, array) = (v.ro_magic, v.ro_config, v.ro_array);
    assert_eq!(magic, 0x1234);
    assert_eq!(
        config,
        Config {
            mode: 7,
            port: 8080,
            flags: [0, 0]
        }
    );
    assert_eq!(array, [1, 2, 3, 4]);
    let err = MmapArray::<StaleRodata>::read_only(rodata)
        .err()
        .expect("stale view accepted");
    let MapError::Layout { source, .. } = &err else {
        panic!("{err}")
    };
    let problems: Vec<_> = source
        .differences
        .iter()
        .map(|d| (d.path.as_str(), d.problem))
        .collect();
    assert_eq!(
        problems,
        [
            ("ro_magic", Problem::Size),
            ("ro_config", Problem::MissingInRust)
        ]
    );
}

// ---- anonymous struct and union members: #[btf(anon)] ----

/// The C side:
/// ```c
/// struct tagged {
///     int kind;
///     union {                     /* anonymous */
///         unsigned int raw;
///         struct { unsigned short lo, hi; };   /* anonymous */
///     };
///     long long ts;
/// };
/// ```
fn tagged_btf() -> (Btf<'static>, TypeId) {
    let mut b = BtfBuilder::new();
    let int = b.add_int("int", 4, IntEncoding::Signed);
    let uint = b.add_int("unsigned int", 4, IntEncoding::Unsigned);
    let ushort = b.add_int("unsigned short", 2, IntEncoding::Unsigned);
    let ll = b.add_int("long long", 8, IntEncoding::Signed);
    let halves = b
        .add_struct("", 4, &[m("lo", ushort, 0), m("hi", ushort, 16)])
        .unwrap();
    let u = b
        .add_union("", 4, &[m("raw", uint, 0), m("", halves, 0)])
        .unwrap();
    let tagged = b
        .add_struct(
            "tagged",
            16,
            &[m("kind", int, 0), m("", u, 32), m("ts", ll, 64)],
        )
        .unwrap();
    (Btf::parse_owned(b.to_bytes().unwrap()).unwrap(), tagged)
}

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
struct Halves {
    lo: u16,
    hi: u16,
}

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
union Payload {
    raw: u32,
    #[btf(anon)]
    halves: Halves,
}

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
#[btf(name = "tagged")]
struct Tagged {
    kind: i32,
    #[btf(anon)]
    payload: Payload,
    ts: i64,
}

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
struct WrongHalves {
    lo: u16,
    hi: i16, // BTF: unsigned short
}

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
union WrongPayload {
    raw: u32,
    #[btf(anon)]
    halves: WrongHalves,
}

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
#[btf(name = "tagged")]
struct WrongTagged {
    #[btf(anon)]
    kind: Halves, // BTF: a named int, no anonymous member at 0
    #[btf(anon)]
    payload: WrongPayload,
    ts: i64,
}

/// `lo` and `hi` swapped: both at the wrong offset inside the anonymous
/// struct inside the anonymous union.
#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
struct SwappedHalves {
    hi: u16,
    lo: u16,
}

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
union SwappedPayload {
    raw: u32,
    #[btf(anon)]
    halves: SwappedHalves,
}

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
#[btf(name = "tagged")]
struct SwappedTagged {
    kind: i32,
    #[btf(anon)]
    payload: SwappedPayload,
    ts: i64,
}

#[test]
fn anonymous_members_are_validated_through_their_parent() {
    let (btf, id) = tagged_btf();
    validate::<Tagged>(&btf, id).unwrap();
    assert_eq!(validate_named::<Tagged>(&btf).unwrap(), id);

    let err = validate::<WrongTagged>(&btf, id).unwrap_err();
    let found = problems(&err);
    assert_eq!(
        found,
        [
            ("kind", Problem::MissingInBtf),
            ("payload.halves.hi", Problem::Signedness),
            // And BTF's `int kind` has no Rust field standing for it.
            ("kind", Problem::MissingInRust),
        ],
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("no anonymous struct or union member here"),
        "{text}"
    );
    let err = validate::<SwappedTagged>(&btf, id).unwrap_err();
    assert_eq!(
        problems(&err),
        [
            ("payload.halves.hi", Problem::Offset),
            ("payload.halves.lo", Problem::Offset),
        ],
        "{err}"
    );
    let hi = &err.differences[0];
    assert_eq!(
        (hi.rust.as_str(), hi.btf.as_str()),
        ("u16 @ 0", "unsigned short @ 2"),
        "{err}"
    );

    // Emitted, the anonymous fields are members without a name, and the
    // result validates against itself.
    let mut b = BtfBuilder::new();
    let tagged = emit::<Tagged>(&mut b).unwrap();
    let emitted = Btf::parse_owned(b.to_bytes().unwrap()).unwrap();
    validate::<Tagged>(&emitted, tagged).unwrap();
    let Some(oxbpf::btf::Type::Struct(s)) = emitted.type_by_id(tagged) else {
        panic!("emitted Tagged is not a struct")
    };
    let names: Vec<_> = s.members().map(|m| m.name.to_string()).collect();
    assert_eq!(names, ["kind", "", "ts"]);
}

/// The kernel's `struct iphdr` as btf2rust renders it: the anonymous union
/// of `struct { saddr; daddr; }` and `addrs` is checked, not skipped.
#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
struct IpAddrs {
    saddr: u32,
    daddr: u32,
}

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
union IphdrAddrs {
    #[btf(anon)]
    flat: IpAddrs,
    addrs: IpAddrs,
}

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
#[btf(name = "iphdr")]
struct IphdrWithUnion {
    #[btf(bitfields = "ihl, version")]
    ihl_version: u8,
    tos: u8,
    tot_len: u16,
    id: u16,
    frag_off: u16,
    ttl: u8,
    protocol: u8,
    check: u16,
    #[btf(anon)]
    addrs: IphdrAddrs,
}

#[test]
fn kernel_iphdr_with_its_anonymous_union() {
    if !common::require("kernel-btf") {
        return;
    }
    let btf = Btf::kernel().unwrap();
    let id = validate_named::<IphdrWithUnion>(&btf).unwrap();
    // The same Rust type against a struct without that union: reported.
    let udp = btf.find_by_name_kind("udphdr", Kind::Struct).unwrap();
    assert!(validate::<IphdrWithUnion>(&btf, udp).is_err());
    assert_ne!(id, udp);
    // A wrong view inside the union (daddr signed in the anonymous struct
    // only) is reported under the Rust path to it.
    let err = validate::<BadIphdrWithUnion>(&btf, id).unwrap_err();
    assert_eq!(
        problems(&err),
        [("addrs.flat.daddr", Problem::Signedness)],
        "{err}"
    );
}

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
struct BadIpAddrs {
    saddr: u32,
    daddr: i32, // BTF: __be32
}

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
union BadIphdrAddrs {
    #[btf(anon)]
    flat: BadIpAddrs,
    addrs: IpAddrs,
}

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
#[btf(name = "iphdr")]
struct BadIphdrWithUnion {
    #[btf(bitfields = "ihl, version")]
    ihl_version: u8,
    tos: u8,
    tot_len: u16,
    id: u16,
    frag_off: u16,
    ttl: u8,
    protocol: u8,
    check: u16,
    #[btf(anon)]
    addrs: BadIphdrAddrs,
}

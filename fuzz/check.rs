//! Per-input checks shared by the fuzz targets (`fuzz/fuzz_targets/*.rs`)
//! and the deterministic mutation test (`crates/btf/tests/mutate.rs`). Both
//! include this file with `#[path = "..."] mod check;`, so there is one copy
//! of the logic and it uses only oxbpf-btf's public API.
//!
//! A check panics — failing the fuzz target or the test — if parsing,
//! writing or a query panics, or if an input that parses does not survive a
//! write → parse round trip with identical types id by id.
#![allow(dead_code)] // each fuzz target uses only one of the two checks

use std::sync::{Arc, OnceLock};

use oxbpf_btf::ext::BtfExt;
use oxbpf_btf::{
    Btf, BtfBuilder, BuildError, Endian, IntEncoding, Kind, Linkage, MemberSpec, Type, TypeId,
};

/// How many distinct names of an input the lookup checks try.
const NAMES_TO_LOOK_UP: usize = 8;

/// What [`check_btf`] found out about one input.
#[derive(Copy, Clone, Debug, Default)]
pub struct BtfOutcome {
    /// The input parsed as base BTF.
    pub parsed: bool,
    /// ... and survived write → parse (in both byte orders).
    pub round_tripped: bool,
    /// The input parsed as split BTF on top of [`split_base`].
    pub split_parsed: bool,
    /// ... and survived write → parse on top of the same base.
    pub split_round_tripped: bool,
}

/// What [`check_btf_ext`] found out about one input.
#[derive(Copy, Clone, Debug, Default)]
pub struct ExtOutcome {
    /// The input parsed as `.BTF.ext`.
    pub parsed: bool,
    /// ... and survived to_bytes → parse.
    pub round_tripped: bool,
}

/// The small fixed base BTF that inputs are also parsed on top of, as split
/// BTF. `fuzz/seeds/btf_parse/split_on_fixed_base.btf` is built on it.
pub fn split_base() -> &'static Arc<Btf<'static>> {
    static BASE: OnceLock<Arc<Btf<'static>>> = OnceLock::new();
    BASE.get_or_init(|| {
        let mut b = BtfBuilder::new();
        let int = b.add_int("int", 4, IntEncoding::Signed); // [1]
        let chr = b.add_int("char", 1, IntEncoding::Char); // [2]
        let ptr = b.add_ptr(chr); // [3]
        let s = b
            .add_struct(
                "base_struct", // [4]
                16,
                &[
                    MemberSpec {
                        name: "a",
                        ty: int,
                        bit_offset: 0,
                        bitfield_size: 0,
                    },
                    MemberSpec {
                        name: "b",
                        ty: ptr,
                        bit_offset: 64,
                        bitfield_size: 0,
                    },
                ],
            )
            .expect("base struct");
        let proto = b.add_func_proto(int, &[("x", int)]).expect("base proto"); // [5]
        b.add_func("base_func", proto, Linkage::Global); // [6]
        b.add_var("base_var", int, Linkage::Global); // [7]
        b.add_typedef("base_t", s); // [8]
        b.add_fwd("base_fwd", false); // [9]
        let bytes = b.to_bytes().expect("base BTF");
        Arc::new(Btf::parse_owned(bytes).expect("base BTF parses"))
    })
}

/// Parses `data` as BTF (and as split BTF on top of [`split_base`]); for
/// what parses, checks the round trip and runs every query.
pub fn check_btf(data: &[u8]) -> BtfOutcome {
    let mut out = BtfOutcome::default();
    if let Ok(btf) = Btf::parse(data) {
        out.parsed = true;
        out.round_tripped = round_trip(&btf, None);
        queries(&btf);
    }
    let base = split_base();
    if let Ok(btf) = Btf::parse_split(data, base.clone()) {
        out.split_parsed = true;
        out.split_round_tripped = round_trip(&btf, Some(base));
        queries(&btf);
    }
    out
}

/// Parses `data` as `.BTF.ext`; if it parses, checks that to_bytes → parse
/// gives the same records and that writing is idempotent.
pub fn check_btf_ext(data: &[u8]) -> ExtOutcome {
    let Ok(ext) = BtfExt::parse(data) else {
        return ExtOutcome::default();
    };
    let bytes = ext.to_bytes();
    let again = BtfExt::parse(&bytes)
        .unwrap_or_else(|e| panic!("written .BTF.ext does not parse: {e}\n{ext:?}"));
    // to_bytes writes native byte order; everything else must be kept.
    let expected = BtfExt {
        endian: Endian::NATIVE,
        ..ext.clone()
    };
    assert_eq!(again, expected, ".BTF.ext changed in the round trip");
    assert_eq!(
        again.to_bytes(),
        bytes,
        ".BTF.ext writing is not idempotent"
    );
    // Queries: section names against some BTF, line/column decoding.
    let btf = split_base();
    for s in &ext.func_info {
        let _ = s.sec_name(btf);
    }
    for s in &ext.line_info {
        let _ = s.sec_name(btf);
        for r in &s.records {
            let _ = (r.line(), r.column());
        }
    }
    for s in &ext.core_relos {
        let _ = s.sec_name(btf);
    }
    ExtOutcome {
        parsed: true,
        round_tripped: true,
    }
}

fn other(endian: Endian) -> Endian {
    match endian {
        Endian::Little => Endian::Big,
        Endian::Big => Endian::Little,
    }
}

fn reparse<'a>(bytes: &'a [u8], base: Option<&Arc<Btf<'static>>>, what: &str) -> Btf<'a> {
    let parsed = match base {
        Some(base) => Btf::parse_split(bytes, base.clone()),
        None => Btf::parse(bytes),
    };
    parsed.unwrap_or_else(|e| panic!("{what}: written BTF does not parse: {e}"))
}

fn assert_same_types(want: &Btf<'_>, got: &Btf<'_>, what: &str) {
    assert_eq!(got.type_count(), want.type_count(), "{what}: type count");
    assert_eq!(got.start_id(), want.start_id(), "{what}: start id");
    assert_eq!(got.kind_layouts(), want.kind_layouts(), "{what}: layout");
    for id in want.ids() {
        assert_eq!(
            want.type_by_id(id),
            got.type_by_id(id),
            "{what}: type [{id}] differs"
        );
    }
}

/// Write → parse → same types, in native and in the other byte order, and
/// writing what was read back gives the same bytes. Returns `false` only
/// for BTF the writer legitimately cannot encode.
fn round_trip(btf: &Btf<'_>, base: Option<&Arc<Btf<'static>>>) -> bool {
    let builder = match BtfBuilder::from_btf(btf) {
        Ok(b) => b,
        // A vlen above 0xffff parses but the classic encoding cannot write
        // it; such an input is at least 768 KiB.
        Err(BuildError::VlenTooLarge { .. }) => return false,
        Err(e) => panic!("BtfBuilder::from_btf failed on BTF that parsed: {e}"),
    };
    let bytes = builder
        .to_bytes()
        .unwrap_or_else(|e| panic!("to_bytes failed on BTF that parsed: {e}"));
    let again = reparse(&bytes, base, "native");
    assert_same_types(btf, &again, "native");
    assert_eq!(again.endian(), Endian::NATIVE);

    let swapped = builder
        .to_bytes_endian(other(Endian::NATIVE))
        .unwrap_or_else(|e| panic!("to_bytes_endian failed on BTF that parsed: {e}"));
    let again_swapped = reparse(&swapped, base, "swapped");
    assert_same_types(btf, &again_swapped, "swapped");
    assert_eq!(again_swapped.endian(), other(Endian::NATIVE));

    let rewritten = BtfBuilder::from_btf(&again)
        .and_then(|b| b.to_bytes())
        .unwrap_or_else(|e| panic!("rewriting written BTF failed: {e}"));
    assert_eq!(rewritten, bytes, "writing is not idempotent");
    true
}

/// Runs every query on every id; none may panic. Name lookups are checked
/// against a linear scan, before and after the name index is built.
fn queries(btf: &Btf<'_>) {
    let last = btf.last_id().0;
    for raw in 0..=last.saturating_add(1) {
        let id = TypeId(raw);
        let _ = btf.size_of(id);
        let _ = btf.align_of(id);
        let _ = btf.resolve(id);
        let _ = btf.resolve_type(id);
        let _ = btf.display(id).to_string();
        let _ = (btf.name_of(id), btf.kind(id), btf.raw_kind(id));
        let _ = (btf.name_offset(id), btf.raw_record(id));
        let _ = btf.str_at(btf.name_offset(id));
        if let Some(t) = btf.type_by_id(id) {
            visit(&t);
        }
    }
    let mut dump = Vec::new();
    oxbpf_btf::dump::write_raw(btf, &mut dump).expect("dump::write_raw into a Vec");
    assert!(String::from_utf8(dump).is_ok(), "raw dump is not UTF-8");

    let mut names: Vec<&str> = Vec::new();
    for id in btf.ids() {
        let n = btf.name_of(id);
        if !n.is_empty() && !names.contains(&n) {
            names.push(n);
            if names.len() == NAMES_TO_LOOK_UP {
                break;
            }
        }
    }
    names.push("no_such_name_in_this_btf");
    let expected: Vec<Vec<TypeId>> = names
        .iter()
        .map(|n| btf.ids().filter(|&id| btf.name_of(id) == *n).collect())
        .collect();
    // Twice: lookups build the index by themselves after a few scans, and
    // then it is forced.
    for pass in 0..2 {
        for (n, want) in names.iter().zip(&expected) {
            assert_eq!(&btf.ids_by_name(n), want, "ids_by_name({n:?}), pass {pass}");
            assert_eq!(btf.find_by_name(n), want.first().copied(), "find_by_name");
            for &id in want {
                if let Some(k) = btf.kind(id) {
                    let first = want.iter().copied().find(|&i| btf.kind(i) == Some(k));
                    assert_eq!(btf.find_by_name_kind(n, k), first, "find_by_name_kind");
                }
            }
        }
        let _ = btf.find_by_name("");
        btf.build_name_index();
    }
    let _ = btf.index_heap_size();
}

fn visit(t: &Type<'_>) {
    let _ = (t.kind(), t.raw_kind(), t.name(), t.referenced());
    let _ = (t.is_composite(), t.is_modifier(), t.as_composite());
    match t {
        Type::Struct(c) | Type::Union(c) => {
            let n = c.members().count();
            assert_eq!(n, c.len());
            if let Some(m) = c.members().last() {
                let _ = c.member(m.name);
            }
        }
        Type::Enum(e) | Type::Enum64(e) => assert_eq!(e.values().count(), e.len()),
        Type::FuncProto(p) => {
            assert_eq!(p.params().count(), p.len());
            let _ = p.is_variadic();
        }
        Type::Datasec(d) => assert_eq!(d.vars().count(), d.len()),
        Type::Int(i) => {
            let _ = i.is_signed();
        }
        _ => {}
    }
    let _ = Kind::from_raw(t.raw_kind());
}

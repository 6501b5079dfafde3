//! Round trips of the running kernel's BTF through the writer.

use oxbpf_btf::{Btf, BtfBuilder};

/// The kernel BTF, or a loud skip when `OXBPF_ALLOW_SKIP` is set.
fn kernel_btf() -> Option<Btf<'static>> {
    match Btf::kernel() {
        Ok(btf) => Some(btf),
        Err(e) if std::env::var_os("OXBPF_ALLOW_SKIP").is_some() => {
            eprintln!("SKIP: kernel BTF unavailable: {e}");
            None
        }
        Err(e) => panic!("kernel BTF unavailable: {e}; set OXBPF_ALLOW_SKIP=1 to skip"),
    }
}

#[test]
fn vmlinux_parse_write_parse_is_identical_id_by_id() {
    let Some(btf) = kernel_btf() else { return };
    assert!(btf.type_count() > 10_000, "suspiciously small vmlinux BTF");
    let bytes = BtfBuilder::from_btf(&btf).unwrap().to_bytes().unwrap();
    let again = Btf::parse(&bytes).unwrap();
    assert_eq!(again.type_count(), btf.type_count());
    for id in btf.ids() {
        assert_eq!(
            btf.type_by_id(id),
            again.type_by_id(id),
            "type [{id}] differs"
        );
    }
    // Deduplicated strings never grow the string section.
    assert!(again.own_strings().len() <= btf.own_strings().len());
}

#[test]
fn vmlinux_big_endian_round_trip() {
    let Some(btf) = kernel_btf() else { return };
    let b = BtfBuilder::from_btf(&btf).unwrap();
    let swapped = b
        .to_bytes_endian(match oxbpf_btf::Endian::NATIVE {
            oxbpf_btf::Endian::Little => oxbpf_btf::Endian::Big,
            oxbpf_btf::Endian::Big => oxbpf_btf::Endian::Little,
        })
        .unwrap();
    let parsed = Btf::parse(&swapped).unwrap();
    assert_ne!(parsed.endian(), oxbpf_btf::Endian::NATIVE);
    for id in btf.ids() {
        assert_eq!(
            btf.type_by_id(id),
            parsed.type_by_id(id),
            "type [{id}] differs"
        );
    }
}

#[test]
fn vmlinux_queries() {
    let Some(btf) = kernel_btf() else { return };
    let task = btf
        .find_by_name_kind("task_struct", oxbpf_btf::Kind::Struct)
        .expect("task_struct");
    let Some(oxbpf_btf::Type::Struct(s)) = btf.type_by_id(task) else {
        panic!("not a struct")
    };
    assert!(s.member("pid").is_some());
    assert_eq!(btf.size_of(task).unwrap(), s.size);
    assert_eq!(
        btf.align_of(task).unwrap(),
        64.min(btf.align_of(task).unwrap())
    );
    assert_eq!(
        btf.display(s.member("comm").unwrap().ty).to_string(),
        "char[16]"
    );
    // Building the index gives the same answers as scanning.
    let before: Vec<_> = ["task_struct", "sk_buff", "int", "nonexistent_zzz"]
        .iter()
        .map(|n| btf.ids_by_name(n))
        .collect();
    btf.build_name_index();
    let after: Vec<_> = ["task_struct", "sk_buff", "int", "nonexistent_zzz"]
        .iter()
        .map(|n| btf.ids_by_name(n))
        .collect();
    assert_eq!(before, after);
    assert!(!after[0].is_empty() && after[3].is_empty());
}

#[test]
fn vmlinux_full_validation_agrees_with_trusted_parse() {
    // `Btf::kernel()` trusts the kernel's boot-time validation for member
    // references; `Btf::parse` checks everything. Both must accept the
    // kernel's BTF and give the same types.
    let Some(trusted) = kernel_btf() else { return };
    let bytes = std::fs::read(oxbpf_btf::KERNEL_BTF_PATH).unwrap();
    let full = Btf::parse(&bytes).expect("full validation rejects the kernel's BTF");
    assert_eq!(full.type_count(), trusted.type_count());
    for id in full.ids() {
        assert_eq!(
            full.type_by_id(id),
            trusted.type_by_id(id),
            "type [{id}] differs"
        );
    }
}

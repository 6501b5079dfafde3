//! Fuzzes `CollectionSpec::parse`, the whole path from ELF bytes to a
//! collection spec (sections, symbols, relocations, BTF and .BTF.ext, maps,
//! global data, externs, subprogram linking): no input may panic, and what
//! parses must be usable — every program disassembles, every variable reads
//! back and accepts a write of its own size, and parsing is deterministic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxbpf_loader::CollectionSpec;

fuzz_target!(|data: &[u8]| {
    let Ok(mut spec) = CollectionSpec::parse(data) else {
        return;
    };
    for prog in &spec.programs {
        let text = prog.disassemble();
        assert!(prog.insns.is_empty() || !text.is_empty());
        for relo in &prog.core_relos {
            assert!((relo.insn_off as usize) / 8 < prog.insns.len());
        }
    }
    let vars: Vec<(String, u32)> = spec
        .data_sections
        .iter()
        .flat_map(|d| d.variables.iter().map(|v| (v.name.clone(), v.size)))
        .collect();
    for (name, size) in vars {
        if let Ok(value) = spec.variable_value(&name) {
            assert_eq!(value.len(), size as usize);
            let zeros = vec![0u8; value.len()];
            // Ambiguous names and extern-backed sections may refuse; a
            // write must never panic.
            let _ = spec.set_variable_bytes(&name, &zeros);
        }
    }
    let again = CollectionSpec::parse(data).expect("parsing is deterministic");
    assert_eq!(again.programs.len(), spec.programs.len());
    assert_eq!(again.maps.len(), spec.maps.len());
});

//! Fuzzes the USDT parsers with hostile input: `usdt_notes_from_bytes`
//! (an ELF file's `.note.stapsdt` notes, program headers and semaphores,
//! as read from the binary a program attaches to) and the argument
//! operand parser (`parse_usdt_args`), fed both the notes' argument
//! strings and the raw input as text. No input may panic, and parsing is
//! deterministic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxbpf_loader::link::{parse_usdt_args, usdt_notes_from_bytes, USDT_MAX_ARGS};

fuzz_target!(|data: &[u8]| {
    if let Ok(notes) = usdt_notes_from_bytes(data) {
        for n in &notes {
            if let Ok(args) = parse_usdt_args(&n.args) {
                assert!(args.len() <= USDT_MAX_ARGS);
            }
        }
        let again = usdt_notes_from_bytes(data).expect("deterministic");
        assert_eq!(again, notes);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(args) = parse_usdt_args(text) {
            assert!(args.len() <= USDT_MAX_ARGS);
            for a in args {
                assert!(matches!(a.size, 1 | 2 | 4 | 8));
            }
        }
    }
});

//! Log2 histograms printed as bcc's tools print them (libbpf-tools'
//! `print_log2_hist`), shared by the latency examples through
//! `#[path = "common/log2_hist.rs"] mod log2_hist;`.
//!
//! Slot `i` counts values `v` with `floor(log2(v)) == i` (slot 0 also
//! counts 0), so its range is `2^i ..= 2^(i+1) - 1`:
//!
//! ```text
//!      usecs               : count    distribution
//!          0 -> 1          : 233      |***********                             |
//!          2 -> 3          : 742      |************************************    |
//!          4 -> 7          : 812      |****************************************|
//! ```
//!
//! `tests/examples.rs` includes this file too, to read the examples'
//! output back ([`parse_row`]) and to run the unit test below.
#![allow(dead_code)]

use std::fmt::Write;

/// The histogram of `slots` (counts per log2 slot) with `unit` as the
/// value column's title (`"usecs"`), as text; empty if every count is 0
/// (bcc prints nothing then either).
pub fn format(slots: &[u64], unit: &str) -> String {
    let mut out = String::new();
    let Some(idx_max) = slots.iter().rposition(|&v| v > 0) else {
        return out;
    };
    let val_max = slots.iter().copied().max().unwrap_or(0);
    // Wide layout once the ranges outgrow 10 digits (slots above 32).
    let (indent, title, width, stars) = if idx_max <= 32 {
        (5, 19, 10, 40)
    } else {
        (15, 29, 20, 20)
    };
    let _ = writeln!(out, "{:indent$}{unit:<title$} : count    distribution", "");
    for (i, &val) in slots.iter().enumerate().take(idx_max + 1) {
        let high = (1u128 << (i + 1)) - 1;
        let low = if i == 0 { 0 } else { 1u128 << i };
        let n = (u128::from(val) * stars / u128::from(val_max)) as usize;
        let _ = writeln!(
            out,
            "{low:>width$} -> {high:<width$} : {val:<8} |{:<stars$}|",
            "*".repeat(n),
            stars = stars as usize
        );
    }
    out
}

/// The total of a histogram's counts.
pub fn total(slots: &[u64]) -> u64 {
    slots.iter().sum()
}

/// `(count, low, high)` of each row of a histogram printed by [`format`]
/// (for tests and tools that read the output back).
pub fn parse_row(line: &str) -> Option<(u64, u128, u128)> {
    let (range, rest) = line.split_once(" : ")?;
    let (low, high) = range.split_once(" -> ")?;
    let count = rest.split_whitespace().next()?.parse().ok()?;
    Some((count, low.trim().parse().ok()?, high.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcc_layout() {
        let text = format(&[1, 2, 0, 4], "usecs");
        let expected = "     usecs               : count    distribution\n\
            \x20        0 -> 1          : 1        |**********                              |\n\
            \x20        2 -> 3          : 2        |********************                    |\n\
            \x20        4 -> 7          : 0        |                                        |\n\
            \x20        8 -> 15         : 4        |****************************************|\n";
        assert_eq!(text, expected);
        assert_eq!(format(&[0, 0], "usecs"), "");
        assert_eq!(parse_row(text.lines().nth(4).unwrap()), Some((4, 8, 15)));
    }
}

//! `__kconfig` externs: reading the kernel configuration and storing
//! values into the `.kconfig` map, as libbpf's
//! `bpf_object__process_kconfig_line` and `set_kcfg_value_*` do.

use std::io::{self, Read};

use crate::spec::{ExternKind, ExternSpec, KconfigType};

/// Why a kconfig value could not be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KconfigError {
    pub(crate) name: String,
    pub(crate) reason: String,
}

fn err(name: &str, reason: impl Into<String>) -> KconfigError {
    KconfigError {
        name: name.to_string(),
        reason: reason.into(),
    }
}

/// The kernel's configuration: `/boot/config-$(uname -r)` (plain or
/// gzipped), else `/proc/config.gz`.
pub(crate) fn read_system_config() -> io::Result<String> {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease")?;
    let boot = format!("/boot/config-{}", release.trim());
    let data = match std::fs::read(&boot) {
        Ok(d) => d,
        Err(_) => std::fs::read("/proc/config.gz").map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("neither {boot} nor /proc/config.gz is readable: {e}"),
            )
        })?,
    };
    let text = gunzip_if_needed(&data)?;
    String::from_utf8(text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Decompresses gzip data (RFC 1952); other data is returned as is, as
/// zlib's `gzopen` does.
pub(crate) fn gunzip_if_needed(data: &[u8]) -> io::Result<Vec<u8>> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, format!("gzip: {what}"));
    let Some((&[0x1f, 0x8b], rest)) = data.split_first_chunk::<2>() else {
        return Ok(data.to_vec());
    };
    let (&[method, flags], mut rest) = rest
        .split_first_chunk::<2>()
        .ok_or_else(|| bad("truncated header"))?;
    if method != 8 {
        return Err(bad("not deflate"));
    }
    // mtime (4), xfl, os.
    rest = rest.get(6..).ok_or_else(|| bad("truncated header"))?;
    if flags & 0x04 != 0 {
        let (len, r) = rest
            .split_first_chunk::<2>()
            .ok_or_else(|| bad("truncated FEXTRA"))?;
        rest = r
            .get(usize::from(u16::from_le_bytes(*len))..)
            .ok_or_else(|| bad("truncated FEXTRA"))?;
    }
    for flag in [0x08, 0x10] {
        if flags & flag != 0 {
            let nul = rest
                .iter()
                .position(|&b| b == 0)
                .ok_or_else(|| bad("unterminated name or comment"))?;
            rest = rest.get(nul + 1..).unwrap_or_default();
        }
    }
    if flags & 0x02 != 0 {
        rest = rest.get(2..).ok_or_else(|| bad("truncated FHCRC"))?;
    }
    let out = miniz_oxide::inflate::decompress_to_vec(rest)
        .map_err(|e| bad(&format!("inflate failed: {e:?}")))?;
    // The trailer follows the deflate stream; its CRC and size are not
    // checked against a truncated tail, but a wrong size is an error.
    if let Some(tail) = rest.len().checked_sub(4).and_then(|i| rest.get(i..)) {
        let mut size = [0u8; 4];
        let _ = (&*tail).read(&mut size);
        if u32::from_le_bytes(size) != out.len() as u32 {
            return Err(bad("size mismatch"));
        }
        let crc_off = rest.len().saturating_sub(8);
        if let Some(crc) = rest.get(crc_off..crc_off + 4) {
            let want = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
            if crc32(&out) != want {
                return Err(bad("CRC mismatch"));
            }
        }
    }
    Ok(out)
}

/// CRC-32 (IEEE), as gzip uses.
fn crc32(data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, e) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *e = c;
        }
        t
    });
    !data.iter().fold(!0u32, |c, &b| {
        table[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8)
    })
}

/// The `.kconfig` map's contents while externs are resolved.
pub(crate) struct KconfigValues<'a> {
    pub(crate) externs: &'a [ExternSpec],
    /// Whether each extern (same index) has a value.
    pub(crate) is_set: &'a mut [bool],
    pub(crate) data: &'a mut [u8],
}

impl KconfigValues<'_> {
    fn slot(&mut self, i: usize, len: usize) -> Result<&mut [u8], KconfigError> {
        let ext = &self.externs[i];
        let ExternKind::Kconfig { offset, .. } = ext.kind else {
            return Err(err(&ext.name, "not a kconfig extern"));
        };
        let off = offset as usize;
        self.data
            .get_mut(off..off + len)
            .ok_or_else(|| err(&ext.name, "value beyond the .kconfig map"))
    }

    /// `set_kcfg_value_tri`: `y`, `n` or `m`.
    fn set_tristate(&mut self, i: usize, value: u8) -> Result<(), KconfigError> {
        let ext = &self.externs[i];
        let ExternKind::Kconfig { value_type, .. } = ext.kind else {
            return Err(err(&ext.name, "not a kconfig extern"));
        };
        let name = ext.name.clone();
        match value_type {
            KconfigType::Bool => {
                if value == b'm' {
                    return Err(err(&name, "value 'm' implies tristate or char type"));
                }
                self.slot(i, 1)?[0] = u8::from(value == b'y');
            }
            KconfigType::Tristate => {
                let v: u32 = match value {
                    b'y' => 1,
                    b'm' => 2,
                    _ => 0,
                };
                self.slot(i, 4)?.copy_from_slice(&v.to_ne_bytes());
            }
            KconfigType::Char => self.slot(i, 1)?[0] = value,
            _ => {
                return Err(err(
                    &name,
                    format!(
                        "value '{}' implies bool, tristate, or char type",
                        char::from(value)
                    ),
                ))
            }
        }
        self.is_set[i] = true;
        Ok(())
    }

    /// `set_kcfg_value_str`: a quoted string into a `char[N]`.
    fn set_string(&mut self, i: usize, value: &str) -> Result<(), KconfigError> {
        let ext = &self.externs[i];
        let ExternKind::Kconfig {
            value_type, size, ..
        } = ext.kind
        else {
            return Err(err(&ext.name, "not a kconfig extern"));
        };
        let name = ext.name.clone();
        if value_type != KconfigType::CharArray {
            return Err(err(
                &name,
                format!("value '{value}' implies char array type"),
            ));
        }
        if value.len() < 2 || !value.ends_with('"') {
            return Err(err(&name, format!("invalid string config '{value}'")));
        }
        let s = &value.as_bytes()[1..value.len() - 1];
        let n = s.len().min(size as usize - 1);
        let slot = self.slot(i, size as usize)?;
        slot[..n].copy_from_slice(&s[..n]);
        slot[n] = 0;
        self.is_set[i] = true;
        Ok(())
    }

    /// `set_kcfg_value_num`: an integer, range-checked.
    pub(crate) fn set_number(&mut self, i: usize, value: u64) -> Result<(), KconfigError> {
        let ext = &self.externs[i];
        let ExternKind::Kconfig {
            value_type,
            size,
            signed,
            ..
        } = ext.kind
        else {
            return Err(err(&ext.name, "not a kconfig extern"));
        };
        let name = ext.name.clone();
        if !matches!(
            value_type,
            KconfigType::Int | KconfigType::Char | KconfigType::Bool
        ) {
            return Err(err(
                &name,
                format!("value '{value}' implies integer, char, or boolean type"),
            ));
        }
        if value_type == KconfigType::Bool && value > 1 {
            return Err(err(
                &name,
                format!("value '{value}' isn't boolean compatible"),
            ));
        }
        let bits = size * 8;
        let fits = if size >= 8 {
            true
        } else if signed {
            value.wrapping_add(1u64 << (bits - 1)) < (1u64 << bits)
        } else {
            value >> bits == 0
        };
        if !fits {
            return Err(err(
                &name,
                format!("value '{value}' doesn't fit in {size} bytes"),
            ));
        }
        let slot = self.slot(i, size as usize)?;
        match size {
            1 => slot.copy_from_slice(&(value as u8).to_ne_bytes()),
            2 => slot.copy_from_slice(&(value as u16).to_ne_bytes()),
            4 => slot.copy_from_slice(&(value as u32).to_ne_bytes()),
            8 => slot.copy_from_slice(&value.to_ne_bytes()),
            _ => return Err(err(&name, format!("unsupported size {size}"))),
        }
        self.is_set[i] = true;
        Ok(())
    }

    /// `bpf_object__process_kconfig_line`.
    pub(crate) fn process_line(&mut self, line: &str) -> Result<(), KconfigError> {
        if !line.starts_with("CONFIG_") {
            return Ok(());
        }
        let line = line.strip_suffix('\n').unwrap_or(line);
        let Some((name, value)) = line.split_once('=') else {
            return Err(err(line, "no separator"));
        };
        if value.is_empty() {
            return Err(err(name, "no value"));
        }
        let Some(i) = self.externs.iter().position(|e| e.name == name) else {
            return Ok(());
        };
        if self.is_set[i] {
            return Ok(());
        }
        match value.as_bytes()[0] {
            b'y' | b'n' | b'm' => self.set_tristate(i, value.as_bytes()[0]),
            b'"' => self.set_string(i, value),
            _ => {
                let num = parse_u64(value)
                    .ok_or_else(|| err(name, format!("value '{value}' isn't a valid integer")))?;
                let ext = &self.externs[i];
                if !matches!(
                    ext.kind,
                    ExternKind::Kconfig {
                        value_type: KconfigType::Int | KconfigType::Char,
                        ..
                    }
                ) {
                    return Err(err(name, format!("value '{value}' implies integer type")));
                }
                self.set_number(i, num)
            }
        }
    }
}

/// `strtoull(value, &end, 0)` that must consume everything: decimal, `0x`
/// hexadecimal or `0` octal, with an optional sign (a `-` negates modulo
/// 2^64, as strtoull does).
pub(crate) fn parse_u64(value: &str) -> Option<u64> {
    let v = value.trim_start();
    let (neg, v) = match v.as_bytes().first() {
        Some(b'-') => (true, &v[1..]),
        Some(b'+') => (false, &v[1..]),
        _ => (false, v),
    };
    let n = if let Some(hex) = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16).ok()?
    } else if v.len() > 1 && v.starts_with('0') {
        u64::from_str_radix(&v[1..], 8).ok()?
    } else {
        v.parse::<u64>().ok()?
    };
    Some(if neg { n.wrapping_neg() } else { n })
}

/// libbpf's `get_kernel_version`: `KERNEL_VERSION(major, minor, patch)`
/// of the running kernel, with Ubuntu's and Debian's corrections.
pub(crate) fn kernel_version() -> Option<u32> {
    let encode = |s: &str| -> Option<u32> {
        let mut parts = s.split(|c: char| !c.is_ascii_digit());
        let major: u32 = parts.next()?.parse().ok()?;
        let minor: u32 = parts.next()?.parse().ok()?;
        let patch: u32 = parts.next()?.parse().ok()?;
        Some((major << 16) + (minor << 8) + patch.min(255))
    };
    if let Ok(sig) = std::fs::read_to_string("/proc/version_signature") {
        if let Some(v) = sig.split_whitespace().nth(2).and_then(encode) {
            return Some(v);
        }
    }
    if let Ok(version) = std::fs::read_to_string("/proc/sys/kernel/version") {
        if let Some(pos) = version.find("Debian ") {
            if let Some(v) = encode(&version[pos + 7..]) {
                return Some(v);
            }
        }
    }
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok()?;
    encode(release.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxbpf_btf::TypeId;

    fn ext(
        name: &str,
        value_type: KconfigType,
        offset: u32,
        size: u32,
        signed: bool,
    ) -> ExternSpec {
        ExternSpec {
            name: name.into(),
            weak: false,
            btf_id: TypeId(1),
            kind: ExternKind::Kconfig {
                value_type,
                offset,
                size,
                signed,
            },
        }
    }

    #[test]
    fn lines_set_values_like_libbpf() {
        let externs = [
            ext("CONFIG_A", KconfigType::Bool, 0, 1, false),
            ext("CONFIG_B", KconfigType::Tristate, 4, 4, false),
            ext("CONFIG_C", KconfigType::Int, 8, 4, true),
            ext("CONFIG_D", KconfigType::CharArray, 12, 4, false),
            ext("CONFIG_E", KconfigType::Int, 16, 2, false),
        ];
        let mut is_set = [false; 5];
        let mut data = [0u8; 18];
        let mut v = KconfigValues {
            externs: &externs,
            is_set: &mut is_set,
            data: &mut data,
        };
        v.process_line("CONFIG_A=y\n").unwrap();
        v.process_line("CONFIG_B=m").unwrap();
        v.process_line("CONFIG_C=-5").unwrap();
        v.process_line("CONFIG_D=\"hello\"").unwrap();
        v.process_line("# CONFIG_X is not set").unwrap();
        v.process_line("CONFIG_UNRELATED=1").unwrap();
        assert!(v.process_line("CONFIG_E=0x10000").is_err(), "out of range");
        v.process_line("CONFIG_E=0x20").unwrap();
        // Already set: later lines are ignored.
        v.process_line("CONFIG_A=n").unwrap();
        assert!(v.process_line("CONFIG_A").is_err());
        assert_eq!(is_set, [true; 5]);
        assert_eq!(data[0], 1);
        assert_eq!(u32::from_ne_bytes(data[4..8].try_into().unwrap()), 2);
        assert_eq!(i32::from_ne_bytes(data[8..12].try_into().unwrap()), -5);
        assert_eq!(&data[12..16], b"hel\0");
        assert_eq!(u16::from_ne_bytes(data[16..18].try_into().unwrap()), 0x20);
    }

    #[test]
    fn type_mismatches_are_errors() {
        let externs = [ext("CONFIG_A", KconfigType::Bool, 0, 1, false)];
        let mut is_set = [false];
        let mut data = [0u8; 1];
        let mut v = KconfigValues {
            externs: &externs,
            is_set: &mut is_set,
            data: &mut data,
        };
        assert!(v.process_line("CONFIG_A=m").is_err());
        assert!(v.process_line("CONFIG_A=\"x\"").is_err());
        assert!(v.process_line("CONFIG_A=2").is_err());
    }

    #[test]
    fn numbers_parse_like_strtoull() {
        assert_eq!(parse_u64("42"), Some(42));
        assert_eq!(parse_u64("0x2a"), Some(42));
        assert_eq!(parse_u64("052"), Some(42));
        assert_eq!(parse_u64("0"), Some(0));
        assert_eq!(parse_u64("-1"), Some(u64::MAX));
        assert_eq!(parse_u64("12abc"), None);
    }

    #[test]
    fn gzip_round_trip() {
        let text = b"CONFIG_A=y\nCONFIG_B=m\n".repeat(100);
        let deflated = miniz_oxide::deflate::compress_to_vec(&text, 6);
        let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
        gz.extend_from_slice(&deflated);
        gz.extend_from_slice(&crc32(&text).to_le_bytes());
        gz.extend_from_slice(&(text.len() as u32).to_le_bytes());
        assert_eq!(gunzip_if_needed(&gz).unwrap(), text);
        assert_eq!(gunzip_if_needed(b"plain").unwrap(), b"plain");
        let n = gz.len();
        gz[n - 8] ^= 1;
        assert!(gunzip_if_needed(&gz).is_err());
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }
}

//! [`ReloKind`]: `enum bpf_core_relo_kind` of include/uapi/linux/bpf.h.

use std::fmt;

/// What a CO-RE relocation computes (`enum bpf_core_relo_kind`).
///
/// The discriminants are the raw values clang writes into `.BTF.ext`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum ReloKind {
    /// `BPF_CORE_FIELD_BYTE_OFFSET`: a field's byte offset.
    #[doc(alias = "BPF_CORE_FIELD_BYTE_OFFSET")]
    FieldByteOffset = 0,
    /// `BPF_CORE_FIELD_BYTE_SIZE`: a field's size in bytes.
    #[doc(alias = "BPF_CORE_FIELD_BYTE_SIZE")]
    FieldByteSize = 1,
    /// `BPF_CORE_FIELD_EXISTS`: whether the field exists in the target.
    #[doc(alias = "BPF_CORE_FIELD_EXISTS")]
    FieldExists = 2,
    /// `BPF_CORE_FIELD_SIGNED`: whether the field is signed.
    #[doc(alias = "BPF_CORE_FIELD_SIGNED")]
    FieldSigned = 3,
    /// `BPF_CORE_FIELD_LSHIFT_U64`: left shift that puts a bitfield's top
    /// bit at bit 63 of a 64-bit load.
    #[doc(alias = "BPF_CORE_FIELD_LSHIFT_U64")]
    FieldLshiftU64 = 4,
    /// `BPF_CORE_FIELD_RSHIFT_U64`: right shift that then brings the
    /// bitfield down to bit 0.
    #[doc(alias = "BPF_CORE_FIELD_RSHIFT_U64")]
    FieldRshiftU64 = 5,
    /// `BPF_CORE_TYPE_ID_LOCAL`: the type's id in the program's own BTF.
    #[doc(alias = "BPF_CORE_TYPE_ID_LOCAL")]
    TypeIdLocal = 6,
    /// `BPF_CORE_TYPE_ID_TARGET`: the matching type's id in the target BTF.
    #[doc(alias = "BPF_CORE_TYPE_ID_TARGET")]
    TypeIdTarget = 7,
    /// `BPF_CORE_TYPE_EXISTS`: whether a compatible type exists in the
    /// target.
    #[doc(alias = "BPF_CORE_TYPE_EXISTS")]
    TypeExists = 8,
    /// `BPF_CORE_TYPE_SIZE`: the matching target type's size.
    #[doc(alias = "BPF_CORE_TYPE_SIZE")]
    TypeSize = 9,
    /// `BPF_CORE_ENUMVAL_EXISTS`: whether the enumerator exists.
    #[doc(alias = "BPF_CORE_ENUMVAL_EXISTS")]
    EnumvalExists = 10,
    /// `BPF_CORE_ENUMVAL_VALUE`: the enumerator's value in the target.
    #[doc(alias = "BPF_CORE_ENUMVAL_VALUE")]
    EnumvalValue = 11,
    /// `BPF_CORE_TYPE_MATCHES`: whether a type that *matches* (libbpf 1.x's
    /// stricter relation, see [`types_match`](super::types_match)) exists.
    #[doc(alias = "BPF_CORE_TYPE_MATCHES")]
    TypeMatches = 12,
}

impl ReloKind {
    /// Every kind, in raw order.
    pub const ALL: [ReloKind; 13] = [
        ReloKind::FieldByteOffset,
        ReloKind::FieldByteSize,
        ReloKind::FieldExists,
        ReloKind::FieldSigned,
        ReloKind::FieldLshiftU64,
        ReloKind::FieldRshiftU64,
        ReloKind::TypeIdLocal,
        ReloKind::TypeIdTarget,
        ReloKind::TypeExists,
        ReloKind::TypeSize,
        ReloKind::EnumvalExists,
        ReloKind::EnumvalValue,
        ReloKind::TypeMatches,
    ];

    /// The kind with raw value `raw`, if it is one.
    pub const fn from_raw(raw: u32) -> Option<Self> {
        Some(match raw {
            0 => ReloKind::FieldByteOffset,
            1 => ReloKind::FieldByteSize,
            2 => ReloKind::FieldExists,
            3 => ReloKind::FieldSigned,
            4 => ReloKind::FieldLshiftU64,
            5 => ReloKind::FieldRshiftU64,
            6 => ReloKind::TypeIdLocal,
            7 => ReloKind::TypeIdTarget,
            8 => ReloKind::TypeExists,
            9 => ReloKind::TypeSize,
            10 => ReloKind::EnumvalExists,
            11 => ReloKind::EnumvalValue,
            12 => ReloKind::TypeMatches,
            _ => return None,
        })
    }

    /// The raw value.
    pub const fn raw(self) -> u32 {
        self as u32
    }

    /// libbpf's short name (`core_relo_kind_str`): `byte_off`, `byte_sz`,
    /// `field_exists`, `signed`, `lshift_u64`, `rshift_u64`,
    /// `local_type_id`, `target_type_id`, `type_exists`, `type_matches`,
    /// `type_size`, `enumval_exists`, `enumval_value`.
    pub const fn name(self) -> &'static str {
        match self {
            ReloKind::FieldByteOffset => "byte_off",
            ReloKind::FieldByteSize => "byte_sz",
            ReloKind::FieldExists => "field_exists",
            ReloKind::FieldSigned => "signed",
            ReloKind::FieldLshiftU64 => "lshift_u64",
            ReloKind::FieldRshiftU64 => "rshift_u64",
            ReloKind::TypeIdLocal => "local_type_id",
            ReloKind::TypeIdTarget => "target_type_id",
            ReloKind::TypeExists => "type_exists",
            ReloKind::TypeMatches => "type_matches",
            ReloKind::TypeSize => "type_size",
            ReloKind::EnumvalExists => "enumval_exists",
            ReloKind::EnumvalValue => "enumval_value",
        }
    }

    /// A field relocation (`core_relo_is_field_based`): the access string
    /// walks members and array elements.
    pub const fn is_field_based(self) -> bool {
        matches!(
            self,
            ReloKind::FieldByteOffset
                | ReloKind::FieldByteSize
                | ReloKind::FieldExists
                | ReloKind::FieldSigned
                | ReloKind::FieldLshiftU64
                | ReloKind::FieldRshiftU64
        )
    }

    /// A type relocation (`core_relo_is_type_based`): the access string is
    /// `"0"`.
    pub const fn is_type_based(self) -> bool {
        matches!(
            self,
            ReloKind::TypeIdLocal
                | ReloKind::TypeIdTarget
                | ReloKind::TypeExists
                | ReloKind::TypeMatches
                | ReloKind::TypeSize
        )
    }

    /// An enumerator relocation (`core_relo_is_enumval_based`): the access
    /// string is the enumerator's index.
    pub const fn is_enumval_based(self) -> bool {
        matches!(self, ReloKind::EnumvalExists | ReloKind::EnumvalValue)
    }
}

impl fmt::Display for ReloKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_values_round_trip() {
        for (i, k) in ReloKind::ALL.iter().enumerate() {
            assert_eq!(k.raw(), i as u32);
            assert_eq!(ReloKind::from_raw(i as u32), Some(*k));
            let classes = [k.is_field_based(), k.is_type_based(), k.is_enumval_based()];
            assert_eq!(classes.iter().filter(|&&c| c).count(), 1, "{k}");
        }
        assert_eq!(ReloKind::from_raw(13), None);
    }
}

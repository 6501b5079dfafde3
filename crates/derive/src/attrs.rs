//! Parsing of `#[btf(...)]` and `#[repr(...)]` attributes.

use syn::{Attribute, LitStr, Path};

/// Type-level options.
pub struct TypeAttrs {
    pub name: Option<String>,
    pub subset: bool,
    pub no_pod: bool,
    pub krate: Path,
}

/// Field-level options.
#[derive(Default)]
pub struct FieldAttrs {
    pub name: Option<String>,
    /// `Some(None)` for `ptr`, `Some(Some(target))` for `ptr = "target"`.
    pub ptr: Option<Option<String>>,
    /// `pad`: explicit padding.
    pub pad: bool,
    /// `bitfields = "a, b"`.
    pub bitfields: Vec<String>,
    /// `anon`: stands for an anonymous struct/union member.
    pub anon: bool,
}

pub fn type_attrs(attrs: &[Attribute]) -> syn::Result<TypeAttrs> {
    let mut out = TypeAttrs {
        name: None,
        subset: false,
        no_pod: false,
        krate: syn::parse_quote!(::oxbpf),
    };
    for attr in attrs.iter().filter(|a| a.path().is_ident("btf")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                out.name = Some(meta.value()?.parse::<LitStr>()?.value());
            } else if meta.path.is_ident("subset") {
                out.subset = true;
            } else if meta.path.is_ident("no_pod") {
                out.no_pod = true;
            } else if meta.path.is_ident("crate") {
                out.krate = meta.value()?.parse::<LitStr>()?.parse()?;
            } else {
                return Err(meta.error(
                    "unknown #[btf] type attribute; expected `name = \"...\"`, `subset`, `no_pod` or `crate = \"...\"`",
                ));
            }
            Ok(())
        })?;
    }
    Ok(out)
}

pub fn field_attrs(attrs: &[Attribute]) -> syn::Result<FieldAttrs> {
    let mut out = FieldAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("btf")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                out.name = Some(meta.value()?.parse::<LitStr>()?.value());
            } else if meta.path.is_ident("ptr") {
                out.ptr = Some(if meta.input.peek(syn::Token![=]) {
                    Some(meta.value()?.parse::<LitStr>()?.value())
                } else {
                    None
                });
            } else if meta.path.is_ident("pad") {
                out.pad = true;
            } else if meta.path.is_ident("anon") {
                out.anon = true;
            } else if meta.path.is_ident("bitfields") {
                let list = meta.value()?.parse::<LitStr>()?.value();
                out.bitfields = list
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
            } else {
                return Err(meta.error(
                    "unknown #[btf] field attribute; expected `name = \"...\"`, `ptr`, `ptr = \"...\"`, `pad`, `anon` or `bitfields = \"a, b\"`",
                ));
            }
            Ok(())
        })?;
    }
    Ok(out)
}

/// The representation: `C` (with optional `packed`), or an integer.
pub struct Repr {
    pub c: bool,
    pub int: Option<syn::Ident>,
}

pub fn repr(attrs: &[Attribute]) -> syn::Result<Repr> {
    let mut out = Repr {
        c: false,
        int: None,
    };
    for attr in attrs.iter().filter(|a| a.path().is_ident("repr")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("C") {
                out.c = true;
            } else if let Some(id) = meta.path.get_ident() {
                let s = id.to_string();
                if matches!(
                    s.as_str(),
                    "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64"
                ) {
                    out.int = Some(id.clone());
                } else if s == "packed" || s == "align" || s == "transparent" {
                    // `packed(N)` / `align(N)` carry arguments: consume them.
                    if meta.input.peek(syn::token::Paren) {
                        let _content;
                        syn::parenthesized!(_content in meta.input);
                    }
                }
            }
            Ok(())
        })?;
    }
    Ok(out)
}

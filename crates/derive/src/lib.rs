//! `oxbpf-derive` — `#[derive(BtfStruct)]`: Rust types whose memory layout
//! is checked against BTF.
//!
//! The derive accepts `#[repr(C)]` structs with named fields, `#[repr(C)]`
//! unions, and field-less enums with an explicit integer `repr`, and
//! generates:
//! - an implementation of `oxbpf::btf::layout::BtfLayout` describing the
//!   type field by field (name, offset, size, type), used to validate it
//!   against BTF at run time and to emit it as BTF;
//! - for structs and unions whose fields are all plain data, an
//!   `unsafe impl oxbpf::sys::Pod` — but only once the compiler has proven
//!   there is no implicit padding: a hole is a compile error that names the
//!   fields around it and its byte range, and suggests the explicit padding
//!   field to add.
//!
//! Attributes, all under `#[btf(...)]`:
//! - on the type: `name = "task_struct"` (the BTF name to bind to),
//!   `subset` (the Rust type names only some of the BTF type's fields, each
//!   at its exact offset, and may be smaller), `no_pod` (do not implement
//!   `Pod`), `crate = "path"` (where `btf` and `sys` live; default
//!   `::oxbpf`);
//! - on a field: `name = "..."` (the BTF member name), `ptr` or
//!   `ptr = "task_struct"` (a kernel pointer, held in a `u64`), `pad`
//!   (explicit padding with no BTF counterpart), `bitfields = "a, b"` (an
//!   integer holding the storage of these C bitfields), `anon` (stands for
//!   an anonymous struct or union member, e.g. `iphdr`'s union of
//!   `saddr`/`daddr` and `addrs`: validated against the nameless member at
//!   the field's offset).
//!
//! See the `oxbpf` crate documentation for examples.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod attrs;
mod expand;

use proc_macro::TokenStream;

/// Derives `BtfLayout` (and `Pod` when the type is plain data without
/// padding). See the [crate documentation](crate).
#[proc_macro_derive(BtfStruct, attributes(btf))]
pub fn derive_btf_struct(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

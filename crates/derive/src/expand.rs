//! Code generation for `#[derive(BtfStruct)]`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Type};

use crate::attrs::{field_attrs, repr, type_attrs, TypeAttrs};

pub fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "#[derive(BtfStruct)] does not support generic types: a BTF type has one fixed layout",
        ));
    }
    let attrs = type_attrs(&input.attrs)?;
    let repr = repr(&input.attrs)?;
    match &input.data {
        Data::Struct(s) => {
            if !repr.c {
                return Err(syn::Error::new_spanned(
                    &input.ident,
                    "#[derive(BtfStruct)] needs #[repr(C)]: Rust may reorder the fields of other structs",
                ));
            }
            let Fields::Named(fields) = &s.fields else {
                return Err(syn::Error::new_spanned(
                    &s.fields,
                    "#[derive(BtfStruct)] needs named fields (BTF members have names)",
                ));
            };
            composite(input, &attrs, fields.named.iter().collect(), false)
        }
        Data::Union(u) => {
            if !repr.c {
                return Err(syn::Error::new_spanned(
                    &input.ident,
                    "#[derive(BtfStruct)] needs #[repr(C)] on unions",
                ));
            }
            composite(input, &attrs, u.fields.named.iter().collect(), true)
        }
        Data::Enum(e) => enumeration(input, &attrs, e, repr.int),
    }
}

struct FieldInfo<'a> {
    ident: &'a syn::Ident,
    ty: &'a Type,
    btf_name: String,
    ptr: Option<Option<String>>,
    pad: bool,
    anon: bool,
    bitfields: Vec<String>,
}

fn is_bool(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.is_ident("bool"))
}

fn composite(
    input: &DeriveInput,
    attrs: &TypeAttrs,
    fields: Vec<&syn::Field>,
    is_union: bool,
) -> syn::Result<TokenStream> {
    let name = &input.ident;
    let krate = &attrs.krate;
    let rust_name = name.to_string();
    let btf_name = attrs.name.clone().unwrap_or_else(|| rust_name.clone());
    if fields.is_empty() {
        return Err(syn::Error::new_spanned(
            name,
            "#[derive(BtfStruct)] needs at least one field",
        ));
    }
    let mut infos = Vec::with_capacity(fields.len());
    for f in &fields {
        let fa = field_attrs(&f.attrs)?;
        let ident = f
            .ident
            .as_ref()
            .ok_or_else(|| syn::Error::new_spanned(f, "unnamed field"))?;
        if fa.pad && (fa.ptr.is_some() || !fa.bitfields.is_empty()) {
            return Err(syn::Error::new_spanned(
                ident,
                "a #[btf(pad)] field is padding: it cannot also be `ptr` or `bitfields`",
            ));
        }
        if fa.anon && (fa.pad || fa.ptr.is_some() || !fa.bitfields.is_empty() || fa.name.is_some())
        {
            return Err(syn::Error::new_spanned(
                ident,
                "a #[btf(anon)] field stands for an anonymous struct or union member: it has no BTF name and cannot also be `name`, `pad`, `ptr` or `bitfields`",
            ));
        }
        // An anonymous member has no name in BTF.
        let btf_name = if fa.anon {
            String::new()
        } else {
            fa.name.unwrap_or_else(|| {
                let s = ident.to_string();
                s.strip_prefix("r#").map(str::to_owned).unwrap_or(s)
            })
        };
        infos.push(FieldInfo {
            ident,
            ty: &f.ty,
            btf_name,
            ptr: fa.ptr,
            pad: fa.pad,
            anon: fa.anon,
            bitfields: fa.bitfields,
        });
    }

    // The field descriptions.
    let field_descs = infos.iter().map(|f| {
        let (ident, ty, bname) = (f.ident, f.ty, &f.btf_name);
        let rname = ident.to_string();
        let pad = f.pad;
        let anon = f.anon;
        let bitfields = &f.bitfields;
        let ty_fn = match &f.ptr {
            Some(target) => {
                let target = match target {
                    Some(t) => quote!(::core::option::Option::Some(#t)),
                    None => quote!(::core::option::Option::None),
                };
                quote!(|| #krate::btf::layout::FieldType::Ptr { target: #target })
            }
            None => quote!(<#ty as #krate::btf::layout::BtfLayout>::btf_type),
        };
        quote! {
            #krate::btf::layout::Field {
                name: #bname,
                rust_name: #rname,
                offset: ::core::mem::offset_of!(#name, #ident),
                size: ::core::mem::size_of::<#ty>(),
                ty: #ty_fn,
                pad: #pad,
                anon: #anon,
                bitfields: &[#(#bitfields),*],
            }
        }
    });
    let kind = if is_union {
        quote!(#krate::btf::layout::CompositeKind::Union)
    } else {
        quote!(#krate::btf::layout::CompositeKind::Struct)
    };
    let subset = attrs.subset;

    // `#[btf(ptr)]` fields hold a kernel address: they must be `u64`.
    let ptr_checks = infos.iter().filter(|f| f.ptr.is_some()).map(|f| {
        let ty = f.ty;
        let msg = format!(
            "`#[btf(ptr)]` field `{}` must be a `u64` (it holds a kernel address), not `{{Self}}`",
            f.ident
        );
        let bound = quote_spanned! {ty.span()=> #ty: __BtfPtrField };
        quote! {
            const _: () = {
                #[diagnostic::on_unimplemented(message = #msg, label = "not `u64`")]
                trait __BtfPtrField {}
                impl __BtfPtrField for u64 {}
                fn __check() where #bound {}
            };
        }
    });

    // Holes: between consecutive fields, and after the last one (structs);
    // fields smaller than the union (unions). Each is a trait bound that
    // only holds when the two positions are equal, so the compiler prints
    // the positions in its error.
    let mut hole_checks = Vec::new();
    if is_union {
        for f in &infos {
            let (ident, ty) = (f.ident, f.ty);
            let msg = format!(
                "`{rust_name}`: union field `{ident}` ends at byte {{END}} but the union is {{SIZE}} bytes: the rest would be uninitialised padding"
            );
            hole_checks.push(hole_check(
                name,
                &format_ident!("__BtfHole_{}_{}", name, ident),
                &msg,
                "make every field as large as the union (pad it with an array), or use #[btf(no_pod)]",
                quote!(::core::mem::size_of::<#ty>()),
                quote!(::core::mem::size_of::<#name>()),
                ident.span(),
            ));
        }
    } else {
        for pair in infos.windows(2) {
            let [a, b] = pair else { continue };
            let (ia, ta, ib) = (a.ident, a.ty, b.ident);
            let msg = format!(
                "implicit padding in `{rust_name}` between fields `{ia}` and `{ib}`: bytes {{END}}..{{SIZE}}"
            );
            hole_checks.push(hole_check(
                name,
                &format_ident!("__BtfHole_{}_{}", name, ib),
                &msg,
                "add an explicit padding field before it, e.g. `#[btf(pad)] _pad: [u8; {SIZE} - {END}]`, or reorder the fields",
                quote!(::core::mem::offset_of!(#name, #ia) + ::core::mem::size_of::<#ta>()),
                quote!(::core::mem::offset_of!(#name, #ib)),
                ib.span(),
            ));
        }
        if let Some(last) = infos.last() {
            let (il, tl) = (last.ident, last.ty);
            let msg = format!(
                "implicit trailing padding in `{rust_name}` after field `{il}`: bytes {{END}}..{{SIZE}}"
            );
            hole_checks.push(hole_check(
                name,
                &format_ident!("__BtfHole_{}_end", name),
                &msg,
                "add an explicit padding field at the end, e.g. `#[btf(pad)] _pad: [u8; {SIZE} - {END}]`",
                quote!(::core::mem::offset_of!(#name, #il) + ::core::mem::size_of::<#tl>()),
                quote!(::core::mem::size_of::<#name>()),
                il.span(),
            ));
        }
    }

    // `Pod`: plain data only. `bool` is not (only 0 and 1 are valid), and
    // neither is a type that opted out.
    let pod = if attrs.no_pod || infos.iter().any(|f| is_bool(f.ty)) {
        quote!()
    } else {
        let asserts = infos.iter().map(|f| {
            let ty = f.ty;
            quote_spanned! {ty.span()=> __assert_pod::<#ty>(); }
        });
        quote! {
            const _: () = {
                fn __assert_pod<T: #krate::sys::Pod>() {}
                fn __check() { #(#asserts)* }
            };
            #(#hole_checks)*
            // SAFETY: `#name` is `#[repr(C)]`, every field is `Pod` (checked
            // just above), and the checks above prove at compile time that
            // there are no padding bytes between, after or around fields:
            // every byte of a value is initialised and any bit pattern is a
            // valid value.
            unsafe impl #krate::sys::Pod for #name {}
        }
    };

    Ok(quote! {
        #(#ptr_checks)*
        #pod
        impl #krate::btf::layout::BtfLayout for #name {
            fn btf_type() -> #krate::btf::layout::FieldType {
                static LAYOUT: #krate::btf::layout::Layout = #krate::btf::layout::Layout {
                    name: #btf_name,
                    rust_name: #rust_name,
                    size: ::core::mem::size_of::<#name>(),
                    align: ::core::mem::align_of::<#name>(),
                    kind: #kind,
                    fields: &[#(#field_descs),*],
                    variants: &[],
                    subset: #subset,
                };
                #krate::btf::layout::FieldType::Composite(&LAYOUT)
            }
        }
    })
}

/// A compile-time check that `end == size`, whose failure message (on
/// `span`) is `msg` with `{END}` and `{SIZE}` filled in by the compiler.
fn hole_check(
    _ty: &syn::Ident,
    trait_name: &syn::Ident,
    msg: &str,
    note: &str,
    end: TokenStream,
    size: TokenStream,
    span: Span,
) -> TokenStream {
    let bound = quote_spanned! {span=> (): #trait_name<{ #end }, { #size }> };
    quote! {
        const _: () = {
            #[diagnostic::on_unimplemented(message = #msg, label = "padding before this field", note = #note)]
            #[allow(non_camel_case_types)]
            trait #trait_name<const END: usize, const SIZE: usize> {}
            impl<const N: usize> #trait_name<N, N> for () {}
            fn __no_hole() where #bound {}
        };
    }
}

fn enumeration(
    input: &DeriveInput,
    attrs: &TypeAttrs,
    e: &syn::DataEnum,
    int: Option<syn::Ident>,
) -> syn::Result<TokenStream> {
    let name = &input.ident;
    let krate = &attrs.krate;
    let Some(int) = int else {
        return Err(syn::Error::new_spanned(
            name,
            "#[derive(BtfStruct)] on an enum needs an integer repr, e.g. #[repr(u32)]",
        ));
    };
    if attrs.subset {
        return Err(syn::Error::new_spanned(
            name,
            "#[btf(subset)] applies to structs and unions",
        ));
    }
    let mut variants = Vec::new();
    for v in &e.variants {
        if !matches!(v.fields, Fields::Unit) {
            return Err(syn::Error::new_spanned(
                v,
                "#[derive(BtfStruct)] supports only field-less enums (BTF enums are plain integers)",
            ));
        }
        let ident = &v.ident;
        let vname = ident.to_string();
        variants.push(quote!((#vname, #name::#ident as i128)));
    }
    let signed = int.to_string().starts_with('i');
    let rust_name = name.to_string();
    let btf_name = attrs.name.clone().unwrap_or_else(|| rust_name.clone());
    Ok(quote! {
        impl #krate::btf::layout::BtfLayout for #name {
            fn btf_type() -> #krate::btf::layout::FieldType {
                static LAYOUT: #krate::btf::layout::Layout = #krate::btf::layout::Layout {
                    name: #btf_name,
                    rust_name: #rust_name,
                    size: ::core::mem::size_of::<#name>(),
                    align: ::core::mem::align_of::<#name>(),
                    kind: #krate::btf::layout::CompositeKind::Enum { signed: #signed },
                    fields: &[],
                    variants: &[#(#variants),*],
                    subset: false,
                };
                #krate::btf::layout::FieldType::Composite(&LAYOUT)
            }
        }
    })
}

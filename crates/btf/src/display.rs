//! C-like rendering of a type reference (`const char *`, `int[16]`,
//! `struct task_struct *`, `int (*)(void *, long)`).

use std::fmt;

use crate::{Btf, Type, TypeId};

/// Renders a type the way C spells it in a declaration without a name.
/// Returned by [`Btf::display`].
///
/// ```
/// use oxbpf_btf::{Btf, BtfBuilder, IntEncoding};
/// let mut b = BtfBuilder::new();
/// let char_ = b.add_int("char", 1, IntEncoding::Signed);
/// let cchar = b.add_const(char_);
/// let ptr = b.add_ptr(cchar);
/// let arr = b.add_array(ptr, char_, 4);
/// let btf = Btf::parse_owned(b.to_bytes()?)?;
/// assert_eq!(btf.display(ptr).to_string(), "const char *");
/// assert_eq!(btf.display(arr).to_string(), "const char *[4]");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TypeDisplay<'b, 'a> {
    btf: &'b Btf<'a>,
    id: TypeId,
}

impl Btf<'_> {
    /// A C-like rendering of type `id` (see [`TypeDisplay`]).
    pub fn display(&self, id: TypeId) -> TypeDisplay<'_, '_> {
        TypeDisplay { btf: self, id }
    }
}

const MAX_DEPTH: usize = 32;

/// How many type references one rendering follows at most. Depth alone
/// does not bound the work: a `FUNC_PROTO` whose return and parameter types
/// lead back to itself branches at every level, and 3^32 steps never end.
/// The deepest rendering in a 6.x vmlinux follows 41.
const MAX_VISITS: usize = 4096;

impl fmt::Display for TypeDisplay<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut budget = MAX_VISITS;
        let s = declarator(self.btf, self.id, String::new(), 0, &mut budget);
        f.write_str(s.trim_end())
    }
}

fn tagged(kw: &str, name: &str) -> String {
    if name.is_empty() {
        format!("{kw} {{...}}")
    } else {
        format!("{kw} {name}")
    }
}

fn join(base: String, inner: &str) -> String {
    if inner.is_empty() {
        base
    } else if inner.starts_with('[') {
        format!("{base}{inner}")
    } else {
        format!("{base} {inner}")
    }
}

/// Builds the C spelling of `id` wrapped around `inner` (the part of the
/// declarator already built, to the right of the type).
fn declarator(
    btf: &Btf<'_>,
    id: TypeId,
    inner: String,
    depth: usize,
    budget: &mut usize,
) -> String {
    if depth > MAX_DEPTH || *budget == 0 {
        return join("...".into(), &inner);
    }
    *budget -= 1;
    let Some(t) = btf.type_by_id(id) else {
        return join(format!("<bad type {id}>"), &inner);
    };
    let needs_parens = |s: &str| s.starts_with('*');
    match t {
        Type::Void => join("void".into(), &inner),
        Type::Int(i) => join(i.name.into(), &inner),
        Type::Float(x) => join(x.name.into(), &inner),
        Type::Typedef(r) => join(r.name.into(), &inner),
        Type::Struct(c) => join(tagged("struct", c.name), &inner),
        Type::Union(c) => join(tagged("union", c.name), &inner),
        Type::Enum(e) | Type::Enum64(e) => join(tagged("enum", e.name), &inner),
        Type::Fwd(x) => join(
            tagged(if x.is_union { "union" } else { "struct" }, x.name),
            &inner,
        ),
        Type::Ptr(p) => declarator(btf, p.target, format!("*{inner}"), depth + 1, budget),
        Type::Const(r) | Type::Volatile(r) | Type::Restrict(r) => {
            let kw = match t {
                Type::Const(_) => "const",
                Type::Volatile(_) => "volatile",
                _ => "restrict",
            };
            match btf.type_by_id(r.target) {
                // `char *const p`: the qualifier goes right of the star.
                Some(Type::Ptr(_)) => {
                    let inner = if inner.is_empty() {
                        kw.to_string()
                    } else {
                        format!("{kw} {inner}")
                    };
                    declarator(btf, r.target, inner, depth + 1, budget)
                }
                _ => format!(
                    "{kw} {}",
                    declarator(btf, r.target, inner, depth + 1, budget)
                ),
            }
        }
        Type::TypeTag(r) => declarator(btf, r.target, inner, depth + 1, budget),
        Type::Array(a) => {
            let inner = if needs_parens(&inner) {
                format!("({inner})[{}]", a.len)
            } else {
                format!("{inner}[{}]", a.len)
            };
            declarator(btf, a.elem, inner, depth + 1, budget)
        }
        Type::FuncProto(p) => {
            let mut params = Vec::with_capacity(p.len());
            for prm in p.params() {
                if prm.ty == TypeId::VOID && prm.name.is_empty() {
                    params.push("...".to_string());
                } else {
                    params.push(declarator(btf, prm.ty, String::new(), depth + 1, budget));
                }
            }
            if params.is_empty() {
                params.push("void".into());
            }
            let inner = if needs_parens(&inner) {
                format!("({inner})({})", params.join(", "))
            } else {
                format!("{inner}({})", params.join(", "))
            };
            declarator(btf, p.ret, inner, depth + 1, budget)
        }
        Type::Func(x) => {
            let inner = if inner.is_empty() {
                x.name.to_string()
            } else {
                format!("{} {inner}", x.name)
            };
            declarator(btf, x.proto, inner, depth + 1, budget)
        }
        Type::Var(v) => {
            let inner = if inner.is_empty() {
                v.name.to_string()
            } else {
                format!("{} {inner}", v.name)
            };
            declarator(btf, v.ty, inner, depth + 1, budget)
        }
        Type::Datasec(d) => join(format!("SEC(\"{}\")", d.name), &inner),
        Type::DeclTag(d) => declarator(btf, d.target, inner, depth + 1, budget),
        Type::Unknown(u) => join(format!("<kind {} '{}'>", u.kind, u.name), &inner),
    }
}

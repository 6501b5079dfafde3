//! [`Relocator`]: CO-RE relocation of whole programs against a target
//! (libbpf's `bpf_object__relocate_core`, `bpf_core_resolve_relo` and
//! `bpf_core_find_cands`), pure.

use oxbpf_btf::ext::CoreRelo;
use oxbpf_btf::{Btf, TypeId};

use super::btfx::{kind_of, pointer_size, FxMap};
use super::error::CoreError;
use super::relo::{calc_relo_scratch, ReloOutcome, ReloResult, Scratch};
use super::{patch_insn, Candidate, CandidateIndex, ReloKind};
use crate::insn::Insn;

/// A BTF to relocate against: vmlinux, a module's split BTF, or a file
/// (BTFHub), with its candidate index.
#[derive(Copy, Clone, Debug)]
pub struct Target<'a> {
    /// The BTF.
    pub btf: &'a Btf<'a>,
    /// Its name in messages (`vmlinux`, the module's name, the file).
    pub name: &'a str,
    /// Its candidate index (built from `btf`).
    pub index: &'a CandidateIndex,
}

/// One applied relocation: where, what, and the result patched in.
#[derive(Clone, Debug)]
pub struct Applied<'a> {
    /// The relocation's index in the list given to
    /// [`Relocator::relocate`].
    pub index: usize,
    /// The instruction it patched.
    pub insn: usize,
    /// Its kind.
    pub kind: ReloKind,
    /// The computation: result, local and target specs.
    pub outcome: ReloOutcome<'a>,
}

/// A relocation of a program that failed, with where and what.
#[derive(Debug, Clone, thiserror::Error)]
#[error("CO-RE relocation #{index} (instruction #{insn}, {access})")]
pub struct RelocationError {
    /// The relocation's index in the program's list.
    pub index: usize,
    /// The instruction.
    pub insn: usize,
    /// The access in C terms (`struct task_struct.mm`), if the access
    /// string could be resolved in the local BTF; else the raw record.
    pub access: String,
    /// Why it failed.
    #[source]
    pub source: Box<CoreError>,
}

/// Relocates programs of one object against a target: the main target
/// (vmlinux or a user-supplied BTF) and, for local types that have no
/// candidate there, fallback targets (kernel modules), as libbpf searches
/// them.
///
/// Candidate lists are kept per local type for the relocator's life and
/// pruned by each relocation to the candidates that matched it, exactly
/// as libbpf's per-object candidate cache is; use one relocator per
/// object. (The expensive part, the [`CandidateIndex`] of a target, is
/// what is shared between objects.)
///
/// ```
/// use oxbpf_btf::ext::CoreRelo;
/// use oxbpf_btf::{Btf, BtfBuilder, IntEncoding, MemberSpec};
/// use oxbpf_loader::core::{CandidateIndex, ReloKind, Relocator, Target};
/// use oxbpf_loader::insn::{op, Insn, Reg};
///
/// let field = |name, ty, bits| MemberSpec { name, ty, bit_offset: bits, bitfield_size: 0 };
/// // The program's view: struct task { int pid; }, pid read at offset 0.
/// let mut b = BtfBuilder::new();
/// let int = b.add_int("int", 4, IntEncoding::Signed);
/// let task = b.add_struct("task", 4, &[field("pid", int, 0)])?;
/// let access = b.add_string("0:0");
/// let local = Btf::parse_owned(b.to_bytes()?)?;
/// // The kernel's: pid moved to offset 8.
/// let mut b = BtfBuilder::new();
/// let int = b.add_int("int", 4, IntEncoding::Signed);
/// let long = b.add_int("long", 8, IntEncoding::Signed);
/// b.add_struct("task", 12, &[field("state", long, 0), field("pid", int, 64)])?;
/// let kernel = Btf::parse_owned(b.to_bytes()?)?;
///
/// let index = CandidateIndex::build(&kernel);
/// let target = Target { btf: &kernel, name: "kernel", index: &index };
/// let mut insns = [Insn::ldx(op::W, Reg::R0, Reg::R1, 0), Insn::exit()];
/// let relo = CoreRelo {
///     insn_off: 0,
///     type_id: task,
///     access_str_off: access,
///     kind: ReloKind::FieldByteOffset.raw(),
/// };
/// let applied = Relocator::new(&local, target).relocate(&mut insns, &[relo])?;
/// assert_eq!(applied[0].outcome.result.new_val, 8);
/// assert_eq!(insns[0], Insn::ldx(op::W, Reg::R0, Reg::R1, 8));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Relocator<'a> {
    local: &'a Btf<'a>,
    local_ptr_size: u32,
    main: Target<'a>,
    fallback: Vec<Target<'a>>,
    /// Candidates per local type id (libbpf's `cand_cache`).
    cache: FxMap<TypeId, Vec<Candidate<'a>>>,
    /// Search members with libbpf's scan instead of member tables.
    scan: bool,
    /// Specs reused from one relocation to the next.
    scratch: Scratch<'a>,
    /// An empty candidate list, for `TYPE_ID_LOCAL`.
    no_cands: Vec<Candidate<'a>>,
}

impl<'a> Relocator<'a> {
    /// A relocator of programs whose BTF is `local`, against `main`.
    pub fn new(local: &'a Btf<'a>, main: Target<'a>) -> Self {
        Relocator {
            local,
            local_ptr_size: pointer_size(local),
            main,
            fallback: Vec::new(),
            cache: FxMap::default(),
            scan: false,
            scratch: Scratch::new(local),
            no_cands: Vec::new(),
        }
    }

    /// Searches members as libbpf does, one by one, instead of through
    /// the targets' member tables: the same results, slower (for
    /// cross-checking the tables; the fuzz target does).
    pub fn scan_members(mut self) -> Self {
        self.scan = true;
        self
    }

    /// Adds targets searched, in order, for local types that have no
    /// candidate in the main target (kernel modules' BTF; libbpf does not
    /// search them when the main target is a user-supplied BTF).
    pub fn with_fallback(mut self, targets: Vec<Target<'a>>) -> Self {
        self.fallback = targets;
        self
    }

    /// Whether some relocation of `relos` needs a candidate search and its
    /// local type has no candidate in the main target: then the fallback
    /// targets would be searched (callers use this to load module BTF only
    /// when needed).
    pub fn needs_fallback<'r>(&self, relos: impl IntoIterator<Item = &'r CoreRelo>) -> bool {
        relos.into_iter().any(|r| {
            if r.kind == ReloKind::TypeIdLocal.raw() {
                return false;
            }
            if self.cache.contains_key(&r.type_id) {
                return false;
            }
            let Some(t) = self.local.type_by_id(r.type_id) else {
                return false;
            };
            let name = t.name();
            !name.is_empty()
                && self
                    .main
                    .index
                    .find(self.main.btf, name, kind_of(&t))
                    .next()
                    .is_none()
        })
    }

    /// `bpf_core_find_cands`, cached per local type: the candidates of
    /// local type `id` (as pruned by the relocations computed so far).
    pub fn candidates(&mut self, id: TypeId) -> Result<&[Candidate<'a>], CoreError> {
        self.candidates_mut(id).map(|c| &c[..])
    }

    fn candidates_mut(&mut self, id: TypeId) -> Result<&mut Vec<Candidate<'a>>, CoreError> {
        if !self.cache.contains_key(&id) {
            let t = self.local.type_by_id(id).ok_or(CoreError::LocalType(id))?;
            let name = t.name();
            let kind = kind_of(&t);
            let mut cands = Vec::new();
            if !name.is_empty() {
                add_candidates(&mut cands, &self.main, name, kind, self.scan);
                if cands.is_empty() {
                    for f in &self.fallback {
                        add_candidates(&mut cands, f, name, kind, self.scan);
                    }
                }
            }
            self.cache.insert(id, cands);
        }
        Ok(self.cache.entry(id).or_default())
    }

    /// `bpf_core_resolve_relo`: computes one relocation (without patching).
    pub fn calc(&mut self, relo: &CoreRelo) -> Result<ReloOutcome<'a>, CoreError> {
        let result = self.calc_scratch(relo)?;
        Ok(self.outcome(result))
    }

    /// What the last [`calc_scratch`](Self::calc_scratch) computed, with
    /// copies of its specs.
    fn outcome(&self, result: ReloResult) -> ReloOutcome<'a> {
        let s = &self.scratch;
        ReloOutcome {
            result,
            local_spec: s.local.clone(),
            target_spec: s.matched.map(|_| s.targ.clone()),
            candidate: s.matched,
        }
    }

    /// [`calc`](Self::calc), leaving the specs in the scratch space.
    fn calc_scratch(&mut self, relo: &CoreRelo) -> Result<ReloResult, CoreError> {
        let local = self.local;
        let ptr = self.local_ptr_size;
        if relo.kind == ReloKind::TypeIdLocal.raw() {
            return calc_relo_scratch(local, ptr, relo, &mut self.no_cands, &mut self.scratch);
        }
        if local.raw_record(relo.type_id).is_some() {
            let name_off = local.name_offset(relo.type_id).0;
            if name_off == 0 || super::btfx::Strs::of(local).is_empty_at(name_off) {
                // Candidates are found by name (libbpf's
                // `bpf_core_find_cands` fails on anonymous types).
                let kind =
                    ReloKind::from_raw(relo.kind).ok_or(CoreError::UnknownKind(relo.kind))?;
                return Err(CoreError::Anonymous {
                    kind: kind.name(),
                    type_id: relo.type_id,
                });
            }
        }
        self.candidates_mut(relo.type_id)?;
        let cands = self.cache.entry(relo.type_id).or_default();
        calc_relo_scratch(local, ptr, relo, cands, &mut self.scratch)
    }

    /// Computes and applies `relos` (with `insn_off` in bytes from the start
    /// of `insns`) in order: libbpf's `bpf_object__relocate_core` for one
    /// program. Returns what each one computed.
    pub fn relocate(
        &mut self,
        insns: &mut [Insn],
        relos: &[CoreRelo],
    ) -> Result<Vec<Applied<'a>>, RelocationError> {
        let mut out = Vec::with_capacity(relos.len());
        self.apply_with(insns, relos, Some(&mut |a| out.push(a)))?;
        Ok(out)
    }

    /// [`relocate`](Self::relocate) without keeping what each relocation
    /// computed: what the loader does.
    pub fn apply(&mut self, insns: &mut [Insn], relos: &[CoreRelo]) -> Result<(), RelocationError> {
        self.apply_with(insns, relos, None)
    }

    fn apply_with(
        &mut self,
        insns: &mut [Insn],
        relos: &[CoreRelo],
        mut each: Option<&mut dyn FnMut(Applied<'a>)>,
    ) -> Result<(), RelocationError> {
        let local = self.local;
        for (index, relo) in relos.iter().enumerate() {
            let insn = (relo.insn_off / 8) as usize;
            let fail = |source: CoreError| RelocationError {
                index,
                insn,
                access: describe(local, relo),
                source: Box::new(source),
            };
            if relo.insn_off % 8 != 0 || insn >= insns.len() {
                return Err(fail(CoreError::InsnOffset(relo.insn_off)));
            }
            let result = self.calc_scratch(relo).map_err(fail)?;
            patch_insn(insns, insn, &result)
                .map_err(|reason| fail(CoreError::Patch { insn, reason }))?;
            if let Some(each) = each.as_mut() {
                let outcome = self.outcome(result);
                each(Applied {
                    index,
                    insn,
                    kind: outcome.local_spec.kind,
                    outcome,
                });
            }
        }
        Ok(())
    }
}

/// `bpf_core_add_cands`: appends `target`'s candidates for a local type.
fn add_candidates<'a>(
    out: &mut Vec<Candidate<'a>>,
    target: &Target<'a>,
    name: &str,
    kind: u8,
    scan: bool,
) {
    out.extend(
        target
            .index
            .find(target.btf, name, kind)
            .map(|id| Candidate {
                btf: target.btf,
                id,
                target: target.name,
                ptr_size: target.index.pointer_size(),
                index: (!scan).then_some(target.index),
            }),
    );
}

/// A relocation record in C terms (`struct task_struct.mm`), or raw if
/// its access string does not resolve in `local`.
pub fn describe(local: &Btf<'_>, relo: &CoreRelo) -> String {
    let access = local.str_at(relo.access_str_off);
    let parsed = ReloKind::from_raw(relo.kind).and_then(|kind| {
        let ptr = 8;
        // Reborrow with one lifetime for `parse_spec`.
        super::spec::parse_spec(local, relo.type_id, access, kind, ptr)
            .ok()
            .map(|s| format!("{} {}", kind.name(), s.c_access()))
    });
    parsed.unwrap_or_else(|| {
        format!(
            "kind {} of type [{}] with access \"{}\"",
            relo.kind,
            relo.type_id,
            access.unwrap_or("<?>")
        )
    })
}

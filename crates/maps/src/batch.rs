//! Batch operations (`BPF_MAP_*_BATCH`) over a whole map, in chunks.

use oxbpf_sys::{
    self as sys, slice_as_bytes, slice_as_bytes_mut, zeroed, BatchError, LookupFlags, Pod,
    UpdateFlags, UpdateMode,
};

use crate::error::MapError;
use crate::map::Map;

/// Options of the whole-map batch lookups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchOptions {
    /// Elements per `BPF_MAP_LOOKUP_BATCH` call (at least 1). A hash
    /// bucket never straddles two calls, so a chunk smaller than the
    /// largest bucket is doubled automatically (`ENOSPC`).
    pub chunk: u32,
    /// `elem_flags` (e.g. `BPF_F_LOCK`).
    pub elem_flags: LookupFlags,
}

impl Default for BatchOptions {
    fn default() -> Self {
        Self {
            chunk: 4096,
            elem_flags: LookupFlags::empty(),
        }
    }
}

/// The largest chunk tried after `ENOSPC` doubling.
const MAX_CHUNK: usize = 1 << 24;

fn batch_err(map: &Map, op: &'static str, processed: usize, e: BatchError) -> MapError {
    MapError::Batch {
        name: map.name().to_string(),
        op,
        processed: processed + e.processed as usize,
        source: e.source,
    }
}

/// Appends every element of `map` to `keys` and `values` with
/// `BPF_MAP_LOOKUP_BATCH` (or `…_AND_DELETE_BATCH`), `opts.chunk` at a
/// time. Returns the number of elements appended.
pub(crate) fn lookup_all<K: Pod, V: Pod>(
    map: &Map,
    delete: bool,
    keys: &mut Vec<K>,
    values: &mut Vec<V>,
    opts: &BatchOptions,
) -> Result<usize, MapError> {
    let op = if delete {
        "lookup_and_delete_batch"
    } else {
        "lookup_batch"
    };
    let fd = map.map_fd();
    let token_len = fd.batch_token_len();
    let mut tokens = vec![0u8; 2 * token_len];
    let (mut tok_in, mut tok_out) = tokens.split_at_mut(token_len);
    let mut started = false;
    let mut chunk = (opts.chunk.max(1) as usize).min(MAX_CHUNK);
    let start_len = keys.len();
    debug_assert_eq!(keys.len(), values.len());
    loop {
        let base = keys.len();
        keys.resize(base + chunk, zeroed());
        values.resize(base + chunk, zeroed());
        let call = if delete {
            sys::map_lookup_and_delete_batch
        } else {
            sys::map_lookup_batch
        };
        let result = call(
            fd,
            started.then_some(&*tok_in),
            tok_out,
            slice_as_bytes_mut(&mut keys[base..]),
            slice_as_bytes_mut(&mut values[base..]),
            opts.elem_flags,
        );
        match result {
            Ok(batch) => {
                let n = base + batch.count as usize;
                keys.truncate(n);
                values.truncate(n);
                if batch.done {
                    return Ok(n - start_len);
                }
                std::mem::swap(&mut tok_in, &mut tok_out);
                started = true;
            }
            Err(e) if e.source.errno() == libc::ENOSPC && e.processed == 0 && chunk < MAX_CHUNK => {
                keys.truncate(base);
                values.truncate(base);
                chunk *= 2;
            }
            Err(e) => {
                keys.truncate(base);
                values.truncate(base);
                return Err(batch_err(map, op, base - start_len, e));
            }
        }
    }
}

/// `BPF_MAP_UPDATE_BATCH` of all `keys`/`values` in one call.
pub(crate) fn update_all<K: Pod, V: Pod>(
    map: &Map,
    keys: &[K],
    values: &[V],
    flags: UpdateFlags,
) -> Result<usize, MapError> {
    if keys.len() != values.len() {
        return Err(MapError::InvalidSpec {
            name: map.name().to_string(),
            reason: format!(
                "update_batch: {} keys but {} values",
                keys.len(),
                values.len()
            ),
        });
    }
    if flags.mode != UpdateMode::Any {
        return Err(MapError::InvalidSpec {
            name: map.name().to_string(),
            reason: "update_batch: the kernel accepts only UpdateMode::Any (plus BPF_F_LOCK)"
                .into(),
        });
    }
    if keys.is_empty() {
        return Ok(0);
    }
    sys::map_update_batch(
        map.map_fd(),
        slice_as_bytes(keys),
        slice_as_bytes(values),
        flags,
    )
    .map(|n| n as usize)
    .map_err(|e| batch_err(map, "update_batch", 0, e))
}

/// `BPF_MAP_DELETE_BATCH` of all `keys` in one call.
pub(crate) fn delete_all<K: Pod>(map: &Map, keys: &[K]) -> Result<usize, MapError> {
    if keys.is_empty() {
        return Ok(0);
    }
    sys::map_delete_batch(map.map_fd(), slice_as_bytes(keys))
        .map(|n| n as usize)
        .map_err(|e| batch_err(map, "delete_batch", 0, e))
}

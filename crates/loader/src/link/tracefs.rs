//! tracefs: tracepoint IDs and the legacy `kprobe_events`/`uprobe_events`
//! interface.

use std::io::Write;
use std::path::{Path, PathBuf};

use oxbpf_sys::kernfs;

use super::AttachError;

/// Where tracefs is mounted: `/sys/kernel/tracing` or
/// `/sys/kernel/debug/tracing` if either is a tracefs (libbpf's choice),
/// otherwise the first tracefs in this process's mount table.
///
/// `None` if tracefs is mounted nowhere. [`tracepoint_id`] then reads the
/// id from a private, temporary tracefs mount (which needs
/// `CAP_SYS_ADMIN`); the legacy `kprobe_events`/`uprobe_events` interface
/// fails with [`AttachError::TracefsNotMounted`]. (A tool may mount its own
/// with [`oxbpf_sys::kernfs::TempMount`].)
pub fn tracefs_root() -> Option<PathBuf> {
    kernfs::find_mount(
        "tracefs",
        kernfs::TRACEFS_MAGIC,
        &["/sys/kernel/tracing", "/sys/kernel/debug/tracing"],
    )
}

/// tracefs, or [`AttachError::TracefsNotMounted`] for `what`.
pub(crate) fn require_tracefs(what: &str) -> Result<PathBuf, AttachError> {
    tracefs_root().ok_or_else(|| AttachError::TracefsNotMounted {
        what: what.to_string(),
    })
}

/// Rejects names that would leave tracefs' `events/` directory.
fn check_component(what: &str, s: &str) -> Result<(), AttachError> {
    if s.is_empty() || s == "." || s == ".." || s.contains(['/', '\0']) {
        return Err(AttachError::InvalidArgument(format!(
            "{what}: `{s}` is not a tracepoint category or name"
        )));
    }
    Ok(())
}

/// The ID of tracepoint `category/name`
/// (`tracefs/events/CATEGORY/NAME/id`), which `perf_event_open` takes as
/// the `config` of a `PERF_TYPE_TRACEPOINT` event.
pub fn tracepoint_id(category: &str, name: &str) -> Result<u64, AttachError> {
    let what = format!("tracepoint {category}/{name}");
    check_component(&what, category)?;
    check_component(&what, name)?;
    let id_file = |root: &Path| root.join("events").join(category).join(name).join("id");
    if let Some(root) = tracefs_root() {
        return read_id(&id_file(&root), &what);
    }
    // No tracefs mounted (minimal systems, containers, this kind of CI
    // machine): every tracefs instance shows the same events, so mount a
    // private one just long enough to read the id. Without the privilege
    // to mount, report what is missing.
    let tmp = kernfs::TempMount::new(c"tracefs")
        .map_err(|_| AttachError::TracefsNotMounted { what: what.clone() })?;
    read_id(&id_file(tmp.path()), &what)
}

/// Reads an event's `id` file.
pub(crate) fn read_id(path: &Path, what: &str) -> Result<u64, AttachError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(AttachError::TargetNotFound {
                what: what.to_string(),
            })
        }
        Err(source) => {
            return Err(AttachError::Io {
                what: format!("{what}: reading {}", path.display()),
                source,
            })
        }
    };
    text.trim()
        .parse()
        .map_err(|_| AttachError::InvalidArgument(format!("{}: not an id", path.display())))
}

/// Appends one command to a tracefs control file (`kprobe_events`,
/// `uprobe_events`), as `echo CMD >> FILE` does.
pub(crate) fn append(file: &Path, command: &str, what: &str) -> Result<(), AttachError> {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(file)
        .map_err(|source| AttachError::Io {
            what: format!("{what}: opening {}", file.display()),
            source,
        })?;
    f.write_all(command.as_bytes())
        .map_err(|source| AttachError::Io {
            what: format!("{what}: writing `{command}` to {}", file.display()),
            source,
        })
}

/// A probe event created through tracefs (`p:oxbpf/NAME ...` in
/// `kprobe_events` or `uprobe_events`), removed again on drop.
#[derive(Debug)]
pub(crate) struct LegacyEvent {
    /// The control file it was created in.
    control: PathBuf,
    /// `GROUP/NAME`
    event: String,
}

impl LegacyEvent {
    /// Creates the event by writing `"{p|r}:oxbpf/NAME {spec}"` to
    /// `tracefs/{control}`, and returns it with its tracepoint ID.
    pub(crate) fn create(
        control: &str,
        retprobe: bool,
        name_hint: &str,
        spec: &str,
        what: &str,
    ) -> Result<(LegacyEvent, u64), AttachError> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let root = require_tracefs(what)?;
        let control = root.join(control);
        if !control.exists() {
            return Err(AttachError::NotSupported {
                what: what.to_string(),
                detail: Some(format!("{} does not exist", control.display())),
            });
        }
        // Event names allow [A-Za-z0-9_] only.
        let hint: String = name_hint
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .take(32)
            .collect();
        let name = format!(
            "oxbpf_{}_{}_{hint}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let event = format!("oxbpf/{name}");
        let kind = if retprobe { 'r' } else { 'p' };
        append(&control, &format!("{kind}:{event} {spec}\n"), what)?;
        let created = LegacyEvent { control, event };
        let id = read_id(&root.join("events").join(&created.event).join("id"), what)?;
        Ok((created, id))
    }
}

impl Drop for LegacyEvent {
    fn drop(&mut self) {
        let _ = append(&self.control, &format!("-:{}\n", self.event), "");
    }
}

//! `execsnoop` — trace every exec() on the machine, like bcc's libbpf-tools
//! execsnoop: one line per successful exec with the process's pid, its
//! parent's pid (read in the kernel with CO-RE), uid, command and file.
//!
//! ```text
//! sudo cargo run --release --example execsnoop                  # until Ctrl-C
//! sudo cargo run --release --example execsnoop -- --duration 5  # for 5 seconds
//! sudo cargo run --release --example execsnoop -- --uid 1000    # one user's execs
//! ```
//!
//! The BPF side is `examples/bpf/execsnoop.bpf.c` (a `sched_process_exec`
//! tracepoint writing `struct event` records to a ring buffer). The Rust
//! `Event` below mirrors that struct; `#[derive(BtfStruct)]` checks, before
//! a single record is read, that its layout matches the object's BTF field
//! by field, so editing one side without the other is an error, not garbage.

use std::error::Error;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use oxbpf::btf::layout::validate_by_name;
use oxbpf::loader::link::tracefs_root;
use oxbpf::loader::{Collection, CollectionSpec, LoadOptions};
use oxbpf::maps::ringbuf::RingBufReader;
use oxbpf::sys::kernfs::TempMount;
use oxbpf::sys::pod::read_unaligned;
use oxbpf::BtfStruct;

/// The compiled BPF object, embedded so the example needs no C toolchain.
static OBJECT: &[u8] = include_bytes!("bpf/execsnoop.bpf.o");

const USAGE: &str = "\
usage: execsnoop [--duration SECONDS] [--uid UID]

Prints one line per exec() on this machine: time, command, pid, parent pid,
uid and the executed file. Needs root (CAP_BPF and CAP_PERFMON).

  --duration SECONDS  stop after SECONDS (default: run until interrupted)
  --uid UID           only execs by this user
  -h, --help          this help";

/// `struct event` of execsnoop.bpf.c.
#[derive(Clone, Copy, BtfStruct)]
#[repr(C)]
struct Event {
    pid: u32,
    ppid: u32,
    uid: u32,
    retval_unused: i32,
    comm: [u8; 16],
    filename: [u8; 128],
}

/// The bytes before the first NUL, lossily as text.
fn c_str(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

struct Args {
    duration: Option<Duration>,
    uid: Option<u32>,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut args = Args {
        duration: None,
        uid: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "-h" | "--help" => return Ok(None),
            "--duration" | "-d" => {
                let v = it.next().ok_or("--duration needs a number of seconds")?;
                let secs: f64 = v
                    .parse()
                    .map_err(|_| format!("--duration: `{v}` is not a number"))?;
                if !(0.0..=1e9).contains(&secs) {
                    return Err(format!("--duration: `{v}` is out of range"));
                }
                args.duration = Some(Duration::from_secs_f64(secs));
            }
            "--uid" | "-u" => {
                let v = it.next().ok_or("--uid needs a user id")?;
                args.uid = Some(
                    v.parse()
                        .map_err(|_| format!("--uid: `{v}` is not a uid"))?,
                );
            }
            _ => return Err(format!("unexpected argument `{a}`")),
        }
    }
    Ok(Some(args))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("execsnoop: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let mut msg = e.to_string();
            let mut src = e.source();
            while let Some(s) = src {
                msg.push_str(": ");
                msg.push_str(&s.to_string());
                src = s.source();
            }
            eprintln!("execsnoop: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    // Tracepoint IDs come from tracefs: mount a private one for the run if
    // it is mounted nowhere.
    let _tracefs = if tracefs_root().is_none() {
        let m = TempMount::new(c"tracefs")
            .map_err(|e| format!("tracefs is not mounted, and mounting one failed: {e}"))?;
        eprintln!(
            "execsnoop: tracefs was not mounted; using a private one at {}",
            m.path().display()
        );
        Some(m)
    } else {
        None
    };
    let mut spec = CollectionSpec::parse(OBJECT)?;
    // The record layout must match before anything is read.
    let btf = spec.btf.clone().ok_or("the object has no BTF")?;
    validate_by_name::<Event>(&btf, "event")?;
    if let Some(uid) = args.uid {
        spec.set_variable("filter_uid", &uid)?;
    }
    let coll = Collection::load(&spec, &LoadOptions::default())?;
    let prog = coll
        .program("handle_exec")
        .ok_or("no program handle_exec")?;
    let _link = prog.attach_tracepoint("sched", "sched_process_exec")?;
    let events = coll.map("events").ok_or("no map `events`")?;
    let mut reader = RingBufReader::new(events)?;

    println!(
        "{:<8} {:<16} {:>7} {:>7} {:>6}  FILENAME",
        "TIME(s)", "PCOMM", "PID", "PPID", "UID"
    );
    let start = Instant::now();
    let deadline = args.duration.map(|d| start + d);
    loop {
        let timeout = match deadline {
            Some(d) => match d.checked_duration_since(Instant::now()) {
                Some(left) => left.min(Duration::from_millis(100)),
                None => break,
            },
            None => Duration::from_millis(100),
        };
        reader.poll(Some(timeout), |record| {
            let Some(e) = read_unaligned::<Event>(record) else {
                eprintln!("execsnoop: short record ({} bytes)", record.len());
                return;
            };
            println!(
                "{:<8.3} {:<16} {:>7} {:>7} {:>6}  {}",
                start.elapsed().as_secs_f64(),
                c_str(&e.comm),
                e.pid,
                e.ppid,
                e.uid,
                c_str(&e.filename)
            );
        })?;
    }
    Ok(())
}

//! `syscount` — count system calls by name, system-wide (or for one
//! process), with a BPF program on the `raw_syscalls/sys_enter`
//! tracepoint and a per-CPU hash map.
//!
//! ```text
//! sudo cargo run --release --example syscount                  # 5 seconds
//! sudo cargo run --release --example syscount -- --duration 10 --top 5 --pid 1234
//! ```
//!
//! Every second it prints the system calls made during that second, most
//! frequent first, then a total for the whole run. The program
//! (`examples/bpf/syscount.bpf.c`) is attached by its section name
//! (`SEC("tracepoint/raw_syscalls/sys_enter")`, [`Program::attach`]); the
//! link is dropped, and the program detached, when the run ends.
//!
//! Tracepoint IDs come from tracefs; if it is mounted nowhere, a private
//! tracefs is mounted on a temporary directory for the run.
//!
//! [`Program::attach`]: oxbpf::loader::Program::attach

use std::collections::HashMap;
use std::error::Error;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use oxbpf::loader::link::tracefs_root;
use oxbpf::loader::{Collection, CollectionSpec, LoadOptions};
use oxbpf::maps::PerCpuHashMap;
use oxbpf::sys::kernfs::TempMount;

#[path = "data/syscall_names_x86_64.rs"]
mod syscall_names;

/// Bytes with the 8-byte alignment ELF headers are read with.
#[repr(C, align(8))]
struct Aligned<B: ?Sized>(B);

/// The compiled BPF object, embedded so the example needs no C toolchain.
static OBJECT: &Aligned<[u8]> = &Aligned(*include_bytes!("bpf/syscount.bpf.o"));

const USAGE: &str = "\
usage: syscount [--duration SECONDS] [--top N] [--pid PID]

Counts system calls with a BPF program on the raw_syscalls/sys_enter
tracepoint and prints the most frequent ones every second, then the
totals. Needs root.

  --duration SECONDS  how long to run (default 5)
  --top N             how many system calls to show (default 10)
  --pid PID           count only this process
  -h, --help          this help";

struct Args {
    duration: u64,
    top: usize,
    pid: u32,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut args = Args {
        duration: 5,
        top: 10,
        pid: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "-h" | "--help" => return Ok(None),
            "--duration" => {
                args.duration = value("--duration")?
                    .parse()
                    .map_err(|_| "--duration: not a number of seconds".to_string())?
            }
            "--top" => {
                args.top = value("--top")?
                    .parse()
                    .map_err(|_| "--top: not a number".to_string())?
            }
            "--pid" => {
                args.pid = value("--pid")?
                    .parse()
                    .map_err(|_| "--pid: not a process id".to_string())?
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if args.duration == 0 {
        return Err("--duration must be at least 1".into());
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
            eprintln!("syscount: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprint!("syscount: {e}");
            let mut source = e.source();
            while let Some(s) = source {
                eprint!(": {s}");
                source = s.source();
            }
            eprintln!();
            ExitCode::FAILURE
        }
    }
}

/// The name of system call `nr`.
fn name(nr: u32) -> String {
    match syscall_names::SYSCALL_NAMES.get(nr as usize) {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => format!("syscall_{nr}"),
    }
}

/// Prints the `top` largest counts of `counts`.
fn print_top(title: &str, counts: &HashMap<u32, u64>, top: usize) {
    let mut rows: Vec<(u32, u64)> = counts
        .iter()
        .filter(|(_, &n)| n > 0)
        .map(|(&k, &n)| (k, n))
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let total: u64 = rows.iter().map(|r| r.1).sum();
    println!("{title}: {total} calls of {} system calls", rows.len());
    println!("  {:<24} {:>12}", "SYSCALL", "COUNT");
    for (nr, n) in rows.into_iter().take(top) {
        println!("  {:<24} {:>12}", name(nr), n);
    }
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let _tracefs = if tracefs_root().is_none() {
        let m = TempMount::new(c"tracefs")
            .map_err(|e| format!("tracefs is not mounted, and mounting one failed: {e}"))?;
        eprintln!(
            "syscount: tracefs was not mounted; using a private one at {}",
            m.path().display()
        );
        Some(m)
    } else {
        None
    };

    let mut spec = CollectionSpec::parse(&OBJECT.0)?;
    spec.set_variable("filter_pid", &args.pid)?;
    let coll = Collection::load(&spec, &LoadOptions::default())?;
    let prog = coll
        .program("count_syscalls")
        .ok_or("no program count_syscalls")?;
    let counts = PerCpuHashMap::<_, u32, u64>::new(coll.map("counts").ok_or("no map counts")?)?;

    let link = prog.attach()?;
    println!(
        "counting system calls{} for {}s ({})",
        if args.pid != 0 {
            format!(" of pid {}", args.pid)
        } else {
            String::new()
        },
        args.duration,
        link.description()
    );

    let start = Instant::now();
    let mut last: HashMap<u32, u64> = HashMap::new();
    for second in 1..=args.duration {
        let due = start + Duration::from_secs(second);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let mut now = HashMap::new();
        for entry in counts.iter() {
            let (nr, per_cpu) = entry?;
            now.insert(nr, per_cpu.iter().sum::<u64>());
        }
        let delta: HashMap<u32, u64> = now
            .iter()
            .map(|(&k, &n)| (k, n.saturating_sub(last.get(&k).copied().unwrap_or(0))))
            .collect();
        print_top(&format!("[{second}s]"), &delta, args.top);
        last = now;
    }
    drop(link);
    print_top(&format!("total over {}s", args.duration), &last, args.top);
    Ok(())
}

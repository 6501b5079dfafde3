//! `uprobe_latency` — how long a user-space function takes, as a log2
//! histogram, like bcc's funclatency: a uprobe on the function's entry
//! stamps the thread, a uretprobe on its return adds the elapsed time to
//! the histogram.
//!
//! ```text
//! # The demo: a child copy of this program calls a function 1000 times.
//! sudo cargo run --release --example uprobe_latency
//! sudo cargo run --release --example uprobe_latency -- --calls 5000 --units us
//! # Any function of any binary or library, for 10 seconds:
//! sudo cargo run --release --example uprobe_latency -- \
//!     --binary libc.so.6 --function malloc --pid 1234 --duration 10
//! ```
//!
//! In the demo the traced function is [`oxbpf_latency_target`], in this
//! very executable: the example starts itself again with `--child N`, the
//! child waits until both probes are attached (for its pid only), makes N
//! calls that spin 2^0 to 2^17 times in turn, and exits; the example then
//! prints the histogram and checks that every call was measured. The
//! times include the probes' own cost: a uprobe and a uretprobe add a few
//! microseconds to every call.
//!
//! The BPF side is `examples/bpf/uprobe_latency.bpf.c`. Uprobes use the
//! kernel's uprobe PMU; no tracefs is needed.

use std::error::Error;
use std::hint::black_box;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use oxbpf::loader::link::{UprobeLocation, UprobeOptions};
use oxbpf::loader::{Collection, CollectionSpec, LoadOptions};
use oxbpf::maps::Array;

#[path = "common/log2_hist.rs"]
mod log2_hist;

/// The compiled BPF object, embedded so the example needs no C toolchain.
static OBJECT: &[u8] = include_bytes!("bpf/uprobe_latency.bpf.o");

/// The function the demo traces.
const DEMO_FUNCTION: &str = "oxbpf_latency_target";

// Slots of the object's `totals` array.
const CALLS: u32 = 0;
const RETURNS: u32 = 1;
const SUM: u32 = 2;
const MISSED: u32 = 3;

const USAGE: &str = "\
usage: uprobe_latency [--calls N] [--units ns|us|ms] [--duration SECONDS]
       uprobe_latency --binary PATH --function SYMBOL [--pid PID]
                      [--units ns|us|ms] [--duration SECONDS]

Measures a user-space function's latency with a uprobe on its entry and a
uretprobe on its return, and prints a log2 histogram. Needs root.

Without --binary, traces a demo: a child copy of this program that calls
oxbpf_latency_target N times (--calls, default 1000); it ends when the
child exits, and fails unless every call was measured.

  --calls N           calls the demo child makes (default 1000)
  --binary PATH       the executable or library (a name is looked up in
                      PATH, or in the libraries of --pid)
  --function SYMBOL   the function to trace
  --pid PID           only this process (default: every process)
  --units UNIT        ns (default), us or ms
  --duration SECONDS  stop after SECONDS (default 10 with --binary; the
                      demo's limit otherwise)
  -h, --help          this help";

/// The demo's traced function: spins for about `spin` iterations.
///
/// `#[no_mangle]` keeps its symbol name, and `#[inline(never)]` keeps it a
/// real function with an entry and a return to probe.
#[no_mangle]
#[inline(never)]
pub extern "C" fn oxbpf_latency_target(spin: u64) -> u64 {
    let mut x = black_box(spin);
    for i in 0..spin {
        x = black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
    }
    x
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Units {
    Ns,
    Us,
    Ms,
}

impl Units {
    /// The value of the object's `units` variable.
    fn raw(self) -> u32 {
        self as u32
    }

    fn title(self) -> &'static str {
        match self {
            Units::Ns => "nsecs",
            Units::Us => "usecs",
            Units::Ms => "msecs",
        }
    }
}

enum Mode {
    /// `--child N`: the demo's traced process.
    Child(u64),
    Demo {
        calls: u64,
    },
    Target {
        binary: String,
        function: String,
        pid: Option<u32>,
    },
}

struct Args {
    mode: Mode,
    units: Units,
    duration: Option<Duration>,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut calls = None;
    let mut child = None;
    let mut binary = None;
    let mut function = None;
    let mut pid = None;
    let mut units = Units::Ns;
    let mut duration = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "-h" | "--help" => return Ok(None),
            "--child" => {
                let v = value()?;
                child = Some(v.parse().map_err(|_| format!("--child: `{v}`"))?);
            }
            "-c" | "--calls" => {
                let v = value()?;
                calls = match v.parse::<u64>() {
                    Ok(n) if (1..=10_000_000).contains(&n) => Some(n),
                    _ => return Err(format!("--calls: `{v}` is not a count (1 to 10000000)")),
                };
            }
            "-b" | "--binary" => binary = Some(value()?),
            "-f" | "--function" => function = Some(value()?),
            "-p" | "--pid" => {
                let v = value()?;
                pid = match v.parse::<u32>() {
                    Ok(p) if p > 0 => Some(p),
                    _ => return Err(format!("--pid: `{v}` is not a process id")),
                };
            }
            "-u" | "--units" => {
                units = match value()?.as_str() {
                    "ns" | "nsecs" => Units::Ns,
                    "us" | "usecs" => Units::Us,
                    "ms" | "msecs" => Units::Ms,
                    other => return Err(format!("--units: `{other}` is not ns, us or ms")),
                }
            }
            "-d" | "--duration" => {
                let v = value()?;
                duration = match v.parse::<f64>() {
                    Ok(s) if s > 0.0 && s <= 1e9 => Some(Duration::from_secs_f64(s)),
                    _ => {
                        return Err(format!(
                            "--duration: `{v}` is not a positive number of seconds"
                        ))
                    }
                };
            }
            _ => return Err(format!("unexpected argument `{a}`")),
        }
    }
    let mode = match (child, binary, function) {
        (Some(n), None, None) => Mode::Child(n),
        (None, None, None) => {
            if pid.is_some() {
                return Err("--pid needs --binary and --function".into());
            }
            Mode::Demo {
                calls: calls.unwrap_or(1000),
            }
        }
        (None, Some(binary), Some(function)) => {
            if calls.is_some() {
                return Err("--calls is for the demo (without --binary)".into());
            }
            Mode::Target {
                binary,
                function,
                pid,
            }
        }
        (None, Some(_), None) => return Err("--binary needs --function".into()),
        (None, None, Some(_)) => return Err("--function needs --binary".into()),
        (Some(_), _, _) => return Err("--child takes no other arguments".into()),
    };
    Ok(Some(Args {
        mode,
        units,
        duration,
    }))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("uprobe_latency: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match args.mode {
        Mode::Child(n) => child(n),
        _ => run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprint!("uprobe_latency: {e}");
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

/// The demo child: waits for the go byte on stdin, then makes `n` calls
/// of 2^0 .. 2^17 spins in turn.
fn child(n: u64) -> Result<(), Box<dyn Error>> {
    let mut go = [0u8; 1];
    std::io::stdin()
        .read_exact(&mut go)
        .map_err(|e| format!("child: waiting for the parent: {e}"))?;
    let f: extern "C" fn(u64) -> u64 = black_box(oxbpf_latency_target);
    for i in 0..n {
        black_box(f(1 << (i % 18)));
    }
    Ok(())
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let mut spec = CollectionSpec::parse(OBJECT)?;
    spec.set_variable("units", &args.units.raw())?;
    let coll = Collection::load(&spec, &LoadOptions::default())?;
    let entry = coll
        .program("function_entry")
        .ok_or("no program function_entry")?;
    let ret = coll
        .program("function_return")
        .ok_or("no program function_return")?;
    let hist = Array::<_, u64>::new(coll.map("hist").ok_or("no map `hist`")?)?;
    let totals = Array::<_, u64>::new(coll.map("totals").ok_or("no map `totals`")?)?;

    // What to probe, and for which process.
    let mut demo = None;
    let (binary, function, pid, duration) = match &args.mode {
        Mode::Demo { calls } => {
            let exe = std::env::current_exe()?;
            let child = Command::new(&exe)
                .arg("--child")
                .arg(calls.to_string())
                .stdin(Stdio::piped())
                .spawn()
                .map_err(|e| format!("starting the demo child {}: {e}", exe.display()))?;
            let pid = child.id();
            demo = Some((child, *calls));
            (
                exe,
                DEMO_FUNCTION.to_string(),
                Some(pid),
                args.duration.unwrap_or(Duration::from_secs(60)),
            )
        }
        Mode::Target {
            binary,
            function,
            pid,
        } => (
            PathBuf::from(binary),
            function.clone(),
            *pid,
            args.duration.unwrap_or(Duration::from_secs(10)),
        ),
        Mode::Child(_) => unreachable!("handled in main"),
    };
    // The child is killed if anything below fails.
    let mut guard = ChildGuard(demo.as_mut().map(|(c, _)| c));

    let mut opts = UprobeOptions::default();
    if let Some(p) = pid {
        opts = opts.pid(p);
    }
    let location = UprobeLocation::Symbol(&function);
    let entry_link = entry.attach_uprobe(&binary, location, &opts)?;
    let return_link = ret.attach_uprobe(&binary, location, &opts.retprobe(true))?;
    println!(
        "Tracing {function} in {}{} for at most {}s",
        binary.display(),
        pid.map(|p| format!(" (pid {p})")).unwrap_or_default(),
        duration.as_secs_f64()
    );

    let deadline = Instant::now() + duration;
    match guard.0.as_deref_mut() {
        Some(child) => {
            // Go, then wait for the child to finish its calls.
            let mut stdin = child.stdin.take().ok_or("demo child without stdin")?;
            stdin.write_all(b"g")?;
            drop(stdin);
            loop {
                if let Some(status) = child.try_wait()? {
                    if !status.success() {
                        return Err(format!("the demo child failed: {status}").into());
                    }
                    break;
                }
                if Instant::now() >= deadline {
                    return Err(format!(
                        "the demo child did not finish in {}s",
                        duration.as_secs_f64()
                    )
                    .into());
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            guard.0 = None;
        }
        None => {
            if let Some(wait) = deadline.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
    }
    drop(guard);
    drop(return_link);
    drop(entry_link);

    let slots: Vec<u64> = hist.iter().collect::<Result<_, _>>()?;
    let calls = totals.get(CALLS)?;
    let returns = totals.get(RETURNS)?;
    let sum = totals.get(SUM)?;
    let missed = totals.get(MISSED)?;
    let unit = args.units.title();
    println!();
    print!("{}", log2_hist::format(&slots, unit));
    println!();
    println!(
        "calls: {calls}  measured: {returns}  avg: {} {unit}  total: {sum} {unit}",
        sum.checked_div(returns).unwrap_or(0)
    );
    if missed > 0 {
        println!("{missed} calls not measured: too many calls in progress at once");
    }
    if let Some((_, made)) = demo {
        if calls != made || returns != made || log2_hist::total(&slots) != made {
            return Err(format!(
                "the child made {made} calls, but {calls} entries and {returns} returns were seen"
            )
            .into());
        }
        println!("all {made} calls of the child measured");
    }
    Ok(())
}

/// Kills and reaps the demo child on drop, unless it was taken out.
struct ChildGuard<'a>(Option<&'a mut std::process::Child>);

impl Drop for ChildGuard<'_> {
    fn drop(&mut self) {
        if let Some(child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

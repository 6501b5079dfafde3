//! `runqlat` — run-queue latency as a log2 histogram, like bcc's
//! libbpf-tools runqlat: how long runnable tasks wait for a CPU.
//!
//! ```text
//! sudo cargo run --release --example runqlat -- --duration 10          # one histogram after 10 s
//! sudo cargo run --release --example runqlat -- --interval 1 --duration 5
//! sudo cargo run --release --example runqlat -- --milliseconds --pid 1234
//! ```
//!
//! The BPF side (`examples/bpf/runqlat.bpf.c`) has three BTF-typed
//! tracepoint programs (`tp_btf/sched_wakeup`, `sched_wakeup_new`,
//! `sched_switch`) attached by their section names
//! ([`Program::attach`]): a wakeup stamps the task, a switch stamps the
//! task it preempts (if still runnable) and adds the wait of the task it
//! runs to the histogram. The `task_struct` fields they read (`pid`,
//! `tgid`, `__state` or, before Linux 5.14, `state`) are located in the
//! running kernel with CO-RE.
//!
//! Each interval prints the waits that ended in that interval (the
//! difference of two snapshots of the histogram, so nothing is lost
//! between reading and clearing). No tracefs is needed.
//!
//! [`Program::attach`]: oxbpf::loader::Program::attach

use std::error::Error;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use oxbpf::loader::{Collection, CollectionSpec, LoadOptions};
use oxbpf::maps::Array;

#[path = "common/log2_hist.rs"]
mod log2_hist;

/// The compiled BPF object, embedded so the example needs no C toolchain.
static OBJECT: &[u8] = include_bytes!("bpf/runqlat.bpf.o");

/// The programs, by name (each attached where its section says).
const PROGRAMS: [&str; 3] = ["sched_wakeup", "sched_wakeup_new", "sched_switch"];

const USAGE: &str = "\
usage: runqlat [--interval SECONDS] [--duration SECONDS] [--milliseconds]
               [--pid PID] [--timestamp]

Summarizes run-queue (scheduler) latency as a histogram: the time between
a task becoming runnable and running. Needs root and a kernel with BTF.

  --interval SECONDS  print a histogram every SECONDS (default: once at the
                      end with --duration, else every 5)
  --duration SECONDS  stop after SECONDS (default: run until interrupted)
  --milliseconds      histogram in milliseconds (default: microseconds)
  --pid PID           only the threads of process PID
  --timestamp         print the time of day before each histogram
  -h, --help          this help";

struct Args {
    interval: Option<Duration>,
    duration: Option<Duration>,
    milliseconds: bool,
    pid: u32,
    timestamp: bool,
}

fn seconds(flag: &str, v: Option<String>) -> Result<Duration, String> {
    let v = v.ok_or_else(|| format!("{flag} needs a number of seconds"))?;
    match v.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 1e9 => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!("{flag}: `{v}` is not a positive number of seconds")),
    }
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut args = Args {
        interval: None,
        duration: None,
        milliseconds: false,
        pid: 0,
        timestamp: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "-h" | "--help" => return Ok(None),
            "-i" | "--interval" => args.interval = Some(seconds(&a, it.next())?),
            "-d" | "--duration" => args.duration = Some(seconds(&a, it.next())?),
            "-m" | "--milliseconds" => args.milliseconds = true,
            "-T" | "--timestamp" => args.timestamp = true,
            "-p" | "--pid" => {
                let v = it.next().ok_or("--pid needs a process id")?;
                args.pid = match v.parse() {
                    Ok(p) if p > 0 => p,
                    _ => return Err(format!("--pid: `{v}` is not a process id")),
                };
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
            eprintln!("runqlat: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprint!("runqlat: {e}");
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

/// `HH:MM:SS` (UTC) now.
fn time_of_day() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let mut spec = CollectionSpec::parse(OBJECT)?;
    spec.set_variable("targ_ms", &u8::from(args.milliseconds))?;
    spec.set_variable("targ_tgid", &args.pid)?;
    let coll = Collection::load(&spec, &LoadOptions::default())?;
    let hist = Array::<_, u64>::new(coll.map("hist").ok_or("no map `hist`")?)?;
    let mut links = Vec::with_capacity(PROGRAMS.len());
    for name in PROGRAMS {
        let prog = coll
            .program(name)
            .ok_or_else(|| format!("no program `{name}`"))?;
        links.push(prog.attach()?);
    }

    let interval = args
        .interval
        .or(args.duration)
        .unwrap_or(Duration::from_secs(5));
    let unit = if args.milliseconds { "msecs" } else { "usecs" };
    match args.duration {
        Some(d) => println!(
            "Tracing run queue latency{} for {}s.",
            pid_note(args.pid),
            d.as_secs_f64()
        ),
        None => println!(
            "Tracing run queue latency{}... Hit Ctrl-C to end.",
            pid_note(args.pid)
        ),
    }

    let start = Instant::now();
    let end = args.duration.map(|d| start + d);
    let mut last = vec![0u64; hist.len() as usize];
    let mut due = start;
    loop {
        due += interval;
        let stop = end.is_some_and(|e| due >= e);
        let until = if stop { end.unwrap_or(due) } else { due };
        if let Some(wait) = until.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        if stop {
            // Detach before the last read: the final histogram is complete.
            links.clear();
        }
        let now: Vec<u64> = hist.iter().collect::<Result<_, _>>()?;
        let delta: Vec<u64> = now
            .iter()
            .zip(&last)
            .map(|(n, l)| n.saturating_sub(*l))
            .collect();
        last = now;
        println!();
        if args.timestamp {
            println!("{:<8}", time_of_day());
        }
        print!("{}", log2_hist::format(&delta, unit));
        println!("total: {} wakeups measured", log2_hist::total(&delta));
        if stop {
            return Ok(());
        }
    }
}

fn pid_note(pid: u32) -> String {
    if pid == 0 {
        String::new()
    } else {
        format!(" of pid {pid}")
    }
}

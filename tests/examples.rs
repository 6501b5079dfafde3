//! Smoke tests of the examples: each one is run briefly, as a user would,
//! and its output checked. One test function per example.

mod common;
// The histogram printer of the latency examples: its unit test runs here,
// and the smoke tests read histograms back with it.
#[path = "../examples/common/log2_hist.rs"]
mod log2_hist;

use std::path::PathBuf;
use std::process::{Command, Output};

/// The example's binary, built by `cargo test` next to this test's
/// profile directory (`target/<profile>/examples/NAME`); built with
/// `cargo build --example NAME` if this test ran without it (`cargo test
/// --test examples`).
fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    // target/<profile>/deps/examples-HASH → target/<profile>
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test binary under target/<profile>/deps");
    let bin = profile_dir.join("examples").join(name);
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(common::root())
            .args(["build", "--example", name]);
        if !cfg!(debug_assertions) {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("running cargo build --example");
        assert!(status.success(), "cargo build --example {name}: {status}");
    }
    assert!(bin.exists(), "{} missing", bin.display());
    bin
}

/// Runs example `name` with `args`; panics with its output if it fails.
fn run_example(name: &str, args: &[&str]) -> Output {
    let out = Command::new(example_binary(name))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running example {name}: {e}"));
    assert!(
        out.status.success(),
        "example {name} {args:?} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The number of packets `line` reports for `proto` (`"udp: 30 pkts/..."`).
fn packets(line: &str, proto: &str) -> u64 {
    line.split("  ")
        .find_map(|f| f.trim().strip_prefix(&format!("{proto}: ")))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn xdp_counter_counts_protocols_and_cleans_up() {
    if !common::require("kernel") {
        return;
    }
    let help = run_example("xdp_counter", &["--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).starts_with("usage: xdp_counter"));
    let bad = Command::new(example_binary("xdp_counter"))
        .arg("--mode")
        .arg("fast")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2), "bad arguments exit with 2");

    let out = run_example("xdp_counter", &["--duration", "2", "--mode", "generic"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("attached: xdp `xdp_count` on veth1 (generic mode)"),
        "{stdout}"
    );
    // A line per second, then the final counts and the cleanup.
    assert!(lines.len() >= 5, "{stdout}");
    assert_eq!(
        lines[lines.len() - 1],
        "detached; namespaces removed",
        "{stdout}"
    );
    let last = lines[lines.len() - 2];
    // Every 100 ms: 10 UDP datagrams and a TCP connection (several
    // segments) reach veth1; ARP resolves the peer once.
    assert!(packets(last, "udp") >= 100, "{stdout}");
    assert!(packets(last, "tcp") >= 40, "{stdout}");
    assert!(packets(last, "arp") >= 1, "{stdout}");
    assert!(
        packets(last, "icmp") >= 1,
        "ICMP port unreachable: {stdout}"
    );
    // Counts only grow from one second to the next.
    let udp: Vec<u64> = lines
        .iter()
        .filter(|l| l.contains(" pkts/"))
        .map(|l| packets(l, "udp"))
        .collect();
    assert!(udp.len() >= 3, "{stdout}");
    assert!(udp.windows(2).all(|w| w[0] <= w[1]), "{stdout}");
    // No namespace left behind.
    let pid_prefix = "oxbpf-xdpc-";
    let left: Vec<_> = std::fs::read_dir("/run/netns")
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(pid_prefix))
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "namespaces left: {left:?}");
}

#[test]
fn syscount_counts_system_calls_by_name() {
    if !common::require("kernel") {
        return;
    }
    let help = run_example("syscount", &["--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).starts_with("usage: syscount"));
    let bad = Command::new(example_binary("syscount"))
        .args(["--duration", "soon"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2), "bad arguments exit with 2");

    // Count this process while one of its threads calls getppid() in a
    // loop: getppid must top every second.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let spinner = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                std::hint::black_box(std::os::unix::process::parent_id());
            }
        })
    };
    let pid = std::process::id().to_string();
    let out = run_example(
        "syscount",
        &["--duration", "2", "--top", "3", "--pid", &pid],
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    spinner.join().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with(&format!("counting system calls of pid {pid} for 2s")),
        "{stdout}"
    );
    assert!(
        lines[0].contains("tracepoint raw_syscalls/sys_enter"),
        "{stdout}"
    );
    // Per second and in total: a summary, a header, then getppid first.
    for title in ["[1s]: ", "[2s]: ", "total over 2s: "] {
        let i = lines
            .iter()
            .position(|l| l.starts_with(title))
            .unwrap_or_else(|| panic!("no `{title}` section:\n{stdout}"));
        let calls: u64 = lines[i][title.len()..]
            .split(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{}", lines[i]));
        assert!(calls >= 1000, "{title}{calls} calls:\n{stdout}");
        assert!(lines[i + 1].contains("SYSCALL") && lines[i + 1].contains("COUNT"));
        let top: Vec<&str> = lines[i + 2].split_whitespace().collect();
        assert_eq!(top[0], "getppid", "{stdout}");
        assert!(top[1].parse::<u64>().unwrap() >= 1000, "{stdout}");
        // At most --top rows.
        let rows = lines[i + 2..]
            .iter()
            .take_while(|l| l.starts_with("  "))
            .count();
        assert!((1..=3).contains(&rows), "{stdout}");
    }
}

// ---------------------------------------------------------------------------
// execsnoop, runqlat, uprobe_latency.

/// Runs example `name` with `args`, with its stdout delivered line by line
/// through the returned channel (so a test can act once the example says
/// it is attached).
fn spawn_example(
    name: &str,
    args: &[&str],
) -> (
    std::process::Child,
    std::sync::mpsc::Receiver<String>,
    std::thread::JoinHandle<()>,
) {
    use std::io::BufRead;
    let mut child = Command::new(example_binary(name))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running example {name}: {e}"));
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx, reader)
}

/// Checks `--help` (usage on stdout, success) and a bad argument (exit 2).
fn check_help_and_usage_error(name: &str, bad: &[&str]) {
    let help = run_example(name, &["--help"]);
    assert!(
        String::from_utf8_lossy(&help.stdout).starts_with(&format!("usage: {name}")),
        "{name} --help"
    );
    let out = Command::new(example_binary(name))
        .args(bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{name} {bad:?} exits with 2");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("usage:"),
        "{name} {bad:?} prints the usage"
    );
}

/// The rows `(count, low, high)` of each histogram in `text`, one vector
/// per histogram (a histogram starts at its `: count    distribution`
/// header).
fn histograms(text: &str) -> Vec<Vec<(u64, u128, u128)>> {
    let mut out: Vec<Vec<(u64, u128, u128)>> = Vec::new();
    for line in text.lines() {
        if line.ends_with(" : count    distribution") {
            out.push(Vec::new());
        } else if let (Some(row), Some(h)) = (log2_hist::parse_row(line), out.last_mut()) {
            h.push(row);
        }
    }
    out
}

/// Checks that a histogram's rows are consecutive log2 buckets from
/// `0 -> 1` and returns its total count.
fn histogram_total(rows: &[(u64, u128, u128)], text: &str) -> u64 {
    for (i, &(_, low, high)) in rows.iter().enumerate() {
        let expected_low = if i == 0 { 0 } else { 1u128 << i };
        assert_eq!(
            (low, high),
            (expected_low, (1u128 << (i + 1)) - 1),
            "row {i}:\n{text}"
        );
    }
    rows.iter().map(|r| r.0).sum()
}

/// Spawns `path`, retrying while exec fails with ETXTBSY: another test
/// thread may fork between our write of the file and its close, and the
/// child holds the written-to fd until it execs.
fn spawn_retrying_etxtbsy(path: &std::path::Path) -> std::process::Child {
    let mut tries = 0;
    loop {
        match Command::new(path).spawn() {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && tries < 100 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            r => return r.unwrap_or_else(|e| panic!("spawn {}: {e}", path.display())),
        }
    }
}

#[test]
fn execsnoop_reports_execs_with_pid_and_ppid() {
    if !common::require("kernel") {
        return;
    }
    check_help_and_usage_error("execsnoop", &["--duration", "soon"]);

    // Three executables with names no other process has: shell scripts,
    // not copies of /bin/true, which in the kernel matrix's VMs is a
    // busybox applet that refuses to run under another name. An exec of
    // a script is one sched_process_exec with the script's path as the
    // filename and its name as comm.
    struct TempDir(PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let me = std::process::id();
    let dir = TempDir(std::env::temp_dir().join(format!("oxbpf-execsnoop-{me}")));
    std::fs::create_dir_all(&dir.0).unwrap();
    let names: Vec<String> = (0..3).map(|i| format!("oxes{me}x{i}")).collect();
    let paths: Vec<PathBuf> = names.iter().map(|n| dir.0.join(n)).collect();
    for p in &paths {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(p, "#!/bin/sh\nexit 0\n").expect("write a script");
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    let (mut child, lines, reader) = spawn_example("execsnoop", &["--duration", "2"]);
    // The header is printed once the program is attached.
    let header = lines
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("execsnoop printed no header");
    assert!(
        header.starts_with("TIME(s)") && header.ends_with("FILENAME"),
        "{header}"
    );
    let mut pids = Vec::new();
    for p in &paths {
        let mut c = spawn_retrying_etxtbsy(p);
        pids.push(c.id());
        assert!(c.wait().unwrap().success());
    }
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let out: Vec<String> = lines.try_iter().collect();
    let text = out.join("\n");
    assert!(status.success(), "execsnoop: {status}\n{text}\n{stderr}");

    for ((name, path), pid) in names.iter().zip(&paths).zip(&pids) {
        let path = path.to_str().unwrap();
        let line = out
            .iter()
            .find(|l| l.ends_with(&format!("  {path}")))
            .unwrap_or_else(|| panic!("no exec of {path}:\n{text}"));
        // TIME(s) PCOMM PID PPID UID FILENAME
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cols.len(), 6, "{line}");
        assert!(cols[0].parse::<f64>().is_ok(), "{line}");
        assert_eq!(cols[1], name, "comm: {line}");
        assert_eq!(cols[2], pid.to_string(), "pid: {line}");
        assert_eq!(
            cols[3],
            me.to_string(),
            "ppid (CO-RE real_parent->tgid): {line}"
        );
        assert_eq!(cols[4], "0", "uid: {line}");
    }
}

#[test]
fn runqlat_histogram_has_counts() {
    if !common::require("kernel-btf") || !common::require("kernel") {
        return;
    }
    check_help_and_usage_error("runqlat", &["--interval", "0"]);

    // Two threads of this process hand a token back and forth, each
    // waking the other: thousands of wakeups per second.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (to_b, from_a) = std::sync::mpsc::sync_channel::<u64>(0);
    let (to_a, from_b) = std::sync::mpsc::sync_channel::<u64>(0);
    let b = std::thread::spawn(move || {
        while let Ok(x) = from_a.recv() {
            if to_a.send(x + 1).is_err() {
                break;
            }
        }
    });
    let a = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut x = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                to_b.send(x).unwrap();
                x = from_b.recv().unwrap();
            }
            x
        })
    };
    let me = std::process::id().to_string();
    let out = run_example(
        "runqlat",
        &["--interval", "1", "--duration", "2", "--pid", &me],
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let round_trips = a.join().unwrap();
    b.join().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(&format!("Tracing run queue latency of pid {me} for 2s.")),
        "{text}"
    );
    assert!(round_trips > 100, "{round_trips} round trips");

    // One histogram per interval, each followed by its total.
    let hists = histograms(&text);
    assert_eq!(hists.len(), 2, "{text}");
    let totals: Vec<u64> = text
        .lines()
        .filter_map(|l| l.strip_prefix("total: "))
        .map(|l| l.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(totals.len(), 2, "{text}");
    for (rows, total) in hists.iter().zip(&totals) {
        let sum = histogram_total(rows, &text);
        assert_eq!(sum, *total, "{text}");
        assert!(
            sum >= 100,
            "only {sum} wakeups of the ping-pong threads:\n{text}"
        );
    }
    assert!(
        text.contains("     usecs               : count    distribution"),
        "{text}"
    );
}

#[test]
fn uprobe_latency_measures_every_call_of_its_child() {
    if !common::require("kernel") {
        return;
    }
    check_help_and_usage_error("uprobe_latency", &["--units", "days"]);

    let out = run_example("uprobe_latency", &["--calls", "500", "--units", "us"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines().next().is_some_and(
            |l| l.starts_with("Tracing oxbpf_latency_target in ") && l.contains("(pid ")
        ),
        "{text}"
    );
    let hists = histograms(&text);
    assert_eq!(hists.len(), 1, "{text}");
    assert_eq!(histogram_total(&hists[0], &text), 500, "{text}");
    assert!(
        text.contains("     usecs               : count    distribution"),
        "{text}"
    );
    assert!(text.contains("calls: 500  measured: 500  avg: "), "{text}");
    assert!(
        text.contains("all 500 calls of the child measured"),
        "{text}"
    );
    // The calls spin 2^0 .. 2^17 times: the latencies spread over
    // several buckets.
    let used = hists[0].iter().filter(|r| r.0 > 0).count();
    assert!(used >= 3, "latencies in {used} buckets only:\n{text}");
}

#[test]
fn btfdump_prints_what_bpftool_prints() {
    check_help_and_usage_error("btfdump", &["--format", "xml", "x.o"]);
    let obj = common::root().join("testdata/loader/maps.bpf.o");
    let obj = obj.to_str().unwrap();
    for format in ["raw", "c"] {
        let ours = run_example("btfdump", &["--format", format, obj]);
        let theirs = common::bpftool(&["btf", "dump", "file", obj, "format", format]);
        let ours = String::from_utf8(ours.stdout).expect("utf-8 dump");
        let kind = if format == "c" { "struct " } else { "STRUCT" };
        assert!(ours.contains(kind), "btfdump --format {format}: {ours}");
        assert!(
            ours == theirs,
            "btfdump --format {format} {obj} differs from bpftool's dump"
        );
    }
    // The default is bpftool's default, raw.
    let default = run_example("btfdump", &[obj]);
    assert!(
        String::from_utf8_lossy(&default.stdout).starts_with("[1] "),
        "btfdump {obj}"
    );
    // A file without BTF: a message naming it, non-zero exit, no panic.
    let out = Command::new(example_binary("btfdump"))
        .arg(common::root().join("Cargo.toml"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "btfdump Cargo.toml: {err}");
    assert!(
        err.contains("Cargo.toml") && !err.contains("panicked"),
        "{err}"
    );
}

#[test]
fn btf2rust_prints_bindings_for_kernel_and_object_types() {
    check_help_and_usage_error("btf2rust", &["--crate"]);
    if common::require("kernel-btf") {
        let out = run_example("btf2rust", &["struct iphdr", "struct ethhdr"]);
        let text = String::from_utf8(out.stdout).unwrap();
        for want in [
            "#[derive(::oxbpf::BtfStruct, Clone, Copy)]",
            "#[repr(C)]",
            "pub struct iphdr {",
            "pub protocol: u8,",
            "pub fn ihl(&self) -> u8",
            // The anonymous union of saddr/daddr and addrs, checked.
            "#[btf(anon)]",
            "pub struct ethhdr {",
            "pub h_proto: u16,",
        ] {
            assert!(text.contains(want), "no `{want}` in:\n{text}");
        }
    }
    let obj = common::root().join("testdata/events/tp_events.bpf.o");
    let out = run_example(
        "btf2rust",
        &[
            "--btf",
            obj.to_str().unwrap(),
            "--crate",
            "crate",
            "struct record",
        ],
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("#[derive(crate::BtfStruct, Clone, Copy)]")
            && text.contains("pub struct record {"),
        "{text}"
    );
    let out = Command::new(example_binary("btf2rust"))
        .args(["--btf", obj.to_str().unwrap(), "struct oxbpf_no_such_type"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("oxbpf_no_such_type"), "{err}");
}

#[test]
fn inspect_lists_and_loads_an_object() {
    check_help_and_usage_error("inspect", &["--bogus"]);
    let obj = common::root().join("testdata/loader/maps.bpf.o");
    let obj = obj.to_str().unwrap();
    let out = run_example("inspect", &[obj]);
    let text = String::from_utf8(out.stdout).unwrap();
    for want in [
        "object `maps`: license \"GPL\"",
        "programs:",
        "use_maps",
        "BPF_PROG_TYPE_XDP",
        "maps:",
        "outer_array          BPF_MAP_TYPE_ARRAY_OF_MAPS",
        "outer_array[0] = map inner_a",
        "jump_table[0] = program tail_zero",
    ] {
        assert!(text.contains(want), "no `{want}` in:\n{text}");
    }
    // A reader that goes away (`inspect OBJ | head`) is not an error, and
    // certainly not a panic: the pipe is closed before inspect writes.
    let mut child = Command::new(example_binary("inspect"))
        .arg(obj)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && err.is_empty(),
        "{}: {err}",
        out.status
    );

    if !common::require("kernel") {
        return;
    }
    let out = run_example("inspect", &["--load", obj]);
    let text = String::from_utf8(out.stdout).unwrap();
    // After loading: one line per map with the id the kernel gave it.
    let ids: Vec<u32> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("map "))
        .filter_map(|l| l.split_whitespace().last()?.parse().ok())
        .collect();
    assert!(ids.len() >= 10 && ids.iter().all(|&id| id > 0), "{text}");
}

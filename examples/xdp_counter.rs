//! `xdp_counter` — count the packets an interface receives, per protocol,
//! with XDP, on a veth pair between two network namespaces of its own.
//!
//! ```text
//! sudo cargo run --release --example xdp_counter                     # 5 seconds
//! sudo cargo run --release --example xdp_counter -- --duration 10 --mode driver
//! ```
//!
//! It makes two network namespaces joined by a veth pair (with iproute2,
//! addresses from TEST-NET-1, 192.0.2.0/24, private to the namespaces),
//! attaches `examples/bpf/xdp_counter.bpf.c` to the receiving end, sends
//! UDP datagrams and TCP connections across (and provokes ICMP port
//! unreachable replies and ARP), prints the per-protocol counts of the
//! per-CPU map every second, then detaches and deletes the namespaces.
//! Nothing touches the machine's own interfaces.

use std::error::Error;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use oxbpf::loader::link::XdpMode;
use oxbpf::loader::{Collection, CollectionSpec, LoadOptions};
use oxbpf::maps::PerCpuArray;
use oxbpf::sys::netns;
use oxbpf::BtfStruct;

/// Bytes with the 8-byte alignment ELF headers are read with.
#[repr(C, align(8))]
struct Aligned<B: ?Sized>(B);

/// The compiled BPF object, embedded so the example needs no C toolchain.
static OBJECT: &Aligned<[u8]> = &Aligned(*include_bytes!("bpf/xdp_counter.bpf.o"));

const USAGE: &str = "\
usage: xdp_counter [--duration SECONDS] [--mode auto|driver|generic]

Creates two network namespaces joined by a veth pair, attaches an XDP
program to the receiving end, sends traffic across and prints packets and
bytes per protocol every second; then detaches and cleans up. Needs root
and iproute2 (`ip`).

  --duration SECONDS  how long to run (default 5)
  --mode MODE         XDP mode: auto (default), driver or generic
  -h, --help          this help";

/// The slots of `counts`, as `enum proto_slot` of xdp_counter.bpf.c orders them.
const PROTOCOLS: [&str; 7] = ["other", "arp", "icmp", "tcp", "udp", "ipv4-other", "ipv6"];

/// `struct counters` of xdp_counter.bpf.c (checked against its BTF when
/// the map view is opened).
#[derive(Clone, Copy, Default, BtfStruct)]
#[repr(C)]
#[btf(name = "counters")]
struct Counters {
    packets: u64,
    bytes: u64,
}

const ADDR_A: &str = "192.0.2.1";
const ADDR_B: &str = "192.0.2.2";
const UDP_PORT: u16 = 5000;
const TCP_PORT: u16 = 5001;
/// A port nobody listens on in namespace `a`: datagrams to it come back
/// as ICMP port unreachable.
const CLOSED_PORT: u16 = 5002;

struct Args {
    duration: Duration,
    mode: XdpMode,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut args = Args {
        duration: Duration::from_secs(5),
        mode: XdpMode::Auto,
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
                if !(0.0..=86_400.0).contains(&secs) {
                    return Err(format!("--duration: `{v}` is out of range"));
                }
                args.duration = Duration::from_secs_f64(secs);
            }
            "--mode" | "-m" => {
                args.mode = match it.next().as_deref() {
                    Some("auto") => XdpMode::Auto,
                    Some("driver") => XdpMode::Driver,
                    Some("generic") => XdpMode::Generic,
                    v => {
                        return Err(format!(
                            "--mode: expected auto, driver or generic, got {v:?}"
                        ))
                    }
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
            eprintln!("xdp_counter: {e}\n\n{USAGE}");
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
            eprintln!("xdp_counter: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `ip ARGS`.
fn ip(args: &[&str]) -> Result<(), Box<dyn Error>> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("running `ip` (iproute2): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`ip {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )
        .into());
    }
    Ok(())
}

/// The two namespaces; deleted (with the veth pair) on drop.
struct Namespaces {
    a: String,
    b: String,
}

const PREFIX: &str = "oxbpf-xdpc-";

impl Namespaces {
    fn create() -> Result<Namespaces, Box<dyn Error>> {
        remove_stale();
        let pid = std::process::id();
        let ns = Namespaces {
            a: format!("{PREFIX}{pid}-a"),
            b: format!("{PREFIX}{pid}-b"),
        };
        ip(&["netns", "add", &ns.a])?;
        ip(&["netns", "add", &ns.b])?;
        ip(&[
            "-n", &ns.a, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns",
            &ns.b,
        ])?;
        for (name, dev, addr) in [(&ns.a, "veth0", ADDR_A), (&ns.b, "veth1", ADDR_B)] {
            ip(&["-n", name, "addr", "add", &format!("{addr}/24"), "dev", dev])?;
            ip(&["-n", name, "link", "set", dev, "up"])?;
            ip(&["-n", name, "link", "set", "lo", "up"])?;
        }
        Ok(ns)
    }

    /// Runs `f` on a thread inside namespace `name`.
    fn run<R: Send>(
        name: &str,
        f: impl FnOnce() -> Result<R, Box<dyn Error + Send + Sync>> + Send,
    ) -> Result<R, Box<dyn Error>> {
        let file = netns::open(format!("/run/netns/{name}"))?;
        let result = std::thread::scope(|s| {
            s.spawn(move || {
                netns::enter(&file)?;
                f()
            })
            .join()
        });
        match result {
            Ok(r) => r.map_err(|e| e as Box<dyn Error>),
            Err(_) => Err("a thread in the namespace panicked".into()),
        }
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for n in [&self.a, &self.b] {
            let _ = Command::new("ip").args(["netns", "del", n]).output();
        }
    }
}

/// Deletes namespaces left behind by an earlier run that was killed.
fn remove_stale() {
    let Ok(dir) = std::fs::read_dir("/run/netns") else {
        return;
    };
    for e in dir.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(PREFIX) else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or("");
        if !pid.is_empty() && !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = Command::new("ip").args(["netns", "del", &name]).output();
        }
    }
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let spec = CollectionSpec::parse(&OBJECT.0)?;
    let coll = Collection::load(&spec, &LoadOptions::default())?;
    let prog = coll.program("xdp_count").ok_or("no program xdp_count")?;
    let counts = PerCpuArray::<_, Counters>::new(coll.map("counts").ok_or("no map counts")?)?;

    let ns = Namespaces::create()?;
    let link = Namespaces::run(&ns.b, || Ok(prog.attach_xdp("veth1", args.mode)?))?;
    println!("attached: {}", link.description());

    // Endpoints: a UDP sink and a TCP echo server in b; senders in a and b.
    let (udp_sink, tcp_listener, b_sender) = Namespaces::run(&ns.b, || {
        Ok((
            UdpSocket::bind((ADDR_B, UDP_PORT))?,
            TcpListener::bind((ADDR_B, TCP_PORT))?,
            UdpSocket::bind((ADDR_B, 0))?,
        ))
    })?;
    let a_sender = Namespaces::run(&ns.a, || Ok(UdpSocket::bind((ADDR_A, 0))?))?;
    let a_ns = netns::open(format!("/run/netns/{}", ns.a))?;
    udp_sink.set_read_timeout(Some(Duration::from_millis(50)))?;
    tcp_listener.set_nonblocking(true)?;

    let stop = AtomicBool::new(false);
    let start = Instant::now();
    std::thread::scope(|s| -> Result<(), Box<dyn Error>> {
        // Drain the UDP sink and serve TCP connections in b.
        s.spawn(|| {
            let mut buf = [0u8; 2048];
            while !stop.load(Ordering::Relaxed) {
                let _ = udp_sink.recv(&mut buf);
                while let Ok((mut conn, _)) = tcp_listener.accept() {
                    let _ = conn.set_nonblocking(false);
                    let _ = conn.set_read_timeout(Some(Duration::from_millis(200)));
                    if let Ok(n) = conn.read(&mut buf) {
                        let _ = conn.write_all(&buf[..n]);
                    }
                }
            }
        });
        // Generate traffic from a (TCP connections need a thread in a).
        let traffic = s.spawn(|| -> Result<(), String> {
            netns::enter(&a_ns).map_err(|e| format!("entering namespace a: {e}"))?;
            let mut round = 0u32;
            while !stop.load(Ordering::Relaxed) {
                for _ in 0..10 {
                    let _ = a_sender.send_to(&[round as u8; 64], (ADDR_B, UDP_PORT));
                }
                if let Ok(mut c) = TcpStream::connect_timeout(
                    &format!("{ADDR_B}:{TCP_PORT}").parse().expect("address"),
                    Duration::from_millis(200),
                ) {
                    let _ = c.set_read_timeout(Some(Duration::from_millis(200)));
                    let _ = c.write_all(b"hello over tcp");
                    let _ = c.read(&mut [0u8; 64]);
                }
                // b -> a's closed port: a answers with ICMP port unreachable.
                let _ = b_sender.send_to(b"knock", (ADDR_A, CLOSED_PORT));
                round = round.wrapping_add(1);
                std::thread::sleep(Duration::from_millis(100));
            }
            Ok(())
        });

        let mut next = start + Duration::from_secs(1);
        let end = start + args.duration;
        loop {
            let now = Instant::now();
            if now >= end {
                break;
            }
            std::thread::sleep(next.min(end).saturating_duration_since(now));
            print_counts(&counts, start.elapsed())?;
            next += Duration::from_secs(1);
        }
        stop.store(true, Ordering::Relaxed);
        traffic.join().map_err(|_| "traffic thread panicked")??;
        Ok(())
    })?;

    println!("final counts after {:.1}s:", start.elapsed().as_secs_f64());
    print_counts(&counts, start.elapsed())?;
    link.detach()?;
    drop(ns);
    println!("detached; namespaces removed");
    Ok(())
}

/// Prints one line per protocol seen: packets and bytes summed over CPUs.
fn print_counts(
    counts: &PerCpuArray<&oxbpf::maps::Map, Counters>,
    elapsed: Duration,
) -> Result<(), Box<dyn Error>> {
    let mut line = format!("{:>5.1}s", elapsed.as_secs_f64());
    for (i, name) in PROTOCOLS.iter().enumerate() {
        let (packets, bytes) = counts
            .get(i as u32)?
            .iter()
            .fold((0, 0), |(p, b), c| (p + c.packets, b + c.bytes));
        if packets > 0 {
            line.push_str(&format!("  {name}: {packets} pkts/{bytes} B"));
        }
    }
    println!("{line}");
    Ok(())
}

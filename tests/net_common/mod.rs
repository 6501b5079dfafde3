//! Helpers of the network, cgroup and socket attach tests
//! (`tests/link_net.rs`, `tests/link_cgroup.rs`, `tests/link_socket.rs`):
//! private network namespaces with a veth pair, a private cgroup v2
//! directory the test moves one thread into, UDP exchanges and counters.
//!
//! Everything a helper creates is removed by a `Drop` guard, on failure
//! too. Nothing touches the machine's own interfaces: packets are sent
//! between the test's namespaces, or on loopback.
#![allow(dead_code)]

use std::fs;
use std::io::{self, Write};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use oxbpf::loader::{Collection, CollectionSpec, LoadOptions};
use oxbpf::maps::Map;
use oxbpf::sys::{netns, LookupFlags};

#[path = "../common/mod.rs"]
pub mod common;

/// Whether `feature` is there: `"kernel"` (bpf(2)), `"iproute2"` (`ip
/// netns`), `"cgroup2"` (a writable cgroup v2 hierarchy with threaded
/// cgroups). Like `common::require`: panics with the reason unless
/// `OXBPF_ALLOW_SKIP` is set, then prints `SKIP` and returns `false`.
#[track_caller]
pub fn require(feature: &str) -> bool {
    if feature == "kernel" {
        return common::require("kernel");
    }
    let probe = match feature {
        "iproute2" => match output(Command::new("ip").args(["netns", "list"])) {
            Ok(o) if o.status.success() => Ok(()),
            Ok(o) => Err(format!(
                "`ip netns list` failed: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            )),
            Err(e) => Err(format!("cannot run `ip` (iproute2): {e}")),
        },
        "cgroup2" => cgroup2_root().and_then(|root| {
            // Test cgroups are threaded (one thread of the test moves in).
            let dir = root.join(unique("oxbpf-probe"));
            fs::create_dir(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
            let made = fs::write(dir.join("cgroup.type"), "threaded");
            let _ = fs::remove_dir(&dir);
            made.map_err(|e| {
                format!(
                    "cannot make a threaded cgroup under {}: {e}",
                    root.display()
                )
            })
        }),
        _ => panic!("unknown feature `{feature}` in require()"),
    };
    match probe {
        Ok(()) => true,
        Err(e) if std::env::var_os("OXBPF_ALLOW_SKIP").is_some() => {
            let _ = writeln!(
                io::stderr(),
                "SKIP {feature}: {e} (OXBPF_ALLOW_SKIP is set)"
            );
            false
        }
        Err(e) => panic!("{feature} unavailable: {e}; set OXBPF_ALLOW_SKIP=1 to skip"),
    }
}

/// Loads `testdata/links/NAME.bpf.o`.
pub fn load(name: &str) -> Collection {
    let path = common::root().join(format!("testdata/links/{name}.bpf.o"));
    let spec = CollectionSpec::from_file(&path)
        .unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
    Collection::load(&spec, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("loading {}: {e}", path.display()))
}

/// Counter `idx` of a u32 → u64 array map.
pub fn counter(map: &Map, idx: u32) -> u64 {
    let mut v = [0u8; 8];
    assert!(
        map.lookup(&idx.to_ne_bytes(), &mut v, LookupFlags::empty())
            .unwrap(),
        "slot {idx} of {}",
        map.name()
    );
    u64::from_ne_bytes(v)
}

/// Sets slot `idx` of a u32 → u64 array map.
pub fn set_counter(map: &Map, idx: u32, value: u64) {
    map.update(
        &idx.to_ne_bytes(),
        &value.to_ne_bytes(),
        oxbpf::sys::UpdateFlags::ANY,
    )
    .unwrap();
}

/// Held for writing while a test spawns a command, for reading while one
/// detaches links: a child between fork and exec holds copies of every fd,
/// link fds included, so a link "dropped" in that window stays attached
/// until the child execs, and a packet sent right then is still counted.
static FORK: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// Spawns and waits for `cmd`, holding [`FORK`].
fn output(cmd: &mut Command) -> io::Result<std::process::Output> {
    let _forking = FORK.write().unwrap_or_else(|e| e.into_inner());
    cmd.output()
}

/// Drops `links` (detaching them) with no command being spawned.
pub fn detach<T>(links: T) {
    let _no_fork = FORK.read().unwrap_or_else(|e| e.into_inner());
    drop(links);
}

/// Runs `cmd` (`ip ...`), panicking with its stderr on failure.
#[track_caller]
pub fn run(cmd: &[&str]) {
    let out = output(Command::new(cmd[0]).args(&cmd[1..]))
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
}

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A unique name prefix for this process: `oxt<pid>x<n>`.
fn unique(prefix: &str) -> String {
    format!(
        "{prefix}{}x{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A network namespace made with `ip netns add`, deleted on drop.
#[derive(Debug)]
pub struct Netns {
    name: String,
}

impl Netns {
    /// A new namespace with its loopback interface up.
    pub fn new() -> Netns {
        let ns = Netns {
            name: unique("oxbpf-t"),
        };
        run(&["ip", "netns", "add", &ns.name]);
        run(&["ip", "-n", &ns.name, "link", "set", "lo", "up"]);
        ns
    }

    /// The name (`ip netns` sees it).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The namespace file, `/run/netns/NAME`.
    pub fn path(&self) -> PathBuf {
        Path::new("/run/netns").join(&self.name)
    }

    /// An fd on the namespace.
    pub fn open(&self) -> fs::File {
        netns::open(self.path()).unwrap_or_else(|e| panic!("{}: {e}", self.path().display()))
    }

    /// Runs `f` on a thread that entered the namespace. Sockets, links and
    /// netlink sockets made there stay in the namespace when returned.
    pub fn run<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        let file = self.open();
        std::thread::scope(|s| {
            s.spawn(move || {
                netns::enter(&file).expect("setns into the test namespace");
                f()
            })
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
        })
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = output(Command::new("ip").args(["netns", "del", &self.name]));
    }
}

/// Address of the `a` end of a [`VethPair`].
pub const ADDR_A: &str = "192.0.2.1";
/// Address of the `b` end of a [`VethPair`].
pub const ADDR_B: &str = "192.0.2.2";
/// Interface name of the `a` end (in namespace `a`).
pub const IF_A: &str = "veth0";
/// Interface name of the `b` end (in namespace `b`).
pub const IF_B: &str = "veth1";

/// Two namespaces joined by a veth pair: `veth0` (192.0.2.1/24) in `a`,
/// `veth1` (192.0.2.2/24) in `b` (TEST-NET-1 addresses, private to the
/// namespaces). Both namespaces (and so the pair) are deleted on drop.
#[derive(Debug)]
pub struct VethPair {
    /// The sending side.
    pub a: Netns,
    /// The receiving side.
    pub b: Netns,
}

impl VethPair {
    /// A pair with one queue per direction.
    pub fn new() -> VethPair {
        Self::with_queues(1)
    }

    /// A pair whose devices have `queues` TX and RX queues (more than one
    /// makes the stack hash, so dissect, outgoing packets).
    pub fn with_queues(queues: u32) -> VethPair {
        let pair = VethPair {
            a: Netns::new(),
            b: Netns::new(),
        };
        let q = queues.to_string();
        run(&[
            "ip",
            "-n",
            &pair.a.name,
            "link",
            "add",
            IF_A,
            "numtxqueues",
            &q,
            "numrxqueues",
            &q,
            "type",
            "veth",
            "peer",
            "name",
            IF_B,
            "netns",
            &pair.b.name,
            "numtxqueues",
            &q,
            "numrxqueues",
            &q,
        ]);
        for (ns, dev, addr) in [(&pair.a, IF_A, ADDR_A), (&pair.b, IF_B, ADDR_B)] {
            run(&[
                "ip",
                "-n",
                &ns.name,
                "addr",
                "add",
                &format!("{addr}/24"),
                "dev",
                dev,
            ]);
            run(&["ip", "-n", &ns.name, "link", "set", dev, "up"]);
        }
        pair
    }

    /// A UDP socket in `b` bound to `ADDR_B:port`, with a short read
    /// timeout.
    pub fn receiver(&self, port: u16) -> UdpSocket {
        let sock = self
            .b
            .run(|| UdpSocket::bind((ADDR_B, port)))
            .unwrap_or_else(|e| panic!("bind {ADDR_B}:{port} in b: {e}"));
        sock.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        sock
    }

    /// A UDP socket in `a` to send from.
    pub fn sender(&self) -> UdpSocket {
        self.a
            .run(|| UdpSocket::bind((ADDR_A, 0)))
            .expect("bind in a")
    }
}

/// Sends `n` datagrams from `tx` to `rx`'s address and returns how many
/// `rx` received (waiting up to its read timeout for each).
pub fn deliver(tx: &UdpSocket, rx: &UdpSocket, n: usize) -> usize {
    deliver_sized(tx, rx, n, 8)
}

/// [`deliver`] with datagrams of `size` bytes.
pub fn deliver_sized(tx: &UdpSocket, rx: &UdpSocket, n: usize, size: usize) -> usize {
    let to: SocketAddr = rx.local_addr().unwrap();
    let payload = vec![0x5au8; size];
    for _ in 0..n {
        tx.send_to(&payload, to).expect("send_to");
    }
    let mut buf = vec![0u8; size.max(64) + 64];
    let mut got = 0;
    while got < n {
        match rx.recv_from(&mut buf) {
            Ok(_) => got += 1,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                break
            }
            Err(e) => panic!("recv_from: {e}"),
        }
    }
    got
}

/// Where the cgroup v2 hierarchy is mounted and the cgroup this process
/// is in: the parent for test cgroups.
pub fn cgroup2_root() -> Result<PathBuf, String> {
    let mounts = fs::read_to_string("/proc/self/mountinfo").map_err(|e| e.to_string())?;
    let mount = mounts
        .lines()
        .find_map(|l| {
            let (pre, post) = l.split_once(" - ")?;
            post.starts_with("cgroup2 ")
                .then(|| pre.split(' ').nth(4).map(PathBuf::from))
                .flatten()
        })
        .ok_or("no cgroup2 hierarchy is mounted")?;
    let own = fs::read_to_string("/proc/self/cgroup").map_err(|e| e.to_string())?;
    let rel = own
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .ok_or("this process is in no cgroup v2")?;
    let dir = mount.join(rel.trim_start_matches('/'));
    if !dir.join("cgroup.threads").exists() {
        return Err(format!("{} is not a cgroup v2 directory", dir.display()));
    }
    Ok(dir)
}

/// A threaded cgroup v2 directory, removed on drop. Threads of the test
/// move into it with [`Cgroup::run`]; everything else of the test process
/// stays where it was.
#[derive(Debug)]
pub struct Cgroup {
    path: PathBuf,
}

impl Cgroup {
    /// A new cgroup under this process's own cgroup.
    pub fn new() -> Cgroup {
        let parent = cgroup2_root().expect("cgroup2");
        Self::create(parent.join(unique("oxbpf-t")))
    }

    /// A child of this cgroup.
    pub fn child(&self) -> Cgroup {
        Self::create(self.path.join("child"))
    }

    fn create(path: PathBuf) -> Cgroup {
        fs::create_dir(&path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
        let cg = Cgroup { path };
        fs::write(cg.path.join("cgroup.type"), "threaded")
            .unwrap_or_else(|e| panic!("making {} threaded: {e}", cg.path.display()));
        cg
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// An fd on the directory, to attach to.
    pub fn open(&self) -> fs::File {
        fs::File::open(&self.path).unwrap()
    }

    /// Runs `f` on a thread that moved itself into this cgroup.
    pub fn run<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        let threads = self.path.join("cgroup.threads");
        std::thread::scope(|s| {
            s.spawn(move || {
                let me = fs::read_link("/proc/thread-self").expect("/proc/thread-self");
                let tid = me.file_name().unwrap().to_str().unwrap().to_owned();
                fs::write(&threads, &tid).unwrap_or_else(|e| {
                    panic!("moving thread {tid} to {}: {e}", threads.display())
                });
                f()
            })
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
        })
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        // The threads that entered have exited (joined); a removed thread
        // may take a moment to leave the cgroup.
        for _ in 0..50 {
            match fs::remove_dir(&self.path) {
                Err(e) if e.raw_os_error() == Some(16) => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                _ => return,
            }
        }
    }
}

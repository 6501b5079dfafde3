//! Cgroup attachment, proven by what the programs do to one thread of the
//! test: each test makes a threaded cgroup v2 directory of its own
//! (`net_common::Cgroup`), moves a thread into it, triggers the hook
//! (sending, connecting, creating sockets, socket options, sysctls,
//! devices), observes the effect (counters, refusals, rewritten addresses
//! and option values), then drops the link and shows the program no
//! longer runs. Traffic stays on loopback.

mod net_common;

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::time::Duration;

use net_common::{counter, require, set_counter, Cgroup};
use oxbpf::loader::link::{CgroupMode, CgroupOptions};
use oxbpf::loader::{AttachError, LinkKind};
use oxbpf::sys::AttachType;

// Slots of `cg_stats` (testdata/links/net_cgroup.bpf.c).
const EGRESS_COUNT: u32 = 0;
const EGRESS_DENY: u32 = 1;
const INGRESS_COUNT: u32 = 2;
const SOCK_CREATE: u32 = 3;
const CONNECT4: u32 = 4;
const CONNECT6: u32 = 5;
const SENDMSG4: u32 = 6;
const GETSOCKOPT: u32 = 7;
const SETSOCKOPT: u32 = 8;
const SYSCTL: u32 = 9;
const DEVICE: u32 = 10;
const EGRESS_PARENT: u32 = 11;

fn require_cgroup() -> bool {
    require("kernel") && require("cgroup2")
}

fn opts(mode: CgroupMode) -> CgroupOptions<'static> {
    CgroupOptions {
        mode,
        ..Default::default()
    }
}

/// A loopback UDP socket to receive on.
fn receiver() -> UdpSocket {
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    rx.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    rx
}

/// From a thread of `cg`: sends one datagram to `to`; the send's result.
fn send_from(cg: &Cgroup, to: &UdpSocket) -> std::io::Result<usize> {
    let to = to.local_addr().unwrap();
    cg.run(|| UdpSocket::bind("127.0.0.1:0")?.send_to(b"ping", to))
}

#[test]
fn cgroup_skb_links_run_together_then_detach() {
    if !require_cgroup() {
        return;
    }
    let coll = net_common::load("net_cgroup");
    let stats = coll.map("cg_stats").unwrap();
    let cg = Cgroup::new();
    let dir = cg.open();
    let rx = receiver();
    assert!(send_from(&cg, &rx).is_ok());

    let count = coll
        .program("egress_count")
        .unwrap()
        .attach_cgroup(&dir, &CgroupOptions::default())
        .unwrap();
    assert_eq!(count.kind(), LinkKind::Bpf);
    assert!(
        count.description().contains(&format!(
            "BPF_CGROUP_INET_EGRESS `egress_count` on cgroup {}",
            cg.path().display()
        )),
        "{}",
        count.description()
    );
    let deny = coll
        .program("egress_deny")
        .unwrap()
        .attach_cgroup(&dir, &CgroupOptions::default())
        .unwrap();
    // Both links run (multi-attach): one counts, the other refuses.
    let err = send_from(&cg, &rx).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert_eq!(
        (counter(stats, EGRESS_COUNT), counter(stats, EGRESS_DENY)),
        (1, 1)
    );
    // Threads outside the cgroup are not affected.
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .send_to(b"x", rx.local_addr().unwrap())
        .unwrap();
    assert_eq!(counter(stats, EGRESS_COUNT), 1);

    net_common::detach(deny);
    assert!(send_from(&cg, &rx).is_ok());
    assert_eq!(
        (counter(stats, EGRESS_COUNT), counter(stats, EGRESS_DENY)),
        (2, 1)
    );

    // Ingress: a socket created by the cgroup's thread receives.
    let ingress = coll
        .program("ingress_count")
        .unwrap()
        .attach_cgroup(&dir, &CgroupOptions::default())
        .unwrap();
    let inner_rx = cg.run(receiver);
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .send_to(b"x", inner_rx.local_addr().unwrap())
        .unwrap();
    inner_rx.recv(&mut [0; 8]).unwrap();
    assert_eq!(counter(stats, INGRESS_COUNT), 1);

    net_common::detach((count, ingress));
    assert!(send_from(&cg, &rx).is_ok());
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .send_to(b"x", inner_rx.local_addr().unwrap())
        .unwrap();
    inner_rx.recv(&mut [0; 8]).unwrap();
    assert_eq!(
        (counter(stats, EGRESS_COUNT), counter(stats, INGRESS_COUNT)),
        (2, 1),
        "detached: nothing counted"
    );
}

#[test]
fn prog_attach_modes_follow_kernel_semantics() {
    if !require_cgroup() {
        return;
    }
    let coll = net_common::load("net_cgroup");
    let stats = coll.map("cg_stats").unwrap();
    let count = coll.program("egress_count").unwrap();
    let parent_prog = coll.program("egress_parent").unwrap();
    let parent = Cgroup::new();
    let child = parent.child();
    let (pdir, cdir) = (parent.open(), child.open());
    let rx = receiver();
    let delta = |f: &dyn Fn()| {
        let before = (counter(stats, EGRESS_COUNT), counter(stats, EGRESS_PARENT));
        f();
        (
            counter(stats, EGRESS_COUNT) - before.0,
            counter(stats, EGRESS_PARENT) - before.1,
        )
    };
    let send = || {
        send_from(&child, &rx).unwrap();
    };

    // Multi on both: the child's program and the parent's run.
    let p = parent_prog
        .attach_cgroup(&pdir, &opts(CgroupMode::Multi))
        .unwrap();
    assert_eq!(p.kind(), LinkKind::Legacy);
    let c = count
        .attach_cgroup(&cdir, &opts(CgroupMode::Multi))
        .unwrap();
    assert_eq!(delta(&send), (1, 1), "multi: both run");
    // Mixing an exclusive attachment into a multi hook is refused.
    let err = count
        .attach_cgroup(&cdir, &opts(CgroupMode::Exclusive))
        .unwrap_err();
    assert!(
        matches!(err, AttachError::AlreadyAttached { .. }),
        "{err:?}"
    );
    net_common::detach((p, c));
    assert_eq!(delta(&send), (0, 0), "detached by BPF_PROG_DETACH");

    // Override: the child's program replaces the parent's.
    let p = parent_prog
        .attach_cgroup(&pdir, &opts(CgroupMode::Override))
        .unwrap();
    assert_eq!(delta(&send), (0, 1), "inherited from the parent");
    let c = count
        .attach_cgroup(&cdir, &opts(CgroupMode::Override))
        .unwrap();
    assert_eq!(delta(&send), (1, 0), "the child's overrides");
    net_common::detach(c);
    assert_eq!(delta(&send), (0, 1), "the parent's again");
    net_common::detach(p);

    // Exclusive on the parent forbids the child to attach.
    let p = parent_prog
        .attach_cgroup(&pdir, &opts(CgroupMode::Exclusive))
        .unwrap();
    let err = count
        .attach_cgroup(&cdir, &opts(CgroupMode::Link))
        .unwrap_err();
    assert!(
        matches!(err, AttachError::AlreadyAttached { .. }),
        "{err:?}"
    );
    assert_eq!(delta(&send), (0, 1));
    net_common::detach(p);

    // Links on parent and child: both run.
    let p = parent_prog
        .attach_cgroup(&pdir, &opts(CgroupMode::Link))
        .unwrap();
    let c = count.attach_cgroup(&cdir, &opts(CgroupMode::Auto)).unwrap();
    assert_eq!((p.kind(), c.kind()), (LinkKind::Bpf, LinkKind::Bpf));
    assert_eq!(delta(&send), (1, 1), "links: both run");
    net_common::detach((p, c));
    assert_eq!(delta(&send), (0, 0));
}

#[test]
fn sock_create_refuses_udp_sockets() {
    if !require_cgroup() {
        return;
    }
    let coll = net_common::load("net_cgroup");
    let stats = coll.map("cg_stats").unwrap();
    let cg = Cgroup::new();
    let link = coll
        .program("sock_create")
        .unwrap()
        .attach_cgroup(cg.open(), &CgroupOptions::default())
        .unwrap();
    let (udp, tcp) = cg.run(|| {
        (
            UdpSocket::bind("127.0.0.1:0").map(drop),
            TcpListener::bind("127.0.0.1:0").map(drop),
        )
    });
    assert_eq!(udp.unwrap_err().kind(), ErrorKind::PermissionDenied);
    assert!(tcp.is_ok());
    assert_eq!(counter(stats, SOCK_CREATE), 2);
    net_common::detach(link);
    assert!(cg.run(|| UdpSocket::bind("127.0.0.1:0")).is_ok());
    assert_eq!(counter(stats, SOCK_CREATE), 2);
}

#[test]
fn connect_and_sendmsg_hooks_rewrite_ports() {
    if !require_cgroup() {
        return;
    }
    let coll = net_common::load("net_cgroup");
    let stats = coll.map("cg_stats").unwrap();
    let config = coll.map("cg_config").unwrap();
    let cg = Cgroup::new();
    let dir = cg.open();
    // The real listeners, and a port nothing listens on.
    let l4 = TcpListener::bind("127.0.0.1:0").unwrap();
    let l6 = TcpListener::bind("[::1]:0").unwrap();
    let udp = receiver();
    let fake = {
        let s = TcpListener::bind("127.0.0.1:0").unwrap();
        s.local_addr().unwrap().port()
    };
    let links: Vec<_> = ["connect4", "connect6", "sendmsg4"]
        .into_iter()
        .map(|p| {
            coll.program(p)
                .unwrap()
                .attach_cgroup(&dir, &CgroupOptions::default())
                .unwrap()
        })
        .collect();
    let redirect = |to: u16| {
        set_counter(config, 0, u64::from(fake));
        set_counter(config, 1, u64::from(to));
    };
    redirect(l4.local_addr().unwrap().port());
    cg.run(|| TcpStream::connect(("127.0.0.1", fake))).unwrap();
    l4.accept().unwrap();
    assert_eq!(counter(stats, CONNECT4), 1);

    redirect(l6.local_addr().unwrap().port());
    cg.run(|| TcpStream::connect(("::1", fake))).unwrap();
    l6.accept().unwrap();
    assert_eq!(counter(stats, CONNECT6), 1);

    redirect(udp.local_addr().unwrap().port());
    cg.run(|| UdpSocket::bind("127.0.0.1:0")?.send_to(b"hi", ("127.0.0.1", fake)))
        .unwrap();
    let mut buf = [0; 8];
    assert_eq!(
        udp.recv(&mut buf).unwrap(),
        2,
        "the datagram was redirected"
    );
    assert_eq!(counter(stats, SENDMSG4), 1);

    net_common::detach(links);
    let err = cg
        .run(|| TcpStream::connect(("127.0.0.1", fake)))
        .unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::ConnectionRefused,
        "no longer redirected"
    );
    assert_eq!(counter(stats, CONNECT4), 1);
}

#[test]
fn sockopt_hooks_rewrite_values() {
    if !require_cgroup() {
        return;
    }
    let coll = net_common::load("net_cgroup");
    let stats = coll.map("cg_stats").unwrap();
    let cg = Cgroup::new();
    let dir = cg.open();
    let get = coll
        .program("getsockopt_ttl")
        .unwrap()
        .attach_cgroup(&dir, &CgroupOptions::default())
        .unwrap();
    let sock = cg.run(|| UdpSocket::bind("127.0.0.1:0")).unwrap();
    sock.set_ttl(7).unwrap();
    assert_eq!(
        sock.ttl().unwrap(),
        123,
        "getsockopt answered by the program"
    );
    assert_eq!(counter(stats, GETSOCKOPT), 1);
    net_common::detach(get);
    assert_eq!(sock.ttl().unwrap(), 7);

    let set = coll
        .program("setsockopt_ttl")
        .unwrap()
        .attach_cgroup(&dir, &CgroupOptions::default())
        .unwrap();
    sock.set_ttl(8).unwrap();
    assert_eq!(sock.ttl().unwrap(), 99, "setsockopt value rewritten");
    assert_eq!(counter(stats, SETSOCKOPT), 1);
    net_common::detach(set);
    sock.set_ttl(9).unwrap();
    assert_eq!(sock.ttl().unwrap(), 9);
    assert_eq!(
        (counter(stats, GETSOCKOPT), counter(stats, SETSOCKOPT)),
        (1, 1)
    );
}

#[test]
fn sysctl_and_device_hooks_deny_access() {
    if !require_cgroup() {
        return;
    }
    let coll = net_common::load("net_cgroup");
    let stats = coll.map("cg_stats").unwrap();
    let cg = Cgroup::new();
    let dir = cg.open();
    let read_sysctl = || std::fs::read_to_string("/proc/sys/kernel/ostype");

    let sysctl = coll
        .program("sysctl_deny")
        .unwrap()
        .attach_cgroup(&dir, &CgroupOptions::default())
        .unwrap();
    let err = cg.run(read_sysctl).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert!(read_sysctl().is_ok(), "other threads are not affected");
    assert_eq!(counter(stats, SYSCTL), 1);
    net_common::detach(sysctl);
    assert_eq!(cg.run(read_sysctl).unwrap().trim(), "Linux");
    assert_eq!(counter(stats, SYSCTL), 1);

    let dev = coll
        .program("dev_deny_zero")
        .unwrap()
        .attach_cgroup(&dir, &CgroupOptions::default())
        .unwrap();
    let (zero, null) = cg.run(|| (File::open("/dev/zero").map(drop), File::open("/dev/null")));
    assert_eq!(zero.unwrap_err().kind(), ErrorKind::PermissionDenied);
    assert_eq!(
        null.unwrap().read(&mut [0; 1]).unwrap(),
        0,
        "/dev/null opens"
    );
    assert_eq!(counter(stats, DEVICE), 2);
    net_common::detach(dev);
    cg.run(|| File::open("/dev/zero")).unwrap();
    assert_eq!(counter(stats, DEVICE), 2);
}

#[test]
fn cgroup_attach_errors_are_clear() {
    if !require_cgroup() {
        return;
    }
    let coll = net_common::load("net_cgroup");
    let cg = Cgroup::new();
    let count = coll.program("egress_count").unwrap();
    let err = count
        .attach_cgroup(
            cg.open(),
            &CgroupOptions {
                attach_type: Some(AttachType::CGROUP_INET4_CONNECT),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(
        matches!(&err, AttachError::InvalidArgument(m) if m.contains("BPF_CGROUP_INET_EGRESS")),
        "{err:?}"
    );
    // Not a cgroup.
    let err = count
        .attach_cgroup(File::open("/").unwrap(), &CgroupOptions::default())
        .unwrap_err();
    assert!(matches!(err, AttachError::InvalidArgument(_)), "{err:?}");
    assert!(
        err.to_string().contains("not a cgroup v2 directory"),
        "{err}"
    );
    // Not a cgroup program.
    let xdp = net_common::load("net_xdp");
    let err = xdp
        .program("xdp_filter")
        .unwrap()
        .attach_cgroup(cg.open(), &CgroupOptions::default())
        .unwrap_err();
    assert!(
        matches!(err, AttachError::WrongProgramType { .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "program `xdp_filter` is of type xdp, which cannot be attached as a cgroup program"
    );
    // The same program twice through BPF_PROG_ATTACH multi.
    let first = count
        .attach_cgroup(cg.open(), &opts(CgroupMode::Multi))
        .unwrap();
    let err = count
        .attach_cgroup(cg.open(), &opts(CgroupMode::Multi))
        .unwrap_err();
    assert!(
        matches!(err, AttachError::AlreadyAttached { .. }),
        "{err:?}"
    );
    first.detach().unwrap();
}

//! Socket-level attachment, proven by traffic: a socket filter
//! (`SO_ATTACH_BPF`), sk_msg and sk_skb programs on a sockmap (bpf_link
//! and `BPF_PROG_ATTACH`), sk_lookup and a flow dissector on a network
//! namespace of the test's own. Each test observes the program's effect
//! (counters, dropped datagrams, refused sends, redirected connections),
//! then drops the link and shows the program no longer runs.

mod net_common;

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::time::Duration;

use net_common::{counter, deliver, deliver_sized, require, set_counter, Netns, VethPair};
use oxbpf::loader::link::{AttachMethod, SockmapOptions};
use oxbpf::loader::{features, AttachError, LinkKind};
use oxbpf::maps::{Map, SockMap};
use oxbpf::sys::LinkType;

// Slots of `sock_stats` (testdata/links/net_socket.bpf.c).
const FILTER_SEEN: u32 = 0;
const FILTER_DROPPED: u32 = 1;
const MSG_SEEN: u32 = 2;
const MSG_DROPPED: u32 = 3;
const SKB_PARSER: u32 = 4;
const SKB_VERDICT: u32 = 5;
const LOOKUP_SEEN: u32 = 6;
const LOOKUP_ASSIGNED: u32 = 7;
const DISSECTOR: u32 = 8;

/// A connected loopback TCP pair: (client, server side).
fn tcp_pair() -> (TcpStream, TcpStream) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (s, _) = l.accept().unwrap();
    for sock in [&c, &s] {
        sock.set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
    }
    (c, s)
}

fn sockmap(map: &Map) -> SockMap<&Map> {
    SockMap::new(map).unwrap()
}

#[test]
fn socket_filter_drops_long_datagrams_then_detaches() {
    if !require("kernel") {
        return;
    }
    let coll = net_common::load("net_socket");
    let prog = coll.program("sock_filter").unwrap();
    let stats = coll.map("sock_stats").unwrap();
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    rx.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();

    let link = prog.attach_socket_filter(&rx).unwrap();
    assert_eq!(link.kind(), LinkKind::Legacy);
    assert!(link.fd().is_some(), "the link keeps the socket");
    assert!(
        link.description()
            .starts_with("socket filter `sock_filter` on socket:["),
        "{}",
        link.description()
    );
    assert_eq!(deliver_sized(&tx, &rx, 2, 10), 2, "short datagrams kept");
    assert_eq!(deliver_sized(&tx, &rx, 2, 200), 0, "long datagrams dropped");
    assert_eq!(
        (counter(stats, FILTER_SEEN), counter(stats, FILTER_DROPPED)),
        (4, 2)
    );

    link.detach().unwrap();
    assert_eq!(deliver_sized(&tx, &rx, 2, 200), 2, "detached: kept");
    assert_eq!(counter(stats, FILTER_SEEN), 4);

    // Errors: not a socket; not a socket filter.
    let file = std::fs::File::open("/proc/self/status").unwrap();
    let err = prog.attach_socket_filter(&file).unwrap_err();
    assert!(matches!(err, AttachError::InvalidArgument(_)), "{err:?}");
    let err = coll
        .program("msg_verdict")
        .unwrap()
        .attach_socket_filter(&rx)
        .unwrap_err();
    assert!(
        matches!(err, AttachError::WrongProgramType { .. }),
        "{err:?}"
    );
}

#[test]
fn sk_msg_verdict_on_a_sockmap() {
    if !require("kernel") {
        return;
    }
    let coll = net_common::load("net_socket");
    let prog = coll.program("msg_verdict").unwrap();
    let stats = coll.map("sock_stats").unwrap();
    let map = sockmap(coll.map("sock_map").unwrap());

    let sockmap_links = features::link_type(LinkType::SOCKMAP);
    for method in [AttachMethod::Auto, AttachMethod::ProgAttach] {
        let base = (counter(stats, MSG_SEEN), counter(stats, MSG_DROPPED));
        let link = prog
            .attach_sockmap(
                coll.map("sock_map").unwrap(),
                &SockmapOptions {
                    method,
                    ..Default::default()
                },
            )
            .unwrap_or_else(|e| panic!("{method:?}: {e}"));
        // Auto falls back to BPF_PROG_ATTACH before sockmap links (6.10).
        let expected = if method == AttachMethod::ProgAttach || !sockmap_links {
            LinkKind::Legacy
        } else {
            LinkKind::Bpf
        };
        assert_eq!(link.kind(), expected, "{method:?}");
        if expected == LinkKind::Bpf {
            // While a link holds the hook, another attachment is refused
            // (a BPF_PROG_ATTACH one would be replaced silently).
            let err = prog
                .attach_sockmap(coll.map("sock_map").unwrap(), &SockmapOptions::default())
                .unwrap_err();
            assert!(
                matches!(err, AttachError::AlreadyAttached { .. }),
                "{err:?}"
            );
        }

        let (mut c, mut s) = tcp_pair();
        map.set(0, &c).unwrap();
        c.write_all(b"hello").unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(s.read(&mut buf).unwrap(), 5);
        let err = c.write(b"thirteen byte").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "SK_DROP: {err}");
        assert_eq!(
            (
                counter(stats, MSG_SEEN) - base.0,
                counter(stats, MSG_DROPPED) - base.1
            ),
            (2, 1),
            "{method:?}"
        );
        map.remove(0).unwrap();

        net_common::detach(link);
        // A socket added after the detach is not verdicted any more.
        let (mut c, mut s) = tcp_pair();
        map.set(0, &c).unwrap();
        c.write_all(b"thirteen byte").unwrap();
        assert_eq!(s.read(&mut buf).unwrap(), 13);
        assert_eq!(counter(stats, MSG_SEEN) - base.0, 2, "{method:?}: detached");
        map.remove(0).unwrap();
    }
}

#[test]
fn sk_skb_parser_and_verdict_on_a_sockmap() {
    if !require("kernel") {
        return;
    }
    let coll = net_common::load("net_socket");
    let stats = coll.map("sock_stats").unwrap();
    let map = sockmap(coll.map("sock_map").unwrap());
    let parser = coll
        .program("skb_parser")
        .unwrap()
        .attach_sockmap(coll.map("sock_map").unwrap(), &SockmapOptions::default())
        .unwrap();
    let verdict = coll
        .program("skb_verdict")
        .unwrap()
        .attach_sockmap(
            coll.map("sock_map").unwrap(),
            &SockmapOptions {
                method: AttachMethod::ProgAttach,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        (parser.kind(), verdict.kind()),
        (
            if features::link_type(LinkType::SOCKMAP) {
                LinkKind::Bpf
            } else {
                LinkKind::Legacy
            },
            LinkKind::Legacy
        )
    );

    let (mut c, mut s) = tcp_pair();
    map.set(1, &s).unwrap();
    c.write_all(b"through the parser").unwrap();
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"through the parser", "SK_PASS delivers");
    assert!(counter(stats, SKB_PARSER) >= 1);
    assert!(counter(stats, SKB_VERDICT) >= 1);
    map.remove(1).unwrap();

    net_common::detach((parser, verdict));
    let before = (counter(stats, SKB_PARSER), counter(stats, SKB_VERDICT));
    let (mut c, mut s) = tcp_pair();
    map.set(1, &s).unwrap();
    c.write_all(b"plain").unwrap();
    assert_eq!(s.read(&mut buf).unwrap(), 5);
    assert_eq!(
        (counter(stats, SKB_PARSER), counter(stats, SKB_VERDICT)),
        before,
        "detached"
    );
    map.remove(1).unwrap();

    // sk_skb/verdict (BPF_SK_SKB_VERDICT) through a link too; before
    // sockmap links (6.10) that is a typed refusal, and the program runs
    // through BPF_PROG_ATTACH instead.
    let attach_only = |method| {
        coll.program("skb_verdict_only").unwrap().attach_sockmap(
            coll.map("sock_map").unwrap(),
            &SockmapOptions {
                method,
                ..Default::default()
            },
        )
    };
    let only = if features::link_type(LinkType::SOCKMAP) {
        let only = attach_only(AttachMethod::Link).unwrap();
        assert_eq!(only.kind(), LinkKind::Bpf);
        net_common::common::kernel_note("links: sockmap bpf_link proven");
        only
    } else {
        let err = attach_only(AttachMethod::Link).unwrap_err();
        assert!(matches!(err, AttachError::NotSupported { .. }), "{err:?}");
        let only = attach_only(AttachMethod::ProgAttach).unwrap();
        assert_eq!(only.kind(), LinkKind::Legacy);
        net_common::common::kernel_note(
            "links: no sockmap bpf_link: NotSupported asserted, BPF_PROG_ATTACH proven",
        );
        only
    };
    let (mut c, mut s) = tcp_pair();
    map.set(1, &s).unwrap();
    c.write_all(b"verdict").unwrap();
    assert_eq!(s.read(&mut buf).unwrap(), 7);
    assert!(counter(stats, SKB_VERDICT) > before.1);
    map.remove(1).unwrap();
    net_common::detach(only);

    // Errors: explicit hook of the wrong kind; not an sk_* program.
    let err = coll
        .program("skb_parser")
        .unwrap()
        .attach_sockmap(
            coll.map("sock_map").unwrap(),
            &SockmapOptions {
                attach_type: Some(oxbpf::sys::AttachType::SK_MSG_VERDICT),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(matches!(err, AttachError::InvalidArgument(_)), "{err:?}");
    let err = coll
        .program("sock_filter")
        .unwrap()
        .attach_sockmap(coll.map("sock_map").unwrap(), &SockmapOptions::default())
        .unwrap_err();
    assert!(
        matches!(err, AttachError::WrongProgramType { .. }),
        "{err:?}"
    );
}

#[test]
fn sk_lookup_redirects_connections_in_its_netns() {
    if !(require("kernel") && require("iproute2")) {
        return;
    }
    let coll = net_common::load("net_socket");
    let prog = coll.program("lookup").unwrap();
    let stats = coll.map("sock_stats").unwrap();
    let config = coll.map("sock_config").unwrap();
    let lookup_map = sockmap(coll.map("lookup_map").unwrap());
    let ns = Netns::new();
    // The listener, and a port nobody listens on, in the namespace.
    const VIRTUAL_PORT: u16 = 7777;
    let listener = ns.run(|| TcpListener::bind("127.0.0.1:0")).unwrap();
    lookup_map.set(0, &listener).unwrap();
    set_counter(config, 0, u64::from(VIRTUAL_PORT));
    let connect = || ns.run(|| TcpStream::connect(("127.0.0.1", VIRTUAL_PORT)));
    assert_eq!(connect().unwrap_err().kind(), ErrorKind::ConnectionRefused);

    let link = prog.attach_netns(ns.open()).unwrap();
    assert_eq!(link.kind(), LinkKind::Bpf);
    assert!(
        link.description().contains(ns.name()),
        "{}",
        link.description()
    );
    let _client = connect().unwrap();
    listener.accept().unwrap();
    assert!(counter(stats, LOOKUP_SEEN) >= 1);
    assert_eq!(counter(stats, LOOKUP_ASSIGNED), 1);

    net_common::detach(link);
    let seen = counter(stats, LOOKUP_SEEN);
    assert_eq!(connect().unwrap_err().kind(), ErrorKind::ConnectionRefused);
    assert_eq!(counter(stats, LOOKUP_SEEN), seen, "detached");

    // Not a network namespace.
    let err = prog
        .attach_netns(std::fs::File::open("/proc/self/status").unwrap())
        .unwrap_err();
    assert!(matches!(err, AttachError::InvalidArgument(_)), "{err:?}");
}

#[test]
fn flow_dissector_runs_in_its_netns() {
    if !(require("kernel") && require("iproute2")) {
        return;
    }
    let coll = net_common::load("net_socket");
    let prog = coll.program("dissect").unwrap();
    let stats = coll.map("sock_stats").unwrap();
    // Several TX queues: the stack hashes (dissects) each outgoing packet
    // to pick one.
    let pair = VethPair::with_queues(4);
    let rx = pair.receiver(40001);
    let tx = pair.sender();
    assert_eq!(deliver(&tx, &rx, 1), 1);

    let link = prog.attach_netns(pair.a.open()).unwrap();
    let err = prog.attach_netns(pair.a.open()).unwrap_err();
    assert!(
        matches!(err, AttachError::AlreadyAttached { .. }),
        "{err:?}"
    );
    assert_eq!(deliver(&tx, &rx, 3), 3, "BPF_FLOW_DISSECTOR_CONTINUE");
    assert!(
        counter(stats, DISSECTOR) >= 3,
        "dissected {} packets",
        counter(stats, DISSECTOR)
    );
    net_common::detach(link);
    // Read the count after detaching (and after an RCU grace period's
    // worth of time): the kernel's own packets on the veth (IPv6 neighbour
    // discovery) are dissected too, so one may land between a read and
    // the detach.
    std::thread::sleep(std::time::Duration::from_millis(50));
    let seen = counter(stats, DISSECTOR);
    assert_eq!(deliver(&tx, &rx, 3), 3);
    assert_eq!(
        counter(stats, DISSECTOR),
        seen,
        "ran after the link was dropped"
    );
}

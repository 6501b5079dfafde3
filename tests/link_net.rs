//! Network attachment, proven by packets: XDP (bpf_link in every mode, and
//! netlink), tcx (with ordering), legacy tc (clsact + cls_bpf via
//! netlink) and netfilter. Each test runs in network namespaces of its own
//! joined by a veth pair (`net_common::VethPair`), sends its own UDP
//! datagrams, shows the program's effect (counters, dropped datagrams),
//! then drops the link and shows the program no longer runs.

mod net_common;

use std::net::UdpSocket;
use std::time::Duration;

use net_common::{counter, deliver, require, Netns, VethPair, IF_B};
use oxbpf::loader::link::{
    Anchor, AnchorTarget, NetfilterOptions, NfHook, NfProtocol, TcDirection, TcOptions, TcxOptions,
    XdpMode,
};
use oxbpf::loader::{features, AttachError, LinkKind};
use oxbpf::loader::{Collection, CollectionSpec, LoadError, LoadOptions};
use oxbpf::sys::netlink::{self, RouteSocket, TcHook};
use oxbpf::sys::{LinkType, ProgramType};

/// Ports of testdata/links/net_common.h.
const PASS_PORT: u16 = 40001;
const DROP_PORT: u16 = 40002;

fn require_net() -> bool {
    require("kernel") && require("iproute2")
}

#[test]
fn xdp_link_in_each_mode_drops_then_detaches() {
    if !require_net() {
        return;
    }
    let coll = net_common::load("net_xdp");
    let prog = coll.program("xdp_filter").unwrap();
    let stats = coll.map("xdp_stats").unwrap();
    let pair = VethPair::new();
    let (pass_rx, drop_rx) = (pair.receiver(PASS_PORT), pair.receiver(DROP_PORT));
    let tx = pair.sender();
    // Traffic flows before anything is attached (and ARP is resolved).
    assert_eq!(deliver(&tx, &drop_rx, 1), 1);

    for mode in [XdpMode::Generic, XdpMode::Driver, XdpMode::Auto] {
        let (seen0, dropped0) = (counter(stats, 0), counter(stats, 1));
        let link = pair
            .b
            .run(|| prog.attach_xdp(IF_B, mode))
            .unwrap_or_else(|e| panic!("attach in {mode} mode: {e}"));
        assert_eq!(link.kind(), LinkKind::Bpf);
        assert!(
            link.description().contains("veth1"),
            "{}",
            link.description()
        );
        assert_eq!(
            deliver(&tx, &pass_rx, 3),
            3,
            "{mode}: passed datagrams arrive"
        );
        assert_eq!(
            deliver(&tx, &drop_rx, 3),
            0,
            "{mode}: dropped datagrams vanish"
        );
        assert_eq!(counter(stats, 0) - seen0, 6, "{mode}: packets seen");
        assert_eq!(counter(stats, 1) - dropped0, 3, "{mode}: packets dropped");

        net_common::detach(link);
        assert_eq!(
            deliver(&tx, &drop_rx, 3),
            3,
            "{mode}: detached, nothing dropped"
        );
        assert_eq!(
            counter(stats, 0) - seen0,
            6,
            "{mode}: detached, nothing counted"
        );
    }
}

#[test]
fn xdp_errors_are_clear() {
    if !require_net() {
        return;
    }
    let coll = net_common::load("net_xdp");
    let prog = coll.program("xdp_filter").unwrap();
    let tc = net_common::load("net_tc");
    let pair = VethPair::new();
    pair.b.run(|| {
        let first = prog.attach_xdp(IF_B, XdpMode::Generic).unwrap();
        let id = prog.info().unwrap().id;
        // A second program in the same mode.
        let err = prog.attach_xdp(IF_B, XdpMode::Generic).unwrap_err();
        match &err {
            AttachError::AlreadyAttached { detail, .. } => assert!(
                detail.contains(&format!("program {id} in generic mode")),
                "{detail}"
            ),
            e => panic!("expected AlreadyAttached, got {e:?}"),
        }
        assert!(err.to_string().contains("already attached"), "{err}");
        // Netlink attachment while a link holds the interface.
        let err = prog.attach_xdp_netlink(IF_B, XdpMode::Generic).unwrap_err();
        assert!(
            matches!(err, AttachError::AlreadyAttached { .. }),
            "netlink over a link: {err:?}"
        );
        net_common::detach(first);

        let err = prog.attach_xdp("oxbpf-none0", XdpMode::Generic).unwrap_err();
        assert!(
            matches!(&err, AttachError::TargetNotFound { what } if what.contains("oxbpf-none0")),
            "{err:?}"
        );
        assert_eq!(err.to_string(), "network interface `oxbpf-none0`: not found");
        let err = prog.attach_xdp(999_999u32, XdpMode::Generic).unwrap_err();
        assert!(matches!(err, AttachError::TargetNotFound { .. }), "{err:?}");
        let err = tc
            .program("tc_filter")
            .unwrap()
            .attach_xdp(IF_B, XdpMode::Generic)
            .unwrap_err();
        assert!(
            matches!(&err, AttachError::WrongProgramType { expected, .. } if expected.contains("XDP")),
            "{err:?}"
        );
        assert!(err.to_string().contains("sched_cls"), "{err}");
    });
}

#[test]
fn xdp_netlink_attachment_drops_then_detaches() {
    if !require_net() {
        return;
    }
    let coll = net_common::load("net_xdp");
    let prog = coll.program("xdp_filter").unwrap();
    let stats = coll.map("xdp_stats").unwrap();
    let pair = VethPair::new();
    let drop_rx = pair.receiver(DROP_PORT);
    let tx = pair.sender();
    assert_eq!(deliver(&tx, &drop_rx, 1), 1);
    let link = pair
        .b
        .run(|| prog.attach_xdp_netlink(IF_B, XdpMode::Generic))
        .unwrap();
    assert_eq!(link.kind(), LinkKind::Legacy);
    let ifindex = pair.b.run(|| oxbpf::sys::if_nametoindex(IF_B)).unwrap();
    let state = pair
        .b
        .run(|| netlink::xdp_query(&mut RouteSocket::open().unwrap(), ifindex))
        .unwrap();
    assert_eq!(state.generic, Some(prog.info().unwrap().id.as_raw()));
    // A second netlink attachment is refused (UPDATE_IF_NOEXIST).
    let err = pair
        .b
        .run(|| prog.attach_xdp_netlink(IF_B, XdpMode::Generic))
        .unwrap_err();
    assert!(
        matches!(err, AttachError::AlreadyAttached { .. }),
        "{err:?}"
    );
    let dropped0 = counter(stats, 1);
    assert_eq!(deliver(&tx, &drop_rx, 2), 0);
    assert_eq!(counter(stats, 1) - dropped0, 2);
    // Detaching is done on drop, from any thread (the netlink socket is in b).
    link.detach().unwrap();
    let state = pair
        .b
        .run(|| netlink::xdp_query(&mut RouteSocket::open().unwrap(), ifindex))
        .unwrap();
    assert_eq!(state.generic, None);
    assert_eq!(deliver(&tx, &drop_rx, 2), 2);
    assert_eq!(counter(stats, 1) - dropped0, 2);
}

#[test]
fn tcx_links_drop_order_and_detach() {
    if !require_net() {
        return;
    }
    let coll = net_common::load("net_tc");
    let stats = coll.map("tc_stats").unwrap();
    let order = coll.map("tcx_order").unwrap();
    let pair = VethPair::new();
    let (pass_rx, drop_rx) = (pair.receiver(PASS_PORT), pair.receiver(DROP_PORT));
    let tx = pair.sender();
    assert_eq!(deliver(&tx, &pass_rx, 1), 1);

    let filter = coll.program("tcx_filter").unwrap();
    let egress = coll.program("tcx_egress").unwrap();
    if !features::link_type(LinkType::TCX) {
        // Before 6.6: oxbpf says tcx is not supported, and the traffic
        // still flows.
        let err = pair
            .b
            .run(|| filter.attach_tcx(IF_B, TcDirection::Ingress, &TcxOptions::default()))
            .unwrap_err();
        assert!(matches!(err, AttachError::NotSupported { .. }), "{err:?}");
        assert_eq!(deliver(&tx, &pass_rx, 1), 1);
        net_common::common::kernel_note("links: tcx not supported: NotSupported asserted");
        return;
    }
    let ingress_link = pair
        .b
        .run(|| filter.attach_tcx(IF_B, TcDirection::Ingress, &TcxOptions::default()))
        .unwrap();
    let egress_link = pair
        .a
        .run(|| egress.attach_tcx("veth0", TcDirection::Egress, &TcxOptions::default()))
        .unwrap();
    assert_eq!(deliver(&tx, &pass_rx, 2), 2);
    assert_eq!(deliver(&tx, &drop_rx, 2), 0, "tcx ingress drops");
    assert_eq!((counter(stats, 2), counter(stats, 3)), (4, 2));
    assert_eq!(counter(stats, 4), 4, "tcx egress saw the datagrams leave a");
    net_common::common::kernel_note("links: tcx ingress drop + egress count proven");

    // Ordering: b goes before a, then c (a again, by link) first of all.
    let a = coll.program("tcx_order_a").unwrap();
    let b = coll.program("tcx_order_b").unwrap();
    let link_a = pair
        .b
        .run(|| a.attach_tcx(IF_B, TcDirection::Ingress, &TcxOptions::default()))
        .unwrap();
    let link_b = pair
        .b
        .run(|| {
            b.attach_tcx(
                IF_B,
                TcDirection::Ingress,
                &TcxOptions {
                    anchor: Anchor::Before(AnchorTarget::Program(a)),
                    ..Default::default()
                },
            )
        })
        .unwrap();
    assert_eq!(deliver(&tx, &pass_rx, 1), 1);
    let (pos_a, pos_b) = (counter(order, 1), counter(order, 2));
    assert!(pos_a > 0 && pos_b > 0, "both ran: a={pos_a} b={pos_b}");
    assert!(pos_b < pos_a, "b runs before a: a={pos_a} b={pos_b}");
    // Move a before b's link: detach and reattach a first.
    net_common::detach(link_a);
    let link_a = pair
        .b
        .run(|| {
            a.attach_tcx(
                IF_B,
                TcDirection::Ingress,
                &TcxOptions {
                    anchor: Anchor::Before(AnchorTarget::Link(&link_b)),
                    ..Default::default()
                },
            )
        })
        .unwrap();
    assert_eq!(deliver(&tx, &pass_rx, 1), 1);
    let (pos_a, pos_b) = (counter(order, 1), counter(order, 2));
    assert!(pos_a < pos_b, "a now runs before b: a={pos_a} b={pos_b}");
    // A stale revision is refused.
    let err = pair
        .b
        .run(|| {
            filter.attach_tcx(
                IF_B,
                TcDirection::Egress,
                &TcxOptions {
                    expected_revision: 1_000,
                    ..Default::default()
                },
            )
        })
        .unwrap_err();
    assert_eq!(err.errno(), Some(libc_estale()), "{err:?}");
    // The same program twice on one hook.
    let err = pair
        .b
        .run(|| a.attach_tcx(IF_B, TcDirection::Ingress, &TcxOptions::default()))
        .unwrap_err();
    assert!(
        matches!(err, AttachError::AlreadyAttached { .. }),
        "{err:?}"
    );

    net_common::detach((ingress_link, egress_link, link_a, link_b));
    let before = (counter(stats, 2), counter(stats, 4), counter(order, 0));
    assert_eq!(deliver(&tx, &drop_rx, 2), 2, "detached: nothing dropped");
    assert_eq!(deliver(&tx, &pass_rx, 1), 1);
    assert_eq!(
        (counter(stats, 2), counter(stats, 4), counter(order, 0)),
        before,
        "detached: nothing counted"
    );
}

fn libc_estale() -> i32 {
    116
}

#[test]
fn legacy_tc_filter_drops_then_is_deleted() {
    if !require_net() {
        return;
    }
    let coll = net_common::load("net_tc");
    let prog = coll.program("tc_filter").unwrap();
    let stats = coll.map("tc_stats").unwrap();
    let pair = VethPair::new();
    let (pass_rx, drop_rx) = (pair.receiver(PASS_PORT), pair.receiver(DROP_PORT));
    let tx = pair.sender();
    assert_eq!(deliver(&tx, &pass_rx, 1), 1);

    let link = pair
        .b
        .run(|| prog.attach_tc(IF_B, TcDirection::Ingress, &TcOptions::default()))
        .unwrap();
    assert_eq!(link.kind(), LinkKind::Legacy);
    assert!(
        link.description()
            .contains("tc ingress filter `tc_filter` on veth1 (handle 0x"),
        "{}",
        link.description()
    );
    let ifindex = pair.b.run(|| oxbpf::sys::if_nametoindex(IF_B)).unwrap();
    let list = |hook| {
        pair.b
            .run(|| netlink::tc_filter_list(&mut RouteSocket::open().unwrap(), ifindex, hook))
            .unwrap()
    };
    let filters = list(TcHook::Ingress);
    assert_eq!(filters.len(), 1, "{filters:?}");
    assert_eq!(filters[0].prog_id, Some(prog.info().unwrap().id.as_raw()));
    assert!(list(TcHook::Egress).is_empty());

    assert_eq!(deliver(&tx, &pass_rx, 2), 2);
    assert_eq!(deliver(&tx, &drop_rx, 2), 0, "cls_bpf direct action drops");
    assert_eq!((counter(stats, 0), counter(stats, 1)), (4, 2));

    // Same priority and handle: refused, unless replacing.
    let (handle, priority) = (filters[0].handle, filters[0].priority);
    let opts = TcOptions {
        handle,
        priority,
        replace: false,
    };
    let err = pair
        .b
        .run(|| prog.attach_tc(IF_B, TcDirection::Ingress, &opts))
        .unwrap_err();
    assert!(
        matches!(err, AttachError::AlreadyAttached { .. }),
        "{err:?}"
    );
    // An explicit priority and handle on egress, from the sending side.
    let egress = pair
        .a
        .run(|| {
            prog.attach_tc(
                "veth0",
                TcDirection::Egress,
                &TcOptions {
                    priority: 7,
                    handle: 0x42,
                    replace: false,
                },
            )
        })
        .unwrap();
    assert!(
        egress.description().contains("(handle 0x42, priority 7)"),
        "{}",
        egress.description()
    );
    assert_eq!(deliver(&tx, &drop_rx, 1), 0, "dropped on egress of a");
    assert_eq!(counter(stats, 1), 3);
    net_common::detach(egress);

    // Dropping the link deletes the filter (from this thread: the netlink
    // socket belongs to b).
    net_common::detach(link);
    assert!(list(TcHook::Ingress).is_empty(), "filter deleted");
    assert_eq!(deliver(&tx, &drop_rx, 2), 2, "detached: nothing dropped");
    assert_eq!((counter(stats, 0), counter(stats, 1)), (5, 3));

    let err = pair
        .b
        .run(|| prog.attach_tc("oxbpf-none0", TcDirection::Ingress, &TcOptions::default()))
        .unwrap_err();
    assert!(matches!(err, AttachError::TargetNotFound { .. }), "{err:?}");
}

#[test]
fn netfilter_link_drops_local_in_then_detaches() {
    if !require_net() {
        return;
    }
    if !features::program_type(ProgramType::NETFILTER) {
        // Before 6.4 the kernel has no netfilter programs: the load is
        // refused with EINVAL, and oxbpf names the program.
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/links/net_netfilter.bpf.o");
        let spec = CollectionSpec::from_file(&path).unwrap();
        let err = Collection::load(&spec, &LoadOptions::default()).unwrap_err();
        match &err {
            LoadError::Program {
                program, source, ..
            } => {
                assert_eq!(program, "nf_drop");
                assert_eq!(source.errno(), libc::EINVAL, "{err}");
            }
            other => panic!("expected a program refusal, got {other:?}"),
        }
        net_common::common::kernel_note(&format!(
            "links: netfilter programs not supported: load refusal asserted ({err})"
        ));
        return;
    }
    let coll = net_common::load("net_netfilter");
    let prog = coll.program("nf_drop").unwrap();
    let stats = coll.map("nf_stats").unwrap();
    let ns = Netns::new();
    let (rx, tx) = ns.run(|| {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        (rx, UdpSocket::bind("127.0.0.1:0").unwrap())
    });
    rx.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    assert_eq!(deliver(&tx, &rx, 1), 1);
    let opts = NetfilterOptions {
        protocol: NfProtocol::Ipv4,
        hook: NfHook::LocalIn,
        priority: -100,
        defrag: false,
    };
    let link = ns.run(|| prog.attach_netfilter(&opts)).unwrap();
    assert_eq!(link.kind(), LinkKind::Bpf);
    assert_eq!(deliver(&tx, &rx, 3), 0, "LOCAL_IN drops");
    assert_eq!(counter(stats, 0), 3);
    net_common::common::kernel_note("links: netfilter LOCAL_IN drop proven");
    let err = ns
        .run(|| {
            prog.attach_netfilter(&NetfilterOptions {
                priority: i32::MIN,
                ..opts
            })
        })
        .unwrap_err();
    assert!(matches!(err, AttachError::InvalidArgument(_)), "{err:?}");
    net_common::detach(link);
    assert_eq!(deliver(&tx, &rx, 3), 3, "detached");
    assert_eq!(counter(stats, 0), 3);
}

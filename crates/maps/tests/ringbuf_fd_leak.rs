//! No fd leaks from the event readers, on success or error paths (one
//! test per binary: counting `/proc/self/fd` needs a quiet process).

mod common;

use std::time::Duration;

use common::{open_fds, require_kernel};
use oxbpf_maps::*;

#[test]
fn event_readers_close_everything() {
    if !require_kernel() {
        return;
    }
    oxbpf_sys::nr_possible_cpus().unwrap();
    oxbpf_sys::page_size();
    let before = open_fds();
    for _ in 0..3 {
        let rb = Map::create(&MapSpec::new("leak_rb", MapType::RINGBUF, 0, 0, 4096)).unwrap();
        let mut reader = RingBufReader::new(&rb).unwrap();
        assert!(!reader.wait(Some(Duration::ZERO)).unwrap()); // creates its epoll
        assert!(RingBufReader::new(&rb).is_err());
        let mut poller = RingBufPoller::new().unwrap();
        poller.add(reader).unwrap();
        poller.poll(Some(Duration::ZERO), |_, _| {}).unwrap();
        drop((poller, rb));

        let urb =
            Map::create(&MapSpec::new("leak_urb", MapType::USER_RINGBUF, 0, 0, 4096)).unwrap();
        let mut writer = UserRingBufWriter::new(&urb).unwrap();
        while writer.write(&[1; 100]).unwrap() {}
        assert!(writer
            .reserve_blocking(100, Some(Duration::from_millis(1)))
            .unwrap()
            .is_none());
        drop((writer, urb));

        let cpus = oxbpf_sys::nr_possible_cpus().unwrap() as u32;
        let pea = Map::create(&MapSpec::new(
            "leak_pea",
            MapType::PERF_EVENT_ARRAY,
            4,
            4,
            4096.max(cpus),
        ))
        .unwrap();
        let mut perf = PerfBuffer::new(&pea, &PerfBufferOptions::with_pages(2)).unwrap();
        perf.poll(Some(Duration::ZERO), |_, _| {}).unwrap();
        drop(perf);
        // Fails at the second CPU, after the first was fully set up.
        let e = PerfBuffer::new(&pea, &PerfBufferOptions::default().cpus(vec![0, 4000]));
        assert!(matches!(e, Err(MapError::PerfBuffer { cpu: 4000, .. })));
        drop(pea);
    }
    assert_eq!(open_fds(), before, "fds leaked");
}

//! The typed hot path (get/insert/remove on hits and misses) allocates
//! nothing: keys and values live on the stack.
//!
//! A counting global allocator sees every thread's allocations, so this
//! binary has exactly one test.

mod common;

use common::require_kernel;
use oxbpf_maps::*;
use oxbpf_sys::alloc_count::CountingAlloc;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::new();

#[test]
fn hot_path_does_not_allocate() {
    if !require_kernel() {
        return;
    }
    let map = Map::create(&MapSpec::hash::<u32, u64>("noalloc", 1024)).unwrap();
    let h = HashMap::<_, u32, u64>::new(&map).unwrap();
    let arr_map = Map::create(&MapSpec::array::<[u8; 24]>("noalloc_arr", 16)).unwrap();
    let arr = Array::<_, [u8; 24]>::new(&arr_map).unwrap();
    let q_map = Map::create(&MapSpec::new("noalloc_q", MapType::QUEUE, 0, 8, 16)).unwrap();
    let q = Queue::<_, u64>::new(&q_map).unwrap();
    // The allocator is global: libtest's own threads may allocate while
    // we measure. A real hot-path allocation shows up in every attempt, so
    // one clean attempt out of three proves there is none.
    let mut extra = Vec::new();
    for _ in 0..3 {
        let live = ALLOC.live();
        ALLOC.reset_peak();
        for k in 0..1000u32 {
            h.insert(&k, &u64::from(k), UpdateMode::NoExist).unwrap();
            assert_eq!(h.get(&k).unwrap(), Some(u64::from(k)));
            assert_eq!(h.get(&(k + 5000)).unwrap(), None);
            h.insert(&k, &1, UpdateFlags::EXIST).unwrap();
            arr.set(k % 16, &[k as u8; 24], UpdateMode::Any).unwrap();
            assert_eq!(arr.get(k % 16).unwrap()[0], k as u8);
            q.push(&u64::from(k), true).unwrap();
            assert!(q.pop().unwrap().is_some());
            assert_eq!(q.pop().unwrap(), None);
        }
        for k in 0..1000u32 {
            assert!(h.remove(&k).unwrap());
            assert!(!h.remove(&k).unwrap());
        }
        extra.push(ALLOC.peak() - live);
        if extra.last() == Some(&0) {
            return;
        }
    }
    panic!("the hot path allocated: {extra:?} bytes above the live count");
}

use oxbpf::BtfStruct;

#[derive(Clone, Copy)]
struct NotDescribed {
    x: u32,
}

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
struct Event {
    inner: NotDescribed,
}

fn main() {}

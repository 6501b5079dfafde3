use oxbpf::BtfStruct;

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
struct Event {
    ts: u64,
    cpu: u16,
}

fn main() {}

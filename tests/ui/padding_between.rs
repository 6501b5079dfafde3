use oxbpf::BtfStruct;

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
struct Event {
    kind: u8,
    pid: u32,
}

fn main() {}

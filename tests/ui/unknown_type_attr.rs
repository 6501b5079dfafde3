use oxbpf::BtfStruct;

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
#[btf(packed)]
struct Event {
    pid: u32,
}

fn main() {}

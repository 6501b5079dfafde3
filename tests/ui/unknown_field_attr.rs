use oxbpf::BtfStruct;

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
struct Event {
    #[btf(offset = 4)]
    pid: u32,
}

fn main() {}

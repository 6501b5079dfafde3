use oxbpf::BtfStruct;

#[derive(BtfStruct, Clone, Copy)]
struct Event {
    pid: u32,
}

fn main() {}

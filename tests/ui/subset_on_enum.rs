use oxbpf::BtfStruct;

#[derive(BtfStruct, Clone, Copy)]
#[repr(u8)]
#[btf(subset)]
enum State {
    Idle,
}

fn main() {}

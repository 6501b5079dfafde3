use oxbpf::BtfStruct;

#[derive(BtfStruct, Clone, Copy)]
enum State {
    Idle,
    Busy,
}

fn main() {}

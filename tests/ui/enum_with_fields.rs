use oxbpf::BtfStruct;

#[derive(BtfStruct, Clone, Copy)]
#[repr(u32)]
enum Message {
    Ping,
    Data(u32),
}

fn main() {}

use oxbpf::BtfStruct;

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
struct Wrapper<T> {
    value: T,
}

fn main() {}

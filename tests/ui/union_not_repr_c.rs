use oxbpf::BtfStruct;

#[derive(BtfStruct, Clone, Copy)]
union U {
    a: u32,
    b: i32,
}

fn main() {}

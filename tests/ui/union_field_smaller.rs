use oxbpf::BtfStruct;

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
union Addr {
    v4: u32,
    v6: [u8; 16],
}

fn main() {}

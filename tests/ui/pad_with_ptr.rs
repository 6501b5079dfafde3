use oxbpf::BtfStruct;

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
struct View {
    #[btf(pad, ptr)]
    gap: u64,
}

fn main() {}

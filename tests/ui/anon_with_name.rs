use oxbpf::BtfStruct;

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
struct Inner {
    a: u32,
}

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
struct Outer {
    #[btf(anon, name = "inner")]
    inner: Inner,
}

fn main() {}

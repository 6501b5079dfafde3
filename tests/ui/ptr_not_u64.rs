use oxbpf::BtfStruct;

#[derive(BtfStruct, Clone, Copy)]
#[repr(C)]
struct View {
    #[btf(ptr = "task_struct")]
    task: u32,
}

fn main() {}

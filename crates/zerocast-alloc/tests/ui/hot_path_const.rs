use zerocast_alloc::hot_path;

#[hot_path]
const fn f() -> u8 {
    1
}

fn main() {
    f();
}

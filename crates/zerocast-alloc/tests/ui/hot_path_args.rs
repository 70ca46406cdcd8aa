use zerocast_alloc::hot_path;

#[hot_path(fast)]
fn f() {}

fn main() {
    f();
}

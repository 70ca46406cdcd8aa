use zerocast_alloc::HotPathGuard;

fn main() {
    let guard = HotPathGuard::enter("main");
    std::thread::spawn(move || drop(guard));
}

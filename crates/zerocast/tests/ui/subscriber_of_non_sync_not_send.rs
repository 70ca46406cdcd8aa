use std::cell::Cell;

fn main() {
    let (_publisher, mut subs) = zerocast::multicast::channel::<Cell<u32>>(4, 1);
    let sub = subs.pop().unwrap();
    std::thread::spawn(move || drop(sub));
}

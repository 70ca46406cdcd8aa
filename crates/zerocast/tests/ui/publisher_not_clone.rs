fn main() {
    let (publisher, _subs) = zerocast::multicast::channel::<u32>(4, 1);
    let _second = publisher.clone();
}

fn main() {
    let (_publisher, subs) = zerocast::multicast::channel::<u32>(4, 1);
    let _twin = subs[0].clone();
}

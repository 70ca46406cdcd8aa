fn main() {
    let (_tx, rx) = zerocast::broadcast::channel::<u32>(4);
    let _twin = rx.clone();
}

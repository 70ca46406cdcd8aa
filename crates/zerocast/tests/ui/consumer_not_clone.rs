fn main() {
    let (_tx, rx) = zerocast::spsc::channel::<u32>(4);
    let _twin = rx.clone();
}

fn main() {
    let (tx, _rx) = zerocast::watch::channel(0u32);
    let _second_writer = tx.clone();
}

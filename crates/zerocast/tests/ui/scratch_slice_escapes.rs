fn main() {
    let mut scratch = zerocast::pool::Scratch::new(64);
    let mut kept: Option<&mut [u8]> = None;
    scratch.with(|arena| kept = arena.alloc(8).ok());
    drop(kept);
}

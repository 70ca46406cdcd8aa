fn main() {
    let handles = {
        let mut storage: zerocast::spsc::Storage<u32, 4> = zerocast::spsc::Storage::new();
        storage.split()
    };
    drop(handles);
}

//! The `xenboot` command (to be written).
fn main() {}

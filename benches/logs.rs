//! placeholder, replaced by the logs benchmark.
fn main() {}

//! placeholder, replaced by the kube benchmark.
fn main() {}

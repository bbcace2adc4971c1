//! The `opsdeck` binary: command-line wiring only.

fn main() {}

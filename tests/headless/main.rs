//! The headless console, no peer involved: keys and source events driven through `update`
//! (`app`), the rendered buffer as insta snapshots, styles and screenshots (`render`), and
//! every shipped tour completed through the real run loop on the sandbox (`tours`).
//!
//! One test binary, so the crate is linked once for all three; filter with a module path,
//! e.g. `cargo test --test headless render::snapshots`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers outside #[test] fns unwrap; a panic is the failure report"
)]

mod app;
mod oncall;
mod render;
mod tours;

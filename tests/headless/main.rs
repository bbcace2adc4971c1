//! The headless console, no peer involved: keys and source events driven through `update`
//! (`app`), the rendered buffer as insta snapshots, styles and screenshots (`render`),
//! every shipped tour completed through the real run loop on the sandbox (`tours`), and
//! `opsdeck status` / `opsdeck incident` on the sandbox with their JSON schemas (`report`).
//!
//! One test binary, so the crate is linked once for all of them; filter with a module path,
//! e.g. `cargo test --test headless render::snapshots`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers outside #[test] fns unwrap; a panic is the failure report"
)]

mod app;
mod oncall;
mod render;
mod report;
mod tours;

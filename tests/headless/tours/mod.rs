//! Every shipped tour, completed headless by keystrokes through the real run loop on the
//! sandbox. Each step is checked twice: not done after the keys that lead up to it, done
//! right after the key that completes it.

mod driver;

use std::time::Duration;

use driver::{Ui, with_console};

/// Starts `name` from the palette and waits for its panel.
async fn start(ui: &Ui, name: &str) -> usize {
    ui.wait_for("the catalog", Duration::from_secs(20), |s| {
        s.contains("checkout-api")
    })
    .await;
    ui.press(&format!(":tour {name}<enter>"));
    ui.wait_for("the tour panel", Duration::from_secs(10), |s| {
        s.contains("Tour 0/")
    })
    .await;
    ui.progress().expect("progress").1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_day_on_call() {
    Box::pin(with_console(120, 40, |ui| async move {
        let total = start(&ui, "first-day-on-call").await;
        ui.step(1, "", "?").await;
        ui.step(2, "<esc>", ":").await;
        ui.step(3, "kafka", "<enter>").await;
        ui.step(4, "", "1").await;
        ui.step(5, "/checkout-api", "<enter>").await;
        ui.step(6, "", "<enter>").await;
        let screen = ui.screen();
        assert!(screen.contains("payments-api"), "{screen}");
        ui.step(7, "", "<down><down><down><enter>").await;
        ui.step(8, "<esc>", "s").await;
        ui.step(9, "", "5").await;
        ui.step(10, ":scope all", "<enter>").await;
        ui.step(11, "<ctrl-e>sandbox-prod", "<enter>").await;
        ui.step(12, "<ctrl-e>sandbox-staging", "<enter>").await;
        assert_eq!(total, 12);
        ui.wait_for("the end", Duration::from_secs(5), |s| {
            s.contains("Tour complete")
        })
        .await;
    }))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_query() {
    Box::pin(with_console(120, 40, |ui| async move {
        let total = start(&ui, "blocking-query").await;
        ui.step(1, ":scope checkout-api", "<enter>").await;
        ui.step(2, "", "5").await;
        ui.wait_for("the sessions", Duration::from_secs(10), |s| {
            s.contains("idle in tx")
        })
        .await;
        ui.step(3, "", "<tab>").await;
        ui.step(4, "", "c").await;
        ui.step(5, "", "<esc>").await;
        ui.press_and_settle("x").await;
        assert_eq!(
            ui.progress().map(|p| p.0),
            Some(5),
            "the dialog is not the action"
        );
        ui.press("<enter>");
        // The terminate, then the refresh that shows the chain drained (possibly together).
        ui.until_done_or_next(6).await;
        ui.until_done(7).await;
        ui.step(8, "", "9").await;
        assert_eq!(total, 8);
    }))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stuck_rollout() {
    Box::pin(with_console(120, 40, |ui| async move {
        let total = start(&ui, "stuck-rollout").await;
        ui.wait_for("the cluster", Duration::from_secs(10), |s| {
            s.contains("kube ✓")
        })
        .await;
        ui.step(1, "", "3").await;
        ui.step(2, "", "<enter>").await;
        ui.step(3, "", "a").await;
        ui.step(4, "", "<enter>").await;
        ui.step(5, "b<enter>", "<enter>").await;
        ui.until_done(6).await;
        assert_eq!(total, 6);
    }))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lagging_consumer() {
    Box::pin(with_console(120, 40, |ui| async move {
        let total = start(&ui, "lagging-consumer").await;
        ui.step(1, "", "4").await;
        ui.step(2, "", "<tab>").await;
        ui.step(3, "", "<enter>").await;
        ui.step(4, "", "<esc>").await;
        ui.step(5, ":scope analytics-ingest", "<enter>").await;
        assert_eq!(total, 5);
    }))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_request() {
    Box::pin(with_console(120, 40, |ui| async move {
        let total = start(&ui, "failing-request").await;
        ui.step(1, "", "6").await;
        ui.wait_for("log lines", Duration::from_secs(10), |s| {
            s.contains("ERROR")
        })
        .await;
        ui.step(2, "WI", "D").await;
        ui.step(3, "", "<enter>").await;
        ui.step(4, "", "o").await;
        ui.step(5, "", "<up>").await;
        ui.step(6, "", "<enter>").await;
        ui.step(7, "", "l").await;
        assert_eq!(total, 7);
    }))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_service() {
    Box::pin(with_console(120, 40, |ui| async move {
        let total = start(&ui, "self-service").await;
        ui.step(1, "", "8").await;
        ui.step(2, "", "t").await;
        ui.step(
            3,
            "checkout.refunds.v1<enter>refunds for the new returns flow",
            "<enter>",
        )
        .await;
        ui.step(4, "r<enter>reporting queries off the primary", "<enter>")
            .await;
        ui.step(5, "", "<tab>").await;
        ui.wait_for("both requests in the queue", Duration::from_secs(10), |s| {
            s.contains("approval queue (2)")
        })
        .await;
        ui.step(6, "a", "<enter>").await;
        ui.step(7, "a", "<enter>").await;
        ui.step(8, "", "<tab>").await;
        ui.until_done(9).await;
        assert_eq!(total, 9);
    }))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paged_at_3am() {
    Box::pin(with_console(120, 40, |ui| async move {
        let total = start(&ui, "paged-at-3am").await;
        ui.step(1, "0/sandbox-staging checkout-api", "<enter>")
            .await;
        ui.step(2, "", "<enter>").await;
        ui.step(3, "", "S").await;
        ui.step(4, "looking at the orders-db lock pile-up", "<enter>")
            .await;
        let screen = ui.screen();
        assert!(
            screen.contains("1 alert now: PostgresLockWaits"),
            "{screen}"
        );
        ui.step(5, "", "<enter>").await;
        ui.step(6, "5", "<tab>").await;
        ui.step(7, "x", "<enter>").await;
        // The alert resolves at the next poll of the alerts.
        ui.step(8, "", "0").await;
        // The cursor stays on the first record the pane listed (the silence): up to the
        // terminate, then down again.
        ui.step(9, "9", "<up>").await;
        ui.step(10, "", "<down>").await;
        assert_eq!(total, 10);
    }))
    .await;
}

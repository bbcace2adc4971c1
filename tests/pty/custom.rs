//! Custom commands from `commands.toml` in the real binary, over the sandbox: the shipped
//! `pod-shell` example (dangerous) is confirmed, audited as `custom.pod-shell` and gets the
//! terminal through the sandbox's `kubectl` stand-in (a simulated shell in the pod), then
//! opsdeck takes the terminal back and says how it ended; `describe-pod` (capture) shows the
//! stand-in's output in a view; `psql` in the Postgres pane opens the stand-in `psql` prompt.

use std::time::Duration;

use super::pty::{Session, visible};
use super::{LEAVE_ALT, Sandbox};

/// The sandbox with the shipped examples as the user's `commands.toml`, on the pods of the
/// stuck rollout.
fn on_the_pods(sandbox: &Sandbox) -> Session {
    std::fs::write(
        sandbox.config_dir().join("commands.toml"),
        opsdeck::commands::EXAMPLES,
    )
    .unwrap();
    let mut s = Session::start(&["sandbox"], &sandbox.env(&[]), sandbox.path());
    super::open_the_stuck_rollouts_pods(&mut s);
    s
}

#[test]
fn the_pod_shell_custom_command_is_audited_and_gets_the_terminal() {
    let sandbox = Sandbox::new();
    let mut s = on_the_pods(&sandbox);
    s.send("X");
    s.expect_screen("policy allows it", Duration::from_secs(10));
    let dialog = s.screen();
    assert!(
        dialog.contains("kubectl --context sandbox-staging -n logistics exec -it")
            && dialog.contains("-c shipping-api -- sh"),
        "the whole command line:\n{dialog}"
    );
    let before = s.text().len();
    s.send("\r");
    s.expect_screen("simulated shell in", Duration::from_secs(15));
    let handed = s.text()[before..].to_owned();
    assert!(
        handed.contains(LEAVE_ALT),
        "the alternate screen was not left:\n{}",
        visible(&handed)
    );
    s.send("echo qj-typed\r");
    s.expect_text("qj-typed\r\nroot@", Duration::from_secs(10));
    s.send("exit 3\r");
    s.expect_screen("custom.pod-shell", Duration::from_secs(10));
    s.expect_screen("exit 3", Duration::from_secs(10));

    // The audit trail has the command line.
    s.send(":audit\r");
    s.expect_screen("custom.pod-shell", Duration::from_secs(10));

    s.quit_with_0(Duration::from_secs(10));
}

#[test]
fn describe_shows_the_output_and_psql_opens_on_the_shown_database() {
    let sandbox = Sandbox::new();
    let mut s = on_the_pods(&sandbox);
    s.send("B");
    s.expect_screen("describe-pod", Duration::from_secs(10));
    s.expect_screen("Namespace:", Duration::from_secs(15));
    s.send("\x1b");
    s.settle(Duration::from_millis(300));

    s.send("5");
    s.expect_screen("orders-db", Duration::from_secs(15));
    s.send("C");
    s.expect_text("psql", Duration::from_secs(10));
    s.expect_text("=>", Duration::from_secs(15));
    s.send("\\conninfo\r");
    s.expect_text("You are connected to database", Duration::from_secs(10));
    s.send("\\q\r");
    s.expect_screen("psql", Duration::from_secs(10));
    s.quit_with_0(Duration::from_secs(10));
}

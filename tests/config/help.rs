//! Each subcommand's `--help` lists its own options only: the console's (`--theme`,
//! `--keymap`...) appear where the console opens, nowhere else, and no help names a Rust
//! path (`a::b`) where a file or a command is meant.

const CONSOLE_ONLY: &[&str] = &[
    "--context",
    "--theme",
    "--keymap",
    "--color",
    "--readonly",
    "--debug",
];

fn help(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(args)
        .arg("--help")
        .env_remove("OPSDECK_PLATFORM_LISTEN")
        .env_remove("OPSDECK_PLATFORM_STORE")
        .output()
        .expect("run opsdeck");
    assert!(out.status.success(), "{args:?} --help fails");
    String::from_utf8(out.stdout).expect("utf-8 help")
}

#[test]
fn other_commands_do_not_list_console_options() {
    for args in [
        &["platform", "serve"][..],
        &["platform", "example-tokens"],
        &["platform", "example-policy"],
        &["platform"],
        &["config", "check"],
        &["config", "example"],
        &["config", "init"],
        &["config"],
        &["paths"],
        &["themes"],
        &["screenshot"],
        &["completions"],
        &["man"],
    ] {
        let text = help(args);
        for option in CONSOLE_ONLY {
            assert!(
                !text.contains(option),
                "`opsdeck {} --help` lists {option}:\n{text}",
                args.join(" ")
            );
        }
        assert!(
            !text.contains("::"),
            "`opsdeck {} --help` names a Rust path:\n{text}",
            args.join(" ")
        );
    }
    assert!(!help(&["keys"]).contains("--theme"));
}

#[test]
fn console_commands_list_them_and_no_rust_paths() {
    for args in [&[][..], &["sandbox"], &["tour"], &["logs"]] {
        let text = help(args);
        for option in CONSOLE_ONLY {
            assert!(
                text.contains(option),
                "`opsdeck {} --help` lacks {option}",
                args.join(" ")
            );
        }
        assert!(
            !text.contains("::"),
            "`opsdeck {} --help`:\n{text}",
            args.join(" ")
        );
    }
    assert!(help(&["platform", "serve"]).contains("opsdeck platform example-tokens"));
}

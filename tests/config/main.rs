//! Config, theme, keymap and tour files: every malformed file in `tests/bad/` fails with the
//! message its first line expects, every shipped theme and keymap loads, the documented
//! example config parses, and user overrides change only what they name.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use opsdeck::config::load;
use opsdeck::keymap::{Action, KeyCombo, KeyContext, Keymap};
use opsdeck::theme::{ColorDepth, Role, Theme};
use ratatui::style::Color;

fn bad_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad")
}

/// What parsing one bad file reported, or `None` when it parsed.
fn error_of(name: &str, source: &str) -> Option<String> {
    if name.ends_with(".config.toml") {
        load::parse(name, source).err().map(|d| d.to_string())
    } else if name.ends_with(".theme.toml") {
        Theme::parse("bad", name, source, None, ColorDepth::TrueColor)
            .err()
            .map(|d| d.to_string())
    } else if name.ends_with(".keymap.toml") {
        Keymap::parse("bad", name, source)
            .err()
            .map(|d| d.to_string())
    } else if name.ends_with(".tour.toml") {
        opsdeck::tour::spec::TourSpec::parse(name, source)
            .err()
            .map(|d| d.to_string())
    } else {
        panic!(
            "{name}: tests/bad holds *.config.toml, *.theme.toml, *.keymap.toml and *.tour.toml only"
        )
    }
}

#[test]
fn every_bad_file_fails_with_its_expected_message() {
    let mut files: Vec<_> = std::fs::read_dir(bad_dir())
        .expect("tests/bad exists")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    assert!(
        files.len() >= 18,
        "at least 18 bad files, found {}",
        files.len()
    );
    let mut kinds = [0usize; 4];
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let source = std::fs::read_to_string(path).expect("readable");
        let expect = source
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{name}: first line must be `# expect: <message>`"))
            .trim()
            .to_owned();
        assert!(!expect.is_empty(), "{name}: empty expectation");
        for (i, suffix) in [".config.toml", ".theme.toml", ".keymap.toml", ".tour.toml"]
            .iter()
            .enumerate()
        {
            if name.ends_with(suffix) {
                kinds[i] += 1;
            }
        }
        match error_of(&name, &source) {
            None => failures.push(format!("{name}: parsed without error")),
            Some(err) if !err.contains(&expect) => {
                failures.push(format!("{name}:\n  expected: {expect}\n  got:      {err}"));
            }
            Some(err) => {
                if std::env::var_os("OPSDECK_SHOW_BAD").is_some() {
                    eprintln!("{name}: {err}");
                }
                // Every message is located: a line number, and the file's name.
                assert!(
                    err.contains(&format!("{name}:")),
                    "{name}: names the file: {err}"
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "bad files that did not fail as expected:\n{}",
        failures.join("\n")
    );
    assert!(
        kinds.iter().all(|n| *n >= 3),
        "each kind is covered: {kinds:?}"
    );
}

#[test]
fn bad_config_messages_never_repeat_the_secret() {
    for entry in std::fs::read_dir(bad_dir()).expect("tests/bad exists") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".config.toml") {
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("readable");
        let err = error_of(&name, &source).unwrap_or_default();
        for secret in ["hunter2", "eyJhbGciOi", "Bearer abc"] {
            assert!(!err.contains(secret), "{name} leaks `{secret}`: {err}");
        }
    }
}

#[test]
fn all_errors_of_a_file_are_reported_in_order() {
    let src = "\
colour = \"auto\"
readonly = \"no\"
[contexts.a]
kafka = { brokers = [\"k:9092\"], properties = { \"ssl.key.password\" = \"x\" } }
loki = { url = \"https://u:p@loki\" }
[[contexts.a.postgres]]
name = \"db\"
dsn = \"password=x\"
";
    let diags = load::parse("multi.toml", src).expect_err("several errors");
    let lines: Vec<usize> = diags.0.iter().map(|d| d.line).collect();
    assert_eq!(lines, [1, 2, 4, 5, 8], "{diags}");
    assert!(diags.0.iter().all(|d| d.key.is_some() && d.column > 0));
}

#[test]
fn example_config_parses_and_covers_every_backend() {
    let config = load::parse("example.toml", opsdeck::config::example::EXAMPLE)
        .unwrap_or_else(|d| panic!("the example parses:\n{d}"));
    let full = config
        .contexts
        .iter()
        .find(|c| {
            c.kube_context.is_some()
                && c.argocd.is_some()
                && !c.postgres.is_empty()
                && c.kafka.is_some()
                && c.loki.is_some()
                && c.tempo.is_some()
                && c.jaeger.is_some()
                && c.catalog.is_some()
                && c.platform.is_some()
        })
        .expect("one context uses every backend");
    assert_eq!(full.name, "staging");
}

#[test]
fn load_reads_a_file_and_resolves_the_catalog_dir() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "[contexts.local]\ncatalog = { dir = \"catalog\" }\n").expect("write");
    let config = load::load(&path).expect("loads");
    assert_eq!(config.file.as_deref(), Some(path.as_path()));
    assert_eq!(
        config.contexts[0].catalog,
        Some(opsdeck::config::CatalogConfig::Dir {
            path: dir.path().join("catalog")
        })
    );
    let missing = load::load(&dir.path().join("nope.toml")).expect_err("missing file");
    assert!(missing.to_string().contains("nope.toml"), "{missing}");
}

#[test]
fn every_shipped_theme_and_keymap_loads() {
    for (name, _) in opsdeck::theme::SHIPPED {
        for depth in [
            ColorDepth::Mono,
            ColorDepth::Ansi16,
            ColorDepth::Ansi256,
            ColorDepth::TrueColor,
        ] {
            Theme::shipped(name, depth)
                .expect("listed")
                .unwrap_or_else(|d| panic!("theme {name}: {d}"));
            Theme::load(name, None, depth).unwrap_or_else(|d| panic!("theme {name}: {d}"));
        }
    }
    for (name, _) in opsdeck::keymap::SHIPPED {
        Keymap::shipped(name)
            .expect("listed")
            .unwrap_or_else(|d| panic!("keymap {name}: {d}"));
        Keymap::load(name, None).unwrap_or_else(|d| panic!("keymap {name}: {d}"));
    }
}

#[test]
fn user_keymap_overrides_only_what_it_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("keymaps")).expect("mkdir");
    std::fs::write(
        dir.path().join("keymaps/default.toml"),
        "[global]\nhelp = \"f1\"\n",
    )
    .expect("write");
    let shipped = Keymap::shipped("default").expect("listed").expect("parses");
    let user = Keymap::load("default", Some(dir.path())).expect("loads");
    let f1: KeyCombo = "f1".parse().expect("key");
    assert_eq!(user.lookup(&[KeyContext::Global], f1), Some(Action::Help));
    // Help has exactly the user's key now; everything else is as shipped.
    assert_eq!(user.key_for(&[KeyContext::Global], Action::Help), Some(f1));
    for ctx in KeyContext::ALL {
        for (action, keys) in shipped.context(ctx) {
            if ctx == KeyContext::Global && *action == Action::Help {
                continue;
            }
            let now = user
                .context(ctx)
                .iter()
                .find(|(a, _)| a == action)
                .map(|(_, k)| k.clone())
                .unwrap_or_default();
            let expected: Vec<_> = keys.iter().filter(|k| **k != f1).copied().collect();
            assert_eq!(now, expected, "{}.{action} unchanged", ctx.name());
        }
    }
    // A user keymap with a new name starts from the default one.
    std::fs::write(
        dir.path().join("keymaps/mine.toml"),
        "[global]\nquit = \"x\"\n",
    )
    .expect("write");
    let mine = Keymap::load("mine", Some(dir.path())).expect("loads");
    let x: KeyCombo = "x".parse().expect("key");
    assert_eq!(mine.lookup(&[KeyContext::Global], x), Some(Action::Quit));
    // A broken user file is reported with its path and line.
    std::fs::write(
        dir.path().join("keymaps/vim.toml"),
        "[global]\n\nfly = \"f\"\n",
    )
    .expect("write");
    let err = Keymap::load("vim", Some(dir.path())).expect_err("bad user keymap");
    assert!(
        err.to_string().contains("vim.toml:3:1: key `global.fly`"),
        "{err}"
    );
}

#[test]
fn user_theme_overrides_only_what_it_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("themes")).expect("mkdir");
    std::fs::write(
        dir.path().join("themes/default.toml"),
        "[roles]\nerror = { fg = \"#ff00ff\", bold = true }\n",
    )
    .expect("write");
    let depth = ColorDepth::TrueColor;
    let shipped = Theme::shipped("default", depth)
        .expect("listed")
        .expect("parses");
    let user = Theme::load("default", Some(dir.path()), depth).expect("loads");
    assert_eq!(user.style(Role::Error).fg, Some(Color::Rgb(255, 0, 255)));
    for role in Role::ALL {
        if *role != Role::Error {
            assert_eq!(user.style(*role), shipped.style(*role), "{role} unchanged");
        }
    }
    // A new theme name inherits the theme it names.
    std::fs::write(
        dir.path().join("themes/mine.toml"),
        "inherits = \"light\"\n[roles]\nok = \"blue\"\n",
    )
    .expect("write");
    let light = Theme::shipped("light", depth)
        .expect("listed")
        .expect("parses");
    let mine = Theme::load("mine", Some(dir.path()), depth).expect("loads");
    assert_eq!(mine.style(Role::Ok).fg, Some(Color::Blue));
    assert_eq!(mine.style(Role::Title), light.style(Role::Title));
}

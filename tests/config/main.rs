//! Config, theme, keymap and tour files: every malformed file in `tests/bad/` fails with the
//! message its first line expects, every shipped theme and keymap loads, the documented
//! example config parses, and user overrides change only what they name.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers outside #[test] fns unwrap; a panic is the failure report"
)]

use std::path::{Path, PathBuf};

#[allow(
    clippy::missing_panics_doc,
    reason = "test support: a panic is how its helpers report a failure"
)]
#[path = "../support/tls_ca.rs"]
pub mod tls_ca;

mod help;
mod http_tls;
mod init;
mod kafka_secrets;

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
    } else if name.ends_with(".commands.toml") {
        let keymap = Keymap::load("default", None).expect("the default keymap");
        opsdeck::commands::CustomCommands::parse(name, source)
            .and_then(|commands| commands.check_keys(&keymap))
            .err()
            .map(|d| d.to_string())
    } else {
        panic!(
            "{name}: tests/bad holds *.config.toml, *.theme.toml, *.keymap.toml, *.tour.toml and *.commands.toml only"
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
    let mut kinds = [0usize; 5];
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
        for (i, suffix) in [
            ".config.toml",
            ".theme.toml",
            ".keymap.toml",
            ".tour.toml",
            ".commands.toml",
        ]
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
fn a_binding_outside_its_actions_sections_names_file_line_and_key() {
    let name = "wrong-section.keymap.toml";
    let source = std::fs::read_to_string(bad_dir().join(name)).expect("readable");
    assert_eq!(
        error_of(name, &source).as_deref(),
        Some(
            "wrong-section.keymap.toml:3:1: key `global.freeze`: `freeze` does nothing in \
             [global]; bind it in [pg]"
        )
    );
    // Every shipped keymap binds each action only where its views handle it.
    for (name, _) in opsdeck::keymap::SHIPPED {
        let keymap = Keymap::load(name, None).unwrap_or_else(|d| panic!("keymap {name}: {d}"));
        for &context in KeyContext::all() {
            for (action, _) in keymap.context(context) {
                assert!(
                    context.accepts(*action),
                    "{name}: [{}] {action}",
                    context.name()
                );
            }
        }
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
    for &ctx in KeyContext::all() {
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

// --- The README's generated and reference sections stay true to the code. ---

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md")
}

/// The text between `<!-- NAME:begin -->` and `<!-- NAME:end -->`, trimmed.
fn between_markers<'a>(text: &'a str, name: &str) -> &'a str {
    let begin = format!("<!-- {name}:begin -->");
    let end = format!("<!-- {name}:end -->");
    let start = text
        .find(&begin)
        .unwrap_or_else(|| panic!("README.md has no `{begin}` marker"))
        + begin.len();
    let stop = text[start..]
        .find(&end)
        .unwrap_or_else(|| panic!("README.md has no `{end}` marker after `{begin}`"))
        + start;
    text[start..stop].trim()
}

/// The `## heading` section of the README, up to the next `## ` heading.
fn readme_section<'a>(text: &'a str, heading: &str) -> &'a str {
    let title = format!("\n## {heading}\n");
    let start = text
        .find(&title)
        .unwrap_or_else(|| panic!("README.md has no `## {heading}` section"));
    let rest = &text[start + title.len()..];
    let stop = rest.find("\n## ").unwrap_or(rest.len());
    &rest[..stop]
}

#[test]
fn readme_keys_table_is_generated_from_the_default_keymap() {
    let keymap = Keymap::load("default", None).expect("the default keymap loads");
    let table = opsdeck::keymap::markdown_table(&keymap);
    let readme = readme();
    assert!(
        between_markers(&readme, "keys") == table.trim(),
        "README.md's keys table (between <!-- keys:begin --> and <!-- keys:end -->) is not \
         what the default keymap says; replace it with the output of \
         `cargo run -q -- keys --markdown`"
    );
}

#[test]
fn readme_policy_targets_are_generated_from_the_actions() {
    let readme = readme();
    assert!(
        between_markers(&readme, "targets") == opsdeck::model::targets::markdown().trim(),
        "README.md's policy targets (between <!-- targets:begin --> and <!-- targets:end -->) \
         are not what the code sends; replace them with `cargo run -q -- platform targets`"
    );
}

#[test]
fn readme_config_example_is_the_shipped_example() {
    let readme = readme();
    let block = between_markers(&readme, "config-example");
    let expected = format!("```toml\n{}```", opsdeck::config::example::EXAMPLE);
    assert!(
        block == expected,
        "README.md's config example (between <!-- config-example:begin --> and \
         <!-- config-example:end -->) is not `opsdeck config example`; replace it with \
         ```toml, the output of `cargo run -q -- config example`, and ```"
    );
}

/// Every key the example config uses, as `(level, key)`: `top`, `context`, or the dotted
/// path of the table it is in. Free-form maps (`properties`, `secret_properties`,
/// `headers`) contribute their own name only, not their entries.
fn example_keys() -> Vec<(String, String)> {
    fn walk(level: &str, table: &toml::Table, out: &mut Vec<(String, String)>) {
        for (key, value) in table {
            out.push((level.to_owned(), key.clone()));
            if matches!(key.as_str(), "properties" | "secret_properties" | "headers") {
                continue;
            }
            let inner = format!("{level}.{key}");
            match value {
                toml::Value::Table(t) => walk(&inner, t, out),
                toml::Value::Array(items) => {
                    for item in items {
                        if let toml::Value::Table(t) = item {
                            walk(&inner, t, out);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let doc: toml::Table =
        toml::from_str(opsdeck::config::example::EXAMPLE).expect("the example parses as TOML");
    let mut out = Vec::new();
    for (key, value) in &doc {
        out.push(("top".to_owned(), key.clone()));
        if key == "contexts" {
            let contexts = value.as_table().expect("contexts is a table");
            for context in contexts.values() {
                walk(
                    "context",
                    context.as_table().expect("a context table"),
                    &mut out,
                );
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn readme_config_reference_names_every_key() {
    let readme = readme();
    let config = readme_section(&readme, "Config");
    // The reference is the prose and tables, not the copied example.
    let reference = config
        .split("<!-- config-example:begin -->")
        .next()
        .expect("text before the example");
    let keys = example_keys();
    assert!(keys.len() > 30, "the example has its keys: {keys:?}");
    let mut missing = Vec::new();
    for (level, key) in &keys {
        let found = match level.as_str() {
            // Top-level and context keys each have a row in their table.
            "top" | "context" => {
                let table = if level == "top" {
                    "### Top-level keys"
                } else {
                    "### Context keys"
                };
                let start = reference.find(table).expect(table);
                let rest = &reference[start..];
                let end = rest[4..].find("\n### ").map_or(rest.len(), |i| i + 4);
                rest[..end].contains(&format!("\n| `{key}` |"))
            }
            _ => reference.contains(&format!("`{key}`")),
        };
        if !found {
            missing.push(format!("{level}.{key}"));
        }
    }
    assert!(
        missing.is_empty(),
        "README.md's config reference does not describe: {missing:?}"
    );
}

/// The fields of `struct Check` in `src/tour/check.rs`: each `pub NAME: Option<` line.
fn check_fields() -> Vec<String> {
    let source =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tour/check.rs"))
            .expect("src/tour/check.rs");
    let start = source.find("pub struct Check {").expect("struct Check");
    let body = &source[start..];
    let body = &body[..body.find("\n}").expect("end of struct Check")];
    body.lines()
        .filter_map(|line| {
            let rest = line.trim().strip_prefix("pub ")?;
            let (name, ty) = rest.split_once(':')?;
            ty.trim()
                .starts_with("Option<")
                .then(|| name.trim().to_owned())
        })
        .collect()
}

#[test]
fn readme_tours_section_names_every_check_key_and_shipped_tour() {
    let readme = readme();
    let tours = readme_section(&readme, "Tours");
    let fields = check_fields();
    assert!(fields.len() > 20, "struct Check parsed: {fields:?}");
    let missing: Vec<_> = fields
        .iter()
        .filter(|f| !tours.contains(&format!("\n| `{f}` |")))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md's Tours section has no row for these check keys: {missing:?}"
    );
    for (file, source) in opsdeck::tour::library::SHIPPED {
        let spec = opsdeck::tour::spec::TourSpec::parse(file, source).expect("shipped parses");
        let row = format!("\n| `{}` | {} |", spec.name(), spec.title);
        assert!(
            tours.contains(&row),
            "README.md's Tours section lists {row:?}"
        );
    }
}

#[test]
#[expect(
    clippy::case_sensitive_file_extension_comparisons,
    reason = "the generator writes `.svg` in lower case; the test wants exactly that"
)]
fn readme_gallery_shows_every_committed_screenshot() {
    let readme = readme();
    let gallery = readme_section(&readme, "Gallery");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    let mut svgs: Vec<String> = std::fs::read_dir(&dir)
        .expect("screenshots/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".svg"))
        .collect();
    svgs.sort();
    assert!(svgs.len() > 20, "screenshots found: {svgs:?}");
    let missing: Vec<_> = svgs
        .iter()
        .filter(|name| !gallery.contains(&format!("](screenshots/{name})")))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md's gallery does not show: {missing:?}"
    );
    // Every image has alt text.
    assert!(
        !gallery.contains("![]("),
        "every gallery image has alt text"
    );
}

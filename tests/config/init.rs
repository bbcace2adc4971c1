//! `opsdeck config init` as a new user runs it: a kubeconfig and `PG*` variables in a fresh
//! home become a config that loads, no secret is written, and an existing config is never
//! replaced without `--force` (which keeps the old one).

use std::path::Path;
use std::process::{Command, Output};

const KUBECONFIG: &str = "apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster: {server: 'https://prod.example:6443'}
- name: dev
  cluster: {server: 'https://dev.example:6443'}
contexts:
- name: prod-eu
  context: {cluster: prod, user: u, namespace: payments}
- name: dev
  context: {cluster: dev, user: u}
current-context: prod-eu
users:
- name: u
  user: {token: kube-token-do-not-copy}
";

fn init(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["config", "init"])
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("PGHOST", "db.internal")
        .env("PGUSER", "app")
        .env("PGDATABASE", "payments")
        .env("PGSSLMODE", "verify-full")
        .env("PGPASSWORD", "pg-password-do-not-copy")
        .output()
        .expect("run opsdeck config init")
}

#[test]
fn init_writes_a_config_that_loads_without_secrets_and_never_replaces_one_silently() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".kube")).unwrap();
    std::fs::write(home.path().join(".kube/config"), KUBECONFIG).unwrap();

    let out = init(home.path(), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = home.path().join(".config/opsdeck/config.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    for secret in ["kube-token-do-not-copy", "pg-password-do-not-copy"] {
        assert!(!text.contains(secret), "{secret} written:\n{text}");
    }
    assert!(
        text.contains(r#"password = { env = "PGPASSWORD" }"#),
        "{text}"
    );

    let config = opsdeck::config::load::load(&file).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let prod = config.context("prod-eu").unwrap();
    assert_eq!(prod.kube_context.as_deref(), Some("prod-eu"));
    assert!(
        prod.production && prod.readonly,
        "a prod context is read-only"
    );
    // The current kube context reads as production, so the console does not open on it.
    assert_eq!(config.default_context.as_deref(), Some("local"));
    let db = &config.context("local").unwrap().postgres[0];
    assert!(db.dsn.contains("host=db.internal"), "{}", db.dsn);
    assert!(db.dsn.contains("sslmode=verify-full"), "{}", db.dsn);
    assert!(config.context("demo").unwrap().sandbox_seed.is_some());

    std::fs::write(&file, "# mine\n").unwrap();
    let again = init(home.path(), &[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "# mine\n");

    let forced = init(home.path(), &["--force"]);
    assert!(forced.status.success());
    assert_eq!(
        std::fs::read_to_string(file.with_extension("toml.bak")).unwrap(),
        "# mine\n"
    );
    let printed = init(home.path(), &["--stdout"]);
    assert_eq!(
        String::from_utf8_lossy(&printed.stdout)
            .lines()
            .skip(1)
            .collect::<Vec<_>>(),
        std::fs::read_to_string(&file)
            .unwrap()
            .lines()
            .skip(1)
            .collect::<Vec<_>>()
    );
}

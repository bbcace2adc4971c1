//! `http_tls` files checked when a config file is loaded: each problem (missing file, not
//! PEM, a key of another certificate, an encrypted key without its passphrase) is reported
//! with file, line and key; an encrypted PKCS#8 key works with its passphrase.

use opsdeck::config::{HttpTls, SecretRef, load};
use opsdeck::tls;

use crate::tls_ca::Pki;

/// `client.key` encrypted (PBES2: PBKDF2-SHA256, AES-256-CBC) with `passphrase`.
#[test]
fn files_are_checked_at_load_with_line_and_key() {
    let pki = Pki::new();
    let _encrypted = pki.encrypted_client_key("pw");
    std::fs::write(pki.path("junk.txt"), "just text\n").unwrap();
    let config = pki.path("config.toml");
    std::fs::write(
        &config,
        r#"[contexts.a]
http_tls = { ca_file = "ca.pem", client_cert = "client.pem", client_key = "client.key" }
loki = { url = "https://loki", http_tls = { ca_file = "nope.pem" } }
tempo = { url = "https://tempo", http_tls = { ca_file = "junk.txt" } }
jaeger = { url = "https://jaeger", http_tls = { client_cert = "client.pem", client_key = "stranger.key" } }
platform = { url = "https://p", http_tls = { client_cert = "client.pem", client_key = "encrypted.key" } }
"#,
    )
    .unwrap();
    let errors: Vec<String> = load::load(&config)
        .expect_err("four problems")
        .0
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(errors.len(), 4, "{errors:#?}");
    let expect = [
        (":3:", "contexts.a.loki.http_tls.ca_file", "cannot read"),
        (
            ":4:",
            "contexts.a.tempo.http_tls.ca_file",
            "is not a PEM file",
        ),
        (
            ":5:",
            "contexts.a.jaeger.http_tls.client_key",
            "does not belong",
        ),
        (
            ":6:",
            "contexts.a.platform.http_tls.client_key",
            "client_key_password",
        ),
    ];
    for (error, (line, key, what)) in errors.iter().zip(expect) {
        assert!(error.contains(line) && error.contains(key), "{error}");
        assert!(error.contains(what), "{error}");
    }

    // Fixed, the same file loads; relative paths follow the config file.
    let fixed = std::fs::read_to_string(&config)
        .unwrap()
        .replace("nope.pem", "ca.pem")
        .replace("junk.txt", "other-ca.pem")
        .replace("stranger.key", "client.key")
        .replace(
            "\"encrypted.key\" }",
            "\"encrypted.key\", client_key_password = { env = \"KEY_PW\" } }",
        );
    std::fs::write(&config, fixed).unwrap();
    let loaded = load::load(&config).unwrap_or_else(|d| panic!("{d}"));
    let ctx = &loaded.contexts[0];
    assert_eq!(
        ctx.tempo.as_ref().unwrap().tls.ca_file,
        Some(pki.other_ca.clone())
    );
    assert_eq!(ctx.argocd, None);
    assert_eq!(
        ctx.platform.as_ref().unwrap().tls.client_key_password,
        Some(SecretRef::Env("KEY_PW".into()))
    );
}

#[test]
fn an_encrypted_key_needs_its_passphrase() {
    let pki = Pki::new();
    let key = pki.encrypted_client_key("s3cret");
    let tls = |password: &str| HttpTls {
        ca_file: Some(pki.ca.clone()),
        client_cert: Some(pki.client_cert.clone()),
        client_key: Some(key.clone()),
        client_key_password: Some(SecretRef::Command(format!("printf %s {password}"))),
        ..HttpTls::default()
    };
    tls::client_config(&tls("s3cret")).expect("decrypted with the passphrase");
    let err = tls::client_config(&tls("wrong")).expect_err("wrong passphrase");
    assert!(err.to_string().contains("cannot decrypt"), "{err}");
}

#[test]
fn only_ca_needs_ca_file_and_a_cert_needs_its_key() {
    let errors = load::parse(
        "t.toml",
        "[contexts.a]\nhttp_tls = { only_ca = true, client_cert = \"c.pem\" }\n",
    )
    .expect_err("two problems")
    .to_string();
    assert!(errors.contains("only_ca = true needs ca_file"), "{errors}");
    assert!(errors.contains("client_cert needs client_key"), "{errors}");
}

#[test]
fn postgres_tls_keys_are_checked_at_load_with_line_and_key() {
    let pki = Pki::new();
    let config = pki.path("config.toml");
    let ca = pki.ca.display();
    std::fs::write(
        &config,
        format!(
            r#"[contexts.a]
[[contexts.a.postgres]]
name = "one"
dsn = "host=db sslmode=verify_full"
[[contexts.a.postgres]]
name = "two"
dsn = "host=db sslmode=verify-full sslkey=/k.pem sslpassword=hunter2"
[[contexts.a.postgres]]
name = "three"
dsn = "postgres://db/x?sslmode=verify-ca&sslrootcert=/nope/ca.pem"
[[contexts.a.postgres]]
name = "four"
dsn = "host=db sslmode=verify-full sslrootcert={ca}"
sslpassword = {{ env = "FOUR_KEY_PW" }}
"#
        ),
    )
    .unwrap();
    let errors: Vec<String> = load::load(&config)
        .expect_err("three problems")
        .0
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(errors.len(), 3, "{errors:#?}");
    let expect = [
        (":4:", "contexts.a.postgres[0].dsn", "sslmode `verify_full`"),
        (":7:", "contexts.a.postgres[1].dsn", "sslpassword = { env"),
        (
            ":10:",
            "contexts.a.postgres[2].dsn",
            "sslrootcert: cannot read",
        ),
    ];
    for (error, (line, key, what)) in errors.iter().zip(expect) {
        assert!(error.contains(line) && error.contains(key), "{error}");
        assert!(error.contains(what), "{error}");
    }
    assert!(
        !errors.iter().any(|e| e.contains("hunter2")),
        "a secret is never echoed"
    );
}

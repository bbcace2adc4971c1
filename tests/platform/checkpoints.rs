//! Signed checkpoints of the chain head, on both stores: rows deleted from the tail after a
//! checkpoint, a rewritten row, an older checkpoint served again, and a rotated key are each
//! reported by the console's `verify` in words; `opsdeck platform verify` exits 1 on them.

use std::path::Path;
use std::sync::Arc;

use opsdeck::model::checkpoint::{Checkpoint, Finding, PublicKey, check_signature};
use opsdeck::platform::checkpoint::Signer;
use opsdeck::platform::{LocalServer, Source, StoreUrl};
use opsdeck::runtime::checkpoint_check;
use opsdeck::sources::platform::PlatformClient;

use crate::both_stores;
use crate::common::{ALICE, CountingExecutor, LEE, StoreKind, TestStore, cancel, client, gate};

/// Runs `n` audited actions (two rows each: intent and outcome).
async fn actions(server: &LocalServer, journal: &Path, n: i32) {
    let g = gate(client(server, ALICE), journal, "alice");
    let exec = CountingExecutor::new();
    for i in 0..n {
        let outcome = g
            .run(cancel("orders", i), format!("reason {i}"), &exec)
            .await;
        assert!(outcome.executed(), "{outcome:?}");
    }
}

async fn serve_signed(store: &TestStore, signer: &Arc<Signer>) -> LocalServer {
    let signer = Arc::clone(signer);
    store
        .serve_with(move |o| {
            o.checkpoint_key = Some(Source::Value(signer));
            o.platform_name = "test-platform".into();
        })
        .await
}

async fn verify(
    c: &PlatformClient,
    trusted: &[PublicKey],
    data: &Path,
) -> opsdeck::model::checkpoint::ChainCheck {
    checkpoint_check::verify(c, trusted, Some(data))
        .await
        .expect("verify answers")
}

/// Runs `sql` (sqlite) or `pg_sql` (postgres) directly on the store, as an attacker with
/// database access would, after switching off the append-only triggers.
async fn attack(url: &StoreUrl, sqlite_sql: &str, pg_sql: &str) {
    match url {
        StoreUrl::Sqlite(path) => {
            let conn = rusqlite::Connection::open(path).unwrap();
            conn.execute_batch(
                "DROP TRIGGER IF EXISTS audit_chain_no_update;
                 DROP TRIGGER IF EXISTS audit_chain_no_delete;
                 DROP TRIGGER IF EXISTS audit_checkpoints_no_delete;",
            )
            .unwrap();
            conn.execute_batch(sqlite_sql).unwrap();
        }
        StoreUrl::Postgres(url) => {
            let (pg, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            pg.batch_execute(
                "ALTER TABLE audit_chain DISABLE TRIGGER audit_chain_append_only;
                 ALTER TABLE audit_checkpoints DISABLE TRIGGER audit_checkpoints_append_only;",
            )
            .await
            .unwrap();
            pg.batch_execute(pg_sql).await.unwrap();
        }
    }
}

async fn deleted_tail_is_reported(kind: StoreKind) {
    let Some(store) = TestStore::new(kind).await else {
        return;
    };
    let signer = Arc::new(Signer::generate().unwrap());
    let trusted = [signer.public_key().clone()];
    let server = serve_signed(&store, &signer).await;
    actions(&server, &store.dir.path().join("j"), 4).await;
    let auditor = client(&server, LEE);
    let checkpoint = auditor.sign_checkpoint().await.unwrap();
    assert_eq!(checkpoint.seq, 8);
    assert_eq!(checkpoint.platform, "test-platform");
    let data = store.dir.path().join("console");
    let check = verify(&auditor, &trusted, &data).await;
    assert!(check.ok(), "{:?}", check.findings);
    assert_eq!(check.checkpoint.as_ref(), Some(&checkpoint));

    // The attacker deletes the last three rows; the rows left still link up.
    attack(
        &store.url,
        "DELETE FROM audit_chain WHERE seq > 5",
        "DELETE FROM audit_chain WHERE seq > 5",
    )
    .await;
    assert!(
        auditor.verify().await.unwrap().ok,
        "the hash chain alone sees nothing"
    );
    let check = verify(&auditor, &trusted, &data).await;
    assert_eq!(check.findings.len(), 1, "{:?}", check.findings);
    assert_eq!(
        check.findings[0].to_string(),
        format!(
            "truncated tail: 3 rows missing since the checkpoint of seq 8 signed at {} (seq \
             6..8 deleted; the chain now ends at seq 5)",
            checkpoint.time
        )
    );
    assert_eq!(check.keep, None, "the checkpoint stays as evidence");

    // The platform signs its shortened head: the kept checkpoint still tells.
    let shorter = auditor.sign_checkpoint().await.unwrap();
    assert_eq!(shorter.seq, 5);
    let check = verify(&auditor, &trusted, &data).await;
    let words: Vec<String> = check.findings.iter().map(ToString::to_string).collect();
    assert_eq!(words.len(), 2, "{words:#?}");
    assert!(
        words[0].starts_with(&format!(
            "shortened chain signed: the platform signed the checkpoint of seq 5 signed at {}, \
             after the checkpoint of seq 8",
            shorter.time
        )),
        "{words:#?}"
    );
    assert!(
        words[1].starts_with("truncated tail: 3 rows missing"),
        "{words:#?}"
    );
}

both_stores!(deleted_tail_is_reported);

async fn rewritten_row_is_reported(kind: StoreKind) {
    let Some(store) = TestStore::new(kind).await else {
        return;
    };
    let signer = Arc::new(Signer::generate().unwrap());
    let trusted = [signer.public_key().clone()];
    let server = serve_signed(&store, &signer).await;
    actions(&server, &store.dir.path().join("j"), 3).await;
    let auditor = client(&server, LEE);
    let checkpoint = auditor.sign_checkpoint().await.unwrap();
    let data = store.dir.path().join("console");
    assert!(verify(&auditor, &trusted, &data).await.ok());

    // The tail is deleted and new rows appended in its place: the chain links up and is as
    // long as before, but row 6 is not the row that was signed.
    attack(
        &store.url,
        "DELETE FROM audit_chain WHERE seq > 3",
        "DELETE FROM audit_chain WHERE seq > 3",
    )
    .await;
    actions(&server, &store.dir.path().join("j2"), 2).await;
    // The platform signs the new head (as its interval would): that checkpoint matches,
    // the kept one does not.
    let resigned = auditor.sign_checkpoint().await.unwrap();
    assert_eq!(resigned.seq, 7);
    let check = verify(&auditor, &trusted, &data).await;
    assert_eq!(check.findings.len(), 1, "{:?}", check.findings);
    let words = check.findings[0].to_string();
    assert!(
        words.starts_with(&format!(
            "rewritten row: row 6 hashes to {}, but the checkpoint of seq 6 signed at {} says {}",
            auditor.verify_at(&[6]).await.unwrap().at[0].hash,
            checkpoint.time,
            checkpoint.head
        )),
        "{words}"
    );
    assert_eq!(check.keep, None, "the checkpoint stays as evidence");

    // A row edited in place: the platform's own walk names it, with its seq.
    attack(
        &store.url,
        "UPDATE audit_chain SET body = replace(body, 'reason 1', 'nothing to see') WHERE seq = 3",
        "UPDATE audit_chain SET body = replace(body, 'reason 1', 'nothing to see') WHERE seq = 3",
    )
    .await;
    let check = verify(&auditor, &trusted, &data).await;
    let broken = check
        .findings
        .iter()
        .find(|f| matches!(f, Finding::ChainBroken { .. }))
        .expect("the walk finds the edit");
    assert!(
        broken
            .to_string()
            .starts_with("rewritten row: the chain breaks at row 3 (event "),
        "{broken}"
    );
}

both_stores!(rewritten_row_is_reported);

async fn replayed_checkpoint_is_reported(kind: StoreKind) {
    let Some(store) = TestStore::new(kind).await else {
        return;
    };
    let signer = Arc::new(Signer::generate().unwrap());
    let trusted = [signer.public_key().clone()];
    let server = serve_signed(&store, &signer).await;
    let auditor = client(&server, LEE);
    actions(&server, &store.dir.path().join("j"), 1).await;
    let old = auditor.sign_checkpoint().await.unwrap();
    actions(&server, &store.dir.path().join("j"), 2).await;
    let new = auditor.sign_checkpoint().await.unwrap();
    let listed = auditor.checkpoints(10).await.unwrap();
    assert_eq!(listed, [new.clone(), old.clone()], "newest first");
    let data = store.dir.path().join("console");
    assert!(verify(&auditor, &trusted, &data).await.ok());

    // The newer checkpoint disappears, so the platform serves the older one again.
    attack(
        &store.url,
        &format!("DELETE FROM audit_checkpoints WHERE seq = {}", new.seq),
        &format!("DELETE FROM audit_checkpoints WHERE seq = {}", new.seq),
    )
    .await;
    assert_eq!(
        auditor.latest_checkpoint().await.unwrap(),
        Some(old.clone())
    );
    let check = verify(&auditor, &trusted, &data).await;
    assert_eq!(check.findings.len(), 1, "{:?}", check.findings);
    assert_eq!(
        check.findings[0].to_string(),
        format!(
            "replayed checkpoint: the platform serves the checkpoint of seq {} signed at {}, \
             older than the checkpoint of seq {} signed at {} that this console saw before",
            old.seq, old.time, new.seq, new.time
        )
    );
    assert_eq!(
        check.checkpoint.as_ref(),
        Some(&new),
        "the kept one is held"
    );
}

both_stores!(replayed_checkpoint_is_reported);

/// A key file as ops make it: `openssl genpkey` when openssl is installed.
fn key_file(dir: &Path, name: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    let made = std::process::Command::new("openssl")
        .args(["genpkey", "-algorithm", "ed25519", "-out"])
        .arg(&path)
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        assert!(
            std::env::var_os("CI").is_none(),
            "openssl genpkey is needed under CI"
        );
        std::fs::write(&path, Signer::generate().unwrap().to_pem().unwrap()).unwrap();
    }
    path
}

async fn rotated_key_verifies_old_and_new(kind: StoreKind) {
    let Some(store) = TestStore::new(kind).await else {
        return;
    };
    let (old_file, new_file) = (
        key_file(store.dir.path(), "old.pem"),
        key_file(store.dir.path(), "new.pem"),
    );
    let old_key = Signer::load(&old_file).unwrap().public_key().clone();
    let new_key = Signer::load(&new_file).unwrap().public_key().clone();
    let data = store.dir.path().join("console");

    let tofu = store.dir.path().join("tofu");

    let server = store
        .serve_with(|o| o.checkpoint_key = Some(Source::File(old_file.clone())))
        .await;
    actions(&server, &store.dir.path().join("j"), 2).await;
    let before = client(&server, LEE).sign_checkpoint().await.unwrap();
    assert_eq!(before.key_id, old_key.key_id());
    assert!(
        verify(&client(&server, LEE), std::slice::from_ref(&old_key), &data)
            .await
            .ok()
    );
    // A console with no keys configured takes the platform's key on first use.
    let check = verify(&client(&server, LEE), &[], &tofu).await;
    assert!(check.ok(), "{:?}", check.findings);
    assert!(
        check.notes[0]
            .to_string()
            .starts_with("first checkpoint seen from this platform"),
        "{:?}",
        check.notes
    );
    let addr = server.addr();
    server.shutdown().await.unwrap();

    // Restarted at the same address with the new key; the console trusts both.
    let server = store
        .serve_with(|o| {
            o.listen = addr;
            o.checkpoint_key = Some(Source::File(new_file.clone()));
        })
        .await;
    assert_eq!(server.addr(), addr);
    let auditor = client(&server, LEE);
    actions(&server, &store.dir.path().join("j"), 1).await;
    let after = auditor.sign_checkpoint().await.unwrap();
    assert_eq!(after.key_id, new_key.key_id());
    let both = [old_key.clone(), new_key.clone()];
    let check = verify(&auditor, &both, &data).await;
    assert!(check.ok(), "{:?}", check.findings);
    assert_eq!(check.checkpoint.as_ref(), Some(&after));
    let listed: Vec<Checkpoint> = auditor.checkpoints(10).await.unwrap();
    assert_eq!(listed, [after.clone(), before.clone()]);
    for c in &listed {
        assert_eq!(check_signature(c, &both), Ok(()), "{c:?}");
    }
    let keys = auditor.checkpoint_keys().await.unwrap().keys;
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys[0].current && keys[0].key_id == new_key.key_id());
    assert_eq!(keys[1].public_key, old_key.to_base64());

    // The console that took the old key on first use: the rotation is said, and the new
    // key taken because the platform publishes it.
    let check = verify(&auditor, &[], &tofu).await;
    assert!(check.ok(), "{:?}", check.findings);
    let words = check.notes[0].to_string();
    assert!(
        words.starts_with(&format!(
            "rotated key: the checkpoint of seq {} signed at {} is signed by key {}, which this \
             console did not know before (it knew {})",
            after.seq,
            after.time,
            new_key.key_id(),
            old_key.key_id()
        )),
        "{words}"
    );
    assert!(
        verify(&auditor, &[], &tofu).await.notes.is_empty(),
        "said once"
    );

    // Only the old key configured: the new checkpoint's key is refused, said with its id.
    let check = verify(&auditor, &[old_key], &store.dir.path().join("other")).await;
    assert_eq!(check.findings.len(), 1, "{:?}", check.findings);
    assert!(
        check.findings[0].to_string().starts_with(&format!(
            "rotated key: the platform's newest checkpoint (the checkpoint of seq {} signed at \
             {}) is signed by key {}, which is not in checkpoint_keys",
            after.seq,
            after.time,
            new_key.key_id()
        )),
        "{}",
        check.findings[0]
    );
}

both_stores!(rotated_key_verifies_old_and_new);

/// `opsdeck platform verify` from a script: exit 0 on a sound chain, 1 with the words on a
/// deleted tail; `platform serve` names a bad key file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_exits_non_zero_on_a_problem() {
    let store = TestStore::new(StoreKind::Sqlite).await.unwrap();
    let dir = store.dir.path();
    let signer = Arc::new(Signer::generate().unwrap());
    let server = serve_signed(&store, &signer).await;
    actions(&server, &dir.join("j"), 2).await;
    let checkpoint = client(&server, LEE).sign_checkpoint().await.unwrap();
    let token = dir.join("token");
    std::fs::write(&token, format!("{LEE}\n")).unwrap();
    let run = |data: &str| {
        let url = server.url();
        let token = token.clone();
        let key = signer.public_key().to_base64();
        let (config, data) = (dir.join("none.toml"), dir.join(data));
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
                .args(["platform", "verify", "--url", &url, "--token-file"])
                .arg(&token)
                .args(["--trust-key", &key])
                .env("OPSDECK_CONFIG", config)
                .env("OPSDECK_DATA", data)
                .output()
                .unwrap()
        })
    };
    let out = run("cli").await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("checkpoint of seq 4 signed at"), "{stdout}");
    assert!(stdout.ends_with("ok\n"), "{stdout}");

    attack(&store.url, "DELETE FROM audit_chain WHERE seq > 2", "").await;
    let out = run("cli").await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "PROBLEM truncated tail: 2 rows missing since the checkpoint of seq 4 signed at {}",
            checkpoint.time
        )),
        "{stdout}"
    );

    let bad = dir.join("bad.pem");
    std::fs::write(&bad, "not a key").unwrap();
    let key_arg = bad.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
            .args(["platform", "serve", "--store", "sqlite:///nonexistent/x.db"])
            .args(["--tokens", "/dev/null", "--policy", "/dev/null"])
            .arg("--checkpoint-key")
            .arg(&key_arg)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("invalid checkpoint key file {}", bad.display()))
            && stderr.contains("openssl genpkey -algorithm ed25519"),
        "{stderr}"
    );
}

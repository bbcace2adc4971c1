//! Tampering: editing one row directly in the database (after getting past the append-only
//! trigger, as an attacker with database access could) makes `verify` name that event.

use opsdeck::model::platform::EventQuery;
use opsdeck::platform::StoreUrl;

use crate::both_stores;
use crate::common::{ALICE, CountingExecutor, LEE, StoreKind, TestStore, cancel, client, gate};

/// Rewrites the reason inside the hashed body of row `seq`.
async fn tamper_with(url: &StoreUrl, seq: i64) {
    match url {
        StoreUrl::Sqlite(path) => {
            let conn = rusqlite::Connection::open(path).unwrap();
            let blocked = conn.execute("UPDATE audit_chain SET body = body WHERE seq = ?1", [seq]);
            assert!(
                blocked.unwrap_err().to_string().contains("append-only"),
                "the trigger refuses plain updates"
            );
            conn.execute_batch("DROP TRIGGER audit_chain_no_update")
                .unwrap();
            let n = conn
                .execute(
                    "UPDATE audit_chain SET body = replace(body, 'reason 2', 'nothing to see') WHERE seq = ?1",
                    [seq],
                )
                .unwrap();
            assert_eq!(n, 1);
        }
        StoreUrl::Postgres(url) => {
            let (pg, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            let blocked = pg
                .execute("UPDATE audit_chain SET body = body WHERE seq = $1", &[&seq])
                .await
                .unwrap_err();
            let msg = blocked.as_db_error().map(|e| e.message().to_owned());
            assert_eq!(msg.as_deref(), Some("audit_chain is append-only"));
            pg.batch_execute("ALTER TABLE audit_chain DISABLE TRIGGER audit_chain_append_only")
                .await
                .unwrap();
            let n = pg
                .execute(
                    "UPDATE audit_chain SET body = replace(body, 'reason 2', 'nothing to see') WHERE seq = $1",
                    &[&seq],
                )
                .await
                .unwrap();
            assert_eq!(n, 1);
        }
    }
}

async fn verify_names_the_tampered_event(kind: StoreKind) {
    let Some(store) = TestStore::new(kind).await else {
        return;
    };
    let server = store.serve().await;
    let g = gate(client(&server, ALICE), &store.dir.path().join("j"), "alice");
    let exec = CountingExecutor::new();
    for i in 0..4 {
        let outcome = g
            .run(cancel("orders", i), format!("reason {i}"), &exec)
            .await;
        assert!(outcome.executed(), "{outcome:?}");
    }
    let auditor = client(&server, LEE);
    let before = auditor.verify().await.unwrap();
    assert!(before.ok && before.checked == 8, "{before:?}");

    // Rows alternate intent, outcome: seq 5 is the intent with "reason 2".
    let page = auditor.list_events(&EventQuery::default()).await.unwrap();
    let victim = page.items.iter().find(|i| i.seq == 5).unwrap();
    tamper_with(&store.url, 5).await;

    let after = auditor.verify().await.unwrap();
    assert!(!after.ok, "{after:?}");
    assert_eq!(
        after.first_bad_event.as_deref(),
        Some(victim.event.event_id.as_str())
    );
    assert_eq!(after.checked, 4, "rows before the edit still check out");
    assert!(after.reason.unwrap().contains("hash"));
}

both_stores!(verify_names_the_tampered_event);

//! `opsdeck status` and `opsdeck incident` as a script runs them: the real binary on the
//! sandbox (and on a config of sandbox contexts and one whose Alertmanager refuses), its
//! JSON parsed and validated against the shipped schemas (`schemas/*.v1.json`, made strict
//! here so a field the schema does not describe fails too), its exit codes, its text and its
//! errors for an unknown context or service.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// Runs `opsdeck args` with a clean environment: a fresh home, and `config` (if any) as the
/// config file.
fn opsdeck(args: &[&str], config: Option<&Path>) -> Output {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    cmd.args(args)
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("OPSDECK_DATA", home.path().join("data"))
        .env(
            "OPSDECK_CONFIG",
            config.map_or_else(|| home.path().join("none.toml"), Path::to_path_buf),
        );
    cmd.output().expect("run opsdeck")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited, not killed")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("utf-8")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every object schema that lists properties refuses any other: the shipped schemas leave
/// room for fields added within a version, this test does not.
fn strict(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            map.values_mut().for_each(strict);
        }
        Value::Array(items) => items.iter_mut().for_each(strict),
        _ => {}
    }
}

/// Asserts `doc` is valid against `schemas/NAME` (a valid draft 2020-12 schema itself) and
/// that the schema describes every field the document has.
fn assert_valid(name: &str, doc: &Value) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(name);
    let mut schema: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).expect("schema is JSON");
    assert!(
        jsonschema::meta::is_valid(&schema),
        "{name} is not a valid JSON Schema"
    );
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    strict(&mut schema);
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{name}:\n{}", errors.join("\n"));
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("not JSON ({e}):\n{}\n{}", stdout(out), stderr(out));
    })
}

/// The finding of `service` in `context`.
fn finding<'a>(doc: &'a Value, context: &str, service: &str) -> &'a Value {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["context"] == context && f["service"] == service)
        .unwrap_or_else(|| panic!("no finding of {service} in {context}:\n{doc:#}"))
}

fn severities(doc: &Value) -> Vec<&str> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["severity"].as_str().unwrap())
        .collect()
}

#[test]
fn sandbox_status_json_lists_the_incidents_against_its_schema_and_exits_critical() {
    let out = opsdeck(&["sandbox", "status", "--json"], None);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    let doc = json(&out);
    assert_valid("status.v1.json", &doc);
    assert_eq!(doc["schema"], "opsdeck.status/v1");
    assert_eq!(doc["worst"], "critical");
    assert_eq!(doc["exit_code"], 4);
    // The staging context only, and every source it reads answered.
    let contexts = doc["contexts"].as_array().unwrap();
    assert_eq!(contexts.len(), 1);
    assert_eq!(contexts[0]["name"], "sandbox-staging");
    for source in contexts[0]["sources"].as_array().unwrap() {
        assert_eq!(source["state"], "ok", "{source}");
    }
    // The sandbox's incidents: the stuck canary, the error burst, the lock chain, the lag.
    let stuck = finding(&doc, "sandbox-staging", "shipping-api");
    assert_eq!(stuck["severity"], "critical");
    assert_eq!(stuck["owner"], "logistics");
    assert_eq!(stuck["tier"], "tier-1");
    let kinds: Vec<&str> = stuck["signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"rollout") && kinds.contains(&"app"),
        "{stuck}"
    );
    assert!(stuck["what"].as_str().unwrap().contains("RolloutStuck"));
    let burst = finding(&doc, "sandbox-staging", "ledger-service");
    assert_eq!(burst["severity"], "critical");
    assert!(burst["what"].as_str().unwrap().contains("HighErrorRate"));
    let locks = finding(&doc, "sandbox-staging", "checkout-api");
    assert!(locks["what"].as_str().unwrap().contains("orders-db"));
    let lag = finding(&doc, "sandbox-staging", "analytics-ingest");
    assert_eq!(lag["severity"], "warning");
    assert!(
        lag["what"]
            .as_str()
            .unwrap()
            .contains("KafkaConsumerLagGrowing")
    );
    // Worst first; every finding here is a service's.
    let sev = severities(&doc);
    let rank = |s: &str| {
        ["warning", "unknown", "critical"]
            .iter()
            .position(|w| *w == s)
    };
    assert!(sev.windows(2).all(|w| rank(w[0]) >= rank(w[1])), "{sev:?}");
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["source"].is_null())
    );
}

#[test]
fn status_reads_a_configs_contexts_one_or_all_and_exits_by_the_worst() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "default_context = \"demo\"\n\
         [contexts.demo]\nsandbox = { seed = 7 }\n\
         [contexts.demo-prod]\nproduction = true\nsandbox = { seed = 8 }\n\
         [contexts.broken]\nalertmanager = { url = \"http://127.0.0.1:9\" }\n",
    )
    .unwrap();
    let config = Some(config.as_path());

    // Plain `opsdeck status` on a config with a sandbox context: the default context.
    let out = opsdeck(&["status", "--json"], config);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    let doc = json(&out);
    assert_valid("status.v1.json", &doc);
    let names = |doc: &Value| -> Vec<String> {
        doc["contexts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&doc), ["demo"]);
    assert_eq!(finding(&doc, "demo", "shipping-api")["production"], false);

    // `--context`, also before the subcommand: the production flag comes along.
    let out = opsdeck(&["--context", "demo-prod", "status", "--json"], config);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(names(&doc), ["demo-prod"]);
    assert_eq!(
        finding(&doc, "demo-prod", "shipping-api")["production"],
        true
    );

    // A context whose only source refuses: `unknown`, exit 3, the error in words.
    let out = opsdeck(
        &["status", "--context", "broken", "--json", "--timeout", "5s"],
        config,
    );
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let doc = json(&out);
    assert_valid("status.v1.json", &doc);
    assert_eq!(doc["worst"], "unknown");
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{doc:#}");
    assert_eq!(findings[0]["source"], "alerts");
    assert!(findings[0]["service"].is_null());
    assert!(
        findings[0]["what"]
            .as_str()
            .unwrap()
            .contains("Connection refused"),
        "{doc:#}"
    );
    let alerts = doc["contexts"][0]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["source"] == "alerts")
        .unwrap();
    assert_eq!(alerts["state"], "error");

    // `--all`: every context, the sandbox's incidents in both and the broken one's error.
    let out = opsdeck(&["status", "--all", "--json", "--timeout", "5s"], config);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    let doc = json(&out);
    assert_valid("status.v1.json", &doc);
    let mut all = names(&doc);
    all.sort();
    assert_eq!(all, ["broken", "demo", "demo-prod"]);
    finding(&doc, "demo", "ledger-service");
    finding(&doc, "demo-prod", "ledger-service");
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["context"] == "broken" && f["severity"] == "unknown")
    );
    let sev = severities(&doc);
    assert_eq!(sev.first(), Some(&"critical"));
}

#[test]
fn sandbox_status_text_is_a_table_worst_first_with_a_summary() {
    let out = opsdeck(&["sandbox", "status", "--all"], None);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("SEV ") && lines[0].contains("WHAT"),
        "{text}"
    );
    assert!(lines[1].starts_with("✖ critical"), "{text}");
    assert!(text.contains("⚑sandbox-prod"), "{text}");
    assert!(
        text.contains("ledger-service") && text.contains("HighErrorRate"),
        "{text}"
    );
    let summary = lines[lines.len() - 2];
    assert!(summary.starts_with("✖ critical: "), "{text}");
    assert_eq!(
        lines[lines.len() - 1],
        "checked: sandbox-staging, sandbox-prod"
    );
    // Nothing that drives a terminal, whatever the sources said.
    assert!(!text.contains('\u{1b}'), "{text}");
}

#[test]
fn sandbox_incident_json_has_every_panel_against_its_schema() {
    let out = opsdeck(&["sandbox", "incident", "ledger-service", "--json"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    assert_valid("incident.v1.json", &doc);
    assert_eq!(doc["schema"], "opsdeck.incident/v1");
    assert_eq!(doc["context"], "sandbox-staging");
    assert_eq!(doc["service"]["name"], "ledger-service");
    assert_eq!(doc["service"]["owner"], "payments");
    assert_eq!(doc["service"]["on_call"]["source"], "platform");
    assert_eq!(doc["worst"], "critical");
    let panels: Vec<&str> = doc["panels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["panel"].as_str().unwrap())
        .collect();
    assert_eq!(
        panels,
        [
            "alerts",
            "metrics",
            "service",
            "argocd",
            "rollout",
            "databases",
            "lag",
            "logs",
            "changes",
            "traces"
        ]
    );
    let alerts = &doc["panels"][0];
    assert_eq!(alerts["worst"], "critical");
    assert!(
        alerts["facts"][0]["text"]
            .as_str()
            .unwrap()
            .contains("HighErrorRate"),
        "{alerts}"
    );
    let rollout = &doc["panels"][4];
    assert!(
        rollout["facts"][0]["text"]
            .as_str()
            .unwrap()
            .contains("rollout ledger-service in payments"),
        "{rollout}"
    );
    assert!(
        doc["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "alert"),
        "{doc:#}"
    );

    let out = opsdeck(&["sandbox", "incident", "ledger-service"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("ledger-service in sandbox-staging: owner payments · tier-1 · on call "),
        "{text}"
    );
    assert!(
        text.contains("\n✖ Alerts (critical)\n  ✖ HighErrorRate"),
        "{text}"
    );
}

#[test]
fn an_unknown_context_or_service_or_no_config_exits_2_naming_close_matches() {
    let out = opsdeck(&["sandbox", "status", "--context", "sandbox-prd"], None);
    assert_eq!(code(&out), 2);
    assert!(out.stdout.is_empty());
    // The closest first.
    assert!(
        stderr(&out).starts_with("opsdeck: no context `sandbox-prd`; did you mean: sandbox-prod"),
        "{}",
        stderr(&out)
    );

    let out = opsdeck(&["sandbox", "incident", "ledger-servce", "--json"], None);
    assert_eq!(code(&out), 2);
    assert!(out.stdout.is_empty());
    assert_eq!(
        stderr(&out).trim(),
        "opsdeck: no service `ledger-servce` in the catalog of sandbox-staging; did you mean: \
         ledger-service"
    );

    // A name that is a terminal escape is printed inert.
    let out = opsdeck(&["sandbox", "incident", "\u{1b}]0;x\u{7}zzzz"], None);
    assert_eq!(code(&out), 2);
    assert!(!stderr(&out).contains('\u{1b}'), "{}", stderr(&out));

    let out = opsdeck(&["status"], None);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("`opsdeck sandbox status` checks the sandbox"),
        "{}",
        stderr(&out)
    );

    // A bad command line is clap's exit 2 as well.
    let out = opsdeck(&["status", "--all", "--context", "x"], None);
    assert_eq!(code(&out), 2);
}

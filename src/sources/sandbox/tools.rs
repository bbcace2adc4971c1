//! The sandbox's stand-ins for `kubectl`, `psql`, `kcat` and `k9s`, so custom commands
//! (`commands.toml`) work in `opsdeck sandbox` with no infrastructure. In the sandbox they
//! come first on a custom command's `PATH`, as links to opsdeck, which answers as the
//! program its name says (`crate::cli::sandbox_tools`). They answer from the same simulated
//! fleet the panes show (same seed, same world); nothing runs for real, and each one says
//! so. What they understand is small and listed in their errors: `kubectl exec` (the
//! sandbox's shell) and `describe`/`get pods`; `psql`'s `\l`, `\conninfo`, `\q` and
//! `pg_stat_activity`; `kcat -C -t TOPIC` (the last messages); `k9s` explains it needs a
//! real cluster.

use std::fmt::Write as _;

use jiff::Timestamp;

use super::World;
use crate::model::action::ActionRequest;
use crate::model::k8s::ObjectRef;

/// The sandbox's Kafka bootstrap servers, as `{brokers}` gives them.
pub const BOOTSTRAP: &str = "sandbox-kafka-0:9092,sandbox-kafka-1:9092,sandbox-kafka-2:9092";

/// A sandbox database's DSN, as `{dsn}` gives it (the stand-in psql reads `dbname`).
#[must_use]
pub fn dsn(database: &str) -> String {
    format!("host=sandbox-pg port=5432 user=opsdeck dbname={database}")
}

/// What a stand-in does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Print this (stdout for 0, stderr otherwise) and exit with the code.
    Print { code: u8, text: String },
    /// The sandbox's shell in this pod, on the terminal.
    Shell {
        namespace: String,
        pod: String,
        container: String,
    },
    /// psql's prompt on this database.
    Psql { database: String },
}

fn usage(tool: &str, text: &str) -> Answer {
    Answer::Print {
        code: 1,
        text: format!("{tool} (opsdeck sandbox stand-in): {text}\n"),
    }
}

/// Drops `--context X`, `-n X`/`--namespace X`, `--kubeconfig X` (and their `=` forms),
/// keeping the namespace.
fn kube_flags(args: &[String]) -> (Option<String>, Vec<String>) {
    let mut namespace = None;
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-n" | "--namespace" => namespace = it.next().cloned(),
            "--context" | "--kubeconfig" | "--cluster" | "--user" => {
                it.next();
            }
            a if a.starts_with("--namespace=") => {
                namespace = Some(a["--namespace=".len()..].to_owned());
            }
            a if a.starts_with("--context=") || a.starts_with("--kubeconfig=") => {}
            _ => rest.push(arg.clone()),
        }
    }
    (namespace, rest)
}

/// `kubectl …` against the sandbox's cluster.
pub fn kubectl(world: &mut World, args: &[String], now: Timestamp) -> Answer {
    let (namespace, rest) = kube_flags(args);
    let namespace = namespace.unwrap_or_else(|| "default".to_owned());
    match rest.first().map(String::as_str) {
        Some("exec") => exec(world, &rest[1..], namespace, now),
        Some("describe") => {
            let (kind, name) = match (rest.get(1), rest.get(2)) {
                (Some(k), Some(n)) => (k.as_str(), n.as_str()),
                (Some(k), None) if k.contains('/') => k.split_once('/').unwrap_or((k, "")),
                _ => return usage("kubectl", "describe KIND NAME (pod, deployment, rollout)"),
            };
            let reference = match kind {
                "pod" | "pods" | "po" => ObjectRef::pod(&namespace, name, None),
                "deployment" | "deploy" | "deployments" => {
                    ObjectRef::new("apps", "Deployment", &namespace, name)
                }
                "rollout" | "rollouts" | "ro" => {
                    ObjectRef::new("argoproj.io", "Rollout", &namespace, name)
                }
                other => {
                    return usage(
                        "kubectl",
                        &format!("describe knows pod, deployment and rollout, not {other}"),
                    );
                }
            };
            match world.cluster().object(&reference, now) {
                Ok(doc) => {
                    let mut text = String::new();
                    for line in crate::model::k8s::describe::describe(&doc.object, &doc.events, now)
                    {
                        let indent = "  ".repeat(usize::from(line.indent));
                        if line.label.is_empty() {
                            let _ = writeln!(text, "{indent}{}", line.value);
                        } else {
                            let _ = writeln!(text, "{indent}{}:\t{}", line.label, line.value);
                        }
                    }
                    Answer::Print { code: 0, text }
                }
                Err(e) => Answer::Print {
                    code: 1,
                    text: format!("Error from server (NotFound): {e}\n"),
                },
            }
        }
        Some("get") if matches!(rest.get(1).map(String::as_str), Some("pods" | "pod" | "po")) => {
            let mut text = String::from("NAME\tSTATUS\tNODE\n");
            for pod in world.cluster().pods(now) {
                let ns = pod.pointer("/metadata/namespace").and_then(|v| v.as_str());
                if ns != Some(namespace.as_str()) {
                    continue;
                }
                let field = |p: &str| pod.pointer(p).and_then(|v| v.as_str()).unwrap_or("");
                let _ = writeln!(
                    text,
                    "{}\t{}\t{}",
                    field("/metadata/name"),
                    field("/status/phase"),
                    field("/spec/nodeName")
                );
            }
            Answer::Print { code: 0, text }
        }
        _ => usage(
            "kubectl",
            "the sandbox knows `exec -it POD [-c C] -- CMD`, `describe pod|deployment|rollout NAME` and `get pods` (with -n NAMESPACE)",
        ),
    }
}

/// `kubectl exec [-it] POD [-c C] -- CMD`: the shell of a pod that exists.
fn exec(world: &mut World, args: &[String], namespace: String, now: Timestamp) -> Answer {
    let mut pod = None;
    let mut container = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--" => break,
            "-c" | "--container" => container = it.next().cloned(),
            a if a.starts_with('-') => {}
            a => pod = pod.or_else(|| Some(a.to_owned())),
        }
    }
    let Some(pod) = pod else {
        return usage("kubectl", "exec needs a pod: kubectl exec -it POD -- sh");
    };
    let pods = world.cluster().pods(now);
    let found = pods.iter().any(|p| {
        p.pointer("/metadata/name").and_then(|v| v.as_str()) == Some(pod.as_str())
            && p.pointer("/metadata/namespace").and_then(|v| v.as_str()) == Some(namespace.as_str())
    });
    if !found {
        return Answer::Print {
            code: 1,
            text: format!(
                "Error from server (NotFound): pods \"{pod}\" not found (opsdeck sandbox, namespace {namespace})\n"
            ),
        };
    }
    Answer::Shell {
        namespace,
        pod,
        container: container.unwrap_or_else(|| "app".to_owned()),
    }
}

/// `psql [DSN] [-d DSN] [-c SQL]`: the database from `dbname=`, then the prompt (or the one
/// command).
pub fn psql(world: &World, args: &[String]) -> Answer {
    let mut target = None;
    let mut command = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-d" | "--dbname" => target = it.next().cloned(),
            "-c" | "--command" => command = it.next().cloned(),
            a if a.starts_with('-') => {}
            a => target = target.or_else(|| Some(a.to_owned())),
        }
    }
    let target = target.unwrap_or_default();
    let database = target
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix("dbname="))
        .map_or_else(|| target.clone(), str::to_owned);
    if !super::pg::databases().contains(&database.as_str()) {
        return Answer::Print {
            code: 2,
            text: format!(
                "psql: error: database \"{database}\" does not exist (opsdeck sandbox; it has {})\n",
                super::pg::databases().join(", ")
            ),
        };
    }
    match command {
        Some(sql) => Answer::Print {
            code: 0,
            text: psql_line(world, &database, &sql).unwrap_or_default(),
        },
        None => Answer::Psql { database },
    }
}

/// psql's banner.
#[must_use]
pub fn psql_banner(database: &str) -> String {
    format!(
        "psql (15, opsdeck sandbox stand-in) connected to \"{database}\": simulated, nothing runs.\n\
         It knows \\l, \\conninfo, SELECT version(), SELECT … FROM pg_stat_activity and \\q.\n"
    )
}

/// One line typed at the prompt; `None` for `\q`.
#[must_use]
pub fn psql_line(world: &World, database: &str, line: &str) -> Option<String> {
    let sql = line.trim().trim_end_matches(';').trim();
    let lower = sql.to_ascii_lowercase();
    Some(match lower.as_str() {
        "\\q" | "quit" | "exit" => return None,
        "" => String::new(),
        "\\conninfo" => format!(
            "You are connected to database \"{database}\" as user \"opsdeck\" on host \"sandbox-pg\" at port \"5432\" (simulated).\n"
        ),
        "\\l" => {
            let mut out = String::from("  Name\n");
            for db in super::pg::databases() {
                let _ = writeln!(out, " {db}");
            }
            out
        }
        "select version()" => "PostgreSQL 15 (opsdeck sandbox, simulated)\n".to_owned(),
        s if s.contains("pg_stat_activity") => match world.pg_snapshot(database) {
            Ok(snapshot) => {
                let mut out = String::from("  pid  | usename | state | query\n");
                for s in &snapshot.sessions {
                    let _ = writeln!(
                        out,
                        " {:>5} | {} | {} | {}",
                        s.pid,
                        s.user.as_deref().unwrap_or(""),
                        s.state,
                        s.query_line()
                    );
                }
                let _ = writeln!(out, "({} rows)", snapshot.sessions.len());
                out
            }
            Err(e) => format!("ERROR:  {e}\n"),
        },
        _ => format!(
            "ERROR:  the sandbox's psql runs no SQL; it knows \\l, \\conninfo, SELECT version(), pg_stat_activity and \\q (you typed: {})\n",
            crate::model::sanitize::clean(sql)
        ),
    })
}

/// `kcat -b … -t TOPIC -C [-o -N] [-e]`: the topic's last messages, per partition.
#[must_use]
pub fn kcat(world: &World, args: &[String]) -> Answer {
    let mut topic = None;
    let mut last: i64 = 10;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-t" => topic = it.next().cloned(),
            "-o" => {
                if let Some(n) = it
                    .next()
                    .and_then(|o| o.strip_prefix('-'))
                    .and_then(|n| n.parse().ok())
                {
                    last = n;
                }
            }
            "-b" | "-G" | "-X" | "-f" | "-c" => {
                it.next();
            }
            _ => {}
        }
    }
    let Some(topic) = topic else {
        return usage(
            "kcat",
            "the sandbox knows `kcat -b BROKERS -t TOPIC -C [-o -N] -e`",
        );
    };
    let snapshot = world.kafka_snapshot();
    let Some(info) = snapshot.topic(&topic) else {
        return Answer::Print {
            code: 1,
            text: format!("% ERROR: Topic {topic} error: Broker: Unknown topic or partition\n"),
        };
    };
    let mut text = String::new();
    for partition in &info.partitions {
        let request = ActionRequest::PeekMessages {
            topic: topic.clone(),
            partition: partition.id,
            from: crate::model::kafka_peek::PeekFrom::Last { n: last },
            group: None,
        };
        if let Ok(result) = super::kafka_first_aid::peek(&snapshot, &request) {
            for m in result.messages {
                let value = m
                    .value
                    .as_deref()
                    .map(crate::model::sanitize::clean_bytes)
                    .unwrap_or_default();
                let _ = writeln!(text, "{value}");
            }
        }
    }
    Answer::Print { code: 0, text }
}

/// `k9s`: the sandbox's cluster is simulated inside opsdeck; k9s cannot reach it.
#[must_use]
pub fn k9s() -> Answer {
    Answer::Print {
        code: 1,
        text: "k9s (opsdeck sandbox stand-in): the sandbox's cluster is simulated inside opsdeck, \
               so k9s cannot reach it; in a real context this command runs your k9s.\n"
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> (World, Timestamp) {
        let now = Timestamp::from_second(1_780_000_000).unwrap();
        (World::new(7, now), now)
    }

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn kubectl_exec_opens_the_shell_of_a_pod_that_exists() {
        let (mut world, now) = world();
        let pods = world.cluster().pods(now);
        let pod = &pods[0];
        let name = pod
            .pointer("/metadata/name")
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned();
        let ns = pod
            .pointer("/metadata/namespace")
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned();
        let answer = kubectl(
            &mut world,
            &strings(&[
                "--context",
                "sandbox",
                "-n",
                &ns,
                "exec",
                "-it",
                &name,
                "-c",
                "app",
                "--",
                "sh",
            ]),
            now,
        );
        assert_eq!(
            answer,
            Answer::Shell {
                namespace: ns.clone(),
                pod: name.clone(),
                container: "app".into()
            }
        );
        let missing = kubectl(
            &mut world,
            &strings(&["-n", &ns, "exec", "nope", "--", "sh"]),
            now,
        );
        assert!(matches!(missing, Answer::Print { code: 1, text } if text.contains("not found")));
        let described = kubectl(
            &mut world,
            &strings(&["-n", &ns, "describe", "pod", &name]),
            now,
        );
        let Answer::Print { code: 0, text } = described else {
            panic!("{described:?}")
        };
        assert!(text.contains(&name), "{text}");
    }

    #[test]
    fn psql_reads_the_database_from_the_dsn_and_answers_pg_stat_activity() {
        let (world, _) = world();
        let db = super::super::pg::databases()[0];
        assert_eq!(
            psql(&world, &strings(&[&dsn(db)])),
            Answer::Psql {
                database: db.into()
            }
        );
        let out = psql_line(
            &world,
            db,
            "select pid, state, query from pg_stat_activity;",
        )
        .unwrap();
        assert!(out.contains("rows)"), "{out}");
        assert!(psql_line(&world, db, "\\q").is_none());
        assert!(
            psql_line(&world, db, "drop table x")
                .unwrap()
                .starts_with("ERROR:")
        );
        assert!(matches!(
            psql(&world, &strings(&["dbname=nope"])),
            Answer::Print { code: 2, .. }
        ));
    }

    #[test]
    fn kcat_prints_the_last_messages_of_a_topic() {
        let (world, _) = world();
        let snapshot = world.kafka_snapshot();
        let topic = snapshot
            .topics
            .iter()
            .find(|t| t.messages > 0)
            .unwrap()
            .name
            .clone();
        let Answer::Print { code: 0, text } = kcat(
            &world,
            &strings(&["-b", BOOTSTRAP, "-t", &topic, "-C", "-o", "-2", "-e"]),
        ) else {
            panic!()
        };
        assert!(!text.is_empty());
        assert!(matches!(
            kcat(&world, &strings(&["-t", "no-such-topic", "-C"])),
            Answer::Print { code: 1, .. }
        ));
    }
}

//! The `F` form: the pod port (←/→ through the pod's declared ports, or typed: a number or
//! a port's name) and the local port (empty: the same number if free, else any free one).
//! Both are checked before anything starts, each problem beside its field.

use crate::app::modal::form::{Field, FieldKind, Form, FormKind};
use crate::model::k8s::forward::{LocalPort, parse_local, parse_remote};
use crate::model::k8s::pod::ContainerPort;

impl Form {
    /// A port-forward of pod `about` (`namespace/name`), offering its declared ports
    /// (`8080/http` labels); the pod port starts on the first of them.
    #[must_use]
    pub fn port_forward(about: &str, labels: &[String], remote: &str) -> Self {
        Self {
            kind: FormKind::PortForward,
            fields: vec![
                Field {
                    key: "remote",
                    label: "Pod port",
                    hint: "←/→ a declared port; or type a port or its name",
                    value: remote.to_owned(),
                    kind: FieldKind::Suggest(labels.to_vec()),
                    error: None,
                },
                Field::text(
                    "local",
                    "Local port",
                    "on 127.0.0.1; empty: the same if free, else any",
                    "",
                ),
            ],
            focus: 0,
            error: None,
            submitting: false,
            brokers: 0,
            about: about.to_owned(),
        }
    }
}

/// A declared port back from its `8080/http` label.
fn port_of(label: &str) -> Option<ContainerPort> {
    let (number, name) = match label.split_once('/') {
        Some((number, name)) => (number, Some(name.to_owned())),
        None => (label, None),
    };
    Some(ContainerPort {
        name,
        port: number.parse().ok()?,
        protocol: "TCP".into(),
    })
}

/// Checks the form: the pod port and the local port, or the errors on their fields (focus
/// on the first).
pub fn read_form(form: &mut Form) -> Option<(u16, LocalPort)> {
    for f in &mut form.fields {
        f.error = None;
    }
    let declared: Vec<ContainerPort> = match &form.fields.first().map(|f| &f.kind) {
        Some(FieldKind::Suggest(labels)) => labels.iter().filter_map(|l| port_of(l)).collect(),
        _ => Vec::new(),
    };
    let declared: Vec<&ContainerPort> = declared.iter().collect();
    let remote = parse_remote(form.value("remote"), &declared);
    let local = parse_local(form.value("local"));
    if let Err(e) = &remote {
        form.set_error("remote", Some(e.clone()));
    }
    if let Err(e) = &local {
        form.set_error("local", Some(e.clone()));
    }
    if let Some(first_bad) = form.fields.iter().position(|f| f.error.is_some()) {
        form.focus = first_bad;
        return None;
    }
    Some((remote.ok()?, local.ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> Form {
        Form::port_forward(
            "shop/cart-a",
            &["8080/http".to_owned(), "9090/metrics".to_owned()],
            "8080/http",
        )
    }

    #[test]
    fn the_declared_port_and_an_empty_local_port_forward_the_same_number() {
        let mut f = form();
        assert_eq!(read_form(&mut f), Some((8080, LocalPort::Auto)));
        f.cycle_choice(true);
        assert_eq!(f.fields[0].value, "9090/metrics");
        f.focus_by(1);
        for c in "19090".chars() {
            f.type_char(c);
        }
        assert_eq!(read_form(&mut f), Some((9090, LocalPort::Exact(19_090))));
    }

    #[test]
    fn a_typed_port_or_name_is_taken_and_bad_input_stays_with_its_reason() {
        let mut f = form();
        f.fields[0].value.clear();
        for c in "metrics".chars() {
            f.type_char(c);
        }
        assert_eq!(read_form(&mut f), Some((9090, LocalPort::Auto)));
        f.fields[0].value = "5432".into();
        assert_eq!(read_form(&mut f), Some((5432, LocalPort::Auto)));

        f.fields[0].value = "grpc".into();
        f.fields[1].value = "0.0.0.0:80".into();
        f.focus = 1;
        assert_eq!(read_form(&mut f), None);
        assert_eq!(f.focus, 0, "focus on the first bad field");
        assert_eq!(
            f.fields[0].error.as_deref(),
            Some("`grpc`: no declared port of that name (declared: http, metrics)")
        );
        assert_eq!(
            f.fields[1].error.as_deref(),
            Some("`0.0.0.0:80`: only a port: forwards listen on 127.0.0.1 (loopback) only")
        );
        assert_eq!(f.fields[1].value, "0.0.0.0:80", "typed input is kept");
    }

    #[test]
    fn a_pod_without_declared_ports_needs_a_typed_one() {
        let mut f = Form::port_forward("shop/cart-a", &[], "");
        assert_eq!(read_form(&mut f), None);
        assert!(
            f.fields[0]
                .error
                .as_deref()
                .unwrap_or_default()
                .contains("required")
        );
        f.cycle_choice(true);
        assert_eq!(f.fields[0].value, "", "nothing to cycle through");
        f.type_char('8');
        f.type_char('0');
        assert_eq!(read_form(&mut f), Some((80, LocalPort::Auto)));
    }
}

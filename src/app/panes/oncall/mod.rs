//! State of the `:oncall` pane: who is on call per team now and next (the table), my
//! upcoming shifts and my team's rota (above it), all from the platform feed. Declaring a
//! shift (a form) and taking over (an override until the current shift ends) go to the
//! platform API, which audits them.

pub mod actions;

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use crate::app::modal::form::{Field, FieldKind, Form, FormKind};
use crate::app::panes::Pane;
use crate::app::table::{SortKey, TableState};
use crate::model::oncall::{Shift, ShiftBody, ShiftKind, TeamOnCall};
use crate::sources::platform_feed::PlatformSnapshot;

/// Columns of the per-team table.
pub const COLUMNS: [&str; 5] = ["TEAM", "ON CALL NOW", "UNTIL", "NEXT", "FROM"];

/// The orders of the table: one per column.
pub const SORT_KEYS: [SortKey; 5] = SortKey::per_column(COLUMNS);

/// The on-call pane.
#[derive(Debug, Clone, Default)]
pub struct OncallPane {
    pub snapshot: Option<Arc<PlatformSnapshot>>,
    /// One row per team with a rota.
    pub rows: Vec<TeamOnCall>,
    haystacks: Vec<String>,
    pub table: TableState,
}

impl OncallPane {
    pub fn set_snapshot(&mut self, snapshot: Arc<PlatformSnapshot>) {
        self.snapshot = Some(snapshot);
        self.refresh_view();
    }

    /// Why the platform gave no on-call answer (`None` when it did, or has not answered).
    #[must_use]
    pub fn error(&self) -> Option<&str> {
        self.snapshot
            .as_ref()
            .and_then(|s| s.oncall.as_ref().err().map(String::as_str))
    }

    /// Who I am to the platform.
    #[must_use]
    pub fn me(&self) -> Option<&str> {
        self.snapshot.as_ref().map(|s| s.me.user.as_str())
    }

    /// My teams: those of my groups with a rota.
    #[must_use]
    pub fn my_teams(&self) -> Vec<&str> {
        self.snapshot.as_ref().map_or_else(Vec::new, |s| {
            s.my_rotas.iter().map(|r| r.oncall.team.as_str()).collect()
        })
    }

    /// My shifts that have not ended by `now`, soonest first.
    #[must_use]
    pub fn my_shifts(&self, now: Timestamp) -> Vec<&Shift> {
        let Some(snapshot) = &self.snapshot else {
            return Vec::new();
        };
        let mut mine: Vec<&Shift> = snapshot
            .my_rotas
            .iter()
            .flat_map(|r| &r.shifts)
            .filter(|s| s.who == snapshot.me.user && s.to > now)
            .collect();
        mine.sort_by_key(|s| (s.from, s.created_at));
        mine
    }

    /// My first team's shifts that have not ended by `now`, by start.
    #[must_use]
    pub fn team_rota(&self, now: Timestamp) -> Option<(&str, Vec<&Shift>)> {
        let rota = self.snapshot.as_ref()?.my_rotas.first()?;
        let shifts = rota.shifts.iter().filter(|s| s.to > now).collect();
        Some((rota.oncall.team.as_str(), shifts))
    }

    #[must_use]
    pub fn selected(&self) -> Option<&TeamOnCall> {
        self.table.selected_row().and_then(|i| self.rows.get(i))
    }

    /// Every team the platform knows a rota of (for the form's choice).
    #[must_use]
    pub fn teams(&self) -> Vec<String> {
        self.rows.iter().map(|r| r.team.clone()).collect()
    }

    fn rebuild_rows(&mut self) {
        self.rows = self
            .snapshot
            .as_ref()
            .and_then(|s| s.oncall.as_ref().ok())
            .map(|list| list.items.clone())
            .unwrap_or_default();
        self.haystacks = self
            .rows
            .iter()
            .map(|r| {
                format!(
                    "{} {} {}",
                    r.team,
                    r.now.as_ref().map_or("", |n| n.who.as_str()),
                    r.next.as_ref().map_or("", |n| n.who.as_str())
                )
                .to_lowercase()
            })
            .collect();
    }
}

impl Pane for OncallPane {
    /// `y`: who is on call for the selected team (the team when nobody is); `Y` the
    /// team's answer as JSON.
    fn copy_text(&self, kind: crate::app::copy::CopyKind) -> Option<crate::app::copy::Copied> {
        use crate::app::copy::{Copied, CopyKind};
        let row = self.selected()?;
        match (kind, &row.now) {
            (CopyKind::Key, Some(now)) => Some(Copied::new(
                format!("{} (on call for {})", now.who, row.team),
                now.who.clone(),
            )),
            (CopyKind::Key, None) => Some(Copied::key("team", &row.team)),
            (CopyKind::Row, _) => Copied::json("on call of team", &row.team, row),
        }
    }

    delegate_to_actions!(on_action);

    always_table!();

    fn sort_keys(&self) -> &'static [SortKey] {
        &SORT_KEYS
    }

    fn refresh_view(&mut self) {
        self.rebuild_rows();
        let rows = &self.rows;
        let column = self.table.sort.column;
        let mine: Vec<String> = self
            .snapshot
            .as_ref()
            .map(|s| s.me.groups.clone())
            .unwrap_or_default();
        self.table.rebuild(
            &self.haystacks,
            |i| rows[i].team.clone(),
            |a, b| {
                let (ra, rb) = (&rows[a], &rows[b]);
                let primary = match column {
                    1 => who_now(ra).cmp(who_now(rb)),
                    2 => ra
                        .now
                        .as_ref()
                        .map(|n| n.until)
                        .cmp(&rb.now.as_ref().map(|n| n.until)),
                    3 => who_next(ra).cmp(who_next(rb)),
                    4 => ra
                        .next
                        .as_ref()
                        .map(|n| n.from)
                        .cmp(&rb.next.as_ref().map(|n| n.from)),
                    // My teams first, then by name.
                    _ => (!mine.contains(&ra.team)).cmp(&!mine.contains(&rb.team)),
                };
                primary.then_with(|| ra.team.cmp(&rb.team))
            },
        );
    }

    fn reset(&mut self) {
        super::reset_keeping_page(self);
    }
}

fn who_now(r: &TeamOnCall) -> &str {
    r.now.as_ref().map_or("", |n| n.who.as_str())
}

fn who_next(r: &TeamOnCall) -> &str {
    r.next.as_ref().map_or("", |n| n.who.as_str())
}

/// `2026-12-06 18:00` (UTC), how the form shows and reads times.
#[must_use]
pub fn form_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M").to_string()
}

/// Reads a form's start: `now`, `HH:MM` (today, UTC), `YYYY-MM-DD HH:MM` (UTC), or RFC 3339.
pub fn parse_when(raw: &str, now: Timestamp) -> Result<Timestamp, String> {
    let raw = raw.trim();
    let hint = "now, HH:MM, YYYY-MM-DD HH:MM (UTC) or RFC 3339";
    if raw.eq_ignore_ascii_case("now") {
        return Ok(now);
    }
    if let Ok(t) = raw.parse::<Timestamp>() {
        return Ok(t);
    }
    let utc = |date: &str| -> Option<Timestamp> {
        let civil: jiff::civil::DateTime = date.parse().ok()?;
        civil
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp())
    };
    if let Some(t) = utc(raw) {
        return Ok(t);
    }
    if raw.len() == 5 && raw.as_bytes()[2] == b':' {
        let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
        if let Some(t) = utc(&format!("{today} {raw}")) {
            return Ok(t);
        }
    }
    Err(format!("not a time: {hint}"))
}

/// Reads a form's end: a time as [`parse_when`] reads it, or a length after `from` (`12h`,
/// `1d`).
pub fn parse_until(raw: &str, from: Timestamp, now: Timestamp) -> Result<Timestamp, String> {
    let trimmed = raw.trim();
    if trimmed.starts_with(|c: char| c.is_ascii_digit())
        && trimmed.ends_with(|c: char| c.is_ascii_alphabetic())
        && let Ok(ms) = crate::model::validate::duration_ms(trimmed)
    {
        return from
            .checked_add(SignedDuration::from_millis(ms))
            .map_err(|e| e.to_string());
    }
    parse_when(trimmed, now).map_err(|_| {
        "a time (HH:MM, YYYY-MM-DD HH:MM UTC, RFC 3339) or a length (12h, 1d)".to_owned()
    })
}

fn text_field(key: &'static str, label: &'static str, hint: &'static str, value: String) -> Field {
    Field {
        key,
        label,
        hint,
        value,
        kind: FieldKind::Text,
        error: None,
    }
}

/// The form that declares a shift: team (a choice among the known ones, `team` first),
/// who (me), from (the next full hour), to (`12h`), kind, and a note.
#[must_use]
pub fn shift_form(teams: &[String], team: Option<&str>, me: &str, now: Timestamp) -> Form {
    let team_field = if teams.is_empty() {
        text_field(
            "team",
            "Team",
            "the team's name (its group)",
            team.unwrap_or_default().to_owned(),
        )
    } else {
        let mut options = teams.to_vec();
        if let Some(t) = team
            && let Some(i) = options.iter().position(|o| o == t)
        {
            options.swap(0, i);
        }
        Field {
            key: "team",
            label: "Team",
            hint: "whose rota (←/→)",
            value: options.first().cloned().unwrap_or_default(),
            kind: FieldKind::Choice(options),
            error: None,
        }
    };
    let hour = 3_600;
    let next_hour = Timestamp::from_second((now.as_second() / hour + 1) * hour).unwrap_or(now);
    Form {
        kind: FormKind::OncallShift,
        fields: vec![
            team_field,
            text_field("who", "Who", "who is on call (default: you)", me.to_owned()),
            text_field(
                "from",
                "From",
                "now, HH:MM or YYYY-MM-DD HH:MM (UTC)",
                form_time(next_hour),
            ),
            text_field("to", "To", "a time, or a length such as 12h", "12h".into()),
            Field {
                key: "kind",
                label: "Kind",
                hint: "rota shift, or an override that beats it (←/→)",
                value: "rota".into(),
                kind: FieldKind::Choice(vec!["rota".into(), "override".into()]),
                error: None,
            },
            text_field(
                "note",
                "Note",
                "optional, e.g. swap with jonas",
                String::new(),
            ),
        ],
        focus: 0,
        error: None,
        submitting: false,
        brokers: 0,
        about: String::new(),
    }
}

/// Checks the shift form; `Some((team, body))` to send, or `None` with each problem on its
/// field (focus on the first).
pub fn read_shift_form(form: &mut Form, now: Timestamp) -> Option<(String, ShiftBody)> {
    for f in &mut form.fields {
        f.error = None;
    }
    let value = |form: &Form, key: &str| {
        form.fields
            .iter()
            .find(|f| f.key == key)
            .map_or_else(String::new, |f| f.value.clone())
    };
    let mut errors: Vec<(&str, String)> = Vec::new();
    let team = crate::model::oncall::name("team", &value(form, "team"))
        .map_err(|e| errors.push(("team", e)))
        .ok();
    let who = crate::model::oncall::name("who", &value(form, "who"))
        .map_err(|e| errors.push(("who", e)))
        .ok();
    let from = parse_when(&value(form, "from"), now)
        .map_err(|e| errors.push(("from", e)))
        .ok();
    let to = from.and_then(|from| {
        parse_until(&value(form, "to"), from, now)
            .map_err(|e| errors.push(("to", e)))
            .ok()
    });
    let kind = if value(form, "kind") == "override" {
        ShiftKind::Override
    } else {
        ShiftKind::Rota
    };
    let note = Some(value(form, "note").trim().to_owned()).filter(|n| !n.is_empty());
    let mut out = None;
    if let (Some(team), Some(who), Some(from), Some(to)) = (team, who, from, to) {
        let body = ShiftBody {
            who,
            from,
            to,
            kind,
            note,
        };
        match crate::model::oncall::validate(&body) {
            Ok(()) if to <= now => errors.push(("to", "this shift would be over already".into())),
            Ok(()) => out = Some((team, body)),
            Err(e) => {
                let key = if e.contains("note") {
                    "note"
                } else if e.contains("who") {
                    "who"
                } else {
                    "to"
                };
                errors.push((key, e));
            }
        }
    }
    for (key, e) in errors {
        if let Some(f) = form.fields.iter_mut().find(|f| f.key == key) {
            f.error = Some(e);
        }
    }
    if let Some(first) = form.fields.iter().position(|f| f.error.is_some()) {
        form.focus = first;
        return None;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().expect("time")
    }

    #[test]
    fn times_typed_in_the_form() {
        let now = t("2026-12-06T10:17:00Z");
        assert_eq!(parse_when("now", now), Ok(now));
        assert_eq!(parse_when("18:00", now), Ok(t("2026-12-06T18:00:00Z")));
        assert_eq!(
            parse_when("2026-12-07 08:30", now),
            Ok(t("2026-12-07T08:30:00Z"))
        );
        assert_eq!(
            parse_when("2026-12-07T08:30:00+01:00", now),
            Ok(t("2026-12-07T07:30:00Z"))
        );
        assert!(parse_when("tonight", now).is_err());
        let from = t("2026-12-06T18:00:00Z");
        assert_eq!(parse_until("12h", from, now), Ok(t("2026-12-07T06:00:00Z")));
        assert_eq!(
            parse_until("22:00", from, now),
            Ok(t("2026-12-06T22:00:00Z"))
        );
    }

    #[test]
    fn the_form_defaults_to_me_and_checks_its_fields() {
        let now = t("2026-12-06T10:17:00Z");
        let teams = vec!["checkout".to_owned(), "payments".to_owned()];
        let mut form = shift_form(&teams, Some("payments"), "dev", now);
        assert_eq!(form.fields[0].value, "payments");
        assert_eq!(form.fields[1].value, "dev");
        assert_eq!(form.fields[2].value, "2026-12-06 11:00");
        let (team, body) = read_shift_form(&mut form, now).expect("valid");
        assert_eq!(team, "payments");
        assert_eq!(
            (body.from, body.to),
            (t("2026-12-06T11:00:00Z"), t("2026-12-06T23:00:00Z"))
        );
        assert_eq!(body.kind, ShiftKind::Rota);

        form.fields[2].value = "yesterday".into();
        form.fields[1].value = "bad name!".into();
        assert!(read_shift_form(&mut form, now).is_none());
        assert_eq!(form.focus, 1, "the first bad field");
        assert!(
            form.fields[2]
                .error
                .as_deref()
                .unwrap_or_default()
                .contains("not a time")
        );
        assert_eq!(form.fields[1].value, "bad name!", "input is kept");
    }
}

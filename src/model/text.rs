//! Plain-text shaping by display width: cutting to a width, word-wrapping into rows, and
//! percentages. Pure, so the app (dialog details) and the UI (cells) share it.

use unicode_width::UnicodeWidthStr;

/// Cuts `text` to `width` columns, ending with `…` when cut.
#[must_use]
pub fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// `text` word-wrapped to `width` columns, in at most `rows` rows; the last row ends with `…`
/// when text is left over. A word longer than the width is cut.
#[must_use]
pub fn wrap(text: &str, width: usize, rows: usize) -> Vec<String> {
    // A text that fits keeps its spacing (aligned columns).
    if text.width() <= width {
        return vec![text.to_owned()];
    }
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let needed = if line.is_empty() {
            word.width()
        } else {
            line.width() + 1 + word.width()
        };
        if needed > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    if lines.len() > rows && rows > 0 {
        let rest = lines[rows - 1..].join(" ");
        lines.truncate(rows - 1);
        lines.push(format!("{rest}…"));
    }
    lines.truncate(rows);
    lines.into_iter().map(|l| fit(&l, width)).collect()
}

/// A percentage with one decimal, or a dash.
#[must_use]
pub fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{:.0}%", v * 100.0))
}

/// `text` word-wrapped to `width` columns with nothing left out: a word longer than a row
/// is broken across rows, and a line break starts a new row. Always at least one row.
#[must_use]
pub fn wrap_all(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut rows = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut used = 0;
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let w = word.width();
            if used > 0 && used + 1 + w <= width {
                line.push(' ');
                line.push_str(word);
                used += 1 + w;
                continue;
            }
            if used > 0 {
                rows.push(std::mem::take(&mut line));
                used = 0;
            }
            if w <= width {
                line.push_str(word);
                used = w;
                continue;
            }
            for c in word.chars() {
                let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
                if used > 0 && used + cw > width {
                    rows.push(std::mem::take(&mut line));
                    used = 0;
                }
                line.push(c);
                used += cw;
            }
        }
        rows.push(line);
    }
    rows
}

/// A byte count in binary units: `512 B`, `5.1 KiB`, `328.2 MiB` (memory figures and a
/// port-forward's traffic read the same way).
#[must_use]
pub fn byte_size(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    if bytes.abs() < 1024.0 {
        return format!("{bytes:.0} B");
    }
    let mut v = bytes;
    let mut unit = 0;
    while v.abs() >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// `12,400`: lag and counts are read at a glance.
#[must_use]
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// `45s`, `12m`, `3h`, `2d`.
#[must_use]
pub fn short_age(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86_400 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86_400),
    }
}

/// A context's name, production marked in words as well as style (`⚑prod`).
#[must_use]
pub fn context_label(name: &str, production: bool) -> String {
    if production {
        format!("⚑{name}")
    } else {
        name.to_owned()
    }
}

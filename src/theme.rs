//! Semantic colour roles and theme loading (`themes/*.toml`).
//!
//! Widgets ask for a role (`title`, `ok`, `selection`) and never name a colour. Shipped themes
//! are compiled in; a user file `<config_dir>/themes/<name>.toml` overrides only the roles it
//! names. Colours are reduced to the terminal's depth once, when the theme is resolved.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::Diagnostic;

/// Shipped themes, compiled in: `(name, file contents)`.
pub const SHIPPED: &[(&str, &str)] = &[
    ("default", include_str!("../themes/default.toml")),
    ("light", include_str!("../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../themes/high-contrast.toml"),
    ),
    ("colorblind", include_str!("../themes/colorblind.toml")),
    ("mono", include_str!("../themes/mono.toml")),
];

macro_rules! roles {
    ($( $variant:ident = $name:literal: $doc:literal; )*) => {
        /// What a piece of the screen means; themes give each role a style.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Role { $( #[doc = $doc] $variant, )* }

        impl Role {
            pub const ALL: &'static [Role] = &[ $( Role::$variant, )* ];

            #[must_use]
            pub fn name(self) -> &'static str {
                match self { $( Role::$variant => $name, )* }
            }

            #[must_use]
            pub fn doc(self) -> &'static str {
                match self { $( Role::$variant => $doc, )* }
            }
        }

        impl FromStr for Role {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                match s { $( $name => Ok(Role::$variant), )* _ => Err(()) }
            }
        }
    };
}

roles! {
    Background = "background": "the whole screen";
    Text = "text": "ordinary text";
    Muted = "muted": "secondary text: ages, hints, placeholders";
    Accent = "accent": "emphasis that is not a state: keys in hints, links";
    Title = "title": "pane and dialog titles";
    Border = "border": "pane borders";
    BorderFocus = "border_focus": "the border of the focused pane or dialog";
    Header = "header": "the top bar";
    TableHeader = "table_header": "column headings";
    Selection = "selection": "the selected row";
    Ok = "ok": "healthy, synced, succeeded";
    Warn = "warn": "degraded, at risk, stale";
    Error = "error": "failed, breached, denied";
    Info = "info": "neutral notices";
    ProdBanner = "prod_banner": "the environment badge of a production context";
    EnvBanner = "env_banner": "the environment badge of other contexts";
    SandboxBanner = "sandbox_banner": "the SANDBOX badge";
    MatchHighlight = "match_highlight": "characters matched by the filter";
    StatusBar = "status_bar": "the bottom status line";
    KeyHint = "key_hint": "key names in hints and help";
    Disabled = "disabled": "actions that cannot run, with their reason";
    Input = "input": "text being typed in the palette, filter or a form";
    Dialog = "dialog": "dialog and popup bodies";
    Series1 = "series_1": "first colour of a series (pods, services in a trace)";
    Series2 = "series_2": "second series colour";
    Series3 = "series_3": "third series colour";
    Series4 = "series_4": "fourth series colour";
    Series5 = "series_5": "fifth series colour";
    Series6 = "series_6": "sixth series colour";
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How many colours the terminal can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ColorDepth {
    /// No colour at all (`NO_COLOR`, `--color never`): only bold, reverse, underline.
    Mono,
    Ansi16,
    Ansi256,
    TrueColor,
}

impl ColorDepth {
    /// Detection from the environment. ssh forwards `TERM` but not `COLORTERM`, so `TERM`
    /// suffixes (`-direct`, `-truecolor`, `-256color`) count too.
    #[must_use]
    pub fn detect(no_color: Option<&str>, colorterm: Option<&str>, term: Option<&str>) -> Self {
        if no_color.is_some_and(|v| !v.is_empty()) {
            return Self::Mono;
        }
        let colorterm = colorterm.unwrap_or_default().to_ascii_lowercase();
        let term = term.unwrap_or_default().to_ascii_lowercase();
        if colorterm.contains("truecolor") || colorterm.contains("24bit") {
            return Self::TrueColor;
        }
        if term.ends_with("-direct") || term.contains("truecolor") || term.contains("24bit") {
            return Self::TrueColor;
        }
        if term.contains("256") {
            return Self::Ansi256;
        }
        if term == "dumb" {
            return Self::Mono;
        }
        Self::Ansi16
    }
}

/// A role's style as written in a theme file.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent style modifiers, as a theme file writes them"
)]
struct StyleSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underlined: bool,
    #[serde(default)]
    reversed: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[serde(default)]
    description: String,
    /// For user themes with a new name: which shipped theme to start from. Read by
    /// [`Theme::load`] before the full parse; declared here so it is not an unknown key.
    #[allow(dead_code)]
    inherits: Option<String>,
    #[serde(default)]
    roles: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

/// A loaded theme: one resolved [`Style`] per role.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub description: String,
    pub depth: ColorDepth,
    styles: BTreeMap<Role, Style>,
}

impl Theme {
    /// The style of one role. Roles a theme does not set fall back to `text`.
    #[must_use]
    pub fn style(&self, role: Role) -> Style {
        self.styles
            .get(&role)
            .or_else(|| self.styles.get(&Role::Text))
            .copied()
            .unwrap_or_default()
    }

    /// `text` patched with `role`: for spans inside ordinary text.
    #[must_use]
    pub fn on_text(&self, role: Role) -> Style {
        self.style(Role::Text).patch(self.style(role))
    }

    /// A stable series role for a name (a pod, a service), from a hash of the name.
    #[must_use]
    pub fn series(name: &str) -> Role {
        const SERIES: [Role; 6] = [
            Role::Series1,
            Role::Series2,
            Role::Series3,
            Role::Series4,
            Role::Series5,
            Role::Series6,
        ];
        // FNV-1a: stable across runs and platforms, unlike std's RandomState.
        let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        SERIES[usize::try_from(hash % 6).unwrap_or(0)]
    }

    /// Parses one theme file over `base` (roles not named keep the base's style).
    pub fn parse(
        name: &str,
        file: &str,
        source: &str,
        base: Option<&Self>,
        depth: ColorDepth,
    ) -> Result<Self, Diagnostic> {
        let parsed: ThemeFile =
            toml::from_str(source).map_err(|e| Diagnostic::from_toml(file, source, &e))?;
        let mut styles = base.map(|b| b.styles.clone()).unwrap_or_default();
        for (role_name, value) in parsed.roles {
            let key = format!("roles.{}", role_name.get_ref());
            let role = Role::from_str(role_name.get_ref()).map_err(|()| {
                Diagnostic::at(
                    file,
                    source,
                    Some(role_name.span()),
                    Some(key.clone()),
                    format!(
                        "unknown role `{}`; `opsdeck themes` lists them",
                        role_name.get_ref()
                    ),
                )
            })?;
            let span = value.span();
            let spec = match value.into_inner() {
                toml::Value::String(fg) => StyleSpec {
                    fg: Some(fg),
                    ..StyleSpec::default()
                },
                table @ toml::Value::Table(_) => table.try_into::<StyleSpec>().map_err(|e| {
                    Diagnostic::at(
                        file,
                        source,
                        Some(span.clone()),
                        Some(key.clone()),
                        e.message().trim().to_owned(),
                    )
                })?,
                other => {
                    return Err(Diagnostic::at(
                        file,
                        source,
                        Some(span),
                        Some(key),
                        format!(
                            "expected a colour string or a style table, found {}",
                            other.type_str()
                        ),
                    ));
                }
            };
            let color = |c: &Option<String>| -> Result<Option<Option<Color>>, Diagnostic> {
                c.as_ref()
                    .map(|c| {
                        parse_color(c).map(|col| reduce(col, depth)).ok_or_else(|| {
                            Diagnostic::at(
                                file,
                                source,
                                Some(span.clone()),
                                Some(key.clone()),
                                format!(
                                    "bad colour `{c}`: use a name (red, light_blue, reset), \
                                     #rrggbb, or 0-255"
                                ),
                            )
                        })
                    })
                    .transpose()
            };
            let mut style = Style::default();
            if let Some(fg) = color(&spec.fg)?.flatten() {
                style = style.fg(fg);
            }
            if let Some(bg) = color(&spec.bg)?.flatten() {
                style = style.bg(bg);
            }
            for (on, modifier) in [
                (spec.bold, Modifier::BOLD),
                (spec.dim, Modifier::DIM),
                (spec.italic, Modifier::ITALIC),
                (spec.underlined, Modifier::UNDERLINED),
                (spec.reversed, Modifier::REVERSED),
            ] {
                if on {
                    style = style.add_modifier(modifier);
                }
            }
            styles.insert(role, style);
        }
        Ok(Self {
            name: name.to_owned(),
            description: parsed.description,
            depth,
            styles,
        })
    }

    /// A shipped theme by name.
    #[must_use]
    pub fn shipped(name: &str, depth: ColorDepth) -> Option<Result<Self, Diagnostic>> {
        SHIPPED.iter().find(|(n, _)| *n == name).map(|(n, src)| {
            Self::parse(n, &format!("themes/{n}.toml (built in)"), src, None, depth)
        })
    }

    /// Loads `name` at `depth`: the shipped theme, then the user's file over it. Under
    /// [`ColorDepth::Mono`] the `mono` theme is always the base, because colours would vanish.
    pub fn load(
        name: &str,
        config_dir: Option<&Path>,
        depth: ColorDepth,
    ) -> Result<Self, Diagnostic> {
        let user_path = config_dir.map(|d| d.join("themes").join(format!("{name}.toml")));
        let user_source = match &user_path {
            Some(p) if p.exists() => Some(std::fs::read_to_string(p).map_err(|e| Diagnostic {
                file: p.display().to_string(),
                line: 0,
                column: 0,
                key: None,
                message: format!("cannot read: {e}"),
            })?),
            _ => None,
        };
        let base_name = if depth == ColorDepth::Mono {
            "mono".to_owned()
        } else if SHIPPED.iter().any(|(n, _)| *n == name) {
            name.to_owned()
        } else if let Some(src) = &user_source {
            toml::from_str::<toml::Table>(src)
                .ok()
                .and_then(|t| {
                    t.get("inherits")
                        .and_then(|v| v.as_str())
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| "default".to_owned())
        } else {
            let known: Vec<_> = SHIPPED.iter().map(|(n, _)| *n).collect();
            return Err(Diagnostic {
                file: format!("theme `{name}`"),
                line: 0,
                column: 0,
                key: None,
                message: format!("no such theme; shipped: {}", known.join(", ")),
            });
        };
        let mut theme = Self::shipped(&base_name, depth).ok_or_else(|| Diagnostic {
            file: format!("theme `{name}`"),
            line: 0,
            column: 0,
            key: Some("inherits".into()),
            message: format!("inherits unknown theme `{base_name}`"),
        })??;
        if let (Some(src), Some(path)) = (user_source, user_path) {
            theme = Self::parse(name, &path.display().to_string(), &src, Some(&theme), depth)?;
        }
        name.clone_into(&mut theme.name);
        Ok(theme)
    }
}

/// Shipped themes and the roles they style, for `opsdeck themes`.
#[must_use]
pub fn describe() -> String {
    use std::fmt::Write;
    let mut out = String::from("themes:\n");
    for (name, _) in SHIPPED {
        let description = Theme::shipped(name, ColorDepth::TrueColor)
            .and_then(Result::ok)
            .map(|t| t.description)
            .unwrap_or_default();
        let _ = writeln!(out, "  {name:<14} {description}");
    }
    out.push_str("\nroles (set any of them in <config dir>/themes/<name>.toml under [roles]):\n");
    for role in Role::ALL {
        let _ = writeln!(out, "  {:<16} {}", role.name(), role.doc());
    }
    out
}

/// Parses a colour: ratatui's names (red, lightblue, `light_blue`, `dark_gray`...), `#rrggbb`,
/// an index 0-255, or `reset`. `none` means "leave unset".
#[expect(
    clippy::option_option,
    reason = "`None`: not a colour; `Some(None)`: `none`, the terminal's own colour"
)]
fn parse_color(raw: &str) -> Option<Option<Color>> {
    let raw = raw.trim();
    if raw.eq_ignore_ascii_case("none") {
        return Some(None);
    }
    if raw.starts_with('#') && raw.len() != 7 {
        return None;
    }
    Color::from_str(&raw.replace('_', "")).ok().map(Some)
}

/// The 16 ANSI colours with their usual xterm RGB values.
const ANSI16: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

fn indexed_rgb(i: u8) -> (u8, u8, u8) {
    match i {
        0..=15 => ANSI16[usize::from(i)].1,
        16..=231 => {
            let i = i - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            (level(i / 36), level((i / 6) % 6), level(i % 6))
        }
        _ => {
            let v = 8 + (i - 232) * 10;
            (v, v, v)
        }
    }
}

fn distance(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let d = |x: u8, y: u8| u32::from(x.abs_diff(y)).pow(2);
    d(a.0, b.0) + d(a.1, b.1) + d(a.2, b.2)
}

fn nearest_16(rgb: (u8, u8, u8)) -> Color {
    ANSI16
        .iter()
        .min_by_key(|(_, c)| distance(*c, rgb))
        .map_or(Color::Reset, |(c, _)| *c)
}

fn nearest_256(rgb: (u8, u8, u8)) -> Color {
    let best = (16..=255u8)
        .min_by_key(|i| distance(indexed_rgb(*i), rgb))
        .unwrap_or(16);
    Color::Indexed(best)
}

/// Reduces one colour to what the terminal can show.
#[must_use]
pub fn reduce(color: Option<Color>, depth: ColorDepth) -> Option<Color> {
    let color = color?;
    Some(match (depth, color) {
        (ColorDepth::Mono, _) => return None,
        (ColorDepth::Ansi256, Color::Rgb(r, g, b)) => nearest_256((r, g, b)),
        (ColorDepth::Ansi16, Color::Rgb(r, g, b)) => nearest_16((r, g, b)),
        (ColorDepth::Ansi16, Color::Indexed(i)) => nearest_16(indexed_rgb(i)),
        // True colour, and every colour the depth shows as it is.
        (_, c) => c,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_theme_loads_at_every_depth_and_sets_every_role() {
        for (name, _) in SHIPPED {
            for depth in [
                ColorDepth::Mono,
                ColorDepth::Ansi16,
                ColorDepth::Ansi256,
                ColorDepth::TrueColor,
            ] {
                let theme = Theme::shipped(name, depth)
                    .expect("listed")
                    .expect("parses");
                for role in Role::ALL {
                    assert!(theme.styles.contains_key(role), "{name} sets {role}");
                }
            }
        }
    }

    #[test]
    fn mono_has_no_colour_but_keeps_signals() {
        let theme = Theme::shipped("default", ColorDepth::Mono)
            .expect("listed")
            .expect("parses");
        for role in Role::ALL {
            let s = theme.style(*role);
            assert!(
                s.fg.is_none() && s.bg.is_none(),
                "{role} has no colour under Mono"
            );
        }
        let mono = Theme::shipped("mono", ColorDepth::Ansi16)
            .expect("listed")
            .expect("parses");
        assert!(
            mono.style(Role::Selection)
                .add_modifier
                .contains(Modifier::REVERSED)
        );
        assert!(
            mono.style(Role::ProdBanner)
                .add_modifier
                .contains(Modifier::REVERSED)
        );
    }

    #[test]
    fn depth_detection_falls_back_on_term() {
        assert_eq!(
            ColorDepth::detect(Some("1"), Some("truecolor"), None),
            ColorDepth::Mono
        );
        assert_eq!(
            ColorDepth::detect(Some(""), None, Some("xterm-256color")),
            ColorDepth::Ansi256
        );
        assert_eq!(
            ColorDepth::detect(None, None, Some("xterm-direct")),
            ColorDepth::TrueColor
        );
        assert_eq!(
            ColorDepth::detect(None, Some("24bit"), Some("xterm")),
            ColorDepth::TrueColor
        );
        assert_eq!(
            ColorDepth::detect(None, None, Some("xterm")),
            ColorDepth::Ansi16
        );
    }

    #[test]
    fn rgb_is_reduced_to_the_depth() {
        let c = Some(Color::Rgb(250, 10, 10));
        assert_eq!(reduce(c, ColorDepth::Ansi16), Some(Color::LightRed));
        assert!(matches!(
            reduce(c, ColorDepth::Ansi256),
            Some(Color::Indexed(_))
        ));
        assert_eq!(reduce(c, ColorDepth::TrueColor), c);
        assert_eq!(reduce(c, ColorDepth::Mono), None);
    }

    #[test]
    fn bad_colour_names_line_and_key() {
        let src = "[roles]\ntext = \"white\"\nerror = { fg = \"blood\" }\n";
        let err = Theme::parse("t", "t.toml", src, None, ColorDepth::Ansi16).expect_err("bad");
        assert_eq!((err.line, err.key.as_deref()), (3, Some("roles.error")));
        assert!(err.message.contains("bad colour `blood`"), "{err}");
    }

    #[test]
    fn user_file_overrides_only_named_roles() {
        let base = Theme::shipped("default", ColorDepth::Ansi16)
            .expect("listed")
            .expect("parses");
        let src = "[roles]\nerror = { fg = \"magenta\", bold = true }\n";
        let t = Theme::parse("u", "u.toml", src, Some(&base), ColorDepth::Ansi16).expect("parses");
        assert_eq!(t.style(Role::Error).fg, Some(Color::Magenta));
        assert_eq!(t.style(Role::Ok), base.style(Role::Ok));
    }
}

//! Themes as data: `themes/*.toml` (built in) plus `$XDG_CONFIG_HOME/vftop/themes/*.toml`.

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::path::Path;

const BUILT_IN: [(&str, &str); 5] = [
    ("dark", include_str!("../../../../themes/dark.toml")),
    ("light", include_str!("../../../../themes/light.toml")),
    ("high-contrast", include_str!("../../../../themes/high-contrast.toml")),
    ("mono", include_str!("../../../../themes/mono.toml")),
    ("ansi16", include_str!("../../../../themes/ansi16.toml")),
];

/// A loaded theme: every colour the UI uses (the TOML file as it is, colours parsed by
/// ratatui's `serde` support: names, `#rrggbb`, or an ANSI index `0`–`255`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    pub name: String,
    #[serde(default)]
    pub use_role_colors: bool,
    #[serde(default)]
    pub mono: bool,
    #[serde(default)]
    pub bold: bool,
    pub colors: Palette,
}

/// The colours of a theme, one per role on screen.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Palette {
    pub text: Color,
    pub dim: Color,
    pub accent: Color,
    pub header_fg: Color,
    pub header_bg: Color,
    pub selected_fg: Color,
    pub selected_bg: Color,
    pub border: Color,
    pub border_focus: Color,
    pub good: Color,
    pub warn: Color,
    pub bad: Color,
    pub bar_empty: Color,
    pub partitions: Vec<Color>,
}

impl Palette {
    /// Every colour passed through `f` (colour-depth downgrades).
    pub fn map(&self, mut f: impl FnMut(Color) -> Color) -> Palette {
        Palette {
            text: f(self.text),
            dim: f(self.dim),
            accent: f(self.accent),
            header_fg: f(self.header_fg),
            header_bg: f(self.header_bg),
            selected_fg: f(self.selected_fg),
            selected_bg: f(self.selected_bg),
            border: f(self.border),
            border_focus: f(self.border_focus),
            good: f(self.good),
            warn: f(self.warn),
            bad: f(self.bad),
            bar_empty: f(self.bar_empty),
            partitions: self.partitions.iter().map(|c| f(*c)).collect(),
        }
    }
}

/// A theme that could not be found or read.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("unknown theme '{name}'; available: {}", available.join(", "))]
    Unknown { name: String, available: Vec<String> },
    #[error("theme {file}: {message}")]
    Invalid { file: String, message: String },
}

impl Theme {
    /// Parses one theme file's text.
    pub fn parse(text: &str, file: &str) -> Result<Theme, ThemeError> {
        let theme: Theme = toml::from_str(text)
            .map_err(|e| ThemeError::Invalid { file: file.into(), message: e.to_string() })?;
        if theme.colors.partitions.is_empty() {
            return Err(ThemeError::Invalid {
                file: file.into(),
                message: "partitions needs a colour".into(),
            });
        }
        Ok(theme)
    }

    /// Built-in themes, then any in `user_dir` (a user theme with a built-in name replaces it).
    pub fn load_all(user_dir: Option<&Path>) -> Result<Vec<Theme>, ThemeError> {
        let mut themes: Vec<Theme> =
            BUILT_IN.iter().map(|(n, text)| Theme::parse(text, n)).collect::<Result<_, _>>()?;
        let Some(dir) = user_dir else {
            return Ok(themes);
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(themes);
        };
        let mut paths: Vec<_> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        for path in paths {
            let file = path.display().to_string();
            let text = std::fs::read_to_string(&path)
                .map_err(|e| ThemeError::Invalid { file: file.clone(), message: e.to_string() })?;
            let theme = Theme::parse(&text, &file)?;
            themes.retain(|t| t.name != theme.name);
            themes.push(theme);
        }
        Ok(themes)
    }

    /// Index of the theme called `name`, or an error listing those available.
    pub fn find(themes: &[Theme], name: &str) -> Result<usize, ThemeError> {
        themes.iter().position(|t| t.name == name).ok_or_else(|| ThemeError::Unknown {
            name: name.into(),
            available: themes.iter().map(|t| t.name.clone()).collect(),
        })
    }

    pub fn base(&self) -> Style {
        Style::default().fg(self.colors.text)
    }

    pub fn dimmed(&self) -> Style {
        Style::default().fg(self.colors.dim)
    }

    pub fn emphasis(&self) -> Style {
        Style::default().fg(self.colors.accent).add_modifier(Modifier::BOLD)
    }

    pub fn header(&self) -> Style {
        let s =
            Style::default().fg(self.colors.header_fg).bg(self.colors.header_bg).add_modifier(Modifier::BOLD);
        if self.mono { s.add_modifier(Modifier::REVERSED) } else { s }
    }

    pub fn selected(&self) -> Style {
        let s = Style::default()
            .fg(self.colors.selected_fg)
            .bg(self.colors.selected_bg)
            .add_modifier(Modifier::BOLD);
        if self.mono { s.add_modifier(Modifier::REVERSED) } else { s }
    }

    pub fn border(&self, focused: bool) -> Style {
        let s = Style::default().fg(if focused { self.colors.border_focus } else { self.colors.border });
        if focused && (self.mono || self.bold) { s.add_modifier(Modifier::BOLD) } else { s }
    }

    pub fn level(&self, level: crate::app::state::Level) -> Style {
        use crate::app::state::Level;
        let c = match level {
            Level::Info => self.colors.text,
            Level::Good => self.colors.good,
            Level::Warn => self.colors.warn,
            Level::Error => self.colors.bad,
        };
        let s = Style::default().fg(c);
        if matches!(level, Level::Error | Level::Warn) { s.add_modifier(Modifier::BOLD) } else { s }
    }

    pub fn fg(&self, c: Color) -> Style {
        let s = Style::default().fg(c);
        if self.bold { s.add_modifier(Modifier::BOLD) } else { s }
    }

    /// The colour of the `i`-th partition, preferring its role colour where the theme allows.
    pub fn partition(&self, i: usize, role_color: Option<&str>) -> Color {
        if self.use_role_colors
            && let Some(c) = role_color.and_then(|c| c.parse::<Color>().ok())
        {
            return c;
        }
        self.colors.partitions[i % self.colors.partitions.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_themes_load() {
        let themes = Theme::load_all(None).unwrap();
        let names: Vec<_> = themes.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["dark", "light", "high-contrast", "mono", "ansi16"]);
        assert!(themes[3].mono);
    }

    #[test]
    fn ansi16_uses_only_the_terminals_own_palette() {
        let themes = Theme::load_all(None).unwrap();
        let ansi = &themes[Theme::find(&themes, "ansi16").unwrap()];
        let mut all = Vec::new();
        let _ = ansi.colors.map(|c| {
            all.push(c);
            c
        });
        assert!(all.iter().all(|c| !matches!(c, Color::Rgb(..) | Color::Indexed(_))), "{all:?}");
    }

    #[test]
    fn unknown_theme_names_the_available_ones() {
        let themes = Theme::load_all(None).unwrap();
        let err = Theme::find(&themes, "solarized").unwrap_err().to_string();
        assert_eq!(err, "unknown theme 'solarized'; available: dark, light, high-contrast, mono, ansi16");
    }

    #[test]
    fn bad_colour_is_reported_with_file() {
        let text = include_str!("../../../../themes/dark.toml").replace("\"cyan\"", "\"not-a-colour\"");
        let err = Theme::parse(&text, "mine.toml").unwrap_err().to_string();
        assert!(err.contains("mine.toml") && err.contains("not-a-colour"), "{err}");
    }

    #[test]
    fn user_theme_dir_adds_and_replaces() {
        let dir = std::env::temp_dir().join(format!("vftop-theme-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text =
            include_str!("../../../../themes/dark.toml").replace("name = \"dark\"", "name = \"ocean\"");
        std::fs::write(dir.join("ocean.toml"), text).unwrap();
        let themes = Theme::load_all(Some(&dir)).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(Theme::find(&themes, "ocean").is_ok());
        assert_eq!(themes.len(), 6);
    }
}

//! What the terminal can show: Unicode or plain ASCII glyphs, and how many colours.
//! Chosen once at start from the options and the environment; applied to the themes (colours)
//! and to each finished frame (glyphs), so panels draw one way and never check.

use super::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

/// The themes as this terminal shows them, and its glyphs.
#[derive(Clone, Debug)]
pub struct Look {
    pub themes: Vec<Theme>,
    pub glyphs: Glyphs,
}

impl Look {
    /// `themes` with every colour brought to `depth`.
    pub fn new(themes: Vec<Theme>, glyphs: Glyphs, depth: ColorDepth) -> Look {
        let themes =
            themes.into_iter().map(|t| Theme { colors: t.colors.map(|c| depth.apply(c)), ..t }).collect();
        Look { themes, glyphs }
    }

    /// The built-in themes as written, Unicode glyphs (tests and benches).
    pub fn built_in() -> Look {
        Look { themes: Theme::load_all(None).unwrap_or_default(), glyphs: Glyphs::Unicode }
    }
}

/// Which characters frames may contain.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Glyphs {
    /// Braille charts, box-drawing borders, block bars.
    #[default]
    Unicode,
    /// Printable ASCII only: `+-|` borders, `#` bars, `*` chart points (htop's `--no-unicode`).
    Ascii,
}

impl Glyphs {
    /// ASCII when asked, or when the locale (`LC_ALL`, else `LC_CTYPE`, else `LANG`) is not a
    /// UTF-8 one (unset means the POSIX locale, which is not).
    pub fn detect(ascii: bool, var: impl Fn(&str) -> Option<String>) -> Glyphs {
        let locale = ["LC_ALL", "LC_CTYPE", "LANG"].iter().find_map(|v| var(v).filter(|s| !s.is_empty()));
        let utf8 = locale.is_some_and(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("utf-8") || l.contains("utf8")
        });
        if ascii || !utf8 { Glyphs::Ascii } else { Glyphs::Unicode }
    }
}

/// How many colours the terminal shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorDepth {
    /// 24-bit colour, as themes are written.
    #[default]
    TrueColor,
    /// The 256-colour palette: `#rrggbb` is mapped to the nearest of its cube or grey ramp.
    Ansi256,
}

impl ColorDepth {
    /// 256 colours when asked, or when `COLORTERM` does not announce 24-bit colour (it is
    /// the only signal terminals give, and SSH does not pass it on).
    pub fn detect(low_color: bool, var: impl Fn(&str) -> Option<String>) -> ColorDepth {
        let truecolor = var("COLORTERM").is_some_and(|c| c == "truecolor" || c == "24bit");
        if low_color || !truecolor { ColorDepth::Ansi256 } else { ColorDepth::TrueColor }
    }

    /// `color` as this depth can show it.
    pub fn apply(self, color: Color) -> Color {
        match (self, color) {
            (ColorDepth::Ansi256, Color::Rgb(r, g, b)) => Color::Indexed(nearest_256(r, g, b)),
            _ => color,
        }
    }
}

/// The xterm 256-colour index nearest to an RGB colour: the 6×6×6 cube or the 24-step grey ramp.
pub fn nearest_256(r: u8, g: u8, b: u8) -> u8 {
    const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
    let level = |v: u8| (0..6).min_by_key(|&i| (i32::from(LEVELS[i]) - i32::from(v)).abs()).unwrap_or(0);
    let (ri, gi, bi) = (level(r), level(g), level(b));
    let cube = (LEVELS[ri], LEVELS[gi], LEVELS[bi]);
    let grey_step = ((u32::from(r) + u32::from(g) + u32::from(b)) / 3).saturating_sub(3) / 10;
    let grey_step = grey_step.min(23) as u8;
    let grey = 8 + 10 * grey_step;
    let dist = |(x, y, z): (u8, u8, u8)| {
        [(x, r), (y, g), (z, b)].iter().map(|&(a, c)| (i32::from(a) - i32::from(c)).pow(2)).sum::<i32>()
    };
    if dist((grey, grey, grey)) < dist(cube) {
        232 + grey_step
    } else {
        16 + 36 * ri as u8 + 6 * gi as u8 + bi as u8
    }
}

/// Replaces every non-ASCII symbol in `buffer` with its plain-ASCII stand-in.
pub fn to_ascii(buffer: &mut Buffer) {
    for cell in buffer.content.iter_mut() {
        let symbol = cell.symbol();
        if !symbol.is_ascii() {
            let plain = ascii_for(symbol);
            cell.set_char(plain);
        }
    }
}

/// The ASCII stand-in for one cell's symbol.
pub fn ascii_for(symbol: &str) -> char {
    let Some(c) = symbol.chars().next() else { return ' ' };
    match c {
        '─' | '━' | '═' | '╌' | '┄' => '-',
        '│' | '┃' | '║' | '╎' | '┆' => '|',
        '┌' | '┐' | '└' | '┘' | '├' | '┤' | '┬' | '┴' | '┼' | '╭' | '╮' | '╰' | '╯' | '╔' | '╗' | '╚'
        | '╝' => '+',
        '█' | '▉' | '▊' | '▋' | '▌' | '▍' | '▎' | '▏' | '▀' | '▄' | '▐' | '■' => '#',
        '░' | '▒' | '▓' => ':',
        '·' | '•' | '∙' => '.',
        '→' | '▸' | '▶' | '›' | '»' => '>',
        '←' | '◂' | '◀' | '‹' | '«' => '<',
        '↑' | '▴' | '▲' => '^',
        '↓' | '▾' | '▼' => 'v',
        '…' => '~',
        '×' => 'x',
        '⚠' => '!',
        '✓' | '✔' => '+',
        '✗' | '✘' => 'x',
        '≤' => '<',
        '≥' => '>',
        '\u{2800}' => ' ',
        '\u{2801}'..='\u{28ff}' => '*',
        _ => '?',
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::widgets::{Block, Borders, Widget};

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn locale_decides_glyphs() {
        assert_eq!(Glyphs::detect(false, env(&[("LANG", "C.UTF-8")])), Glyphs::Unicode);
        assert_eq!(Glyphs::detect(false, env(&[("LANG", "en_US.utf8")])), Glyphs::Unicode);
        assert_eq!(Glyphs::detect(false, env(&[("LANG", "C.UTF-8"), ("LC_ALL", "C")])), Glyphs::Ascii);
        assert_eq!(Glyphs::detect(false, env(&[("LC_CTYPE", "POSIX"), ("LANG", "C.UTF-8")])), Glyphs::Ascii);
        assert_eq!(Glyphs::detect(false, env(&[])), Glyphs::Ascii);
        assert_eq!(Glyphs::detect(true, env(&[("LANG", "C.UTF-8")])), Glyphs::Ascii);
    }

    #[test]
    fn colorterm_decides_depth() {
        assert_eq!(ColorDepth::detect(false, env(&[("COLORTERM", "truecolor")])), ColorDepth::TrueColor);
        assert_eq!(ColorDepth::detect(true, env(&[("COLORTERM", "truecolor")])), ColorDepth::Ansi256);
        assert_eq!(ColorDepth::detect(false, env(&[])), ColorDepth::Ansi256);
    }

    #[test]
    fn rgb_maps_to_the_nearest_palette_entry() {
        assert_eq!(nearest_256(0, 0, 0), 16);
        assert_eq!(nearest_256(255, 255, 255), 231);
        assert_eq!(nearest_256(255, 0, 0), 196);
        assert_eq!(nearest_256(0x30, 0x38, 0x48), 237, "the dark theme's selection: a dark grey");
        assert_eq!(nearest_256(128, 128, 128), 244);
        assert_eq!(ColorDepth::Ansi256.apply(Color::Cyan), Color::Cyan, "named colours stay");
        assert_eq!(ColorDepth::TrueColor.apply(Color::Rgb(1, 2, 3)), Color::Rgb(1, 2, 3));
    }

    #[test]
    fn frames_become_plain_ascii() {
        let area = Rect::new(0, 0, 12, 3);
        let mut buffer = Buffer::empty(area);
        Block::default().borders(Borders::ALL).title("a→b …").render(area, &mut buffer);
        buffer[(2, 1)].set_symbol("⣿");
        buffer[(3, 1)].set_symbol("▉");
        buffer[(4, 1)].set_symbol("·");
        to_ascii(&mut buffer);
        let text: String = buffer.content.iter().map(|c| c.symbol()).collect();
        assert!(text.is_ascii(), "{text}");
        assert_eq!(&text[..12], "+a>b ~-----+");
        assert_eq!(&text[12..24], "| *#.      |");
    }
}

#!/usr/bin/env python3
"""Render a terminal capture with ANSI colours (tmux capture-pane -e -p) to a PNG.

Usage: ansi2png.py CAPTURE.txt OUT.png
Needs Pillow and a monospaced TrueType font (DejaVu Sans Mono: Debian fonts-dejavu-core).
"""
import re
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
# DejaVu Sans Mono has no Braille block (the chart's dots); DejaVu Sans has.
BRAILLE = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SIZE = 15
BG = (24, 26, 33)
FG = (220, 220, 220)
BASIC = [(0, 0, 0), (205, 49, 49), (13, 188, 121), (229, 229, 16), (36, 114, 200), (188, 63, 188), (17, 168, 205),
         (229, 229, 229), (102, 102, 102), (241, 76, 76), (35, 209, 139), (245, 245, 67), (59, 142, 234),
         (214, 112, 214), (41, 184, 219), (255, 255, 255)]


def xterm256(n):
    if n < 16:
        return BASIC[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return steps[n // 36], steps[(n // 6) % 6], steps[n % 6]
    level = 8 + (n - 232) * 10
    return level, level, level


def parse(text):
    """Yields rows of (char, fg, bg, bold) cells."""
    rows = []
    fg, bg, bold, reverse = FG, BG, False, False
    sgr = re.compile(r"\x1b\[([0-9;:]*)m")
    for line in text.split("\n"):
        row, pos = [], 0
        for m in sgr.finditer(line):
            for ch in line[pos:m.start()]:
                row.append((ch, bg if reverse else fg, fg if reverse else bg, bold))
            pos = m.end()
            codes = [int(c) if c else 0 for c in re.split(r"[;:]", m.group(1))] or [0]
            i = 0
            while i < len(codes):
                c = codes[i]
                if c == 0:
                    fg, bg, bold, reverse = FG, BG, False, False
                elif c == 1:
                    bold = True
                elif c == 22:
                    bold = False
                elif c == 7:
                    reverse = True
                elif c == 27:
                    reverse = False
                elif 30 <= c <= 37:
                    fg = BASIC[c - 30]
                elif 90 <= c <= 97:
                    fg = BASIC[c - 90 + 8]
                elif 40 <= c <= 47:
                    bg = BASIC[c - 40]
                elif 100 <= c <= 107:
                    bg = BASIC[c - 100 + 8]
                elif c == 39:
                    fg = FG
                elif c == 49:
                    bg = BG
                elif c in (38, 48) and i + 1 < len(codes):
                    if codes[i + 1] == 5 and i + 2 < len(codes):
                        color = xterm256(codes[i + 2])
                        i += 2
                    elif codes[i + 1] == 2 and i + 4 < len(codes):
                        color = tuple(codes[i + 2:i + 5])
                        i += 4
                    else:
                        color = FG if c == 38 else BG
                    if c == 38:
                        fg = color
                    else:
                        bg = color
                    i += 1
                i += 1
        for ch in line[pos:]:
            row.append((ch, bg if reverse else fg, fg if reverse else bg, bold))
        rows.append(row)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def render(rows, out):
    font, bold_font = ImageFont.truetype(FONT, SIZE), ImageFont.truetype(BOLD, SIZE)
    braille_font = ImageFont.truetype(BRAILLE, SIZE)
    cell_w = round(font.getlength("M"))
    cell_h = SIZE + 4
    width = max(len(r) for r in rows)
    img = Image.new("RGB", (width * cell_w + 16, len(rows) * cell_h + 16), BG)
    draw = ImageDraw.Draw(img)
    for y, row in enumerate(rows):
        for x, (ch, fg, bg, bold) in enumerate(row):
            left, top = 8 + x * cell_w, 8 + y * cell_h
            if bg != BG:
                draw.rectangle([left, top, left + cell_w - 1, top + cell_h - 1], fill=bg)
            if ch != " ":
                face = braille_font if 0x2800 <= ord(ch) <= 0x28FF else (bold_font if bold else font)
                draw.text((left, top + 1), ch, font=face, fill=fg)
    img.save(out)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        render(parse(f.read()), sys.argv[2])

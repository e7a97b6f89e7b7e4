#!/usr/bin/env python3
"""Render a terminal capture with ANSI colours (`tmux capture-pane -e -p`) as an SVG image.

    ansi_to_svg.py CAPTURE.ansi OUT.svg [--cols N] [--rows N] [--title TEXT]
                   [--font-size PX] [--theme dark|light]

The capture is read as a terminal would print it: SGR sequences (ESC [ ... m) set the
attributes of the cells that follow and stay in force across lines; other escape
sequences are dropped. Supported: reset, bold, dim, italic, underline, reverse, the 8/16
colours (30-37, 90-97, 40-47, 100-107), 256 colours (38;5;N / 48;5;N) and true colour
(38;2;R;G;B / 48;2;R;G;B). Each cell is drawn on a fixed grid in a monospace font; wide
characters (East Asian width W/F, most emoji) take two cells. Standard library only.
"""
import argparse
import html
import re
import sys
import unicodedata

# xterm's default 16 colours
PALETTE16 = [
    "#000000", "#cd0000", "#00cd00", "#cdcd00", "#0000ee", "#cd00cd", "#00cdcd", "#e5e5e5",
    "#7f7f7f", "#ff0000", "#00ff00", "#ffff00", "#5c5cff", "#ff00ff", "#00ffff", "#ffffff",
]
THEMES = {"dark": ("#d0d0d0", "#1c1c1c"), "light": ("#202020", "#fdfdfd")}

SGR = re.compile(r"\x1b\[([0-9;:]*)m")
OTHER_ESC = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


def color256(n):
    if n < 16:
        return PALETTE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + 10 * (n - 232)
    return "#%02x%02x%02x" % (v, v, v)


class Attr:
    __slots__ = ("fg", "bg", "bold", "dim", "italic", "underline", "reverse")

    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = self.bg = None
        self.bold = self.dim = self.italic = self.underline = self.reverse = False

    def copy(self):
        a = Attr()
        for k in self.__slots__:
            setattr(a, k, getattr(self, k))
        return a

    def key(self):
        return tuple(getattr(self, k) for k in self.__slots__)

    def apply(self, params):
        codes = [int(p) if p.isdigit() else 0 for p in re.split(r"[;:]", params)] if params else [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                self.reset()
            elif c == 1:
                self.bold = True
            elif c == 2:
                self.dim = True
            elif c == 3:
                self.italic = True
            elif c == 4:
                self.underline = True
            elif c == 7:
                self.reverse = True
            elif c == 22:
                self.bold = self.dim = False
            elif c == 23:
                self.italic = False
            elif c == 24:
                self.underline = False
            elif c == 27:
                self.reverse = False
            elif 30 <= c <= 37:
                self.fg = PALETTE16[c - 30]
            elif 90 <= c <= 97:
                self.fg = PALETTE16[c - 90 + 8]
            elif c == 39:
                self.fg = None
            elif 40 <= c <= 47:
                self.bg = PALETTE16[c - 40]
            elif 100 <= c <= 107:
                self.bg = PALETTE16[c - 100 + 8]
            elif c == 49:
                self.bg = None
            elif c in (38, 48) and i + 1 < len(codes):
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    col = color256(codes[i + 2])
                    i += 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    col = "#%02x%02x%02x" % tuple(max(0, min(255, v)) for v in codes[i + 2:i + 5])
                    i += 4
                else:
                    col = None
                if c == 38:
                    self.fg = col
                else:
                    self.bg = col
            i += 1


def cell_width(ch):
    if unicodedata.combining(ch) or ch in "\u200b\u200d\ufe0f":
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def parse(text):
    """The capture as rows of cells: each cell (char, Attr) or None (a wide char's 2nd half)."""
    text = OTHER_ESC.sub(lambda m: m.group(0) if SGR.fullmatch(m.group(0)) else "", text)
    rows, row, attr = [], [], Attr()
    for m in re.finditer(r"\x1b\[[0-9;:]*m|\n|[^\x1b\n]+|\x1b", text):
        tok = m.group(0)
        if tok == "\n":
            rows.append(row)
            row = []
            continue
        sgr = SGR.fullmatch(tok)
        if sgr:
            attr.apply(sgr.group(1))
            continue
        for ch in tok:
            if ch == "\t":
                for _ in range(8 - len(row) % 8):
                    row.append((" ", attr.copy()))
                continue
            if ord(ch) < 32 or ch == "\x7f":
                continue
            w = cell_width(ch)
            if w == 0:
                last = next((i for i in range(len(row) - 1, -1, -1) if row[i] is not None), None)
                if last is not None:
                    row[last] = (row[last][0] + ch, row[last][1])
                continue
            row.append((ch, attr.copy()))
            if w == 2:
                row.append(None)
    if row:
        rows.append(row)
    return rows


def render(rows, cols, nrows, font_size, theme, title):
    fg0, bg0 = THEMES[theme]
    cw = font_size * 0.6
    lh = font_size * 1.3
    pad = 12
    top = pad + (lh if title else 0)
    width = int(round(cols * cw + 2 * pad))
    height = int(round(nrows * lh + top + pad))
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">'
           % (width, height, width, height),
           '<rect width="100%%" height="100%%" rx="6" fill="%s"/>' % bg0,
           '<g font-family="DejaVu Sans Mono, Menlo, Consolas, Liberation Mono, monospace" '
           'font-size="%g" xml:space="preserve">' % font_size]
    if title:
        out.append('<text x="%g" y="%g" fill="%s" opacity="0.6" font-size="%g">%s</text>'
                   % (pad, pad + font_size * 0.8, fg0, font_size * 0.85, html.escape(title)))
    for y, row in enumerate(rows[:nrows]):
        base = top + y * lh
        # runs of cells with the same attributes
        x = 0
        runs = []
        while x < min(len(row), cols):
            cell = row[x]
            if cell is None:
                x += 1
                continue
            attr = cell[1]
            end = min(len(row), cols)

            def wide(i):
                return i + 1 < len(row) and row[i + 1] is None

            if wide(x):  # a wide character is a run of its own: the grid stays exact
                runs.append((x, 2, cell[0], attr))
                x += 2
                continue
            start, text = x, []
            while x < end and row[x] is not None and not wide(x) and row[x][1].key() == attr.key():
                text.append(row[x][0])
                x += 1
            runs.append((start, x - start, "".join(text), attr))
        for start, n, text, a in runs:
            fg, bg = a.fg or fg0, a.bg
            if a.reverse:
                fg, bg = (a.bg or bg0), (a.fg or fg0)
            if bg:
                out.append('<rect x="%.2f" y="%.2f" width="%.2f" height="%.2f" fill="%s"/>'
                           % (pad + start * cw, base, n * cw, lh, bg))
            if text.strip() == "":
                continue
            style = ['fill="%s"' % fg]
            if a.bold:
                style.append('font-weight="bold"')
            if a.italic:
                style.append('font-style="italic"')
            if a.dim:
                style.append('opacity="0.6"')
            if a.underline:
                style.append('text-decoration="underline"')
            out.append('<text x="%.2f" y="%.2f" textLength="%.2f" lengthAdjust="spacingAndGlyphs" %s>%s</text>'
                       % (pad + start * cw, base + font_size, n * cw, " ".join(style), html.escape(text)))
    out.append("</g></svg>")
    return "\n".join(out) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("capture")
    p.add_argument("out")
    p.add_argument("--cols", type=int, help="columns (default: the longest line)")
    p.add_argument("--rows", type=int, help="rows (default: the capture's lines)")
    p.add_argument("--font-size", type=float, default=14)
    p.add_argument("--theme", choices=sorted(THEMES), default="dark")
    p.add_argument("--title", help="a caption above the terminal")
    a = p.parse_args(argv)
    with open(a.capture, encoding="utf-8", errors="replace") as f:
        text = f.read()
    rows = parse(text)
    while rows and not rows[-1]:
        rows.pop()
    cols = a.cols or max((len(r) for r in rows), default=1)
    nrows = a.rows or len(rows)
    with open(a.out, "w", encoding="utf-8") as f:
        f.write(render(rows, cols, nrows, a.font_size, a.theme, a.title))
    return 0


if __name__ == "__main__":
    sys.exit(main())

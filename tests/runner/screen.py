"""The screen checks: what a person sees at the end of a run on a PC without
a serial port. QEMU's screen is read over QMP (screendump) and its text rows
compared, pixel by pixel, with lines drawn in the kernel's own font
(lib/font5x7.c): an independent reading of what the kernel drew."""
import os
import re
import shutil
import time

from common import ROOT, constants, qmp
from common.qemu import start_qemu


FONT_FILE = os.path.join(ROOT, "lib", "font5x7.c")


# What the summary page must show, each at the start of some text row.
SUMMARY_ROWS = ("ipikernel self-tests: summary", "PASS: ", "cpus: ",
                "  cpu  APIC ID  state          start-up", "    0 ")


SCREEN_POLL_SECONDS = 2


def load_font():
    """The glyphs of lib/font5x7.c, as {char: [row strings]}."""
    font, code = {}, 0x20
    with open(FONT_FILE) as f:
        for line in f:
            rows = re.findall(r'"([.#]{5})"', line)
            if len(rows) == 7:
                font[chr(code)] = rows
                code += 1
    return font


def read_ppm(path):
    with open(path, "rb") as f:
        data = f.read()
    parts = data.split(maxsplit=4)
    if parts[0] != b"P6":
        raise ValueError("not a binary PPM")
    width, height = int(parts[1]), int(parts[2])
    return width, height, parts[4][:width * height * 3]


class Screen:
    """A screendump read as rows of text cells in the kernel's font."""

    def __init__(self, path):
        self.width, self.height, self.px = read_ppm(path)
        self.font = load_font()
        self.scale = 2 if self.width >= constants.LARGE_SCREEN_WIDTH else 1
        self.cw = constants.FONT_CELL[0] * self.scale
        self.ch = constants.FONT_CELL[1] * self.scale
        self.rows = self.height // self.ch

    def pixel(self, x, y):
        i = (y * self.width + x) * 3
        return self.px[i:i + 3]

    def lit(self, x, y):
        return max(self.pixel(x, y)) > 0x60

    def lit_pixels(self):
        return sum(1 for i in range(0, len(self.px), 3) if max(self.px[i:i + 3]) > 0x60)

    def row_starts_with(self, row, text):
        for col, c in enumerate(text):
            glyph = self.font.get(c)
            for gy in range(constants.FONT_CELL[1]):
                for gx in range(constants.FONT_CELL[0]):
                    want = glyph is not None and gy < 7 and gx < 5 and glyph[gy][gx] == "#"
                    x = col * self.cw + gx * self.scale
                    y = row * self.ch + gy * self.scale
                    if x >= self.width or self.lit(x, y) != want:
                        return False
        return True

    def find_row(self, text):
        """The first text row that starts with text, or None."""
        for row in range(self.rows):
            if self.row_starts_with(row, text):
                return row
        return None

    def row_colour(self, row, columns):
        """The mean colour (r, g, b) of the lit pixels of a row's first cells."""
        total, n = [0, 0, 0], 0
        for y in range(row * self.ch, (row + 1) * self.ch):
            for x in range(0, min(self.width, columns * self.cw)):
                p = self.pixel(x, y)
                if max(p) > 0x60:
                    total = [t + v for t, v in zip(total, p)]
                    n += 1
        return tuple(t // max(1, n) for t in total)


def summary_problems(path):
    """What is missing from the summary page in a screendump ([] if none)."""
    screen = Screen(path)
    if screen.lit_pixels() == 0:
        return ["the screen is blank"]
    problems, rows = [], {}
    for text in SUMMARY_ROWS:
        rows[text] = screen.find_row(text)
        if rows[text] is None:
            problems.append(f'no text row starts with "{text.strip()}" in the kernel\'s font')
    if not problems:
        if rows["ipikernel self-tests: summary"] != 0:
            problems.append("the summary does not start at the top of the screen")
        r, g, b = screen.row_colour(rows["PASS: "], len("PASS:"))
        if not (g > 2 * r and g > 2 * b):
            problems.append(f"the PASS line is not green (mean colour {r}, {g}, {b})")
    return problems


def check_screen(cfg, kernel, iso, workdir):
    """Boots cfg and reads the screen over QMP every few seconds until the
    summary page is there (or the time is up); no serial port is needed."""
    shot = os.path.join(workdir, f"{cfg.name}.ppm")
    if os.path.exists(shot):
        os.unlink(shot)
    proc, sock, serial_log, cmd, start = start_qemu(cfg, kernel, iso, workdir)
    problems, serial = ["no screendump was taken"], ""
    try:
        q = qmp.QMP(sock, timeout=60)
        q.command("cont")
        while time.monotonic() - start < cfg.timeout and proc.poll() is None:
            time.sleep(SCREEN_POLL_SECONDS)
            q.command("screendump", filename=shot)
            problems = summary_problems(shot)
            if not problems:
                break
        q.command("quit")
        q.close()
    except (qmp.QMPError, OSError, ValueError) as e:
        problems.append(f"QMP failed: {e}")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    if os.path.exists(sock):
        os.unlink(sock)
    if cfg.serial and os.path.exists(serial_log):
        with open(serial_log, "rb") as f:
            serial = f.read().decode("utf-8", "replace")
        for text in cfg.must_contain:
            if text not in serial:
                problems.append(f'the serial output lacks "{text}"')
    if os.path.exists(shot):  # kept, as a picture of what a person saw
        shutil.copy(shot, os.path.join(workdir, f"{cfg.name}.last.ppm"))
    return problems, time.monotonic() - start, serial, cmd

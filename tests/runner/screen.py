"""The screen check: the kernel's text drawn in its own font on the
framebuffer, seen through QMP's screendump."""
import os
import re
import time

from runner import ROOT
from runner import qmp
from runner import constants
from runner.qemu import start_qemu


FONT_FILE = os.path.join(ROOT, "lib", "font5x7.c")


SCREEN_TEXT = "ipikernel 0.1 (x86_64), built with"


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


def screen_shows(path, text):
    """True if some text row of the screen starts with text, drawn in the
    kernel's font; else a description of what was wrong."""
    width, height, px = read_ppm(path)
    font = load_font()
    scale = 2 if width >= constants.LARGE_SCREEN_WIDTH else 1
    cw, ch = constants.FONT_CELL[0] * scale, constants.FONT_CELL[1] * scale

    def lit(x, y):
        i = (y * width + x) * 3
        return max(px[i:i + 3]) > 0x60

    lit_pixels = sum(1 for i in range(0, len(px), 3) if max(px[i:i + 3]) > 0x60)
    if lit_pixels == 0:
        return "the screen is blank"
    for row in range(min(4, height // ch)):
        good = True
        for col, c in enumerate(text):
            glyph = font.get(c)
            for gy in range(constants.FONT_CELL[1]):
                for gx in range(constants.FONT_CELL[0]):
                    want = glyph is not None and gy < 7 and gx < 5 and glyph[gy][gx] == "#"
                    if lit(col * cw + gx * scale, row * ch + gy * scale) != want:
                        good = False
                        break
                if not good:
                    break
            if not good:
                break
        if good:
            return True
    return f'no text row starts with "{text}" in the kernel\'s font ({lit_pixels} lit pixels)'


def check_screen(cfg, kernel, iso, workdir):
    """Boots to idle, takes a screendump over QMP, and compares it."""
    shot = os.path.join(workdir, f"{cfg.name}.ppm")
    if os.path.exists(shot):
        os.unlink(shot)
    proc, sock, serial_log, cmd, start = start_qemu(cfg, kernel, iso, workdir)
    problems, serial = [], ""
    try:
        q = qmp.QMP(sock, timeout=60)
        q.command("cont")
        while time.monotonic() - start < cfg.timeout:
            if os.path.exists(serial_log):
                with open(serial_log, "rb") as f:
                    serial = f.read().decode("utf-8", "replace")
            if "boot complete" in serial or proc.poll() is not None:
                break
            time.sleep(0.2)
        if "boot complete" not in serial:
            problems.append("the kernel did not reach \"boot complete\"")
        else:
            q.command("screendump", filename=shot)
            verdict = screen_shows(shot, SCREEN_TEXT)
            if verdict is not True:
                problems.append(verdict)
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
    return problems, time.monotonic() - start, serial, cmd

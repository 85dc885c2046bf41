"""Charts as SVG files, drawn by matplotlib (Debian's python3-matplotlib,
which make deps installs): make bench's, make trace's and make compare's.
The CSV and JSON files beside them stay the data; a chart is only a view.

Every series is drawn with the id "curve_N" (N from 1, in the order drawn),
so that a reader of the SVG (tools/check_tools.py) can tell the series
from the axes, ticks and grid, which matplotlib draws as lines too."""
import sys

CURVE = "curve_"


def missing():
    """None where matplotlib can be imported, else what to do about it."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return (f"matplotlib is missing for {sys.executable}: make deps installs Debian's "
                "python3-matplotlib, for /usr/bin/python3, which make then runs the tools with")
    return None


def figure(width, height):
    """(figure, axes) of width x height inches, drawn to a file, never a window."""
    import matplotlib
    matplotlib.use("Agg")
    # Text as text (not glyph outlines): smaller files, and a legend that can be read
    # back. Every point kept, and the same ids on every run: a chart diffs cleanly.
    matplotlib.rcParams.update({"svg.fonttype": "none", "path.simplify": False,
                                "svg.hashsalt": "ipikernel"})
    import matplotlib.pyplot as plt
    return plt.subplots(figsize=(width, height))


def series_id(axes):
    """The id of the next series drawn on axes."""
    n = sum(1 for a in axes.get_children() if (a.get_gid() or "").startswith(CURVE))
    return f"{CURVE}{n + 1}"


LINE_STYLES = ("-", "--", ":", "-.")


def curve(axes, xs, ys, label, **style):
    """One series as a line, with its id and its legend label. matplotlib's
    colours repeat after ten series; each round of ten gets a line style of
    its own, so that the legend still tells every series apart."""
    gid = series_id(axes)
    style.setdefault("linestyle", LINE_STYLES[(int(gid[len(CURVE):]) - 1) // 10 % len(LINE_STYLES)])
    return axes.plot(xs, ys, label=label, gid=gid, **style)[0]


def save(fig, path):
    """Writes the chart (no date in it: the same data gives the same file)."""
    import matplotlib.pyplot as plt
    fig.savefig(path, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)

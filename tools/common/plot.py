"""Charts as SVG files, drawn by matplotlib (Debian's python3-matplotlib,
which make deps installs): make bench's, make trace's and make compare's.
The CSV and JSON files beside them stay the data; a chart is only a view.

Every series is drawn with the id "curve_N" (N from 1, in the order drawn),
so that a reader of the SVG (tools/check_tools.py) can tell the series
from the axes, ticks and grid, which matplotlib draws as lines too.
A series of separate shapes (make trace's bars) may give each shape a
title, which a browser shows when the pointer rests on it."""
import sys
import xml.etree.ElementTree as ET

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


def save(fig, path, titles=None):
    """Writes the chart (no date in it: the same data gives the same file).
    titles, if given, is {series id: [one title per shape, in the order drawn]}."""
    import matplotlib.pyplot as plt
    fig.savefig(path, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    if titles:
        add_titles(path, titles)


SVG = "{http://www.w3.org/2000/svg}"
SHAPES = (f"{SVG}path", f"{SVG}use")


def drawn_shapes(group):
    """The shapes a series' group draws, in order: its paths, or (where
    matplotlib defines a shape once and places it) its uses; never the
    definitions themselves."""
    for e in group:
        if e.tag in SHAPES:
            yield e
        elif e.tag != f"{SVG}defs":
            yield from drawn_shapes(e)


def add_titles(path, titles):
    """Gives each shape of each named series a <title> child. matplotlib
    writes a collection's shapes in the order they were given, one element
    each (a path, or a use of a shared definition); a count that differs
    means that has changed, and no title is guessed onto the wrong shape."""
    # Keep the file's own namespace prefixes (svg as the default, xlink, the
    # metadata's rdf and dc) rather than ElementTree's ns0, ns1, ...
    for _event, (prefix, uri) in ET.iterparse(path, events=("start-ns",)):
        ET.register_namespace(prefix, uri)
    tree = ET.parse(path)
    groups = {g.get("id"): g for g in tree.getroot().iter(f"{SVG}g") if g.get("id") in titles}
    for gid, texts in titles.items():
        shapes = list(drawn_shapes(groups[gid])) if gid in groups else []
        if len(shapes) != len(texts):
            raise RuntimeError(f"{path}: series {gid} has {len(shapes)} shapes for "
                               f"{len(texts)} titles")
        for shape, text in zip(shapes, texts):
            ET.SubElement(shape, f"{SVG}title").text = text
    tree.write(path, encoding="unicode", xml_declaration=True)

"""Static SVG charts drawn with matplotlib: text stays text, nothing is fetched, nothing is hand-built.

matplotlib escapes every label it writes into the SVG, so source names and labels from the data cannot break out
of the markup; before it sees them, control characters (which XML 1.0 cannot hold, or a terminal would obey), line
separators and bidirectional overrides become visible escapes (`\x1b`, `\u202e`: text.printable, as every output
writes them), and `$` stays a dollar. What matplotlib says while drawing
(a glyph missing from the font, a font looked for) is dropped: the SVG keeps its text as text, for the reader's
browser to draw, and a warning would only reach stderr raw, quoting the data.

matplotlib's configuration and font cache go in a private folder in the temporary folder (never under ~),
removed when the process exits (a signal stops the run through `Stopped`, so its exit runs too); each process
holds a lock on its folder, so a folder whose process was killed outright is found unlocked and removed by the
next one.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import functools
import io
import logging
import os
import re
import shutil
import stat
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from ..text import printable

# Boilerplate matplotlib writes around every SVG: a DOCTYPE and RDF metadata that name remote URLs.
# Neither is fetched by a browser, but a report must point at nothing outside itself.
_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_NAMESPACES = re.compile(r'\s+xmlns(:xlink)?="http://www\.w3\.org/[^"]*"')

INK = "#1b1b1b"
COLOURS = ("#1f4e79", "#b3470f", "#2e6b30", "#6a3d9a")  # each at least 4.5:1 against white
# One colour and one marker per source for the whole report: the Okabe-Ito palette (distinguishable with the common
# colour-vision deficiencies), its light hues darkened so that each line has at least 3:1 contrast against white.
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000", "#2B8CC4", "#B07800", "#7A5A00")
MARKERS = (("o", "circle"), ("s", "square"), ("^", "triangle"), ("D", "diamond"), ("v", "down triangle"),
           ("P", "plus"), ("X", "cross"), ("h", "hexagon"))  # fmt: skip
LINESTYLES = ("-", "--", "-.", ":")


def source_styles(names: Sequence[str]) -> tuple[tuple[str, str, str], ...]:
    """(source, colour, marker name) for each source, in the order given: the one map every chart uses."""
    return tuple((name, OKABE_ITO[i % len(OKABE_ITO)], MARKERS[i % len(MARKERS)][1]) for i, name in enumerate(names))


def _style(name: str, number: int, styles: dict[str, tuple[str, str]] | None) -> tuple[str, str, str]:
    """colour, matplotlib marker and line style of a source: from the report's map, else by position."""
    marker_codes = {label: code for code, label in MARKERS}
    if styles and name in styles:
        colour, marker = styles[name]
        position = [label for _, label in MARKERS].index(marker) if marker in marker_codes else number
        return colour, marker_codes.get(marker, "o"), LINESTYLES[position % len(LINESTYLES)]
    return OKABE_ITO[number % len(OKABE_ITO)], MARKERS[number % len(MARKERS)][0], LINESTYLES[number % len(LINESTYLES)]
HEADLINE, ADJUSTMENT_DOWN, ADJUSTMENT_UP, TOTAL = "#1f4e79", "#9e2a2b", "#2e6b30", "#4d4d4d"


@dataclass(frozen=True)
class WaterfallBar:
    label: str
    value: float  # a total's height, or an adjustment's signed change
    is_total: bool


@dataclass(frozen=True)
class Series:
    name: str
    points: tuple[tuple[float, float, float, float], ...]  # (x as a year fraction, value, low, high)


_CONFIG_PREFIX = "triangulate-matplotlib-"
_LOCK_NAME = ".lock"
_UNLOCKED_AGE = 24 * 3600.0  # seconds: a folder without a lock file is being made, or was left long ago
_held_lock: int | None = None  # this process's lock on its folder, held until it exits


def _private_matplotlib_config() -> None:
    """matplotlib caches fonts under ~ unless told otherwise; nothing may be written to ~. The charts are fixed SVG:
    a user's matplotlib settings (a backend that does not exist, an rc file that never ends) are not theirs to read."""
    global _held_lock
    for setting in ("MPLBACKEND", "MATPLOTLIBRC"):
        os.environ.pop(setting, None)
    if "MPLCONFIGDIR" in os.environ:
        return
    _remove_left_behind(tempfile.gettempdir())
    folder = tempfile.mkdtemp(prefix=_CONFIG_PREFIX)
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    _held_lock = os.open(os.path.join(folder, _LOCK_NAME), os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    fcntl.flock(_held_lock, fcntl.LOCK_EX)  # released by the kernel whenever this process ends, however it ends
    os.environ["MPLCONFIGDIR"] = folder


def _remove_left_behind(temporary: str) -> None:
    """Remove our folders that a killed process left: their lock is free, or (an older version's, which had none)
    they have no lock file and have not changed for a day. Anything in doubt is left alone: another user's, a link,
    a folder still locked, one without a lock file that may be being made."""
    try:
        names = [name for name in os.listdir(temporary) if name.startswith(_CONFIG_PREFIX)]
    except OSError:
        return
    for name in names:
        folder = os.path.join(temporary, name)
        try:
            found = os.lstat(folder)
        except OSError:
            continue
        if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid():
            continue
        try:
            handle = os.open(os.path.join(folder, _LOCK_NAME), os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            if time.time() - found.st_mtime > _UNLOCKED_AGE:
                shutil.rmtree(folder, ignore_errors=True)
            continue
        except OSError:
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: its process is alive
            shutil.rmtree(folder, ignore_errors=True)  # never follows a link
        except OSError:
            continue
        finally:
            os.close(handle)


_P = ParamSpec("_P")
_R = TypeVar("_R")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """matplotlib's warnings and log records while a chart is drawn are dropped (see the module's docstring): none
    reaches stderr, where Python would print them raw (logging's last-resort handler, the warnings module)."""
    logger = logging.getLogger("matplotlib")
    handler, propagate = logging.NullHandler(), logger.propagate
    logger.addHandler(handler)  # a handler found: no last resort to stderr
    logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _drawing(draw: Callable[_P, _R]) -> Callable[_P, _R]:
    """A chart function drawn `_quiet`ly, matplotlib's import included."""

    @functools.wraps(draw)
    def quietly(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with _quiet():
            return draw(*args, **kwargs)

    return quietly


def _figure(width: float, height: float):  # type: ignore[no-untyped-def]
    _private_matplotlib_config()
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100)
    return figure


def _svg(figure) -> str:  # type: ignore[no-untyped-def]
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "triangulate", "font.family": "DejaVu Sans"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    text = _PROLOGUE.sub("", buffer.getvalue(), count=1)
    text = _METADATA.sub("", text)
    return _NAMESPACES.sub("", text, count=2).strip()


def _literal(text: str) -> str:
    """Text from the data as matplotlib should draw it: plain text (matplotlib reads $...$ as mathematics), and
    nothing it cannot show or XML cannot hold (`printable`: a line break too, since a label is one line)."""
    return printable(str(text)).replace("$", r"\$")


@_drawing
def waterfall_svg(bars: Sequence[WaterfallBar], title: str) -> str:
    """Headline, each adjustment floating from the running total, then the totals that follow."""
    figure = _figure(max(6.0, 1.1 * len(bars)), 3.6)
    axes = figure.add_subplot()
    running = 0.0
    for position, bar in enumerate(bars):
        if bar.is_total:
            bottom, height, colour = 0.0, bar.value, TOTAL if position else HEADLINE
            running = bar.value
        else:
            # An adjustment of -3 removes three deaths: the bar spans the drop from the running total.
            bottom, height = min(running, running + bar.value), abs(bar.value)
            colour = ADJUSTMENT_DOWN if bar.value < 0 else ADJUSTMENT_UP
            running += bar.value
        axes.bar(
            position, height, bottom=bottom, color=colour, edgecolor=INK, linewidth=0.6, hatch=None if bar.is_total else "//"
        )
        text = f"{bar.value:+g}" if not bar.is_total else f"{bar.value:g}"
        axes.text(position, bottom + height, text, ha="center", va="bottom", fontsize=9, color=INK)
    axes.set_xticks(range(len(bars)), [_literal(bar.label) for bar in bars], rotation=20, ha="right", fontsize=9, color=INK)
    axes.set_ylabel("deaths", color=INK)
    axes.set_title(_literal(title), fontsize=10, color=INK, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def trend_svg(series: Sequence[Series], title: str, ticks: Sequence[tuple[float, str]] = (),
              styles: dict[str, tuple[str, str]] | None = None) -> str:  # fmt: skip
    """One line per source, per 12 months, at the middle of each period, each tick the period's label (`2019-20`,
    as the tables write it); a single period is a point; a published interval is an error bar."""
    return _lines_svg(series, title, "deaths per 12 months", "", None, ticks, styles)


def _ticks(ticks: Sequence[tuple[float, str]]) -> tuple[list[float], list[str]]:
    """Period labels at the periods' middles, dropping a label that would overlap the one before it."""
    positions: list[float] = []
    labels: list[str] = []
    for x, label in sorted(ticks):
        if positions and x - positions[-1] < 0.5:
            continue
        positions.append(x)
        labels.append(label)
    return positions, labels


@_drawing
def _lines_svg(series: Sequence[Series], title: str, ylabel: str, xlabel: str, xticks: Sequence[str] | None,
               ticks: Sequence[tuple[float, str]] = (), styles: dict[str, tuple[str, str]] | None = None) -> str:  # fmt: skip
    """The one line chart: a line per source with error bars; `xticks` names categorical x positions 0, 1, ...;
    `ticks` puts period labels at year-fraction positions; `styles` is the report's source -> (colour, marker)."""
    figure = _figure(7.0, 3.0)
    axes = figure.add_subplot()
    # Along a time axis each source is nudged sideways a little, so equal figures do not hide each other.
    dodge = min(0.06, 0.3 / max(len(series), 1)) if ticks else 0.0
    for number, line in enumerate(series):
        xs = [p[0] + dodge * (number - (len(series) - 1) / 2) for p in line.points]
        ys = [p[1] for p in line.points]
        errors = [[p[1] - p[2] for p in line.points], [p[3] - p[1] for p in line.points]]
        colour, marker, linestyle = _style(line.name, number, styles)
        axes.errorbar(xs, ys, yerr=errors, color=colour, marker=marker, markersize=6, linestyle=linestyle, capsize=3,
                      label=_literal(line.name))  # fmt: skip
    if xticks is not None:
        axes.set_xticks(range(len(xticks)), [_literal(label) for label in xticks], fontsize=9, color=INK)
    elif ticks:
        positions, labels = _ticks(ticks)
        long = len(labels) > 6 or max(len(label) for label in labels) > 8
        axes.set_xticks(positions, [_literal(label) for label in labels], fontsize=9, color=INK,
                        rotation=30 if long else 0, ha="right" if long else "center")  # fmt: skip
        axes.set_xlim(min(positions) - 0.6, max(positions) + 0.6)
    else:
        from matplotlib.ticker import MaxNLocator

        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel(_literal(ylabel), color=INK)
    if xlabel:
        axes.set_xlabel(_literal(xlabel), color=INK)
    axes.set_title(_literal(title), fontsize=10, color=INK, loc="left")
    tallest = max((p[3] for line in series for p in line.points), default=0.0)
    axes.set_ylim(bottom=0, top=max(tallest * 1.12, 1.0))  # room above the highest point, which is never clipped
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(frameon=False, fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _svg(figure)


@_drawing
def bars_svg(labels: Sequence[str], values: Sequence[float], title: str, ylabel: str) -> str:
    """Horizontal bars, largest first: e.g. how many cells a new release revised in each LA."""
    figure = _figure(7.0, max(2.0, 0.28 * len(labels) + 0.8))
    axes = figure.add_subplot()
    positions = list(range(len(labels)))[::-1]
    axes.barh(positions, values, color=COLOURS[0], edgecolor=INK, linewidth=0.6)
    axes.set_yticks(positions, [_literal(label) for label in labels], fontsize=8, color=INK)
    axes.set_xlabel(_literal(ylabel), color=INK)
    axes.set_title(_literal(title), fontsize=10, color=INK, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def releases_svg(series: Sequence[Series], releases: Sequence[str], title: str,
                 styles: dict[str, tuple[str, str]] | None = None) -> str:  # fmt: skip
    """One line per source across releases (x: the releases in order), each point that release's latest figure."""
    return _lines_svg(series, title, "per 12 months", "release", releases, (), styles)


@dataclass(frozen=True)
class FunnelMark:
    label: str  # written beside the point ("" for none): an LA outside the widest limits
    denominator: float
    rate: float
    outside: str | None  # the widest level key whose limits it is outside


@dataclass(frozen=True)
class FunnelLimit:
    label: str  # "99.8%"
    points: tuple[tuple[float, float, float], ...]  # (denominator, low, high), by denominator; high may be inf


@dataclass(frozen=True)
class FunnelChart:
    title: str
    centre: float
    limits: tuple[FunnelLimit, ...]  # narrowest first
    marks: tuple[FunnelMark, ...]
    xlabel: str
    ylabel: str


@_drawing
def funnel_svg(chart: FunnelChart) -> str:
    """Each LA's rate against its denominator, the centre line and each level's limits through the LAs' sizes (the
    limits depend on the size only); an LA outside the widest limits is a filled mark, named beside it."""
    figure = _figure(7.0, 4.2)
    axes = figure.add_subplot()
    axes.axhline(chart.centre, color=INK, linewidth=1.0, label=_literal(f"centre ({chart.centre:,.1f})"))
    for number, limit in enumerate(chart.limits):
        xs = [p[0] for p in limit.points]
        lows = [p[1] for p in limit.points]
        highs = [p[2] if p[2] != float("inf") else float("nan") for p in limit.points]  # an unbounded limit: no line
        style = LINESTYLES[(number + 1) % len(LINESTYLES)]
        axes.plot(xs, lows, color=COLOURS[number % len(COLOURS)], linestyle=style, linewidth=1.0,
                  label=_literal(f"{limit.label} limits"))  # fmt: skip
        axes.plot(xs, highs, color=COLOURS[number % len(COLOURS)], linestyle=style, linewidth=1.0)
    widest = chart.limits[-1].label if chart.limits else ""
    marks = [m for m in chart.marks if m.rate == m.rate and m.rate != float("inf")]
    inside = [m for m in marks if not m.label]
    named = [m for m in marks if m.label]
    axes.scatter([m.denominator for m in inside], [m.rate for m in inside], s=18, facecolors="none", edgecolors=INK,
                 linewidths=0.8, label="LA")  # fmt: skip
    if named:
        axes.scatter([m.denominator for m in named], [m.rate for m in named], s=30, marker="D", color=ADJUSTMENT_DOWN,
                     label=_literal(f"LA outside {widest} limits"))  # fmt: skip
    for mark in named:
        axes.annotate(_literal(mark.label), (mark.denominator, mark.rate), xytext=(5, 4), textcoords="offset points",
                      fontsize=8, color=INK)  # fmt: skip
    axes.set_xlabel(_literal(chart.xlabel), color=INK)
    axes.set_ylabel(_literal(chart.ylabel), color=INK)
    axes.set_title(_literal(chart.title), fontsize=10, color=INK, loc="left")
    axes.set_ylim(bottom=0)
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _svg(figure)

"""`triangulate revisions` in words, in the order a statistician must explain them (issue 26): substantive revisions to
counts first (national and regional, then LAs), then the rows added and removed with their reason, then one line for
the other kinds (rates moved only by their denominator never lead a list), then substantive revisions to rates and
denominators, then the cells that could not be read. Each revision names its place, its indicator and filter values
and its period, not its key columns.

Plain text only: reports/revisions.py escapes it for Markdown, the HTML template's autoescape for the HTML."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..domain.columns import COUNT, DENOMINATOR, RATE
from ..domain.geography import ENGLAND, REPLACED_LAS, la_field, ons_code, place_codes
from ..model.revisions import CellRevision, Revisions
from .wording import allowance, count_words

SHOWN = 20  # items per list; the rest are in the JSON
NAMED_IN_VERDICT = 3  # failing cells the verdict names
MINUS = "\u2212"  # a minus sign, not a hyphen: −80
_LEVELS = {"national": 0, "regional": 1, "local authority": 2}  # national and regional first, then LAs
_NOT_FILTERS = ("time_period", "time_identifier", "geographic_level")
_TOTAL = "total"  # a filter's whole (`characteristic: Total`): the figure is the whole, so it goes without saying
_ONE_VINTAGE_NOTE = "boundary change: an LA code in one vintage only"  # reconcile/revisions.py _boundary_pairs' note


@dataclass(frozen=True)
class Item:
    text: str
    fails: bool = False  # the gate rests on it


@dataclass(frozen=True)
class Block:
    """One part of what must be explained: a sentence, a list, or both."""

    anchor: str
    title: str
    text: str = ""
    items: tuple[Item, ...] = ()
    more: int = 0  # items not listed

    @property
    def more_text(self) -> str:
        return f"and {self.more:,} more (see the JSON)" if self.more else ""


@dataclass(frozen=True)
class Explained:
    passed: bool
    verdict: str  # PASS or FAIL and what it rests on, one sentence
    blocks: tuple[Block, ...]


# --- a key in words --------------------------------------------------------------------------------------------------


def level_of(key: Mapping[str, str]) -> str:
    return str(key.get("geographic_level", "")).strip().lower()


def _ons(key: Mapping[str, str]) -> str:
    """The row's LA code: its ONS code, else its DfE code's, else whichever code it has."""
    code = str(key.get("new_la_code", "") or "").strip()
    dfe = str(key.get("old_la_code", "") or "").strip()
    return code or (ons_code(dfe) or dfe if dfe else "")


def _la_name(key: Mapping[str, str], code: str) -> str | None:
    """An LA's name by its ONS code, else by its DfE code (a code the list no longer holds, Buckinghamshire's
    E10000002, still has DfE's 825)."""
    names = la_field("la_name")
    dfe = str(key.get("old_la_code", "") or "").strip()
    return names.get(code) or (names.get(ons_code(dfe) or "") if dfe else None)


def place_words(key: Mapping[str, str], with_code: bool = False) -> str:
    """A row's place as people name it: England, a region's name, an LA's name (with its ONS code when asked); a code
    the LA list does not know as it is."""
    level = level_of(key)
    if level == "national":
        return ENGLAND
    if level == "regional":
        code = str(key.get("region_code", "") or "").strip()
        return {v: k for k, v in place_codes().items()}.get(code, code or "a region")
    code = _ons(key)
    if not code:
        codes = [str(v).strip() for k, v in key.items() if k.endswith("_code") and k != "country_code" and str(v).strip()]
        return codes[-1] if codes else str(key.get("geographic_level", "")) or "a row with no place"
    name = _la_name(key, code)
    if name is None:
        return code
    return f"{name} ({code})" if with_code else name


def filter_words(key: Mapping[str, str]) -> list[str]:
    """The row's filter values (`social_care_group: Children in need` -> `Children in need`), a filter's Total left out."""
    return [str(v).strip() for k, v in key.items()
            if k not in _NOT_FILTERS and not k.endswith("_code") and str(v).strip() and str(v).strip().lower() != _TOTAL]  # fmt: skip


def period_words(key: Mapping[str, str]) -> str:
    """`2023`; a six-digit EES period (`202223`) as `2022-23`."""
    text = str(key.get("time_period", "") or "").strip()
    return f"{text[:4]}-{text[4:]}" if len(text) == 6 and text.isdigit() else text


def indicator_words(indicator: str) -> str:
    return indicator.replace("_", " ").strip()


def where_words(cell: CellRevision) -> str:
    """`England, number (Looked after on 31 March), 2023`."""
    filters = filter_words(cell.key)
    what = indicator_words(cell.indicator) + (f" ({', '.join(filters)})" if filters else "")
    return ", ".join(part for part in (place_words(cell.key), what, period_words(cell.key)) if part)


# --- figures and changes ---------------------------------------------------------------------------------------------


def _decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def _signed(value: float, decimals: int) -> str:
    shown = f"{abs(value):,.{decimals}f}"
    return "0" if float(shown.replace(",", "")) == 0 else ("+" if value > 0 else MINUS) + shown


def figure_words(text: str) -> str:
    """A cell as published, a number with thousands separators and its own decimals (`83,840`, `150.0`); a symbol as
    written (`c`, `z`)."""
    stripped = text.strip()
    try:
        value = float(stripped.replace(",", ""))
    except ValueError:
        return stripped or "blank"
    shown = f"{abs(value):,.{_decimals(stripped)}f}"
    return (MINUS + shown) if value < 0 else shown


def percent_words(share: float) -> str:
    return "under 0.1%" if abs(share) < 0.0005 else _signed(100 * share, 1) + "%"


def change_words(cell: CellRevision) -> str:
    """`−80, −0.1%`; a count that went from none to some (`0 → c`), or back, in words; a rate's split where known."""
    if cell.change is None:
        if cell.column_kind == COUNT and cell.transition == "suppressed" and figure_words(cell.old) == "0":
            return "none became some: c stands for at least 1"
        if cell.column_kind == COUNT and cell.transition == "unsuppressed" and figure_words(cell.new) == "0":
            return "some became none: c stood for at least 1"
        return cell.transition.replace("_", " ") or cell.kind.replace("_", " ")
    decimals = max(_decimals(cell.old), _decimals(cell.new))
    parts = [_signed(cell.change, decimals)]
    if cell.rel_change is not None:
        parts.append(percent_words(cell.rel_change))
    effects = cell.effects or {}
    if effects.get("numerator") is not None and effects.get("denominator") is not None:
        parts.append(f"{_signed(effects['numerator'] or 0.0, decimals + 1)} from the count, "
                     f"{_signed(effects['denominator'] or 0.0, decimals + 1)} from the denominator")  # fmt: skip
    return ", ".join(parts)


def cell_words(cell: CellRevision) -> str:
    """`England, number (Looked after on 31 March), 2023: 83,840 → 83,760 (−80, −0.1%)`."""
    text = f"{where_words(cell)}: {figure_words(cell.old)} → {figure_words(cell.new)} ({change_words(cell)})"
    return text if not cell.substantive or cell.beyond_tolerance else f"{text}, within tolerance"


def none_or_some(cell: CellRevision) -> bool:
    """A count that went from none to some or back (`0 → c`, `c → 0`): a death added to or taken from a year."""
    return cell.change is None and cell.column_kind == COUNT and cell.substantive


def _order(cell: CellRevision) -> tuple[Any, ...]:
    """A count from none to some (or back) first, national, regional then LA; then the rest, national first."""
    return (not none_or_some(cell), _LEVELS.get(level_of(cell.key), len(_LEVELS)), -abs(cell.change or 0.0),
            place_words(cell.key), cell.indicator, filter_words(cell.key), period_words(cell.key))  # fmt: skip


def _listed(cells: Sequence[CellRevision], order: Callable[[CellRevision], Any] = _order) -> tuple[tuple[Item, ...], int]:
    """The first SHOWN, but every count from none to some (or back) however many: never in "and N more"."""
    ordered = sorted(cells, key=order)
    shown = max(SHOWN, sum(map(none_or_some, ordered)))
    return tuple(Item(cell_words(c), c.substantive and c.beyond_tolerance) for c in ordered[:shown]), max(0, len(ordered) - shown)


# --- rows added and removed ------------------------------------------------------------------------------------------


def _one_vintage_codes(revisions: Revisions) -> str:
    return " ".join(note for note in revisions.notes if note.startswith(_ONE_VINTAGE_NOTE))


def _replaced_words(code: str, removed: bool) -> str:
    names = la_field("la_name")
    if removed and code in REPLACED_LAS:
        return f", replaced by {' and '.join(names.get(c, c) for c in sorted(REPLACED_LAS[code]))}"
    replacing = [old for old, new in REPLACED_LAS.items() if code in new]
    return f", replacing {names.get(replacing[0], replacing[0])}" if not removed and replacing else ""


def _rows_items(rows: Sequence[Mapping[str, str]], removed: bool, one_vintage: str) -> list[Item]:
    """Rows grouped by place: `Darlington (E06000005): 1 row removed (2023)`, with the reason where one is known."""
    grouped: dict[tuple[int, str], list[Mapping[str, str]]] = {}
    for row in rows:
        grouped.setdefault((_LEVELS.get(level_of(row), len(_LEVELS)), place_words(row, with_code=True)), []).append(row)
    items = []
    for (_, place), found in sorted(grouped.items()):
        periods = sorted({period_words(r) for r in found} - {""})
        code = _ons(found[0])
        text = f"{place}: {count_words(len(found), 'row', 'rows')} {'removed' if removed else 'added'}"
        text += f" ({', '.join(periods)})" if periods else ""
        if code and code in one_vintage:
            text += (f"; its code is in the {'old' if removed else 'new'} release only (a boundary change"
                     f"{_replaced_words(code, removed)})")  # fmt: skip
        items.append(Item(text, removed))
    return items


def _boundary_items(revisions: Revisions) -> list[Item]:
    """Each LA under a new code, one line: `Buckinghamshire: E10000002 → E06000060 (same DfE code 825), 2 rows,
    figures unchanged`."""
    grouped: dict[tuple[str, str, str], list[Any]] = {}
    for pair in revisions.boundary:
        grouped.setdefault((pair.la_name, pair.old_code, pair.new_code), []).append(pair)
    items = []
    for (name, old, new), pairs in grouped.items():
        dfe = next((str(p.key.get("old_la_code", "")).strip() for p in pairs if str(p.key.get("old_la_code", "")).strip()), "")
        matched = f"same DfE code {dfe}" if dfe else "matched by name"
        keys = [dict(p.key) for p in pairs]
        changed = [c for c in revisions.cells if dict(c.key) in keys]  # of any kind: a count's own kind is kept
        figures = f"{count_words(len(changed), 'cell', 'cells')} changed" if changed else "figures unchanged"
        periods = sorted({p.period for p in pairs} - {""})
        rows = count_words(len(pairs), "row", "rows") + (f" ({', '.join(periods)})" if periods else "")
        items.append(Item(f"{name or new}: {old} → {new} ({matched}), {rows}, {figures}"))
    return items


# --- the other kinds, and when no count changed ----------------------------------------------------------------------


def _others(counts: Mapping[str, int]) -> list[str]:
    """The kinds that lead no list (boundary cells are counted on their LA's line above)."""
    words = {
        "suppression": ("suppression", "suppressions"),
        "within_rounding": ("within rounding", "within rounding"),
        "denominator_only": ("rate moved only by its denominator (a population revision)",
                             "rates moved only by their denominator (a population revision)"),
    }  # fmt: skip
    return [count_words(counts[kind], *words[kind]) for kind in words if counts.get(kind)]


def _joined(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _counts_block(revisions: Revisions) -> Block:
    title = "Counts revised"
    counts = [c for c in revisions.cells if c.column_kind == COUNT and c.substantive]
    if counts:
        items, more = _listed(counts)
        return Block("counts", title, "Substantive revisions to counts, national and regional first, then local authorities:",
                     items, more)  # fmt: skip
    cells = revisions.cells
    if not cells:
        return Block("counts", title, "No cell changed: the new release repeats every figure of the periods both cover.")
    if not any(c.column_kind == COUNT for c in cells):
        rates = sum(c.kind == "denominator_only" for c in cells)
        denominators = sum(c.column_kind == DENOMINATOR for c in cells)
        if rates and denominators and rates + denominators == len(cells):  # b1: a population revision and its rates
            return Block("counts", title, f"No count changed: all {len(cells):,} revisions are a denominator revision "
                                          f"({count_words(denominators, 'cell', 'cells')}, listed below) and the "
                                          f"{count_words(rates, 'rate', 'rates')} it moved.")  # fmt: skip
        return Block("counts", title, "No count changed.")
    moved = sum(c.column_kind == COUNT for c in cells)
    return Block("counts", title, f"No count revised substantively: the {count_words(moved, 'count', 'counts')} that "
                                  "changed moved within rounding, by suppression or under a new LA code.")  # fmt: skip


def _others_block(revisions: Revisions, counts_block: Block) -> Block | None:
    others = _others(revisions.kind_counts())
    if not others or counts_block.text.startswith("No count changed: "):
        return None  # nothing else, or the sentence that no count changed has said it all
    lead = "And " if counts_block.items else "Changed otherwise: "
    return Block("other-kinds", "Other changes", f"{lead}{_joined(others)}.")


def _within_words(indicator: str, cells: Sequence[CellRevision]) -> str:
    """`population estimate: 28 revisions within tolerance, the largest +0.3% (England, 2022)`."""
    largest = max(cells, key=lambda c: abs(c.rel_change if c.rel_change is not None else c.change or 0.0))
    size = percent_words(largest.rel_change) if largest.rel_change is not None else change_words(largest)
    where = ", ".join(p for p in (place_words(largest.key), period_words(largest.key)) if p)
    return (f"{indicator_words(indicator)}: {count_words(len(cells), 'revision', 'revisions')} within tolerance, "
            f"the largest {size} ({where})")  # fmt: skip


def _rates_block(revisions: Revisions) -> Block | None:
    """Substantive revisions to rates and denominators beyond tolerance, each listed; those within it, one line per
    indicator (a population revised by 0.3% everywhere is one line, not 28)."""
    rates = [c for c in revisions.cells if c.substantive and c.column_kind in (RATE, DENOMINATOR, "")]
    if not rates:
        return None
    beyond = [c for c in rates if c.beyond_tolerance]
    items, more = _listed(beyond, lambda c: (c.column_kind != RATE, *_order(c)))  # the rates published, then their denominators
    within: dict[str, list[CellRevision]] = {}
    for cell in rates:
        if not cell.beyond_tolerance:
            within.setdefault(cell.indicator, []).append(cell)
    summary = tuple(Item(_within_words(indicator, cells)) for indicator, cells in within.items())
    return Block("rates", "Rates and denominators revised", "Substantive revisions to rates and denominators:", items + summary, more)


# --- the verdict -----------------------------------------------------------------------------------------------------


def _named(names: Sequence[str]) -> str:
    shown = ", ".join(names[:NAMED_IN_VERDICT])
    return shown + (f" and {len(names) - NAMED_IN_VERDICT:,} more" if len(names) > NAMED_IN_VERDICT else "")


_KIND_WORDS = {COUNT: ("count", "counts"), RATE: ("rate", "rates"), DENOMINATOR: ("denominator", "denominators")}


def verdict_words(revisions: Revisions) -> str:
    """PASS or FAIL and what it rests on: the failing cells by kind of column and place, the rows removed by place, the
    cells that could not be read by file:line (the lists below give each in full)."""
    if revisions.passed:
        within = sum(c.substantive for c in revisions.cells)
        tail = f"; {count_words(within, 'substantive revision is', 'substantive revisions are')} within tolerance" * bool(within)
        return f"PASS: no substantive revision beyond tolerance, no row removed, no unreadable cell{tail}."
    if not revisions.periods:
        return "FAIL: the two vintages share no period, so nothing was compared (a comparison of nothing has not passed)."
    parts = []
    failing = sorted(revisions.failing, key=_order)
    some = [c for c in failing if none_or_some(c)]  # every place named: a death added to, or taken from, a year
    named = [f"{count_words(len(some), 'count', 'counts')} from none to some or back "
             f"(in {', '.join(dict.fromkeys(place_words(c.key) for c in some))})"] if some else []  # fmt: skip
    by_kind: dict[str, list[str]] = {}
    for cell in sorted(failing, key=lambda c: list(_KIND_WORDS).index(c.column_kind) if c.column_kind in _KIND_WORDS else 3):
        if not none_or_some(cell):
            by_kind.setdefault(cell.column_kind, []).append(place_words(cell.key))
    named += [f"{count_words(len(places), *_KIND_WORDS.get(kind, ('figure', 'figures')))} "
              f"(in {_named(list(dict.fromkeys(places)))})" for kind, places in by_kind.items()]  # fmt: skip
    if named:
        parts.append(f"{_joined(named)} revised beyond tolerance")
    if revisions.rows_removed:
        places = sorted({place_words(r) for r in revisions.rows_removed})
        parts.append(f"{count_words(len(revisions.rows_removed), 'row', 'rows')} removed ({_named(places)})")
    if revisions.unreadable:
        cells = [f"{file}:{line} {column}" for file, line, column, _ in revisions.unreadable]
        parts.append(f"{count_words(len(cells), 'unreadable cell', 'unreadable cells')} ({_named(cells)})")
    return f"FAIL: it rests on {_joined(parts)}."


def unreadable_words(entry: tuple[str, int, str, str]) -> str:
    """`new.csv:12: number is “n/a”, neither a number nor an EES symbol`."""
    file, line, column, text = entry
    return f"{file}:{line}: {column} is “{text}”, neither a number nor an EES symbol"


def tolerance_words(tolerance: Mapping[str, Any]) -> str:
    """`within 1 or 1% for all`, or per indicator or kind of column: `counts: exactly; rates: within 0.5`."""
    if not tolerance or "abs" in tolerance or "rel" in tolerance:
        return f"{allowance(tolerance)} for every indicator"
    return "; ".join(f"{name}: {allowance(entry)}" for name, entry in tolerance.items()) + "; any other: exactly"


def explain(revisions: Revisions) -> Explained:
    """What must be explained, in order (the module's docstring)."""
    counts = _counts_block(revisions)
    blocks = [counts]
    rows = _boundary_items(revisions)
    one_vintage = _one_vintage_codes(revisions)
    rows += _rows_items(revisions.rows_removed, True, one_vintage) + _rows_items(revisions.rows_added, False, one_vintage)
    if rows:
        removed, added = len(revisions.rows_removed), len(revisions.rows_added)
        text = (
            f"In the periods both cover, {count_words(removed, 'row', 'rows')} removed (a removal fails the gate) and "
            f"{added:,} added (never a failure)"
            if removed or added
            else "No row added or removed"
        )
        text += "; an LA under a new code is one row, compared across its codes:" if revisions.boundary else ":"
        blocks.append(Block("rows", "Rows added, removed or under a new code", text, tuple(rows[:SHOWN]), max(0, len(rows) - SHOWN)))
    blocks += [b for b in (_others_block(revisions, counts), _rates_block(revisions)) if b is not None]
    if revisions.unreadable:
        items = tuple(Item(unreadable_words(u), True) for u in revisions.unreadable[:SHOWN])
        blocks.append(Block("unreadable", "Unreadable cells", "Cells of figures that read as neither a number nor a symbol "
                            "(each fails the gate):", items, max(0, len(revisions.unreadable) - SHOWN)))  # fmt: skip
    return Explained(revisions.passed, verdict_words(revisions), tuple(blocks))

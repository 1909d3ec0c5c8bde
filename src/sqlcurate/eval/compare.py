"""Result-set comparison for execution accuracy: is the generated query's answer the gold query's answer?

The rules, each chosen so that a correct query is not failed for cosmetic reasons:
- Column names are ignored and column order is free: a generated column may stand for any gold column
  whose values it matches (``SELECT b, a`` answers ``SELECT a AS x, b``). The column count must match.
- Rows are a multiset unless the gold query orders its result (top-level ORDER BY); then the order counts.
- Numbers (ints, floats, decimals) are equal within rel 1e-6 or abs 1e-9, so ``avg()`` computed two ways
  agrees; booleans compare as 0/1 (ClickHouse returns Bool or UInt8 for the same predicate).
- NULL equals NULL and nothing else (not 0, not ''); NaN equals NaN.
- Dates, strings, UUIDs and the rest compare by value; arrays, tuples and maps element by element.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

REL_TOL = 1e-6
ABS_TOL = 1e-9
# A bound on the column-matching search. It is reached only by wide results whose columns hold the same
# values (all zeros, say); an answer still unmatched after this many tries counts as a mismatch.
MAX_PERMUTATIONS = 5040

CODES = {
    "EVAL_RESULT_COLUMNS": "the generated result has a different number of columns than the gold",
    "EVAL_RESULT_ROWS": "the generated result has a different number of rows than the gold",
    "EVAL_RESULT_VALUES": "same shape, but no column matching makes the rows equal (as a multiset or in order)",
    "EVAL_RESULT_ORDER": "the right rows in the wrong order, and the gold query orders its result",
}


@dataclass(frozen=True, slots=True)
class Comparison:
    match: bool
    code: str = ""  # one of CODES when not a match
    detail: str = ""
    column_map: tuple[int, ...] = ()  # gold column i is generated column column_map[i]


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, Decimal))  # bool is an int: True == 1


def values_equal(a: Any, b: Any) -> bool:
    """One cell against another under the rules in the module docstring."""
    if a is None or b is None:
        return a is None and b is None
    if _is_number(a) and _is_number(b):
        fa, fb = float(a), float(b)
        if math.isnan(fa) or math.isnan(fb):
            return math.isnan(fa) and math.isnan(fb)
        if isinstance(a, int) and isinstance(b, int):
            return int(a) == int(b)  # exact: big UInt64 values lose digits as floats
        return math.isclose(fa, fb, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def sort_key(v: Any) -> tuple:
    """A total order over cells of mixed types, coarse enough that tolerance-equal numbers land next to
    each other (numbers are rounded to 6 significant digits for sorting only)."""
    if v is None:
        return (0,)
    if _is_number(v):
        f = float(v)
        if math.isnan(f):
            return (1, 0, "")
        return (1, 1, float(f"{f:.5e}"))
    if isinstance(v, (list, tuple)):
        return (2, tuple(sort_key(x) for x in v))
    if isinstance(v, dict):
        return (3, tuple((str(k), sort_key(x)) for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))))
    return (4, type(v).__name__, str(v))


def _rows_equal(gold: Sequence[Sequence[Any]], got: Sequence[Sequence[Any]], cols: tuple[int, ...]) -> bool:
    return all(
        all(values_equal(g[i], r[j]) for i, j in enumerate(cols)) for g, r in zip(gold, got, strict=True)
    )


def _multiset_equal(gold: Sequence[Sequence[Any]], got: Sequence[Sequence[Any]], cols: tuple[int, ...]) -> bool:
    projected = [tuple(r[j] for j in cols) for r in got]
    a = sorted((tuple(r) for r in gold), key=lambda r: tuple(sort_key(v) for v in r))
    b = sorted(projected, key=lambda r: tuple(sort_key(v) for v in r))
    if _rows_equal(a, b, tuple(range(len(cols)))):
        return True
    # Sorting by rounded keys can split near-equal numbers across a rounding edge; fall back to greedy
    # matching, which is exact for the small results an eval produces.
    left = list(b)
    for row in a:
        for k, cand in enumerate(left):
            if all(values_equal(x, y) for x, y in zip(row, cand, strict=True)):
                del left[k]
                break
        else:
            return False
    return True


def _column_candidates(gold: Sequence[Sequence[Any]], got: Sequence[Sequence[Any]], width: int) -> list[list[int]]:
    """For each gold column, the generated columns holding the same multiset of values."""
    def col(rows: Sequence[Sequence[Any]], j: int) -> list[Any]:
        return sorted((r[j] for r in rows), key=sort_key)

    gold_cols = [col(gold, i) for i in range(width)]
    got_cols = [col(got, j) for j in range(width)]
    return [
        [j for j in range(width) if all(values_equal(x, y) for x, y in zip(gold_cols[i], got_cols[j], strict=True))]
        for i in range(width)
    ]


def compare_results(gold: Sequence[Sequence[Any]], got: Sequence[Sequence[Any]], ordered: bool) -> Comparison:
    """Compare two result sets (lists of row tuples). ``ordered``: the gold query orders its rows."""
    gold_width = len(gold[0]) if gold else None
    got_width = len(got[0]) if got else None
    if len(gold) != len(got):
        return Comparison(False, "EVAL_RESULT_ROWS", f"gold has {len(gold)} rows, generated {len(got)}")
    if not gold:
        return Comparison(True, detail="both empty")
    if gold_width != got_width:
        return Comparison(False, "EVAL_RESULT_COLUMNS", f"gold has {gold_width} columns, generated {got_width}")
    width = gold_width or 0
    candidates = _column_candidates(gold, got, width)
    if any(not c for c in candidates):
        missing = [i for i, c in enumerate(candidates) if not c]
        return Comparison(False, "EVAL_RESULT_VALUES", f"no generated column holds the values of gold column(s) {missing}")
    found_unordered: tuple[int, ...] | None = None
    for n, perm in enumerate(itertools.product(*candidates)):
        if n >= MAX_PERMUTATIONS:
            break
        if len(set(perm)) != width:
            continue
        if ordered and _rows_equal(gold, got, perm):
            return Comparison(True, column_map=perm, detail="ordered match")
        if _multiset_equal(gold, got, perm):
            if not ordered:
                return Comparison(True, column_map=perm, detail="multiset match")
            found_unordered = perm
    if found_unordered is not None:
        return Comparison(False, "EVAL_RESULT_ORDER", "same rows, different order (the gold query orders)", found_unordered)
    return Comparison(False, "EVAL_RESULT_VALUES", "no column matching makes the rows equal")

from decimal import Decimal

from sqlcurate.eval.compare import compare_results, values_equal


def test_numeric_tolerance_and_types():
    assert values_equal(0.1 + 0.2, 0.3)
    assert values_equal(Decimal("1.50"), 1.5)
    assert values_equal(True, 1)
    assert not values_equal(1.0, 1.001)
    assert values_equal(1e-12, 0.0)  # abs 1e-9
    assert not values_equal(2**63 + 1, 2**63)  # big integers compare exactly
    assert values_equal(float("nan"), float("nan"))


def test_null_is_only_null():
    assert values_equal(None, None)
    assert not values_equal(None, 0)
    assert not values_equal("", None)
    assert compare_results([(1, None)], [(1, None)], ordered=False).match
    assert not compare_results([(1, None)], [(1, 0)], ordered=False).match


def test_multiset_ignores_row_order_unless_ordered():
    gold = [(1, "a"), (2, "b"), (2, "b")]
    shuffled = [(2, "b"), (1, "a"), (2, "b")]
    assert compare_results(gold, shuffled, ordered=False).match
    res = compare_results(gold, shuffled, ordered=True)
    assert not res.match and res.code == "EVAL_RESULT_ORDER"
    # multiplicity counts
    assert not compare_results(gold, [(1, "a"), (1, "a"), (2, "b")], ordered=False).match


def test_column_order_is_free():
    gold = [(1, "a", 3.0), (2, "b", 4.0)]
    got = [("a", 3.0, 1), ("b", 4.0, 2)]
    res = compare_results(gold, got, ordered=True)
    assert res.match and res.column_map == (2, 0, 1)


def test_column_permutation_must_keep_rows_together():
    # Each column alone matches, but the rows pair the values differently.
    gold = [(1, "a"), (2, "b")]
    got = [(1, "b"), (2, "a")]
    res = compare_results(gold, got, ordered=False)
    assert not res.match and res.code == "EVAL_RESULT_VALUES"


def test_shape_mismatches():
    assert compare_results([(1,)], [(1,), (2,)], ordered=False).code == "EVAL_RESULT_ROWS"
    assert compare_results([(1,)], [(1, 2)], ordered=False).code == "EVAL_RESULT_COLUMNS"
    assert compare_results([], [], ordered=True).match


def test_nested_values():
    assert values_equal([1, 2.0000000001], [1, 2])
    assert values_equal({"a": 1}, {"a": 1.0})
    assert not values_equal((1, 2), (2, 1))

from sqlcurate.sql.fingerprint import fingerprint, template


def test_literals_case_and_spacing_do_not_matter():
    a = "SELECT user_id, count() FROM events WHERE country = 'US' AND n > 5 GROUP BY user_id"
    b = "select  user_id,\n  COUNT()  from events\nwhere country='DE' and n>10 group by user_id;"
    assert template(a) == template(b)
    assert fingerprint(a) == fingerprint(b) and len(fingerprint(a)) == 16


def test_in_lists_collapse_whatever_their_length():
    assert fingerprint("SELECT 1 FROM t WHERE id IN (1)") == fingerprint("SELECT 1 FROM t WHERE id IN (1, 2, 3, 4)")
    assert "?..." in template("SELECT 1 FROM t WHERE id IN ('a', 'b')")


def test_values_rows_collapse():
    assert fingerprint("INSERT INTO t VALUES (1, 'a')") == fingerprint("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')")


def test_different_structure_differs():
    assert fingerprint("SELECT a FROM t") != fingerprint("SELECT b FROM t")
    assert fingerprint("SELECT a FROM t WHERE x = 1") != fingerprint("SELECT a FROM t WHERE x > 1")


def test_quoted_names_keep_case_and_lose_quote_style():
    assert template('SELECT "UserId" FROM t') == template("SELECT `UserId` FROM t")
    assert template('SELECT "UserId" FROM t') != template('SELECT "userid" FROM t')


def test_dialect_tokenizer_used():
    assert template("SELECT [Order Date] FROM t WHERE s = N'x'", "tsql") == "select Order Date from t where s = ?"


def test_unterminated_quote_still_fingerprints():
    assert fingerprint("SELECT 'oops FROM t")

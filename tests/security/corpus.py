"""Hostile statements, as a model answer or a dataset row could carry them, each with the reason code
the sandbox must give (None: any reason code will do; the kind of failure depends on the engine).

Placeholders: {canary} a file whose content must never show up, {out} a directory nothing may be written
to, {port} a listener on 127.0.0.1 that must accept no connection. ``PLANS`` marks statements that are
harmful only when executed: ``validate --engine`` only plans queries, so it may accept them.
"""

LONG = "SELECT " + "+".join(["1"] * 60000)
MULTI = "SELECT 1; INSERT INTO FUNCTION file('{out}/multi.txt', 'RawBLOB') SELECT 'x'"
DEEP = "SELECT " + "(" * 3000 + "1" + ")" * 3000
# Nesting past sqlglot's recursion, for every place that parses SQL we did not write (test_parse_guards.py):
# parentheses (refused before parsing), a `+` chain (a tree one level per operator, refused once parsed)
# and nesting without parentheses (sqlglot's parser recurses on each NOT).
CHAIN = "SELECT " + " + ".join(["1"] * 5000)
NOTS = "SELECT " + "NOT " * 3000 + "1"
TOO_DEEP = {"parentheses": DEEP, "plus-chain": CHAIN, "not-chain": NOTS}

CORPUS: list[tuple[str, str | None]] = [
    # file writes
    ("INSERT INTO FUNCTION file('{out}/x.sh', 'RawBLOB') SELECT 'echo pwned'", "EXEC_REFUSED_STATEMENT"),
    ("insert into function file('{out}/x2.sh', 'RawBLOB') select 'x'", "EXEC_REFUSED_STATEMENT"),
    ("SELECT 1 INTO OUTFILE '{out}/o1.txt'", "EXEC_REFUSED_STATEMENT"),
    ("SELECT 1 INTO OUTFILE '{out}/o2.txt' APPEND", "EXEC_REFUSED_STATEMENT"),
    ("select 'import os' into outfile '{out}/evil.pth' truncate", "EXEC_REFUSED_STATEMENT"),
    ("SELECT * FROM numbers(3) INTO OUTFILE '{out}/o3.csv' FORMAT CSV", "EXEC_REFUSED_STATEMENT"),
    ("WITH x AS (SELECT 1) SELECT * FROM x INTO OUTFILE '{out}/o4.txt'", "EXEC_REFUSED_STATEMENT"),
    ("SELECT 1 /* hidden */ INTO /* c */ OUTFILE '{out}/o5.txt'", "EXEC_REFUSED_STATEMENT"),
    ("SELECT 1 UNION ALL SELECT 2 INTO OUTFILE '{out}/o6.txt'", "EXEC_REFUSED_STATEMENT"),
    ("EXPLAIN SELECT 1 INTO OUTFILE '{out}/o7.txt'", "EXEC_REFUSED_STATEMENT"),
    ("SELECT 1 -- )\nINTO OUTFILE '{out}/o8.txt'", "EXEC_REFUSED_STATEMENT"),
    ("CREATE TABLE sec_fx.t ENGINE = File(RawBLOB, '{out}/t.bin') AS SELECT 'x'", "EXEC_REFUSED_STATEMENT"),
    ("DROP TABLE sec_fx.items", "EXEC_REFUSED_STATEMENT"),
    ("TRUNCATE TABLE sec_fx.items", "EXEC_REFUSED_STATEMENT"),
    ("ALTER TABLE sec_fx.items DELETE WHERE 1", "EXEC_REFUSED_STATEMENT"),
    ("SYSTEM FLUSH LOGS", "EXEC_REFUSED_STATEMENT"),
    ("SET readonly = 0", "EXEC_REFUSED_STATEMENT"),
    ("KILL QUERY WHERE 1", "EXEC_REFUSED_STATEMENT"),
    ("GRANT ALL ON *.* TO default", "EXEC_REFUSED_STATEMENT"),
    ("CREATE USER evil IDENTIFIED BY 'x'", "EXEC_REFUSED_STATEMENT"),
    ("BACKUP DATABASE sec_fx TO File('{out}/backup')", "EXEC_REFUSED_STATEMENT"),
    (MULTI, None),
    ("SELECT 1 FORMAT JSON", "EXEC_REFUSED_STATEMENT"),
    # file reads
    ("SELECT * FROM file('{canary}', 'LineAsString')", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("select * from FILE('{canary}', 'LineAsString')", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SeLeCt * FrOm `file`('{canary}', 'LineAsString')", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT * FROM url('file://{canary}', 'LineAsString')", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT file('{canary}')", "EXEC_REFUSED_FUNCTION"),
    ("SELECT FILE('{canary}')", "EXEC_REFUSED_FUNCTION"),
    ("SELECT name FROM sec_fx.items WHERE name IN (SELECT * FROM file('{canary}', 'LineAsString'))", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT i.name FROM sec_fx.items AS i JOIN file('{canary}', 'LineAsString', 'name String') AS f ON i.name = f.name",
     "EXEC_REFUSED_TABLE_FUNCTION"),
    ("WITH c AS (SELECT * FROM file('{canary}', 'LineAsString')) SELECT * FROM c", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT name FROM sec_fx.items UNION ALL SELECT * FROM file('{canary}', 'LineAsString')", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT (SELECT any(line) FROM file('{canary}', 'LineAsString'))", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT * FROM (SELECT * FROM (SELECT * FROM file('{canary}', 'LineAsString')))", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT * FROM view(SELECT * FROM file('{canary}', 'LineAsString'))", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT * FROM fileCluster('default', '{canary}', 'LineAsString')", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT * FROM format(LineAsString, 'x')", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT * FROM input('x String')", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT * FROM executable('cat {canary}', 'LineAsString', 'x String')", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT * FROM merge('system', '.*')", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT * FROM dictionary('d')", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT dictGet('d', 'x', toUInt64(1))", "EXEC_REFUSED_FUNCTION"),
    ("SELECT joinGet('sec_fx.items', 'name', 1)", "EXEC_REFUSED_FUNCTION"),
    ("SELECT showCertificate()", "EXEC_REFUSED_FUNCTION"),
    ("SELECT * FROM sqlite('{canary}', 't')", "EXEC_REFUSED_TABLE_FUNCTION"),
    # network
    ("SELECT * FROM url('http://127.0.0.1:{port}/x', 'LineAsString')", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT * FROM s3('http://127.0.0.1:{port}/bucket/key', 'LineAsString')", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT * FROM hdfs('hdfs://127.0.0.1:{port}/x', 'LineAsString')", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT * FROM remote('127.0.0.1:{port}', system.one)", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT * FROM remoteSecure('127.0.0.1:{port}', system.one)", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT * FROM cluster('default', system.one)", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT * FROM mysql('127.0.0.1:{port}', 'db', 't', 'u', 'p')", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT * FROM postgresql('127.0.0.1:{port}', 'db', 't', 'u', 'p')", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT * FROM jdbc('jdbc:mysql://127.0.0.1:{port}/db', 't')", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT * FROM odbc('DSN=x', 't')", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT * FROM mongodb('127.0.0.1:{port}', 'db', 'c', 'u', 'p', 'x String')", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT * FROM redis('127.0.0.1:{port}', 'k', 'k String')", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT * FROM urlCluster('default', 'http://127.0.0.1:{port}/x')", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT 1 WHERE 1 IN remote('127.0.0.1:{port}', system.one)", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT 1 WHERE 'x' NOT IN mysql('127.0.0.1:{port}', 'db', 't', 'u', 'p')", "EXEC_REFUSED_TABLE_FUNCTION"),
    ("SELECT name FROM sec_fx.items WHERE 1 IN (SELECT 1 FROM s3('http://127.0.0.1:{port}/b/k', 'LineAsString'))",
     "EXEC_REFUSED_TABLE_FUNCTION"),
    # guards
    ("SELECT count() FROM numbers(10) SETTINGS max_execution_time = 0", "EXEC_REFUSED_SETTINGS"),
    ("SELECT count() FROM numbers(10) SETTINGS `max_execution\\x5Ftime` = 0", "EXEC_REFUSED_SETTINGS"),
    ("SELECT * FROM (SELECT count() FROM numbers(10) SETTINGS max_result_rows = 0)", "EXEC_REFUSED_SETTINGS"),
    ("SELECT count() FROM numbers(10) SETTINGS readonly = 0", "EXEC_REFUSED_SETTINGS"),
    ("SELECT name FROM sec_fx.items SETTINGS max_threads = 1000", "EXEC_REFUSED_SETTINGS"),
    ("SELECT * FROM system.query_log", "EXEC_REFUSED_DATABASE"),
    ("SELECT * FROM `system`.`query_log`", "EXEC_REFUSED_DATABASE"),
    ("SELECT * FROM system.one", "EXEC_REFUSED_DATABASE"),
    ("SELECT query FROM system.processes", "EXEC_REFUSED_DATABASE"),
    ("SELECT * FROM demo_logs.query_log", "EXEC_REFUSED_DATABASE"),
    ("SELECT * FROM information_schema.tables", "EXEC_REFUSED_DATABASE"),
    ("SELECT 1 WHERE 1 IN system.one", "EXEC_REFUSED_DATABASE"),
    # resources
    ("SELECT range(50000000)", None),
    ("SELECT count() FROM numbers(100000) AS a CROSS JOIN numbers(1000000) AS b", "EXEC_TIMEOUT"),
    ("SELECT (SELECT count() FROM numbers(100000) AS a CROSS JOIN numbers(1000000) AS b)", "EXEC_TIMEOUT"),
    ("SELECT sum(number) FROM numbers(1000000000000)", "EXEC_TOO_MANY_ROWS"),
    ("SELECT * FROM numbers(10000000)", "EXEC_TOO_MANY_ROWS"),
    (LONG, None),
    (DEEP, None),
]

# Harmless to plan, so validate --engine (which only plans) may accept them: harmful only when run, a
# statement list (MULTI, split by the SQL check; only its query is planned), and a top-level SETTINGS
# clause (plans leave it out).
PLANS = {MULTI, *(sql for sql, code in CORPUS if code == "EXEC_REFUSED_SETTINGS" and not sql.startswith("SELECT * FROM (")),
         "SELECT sum(number) FROM numbers(1000000000000)", "SELECT range(50000000)", "SELECT * FROM numbers(10000000)",
         "SELECT count() FROM numbers(100000) AS a CROSS JOIN numbers(1000000) AS b", LONG}

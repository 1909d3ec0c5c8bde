"""What a BigQuery script carries from one statement to the next: ``DECLARE``/``SET`` variables and SQL
temporary functions (``CREATE TEMP FUNCTION``).

ClickHouse has neither across statements, so a declaration writes no ClickHouse statement of its own:
it is taken into a ``Script`` and written into each later statement of the same text that uses it (a
variable's value in place of each reference, a function's body at each call), with a note in the
change log. One ``Script`` spans the statements of one text (``transpile_text``, ``analyze``,
``to_clickhouse``); the statements are taken in order, so a ``SET`` changes what later statements see.

Only values known before the script runs are carried: constants (no column, no query, nothing that
changes between evaluations). ``SET`` from a query, JavaScript functions and table functions are
refused with the construct named.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

from sqlcurate.sql.dialects import family
from sqlcurate.sql.fixups import Untranspilable, substitute_parameters

# dialect families whose scripts this module reads; elsewhere a declaration is an ordinary statement
# (and fixups refuses DECLARE)
SCRIPT_FAMILIES = frozenset({"bigquery"})

# Values that differ from one evaluation to the next: BigQuery evaluates a DEFAULT once, an inlined
# copy would be evaluated once per use, so such values are refused.
_VOLATILE = (exp.Rand, exp.CurrentDate, exp.CurrentTimestamp, exp.CurrentDatetime, exp.CurrentTime, exp.Uuid)
_VOLATILE_CALLS = frozenset({"GENERATE_UUID", "SESSION_USER", "RAND"})


def _volatile(e: exp.Expression) -> bool:
    return any(isinstance(n, _VOLATILE) or (isinstance(n, exp.Anonymous) and n.name.upper() in _VOLATILE_CALLS)
               for n in e.walk())


def _typed(value: exp.Expression, kind: exp.DataType | None) -> exp.Expression:
    """``value`` as the declared type: BigQuery coerces a DEFAULT, a SET value and a function argument
    to it. A literal already of that type (a string for STRING, an integer for INT64) needs no cast."""
    if kind is None or kind.is_type(exp.DataType.Type.VARIANT):  # no type, or ANY TYPE
        return value
    if isinstance(value, exp.Literal) and (
            (value.is_string and kind.is_type(*exp.DataType.TEXT_TYPES)) or
            (value.is_int and kind.is_type(exp.DataType.Type.BIGINT))):
        return value
    return exp.Cast(this=value, to=kind.copy())


# values that stay one operand wherever they are written (anything else is parenthesized)
_ATOMS = (exp.Literal, exp.Null, exp.Boolean, exp.Cast, exp.Array, exp.Func, exp.Paren, exp.Tuple, exp.Column)


def _operand(value: exp.Expression) -> exp.Expression:
    # some operators are also Func nodes in sqlglot (written infix all the same): those get parentheses
    atomic = isinstance(value, exp.Paren) or (
        isinstance(value, _ATOMS) and not isinstance(value, (exp.Binary, exp.Unary, exp.Connector, exp.Predicate)))
    return value if atomic else exp.Paren(this=value)


@dataclass
class Variable:
    name: str  # as declared (ClickHouse names are case-sensitive; BigQuery's variables are not)
    kind: exp.DataType | None
    value: exp.Expression  # already of the declared type


@dataclass
class TempFunction:
    name: str
    params: list[tuple[str, exp.DataType | None]]
    body: exp.Expression  # calls of earlier temp functions already inlined
    returns: exp.DataType | None


@dataclass
class Script:
    """The variables and temporary functions declared so far in one text read as ``source``."""

    source: str
    variables: dict[str, Variable] = field(default_factory=dict)  # by lower-cased name
    functions: dict[str, TempFunction] = field(default_factory=dict)

    def take(self, tree: exp.Expression, notes: list[str]) -> bool:
        """True if ``tree`` is a declaration, now taken into the script (it writes no statement);
        Untranspilable if it is one whose value is not known before the script runs."""
        if family(self.source) not in SCRIPT_FAMILIES:
            return False
        declare = DECLARATIONS.get(type(tree))
        return declare is not None and declare(self, tree, notes)

    def expand(self, tree: exp.Expression, notes: list[str]) -> exp.Expression:
        """``tree`` with each call of a temporary function replaced by its body and each variable by
        its value; a note names each one used."""
        if not (self.variables or self.functions):
            return tree
        tree = self._inline_calls(tree, notes)
        return self._substitute_variables(tree, notes)

    # ------------------------------------------------------------ variables

    def _constant(self, value: exp.Expression, what: str) -> exp.Expression:
        value = self._substitute_variables(value.copy(), None)  # a DEFAULT may use earlier variables
        if value.find(exp.Column, exp.Query, exp.Subquery) is not None:
            raise Untranspilable(f"{what} from a column or a query (its value is only known when the script runs)")
        if _volatile(value):
            raise Untranspilable(f"{what} that changes between evaluations (random, current time)")
        return value

    def _declare(self, node: exp.Declare, notes: list[str]) -> bool:
        for item in node.expressions:
            kind, default = item.args.get("kind"), item.args.get("default")
            if default:
                value = _typed(self._constant(default, "DECLARE ... DEFAULT"), kind)
            elif kind is not None:  # no DEFAULT: the variable starts as NULL of its type
                value = exp.Cast(this=exp.Null(), to=kind.copy())
            else:
                raise Untranspilable("DECLARE without a type or a DEFAULT")
            for name in item.this:
                self.variables[name.name.lower()] = Variable(name.name, kind, value)
            names = ", ".join(n.name for n in item.this)
            notes.append(f"DECLARE {names}: no ClickHouse statement; the value is written into each later statement that uses it")
        return True

    def _set(self, node: exp.Set, notes: list[str]) -> bool:
        for item in node.expressions:
            assignment = item.this if isinstance(item, exp.SetItem) else None
            if not isinstance(assignment, exp.EQ) or not isinstance(assignment.this, exp.Column):
                raise Untranspilable("SET of several variables at once or of a system variable")
            name = assignment.this.name
            variable = self.variables.get(name.lower())
            if variable is None or assignment.this.table:
                raise Untranspilable(f"SET of {assignment.this.sql('bigquery')}, which no DECLARE before it names")
            value = self._constant(assignment.expression, f"SET {variable.name}")
            self.variables[name.lower()] = Variable(variable.name, variable.kind, _typed(value, variable.kind))
            notes.append(f"SET {variable.name}: no ClickHouse statement; the value is written into each later statement that uses it")
        return True

    def _substitute_variables(self, tree: exp.Expression, notes: list[str] | None) -> exp.Expression:
        uses = [(c, self.variables[c.name.lower()]) for c in tree.find_all(exp.Column)
                if not c.table and c.name.lower() in self.variables]
        used = {variable.name: variable for _, variable in uses}
        if notes is not None and used:
            _shadowing_alias(tree, used)
        for column, variable in uses:
            value = _operand(variable.value.copy())
            if column is tree:
                return value
            if isinstance(column.parent, exp.Select) and column.arg_key == "expressions":
                value = exp.alias_(value, variable.name)  # the output column keeps the variable's name
            column.replace(value)
        if notes is not None:
            notes.extend(f"variable {name} written as its value (BigQuery reads a column of the same name instead, "
                         f"if a table read has one)" for name in used)
        return tree

    # ------------------------------------------------------------ temporary functions

    def _create(self, node: exp.Create, notes: list[str]) -> bool:
        udf = node.this
        if (node.args.get("kind") or "").upper() != "FUNCTION" or not isinstance(udf, exp.UserDefinedFunction):
            return False
        properties = node.args.get("properties")
        props = properties.expressions if properties is not None else []
        if not any(isinstance(p, exp.TemporaryProperty) for p in props):
            return False  # a persistent function: an ordinary statement, not script state
        if any(isinstance(p, exp.LanguageProperty) for p in props):
            raise Untranspilable("CREATE TEMP FUNCTION in JavaScript (LANGUAGE js) has no ClickHouse form")
        returns = next((p for p in props if isinstance(p, exp.ReturnsProperty)), None)
        if returns is not None and returns.args.get("is_table"):
            raise Untranspilable("CREATE TEMP TABLE FUNCTION has no ClickHouse form")
        body = node.expression
        if not isinstance(body, exp.Expression) or isinstance(body, (exp.RawString, exp.Query)) or (
                isinstance(body, exp.Literal) and body.is_string):
            raise Untranspilable("CREATE TEMP FUNCTION whose body is not one SQL expression")
        name = udf.this.name  # udf.this: the function's name, parsed as a table name
        params = [(p.name, p.args.get("kind")) for p in udf.expressions]
        self.functions[name.lower()] = TempFunction(name, params, self._inline_calls(body.copy(), None),
                                                    returns.this if returns is not None else None)
        notes.append(f"CREATE TEMP FUNCTION {name}: no ClickHouse statement; its body is written at each call")
        return True

    def _inline_calls(self, tree: exp.Expression, notes: list[str] | None) -> exp.Expression:
        used: set[str] = set()
        # innermost calls first, so an argument that is itself a call is inlined before it is copied
        for call in reversed(list(tree.find_all(exp.Anonymous))):
            function = self.functions.get(call.name.lower())
            if function is None:
                continue
            used.add(function.name)
            inlined = self._body_at(function, call)
            if call is tree:
                return inlined
            call.replace(inlined)
        if notes is not None:
            notes.extend(f"temporary function {name} written as its body at each call" for name in sorted(used))
        return tree

    def _body_at(self, function: TempFunction, call: exp.Anonymous) -> exp.Expression:
        if len(call.expressions) != len(function.params):
            raise Untranspilable(f"{function.name} called with {len(call.expressions)} arguments, declared with {len(function.params)}")
        args = {name.lower(): _operand(_typed(arg, kind))
                for (name, kind), arg in zip(function.params, call.expressions, strict=True)}
        body = substitute_parameters(function.name, function.body, args, _volatile)
        return _operand(_typed(body, function.returns))


def _shadowing_alias(tree: exp.Expression, used: dict[str, Variable]) -> None:
    """A name the statement itself gives (a column alias, a CTE, a table alias) that is also a variable
    would be resolved by BigQuery to the alias in some clauses and the variable in others: refused."""
    lowered = {n.lower() for n in used}
    for node in tree.find_all(exp.Alias, exp.TableAlias, exp.CTE):
        alias = node.alias if not isinstance(node, exp.TableAlias) else node.name
        if alias and alias.lower() in lowered:
            raise Untranspilable(f"variable {alias} shares its name with an alias of the statement")


# statement node type -> how the script takes it (True: it was a declaration and writes no statement)
DECLARATIONS: dict[type[exp.Expression], Callable[[Script, exp.Expression, list[str]], bool]] = {
    exp.Declare: Script._declare,
    exp.Set: Script._set,
    exp.Create: Script._create,
}

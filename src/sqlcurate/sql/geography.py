"""BigQuery and Snowflake GEOGRAPHY in ClickHouse: the ST_* functions as tables of builders.

The source meaning kept: a GEOGRAPHY lives on a sphere of radius 6371008.8 m (S2 in both warehouses),
points are (longitude, latitude) in degrees, edges between vertices are geodesics (great-circle arcs),
distances and lengths are in metres and areas in square metres, and any NULL argument gives NULL.

What a GEOGRAPHY is in the ClickHouse output (its *kind*, kept on the built node's ``meta``):

- ``POINT``: a point built from two numbers (``ST_GEOGPOINT(lon, lat)``) stays the tuple ``(lon, lat)``
  (NULL parts allowed), so distances between such points are a plain haversine of the numbers.
- ``GEOMETRY``: anything read or computed is ClickHouse's ``Geometry`` (a Variant of Point, LineString,
  Polygon, MultiPolygon, ...), NULL for NULL; ClickHouse's ``*Spherical`` functions take it.
- A stored BigQuery GEOGRAPHY column is WKT text (``STORED_TYPE``, as BigQuery exports it and as the
  catalog's scratch tables declare it), read with ``readWKT``. In Snowflake the same ST_* names also
  take planar GEOMETRY, so a bare Snowflake column or string is refused: only values that are certainly
  GEOGRAPHY (``TO_GEOGRAPHY``, ``ST_GEOGFROMWKB``, ``ST_POINT``, or a name bound to one of them in the
  statement) are written.

ClickHouse's own radius-based helpers are not used where they differ: ``greatCircleDistance`` is a
Float32 on a 6371000 m sphere, ``geoDistance`` is on the WGS84 ellipsoid, ``wkt()`` rounds coordinates
to 6 significant digits, and ``areaSpherical`` signs a ring's area by its orientation (the source takes
the smaller region whatever the orientation), so areas are summed ring by ring. ``pointInPolygon`` is
planar (straight lines in degrees between vertices) and is not used: point-in-polygon tests go through
``geometryIntersectSpherical``, whose edges are great-circle arcs.

Known gaps (see docs/transpile.md): ``ST_INTERSECTION`` and ``ST_UNION_AGG`` take polygons only and
raise on points and lines, ``ST_CENTROID`` raises on lines and multipoints; readers raise on malformed
input; polygons with a vertex on a pole are not handled reliably by ClickHouse's overlays; a GEOGRAPHY
in a result prints as ClickHouse's tuples and arrays rather than WKT/GeoJSON.

Each entry has an engine test in ``tests/sql/test_geography.py`` against values computed there from
first principles (haversine, cross-track distance, spherical excess, centre of mass, boundary cases).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

from sqlglot import exp

if TYPE_CHECKING:
    from sqlcurate.sql.fixups import Context

EARTH_RADIUS_M = 6371008.8  # the sphere of BigQuery's and Snowflake's GEOGRAPHY (S2's mean radius)
STORED_TYPE = "String"  # a stored GEOGRAPHY column in ClickHouse: its WKT text
DIALECTS = frozenset({"bigquery", "snowflake"})  # families whose ST_* functions are spherical GEOGRAPHY

POINT, GEOMETRY, STORED = "point", "geometry", "stored"
_KIND = "geography"  # the meta key our built nodes carry their kind under


def _refuse(message: str) -> NoReturn:
    from sqlcurate.sql.fixups import Untranspilable  # fixups imports this module: the error is looked up late

    raise Untranspilable(message)


# ---------------------------------------------------------------- small ClickHouse builders

def _call(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _num(value: float | int) -> exp.Expression:
    return exp.Literal.number(value)


def _lambda(body: exp.Expression, *names: str) -> exp.Expression:
    return exp.Lambda(this=body, expressions=[exp.to_identifier(n) for n in names])


def _cast(value: exp.Expression, to: str) -> exp.Expression:
    """CAST to a ClickHouse geo type, spelled as ClickHouse does (the names are case-sensitive)."""
    return exp.Cast(this=value, to=exp.DataType(this=exp.DataType.Type.USERDEFINED, kind=to, nullable=False))


_NULL_PARTS = "null_parts"  # meta key: the values whose NULL makes a built geography NULL
_SHARED_NAMES = "geography_names"  # meta key on a statement's root: shared operand text -> its alias


def _null_unless(parts: list[exp.Expression], value: exp.Expression) -> exp.Expression:
    """``value`` where every part is non-NULL, else NULL (the source's rule for every ST_* function).
    A part that is itself such a guard is tested by its own parts (one isNull per source value)."""
    sources = [s for p in parts for s in p.meta.get(_NULL_PARTS, [p]) if not isinstance(s, exp.Literal)]
    if not sources:  # constants: never NULL
        return value
    test = exp.or_(*[_call("isNull", s.copy()) for s in sources])
    guarded = _call("if", test, exp.Null(), value)
    guarded.meta[_NULL_PARTS] = [s.copy() for s in sources]
    return guarded


def _kinded(node: exp.Expression, kind: str) -> exp.Expression:
    node.meta[_KIND] = kind
    return node


class _Shared:
    """A builder's operands that it uses several times, written once: the first use becomes
    ``(expr AS geo_N)`` and the others name it (ClickHouse aliases are visible across their whole query
    level, before and after the definition). N counts the statement's distinct shared operands, kept on
    the statement's root: the same operand in two builders gets the same name (an alias defined twice
    with one expression is allowed), and queries that differ only in constants get the same names."""

    def __init__(self, node: exp.Expression) -> None:
        self.names: dict[str, str] = node.root().meta.setdefault(_SHARED_NAMES, {})
        self.defined: dict[str, exp.Expression] = {}

    def __call__(self, value: exp.Expression) -> exp.Expression:
        if isinstance(value, (exp.Column, exp.Literal)):
            return value
        name = self.names.setdefault(value.sql("clickhouse"), f"geo_{len(self.names) + 1}")
        self.defined[name] = value
        ref = exp.column(name)
        ref.meta[_NULL_PARTS] = value.meta.get(_NULL_PARTS, [exp.column(name)])
        return ref

    def define(self, out: exp.Expression) -> exp.Expression:
        # the latest first: an operand shared later may be built from earlier ones (and name them)
        for name, value in reversed(self.defined.items()):
            first = next(c for c in out.walk(bfs=False) if isinstance(c, exp.Column) and c.name == name and not c.table)
            definition = exp.Paren(this=exp.Alias(this=value, alias=exp.to_identifier(name)))
            if first is out:
                return definition
            first.replace(definition)
        return out


def _central_angle(lon1: exp.Expression, lat1: exp.Expression, lon2: exp.Expression, lat2: exp.Expression) -> exp.Expression:
    """The haversine formula in radians on the unit sphere (Float64 throughout; ``min2`` keeps rounding
    from pushing asin's argument past 1 for antipodal points, and unlike ``least`` it keeps a NULL)."""
    def half_sin_sq(a: exp.Expression, b: exp.Expression) -> exp.Expression:
        half = exp.Div(this=_call("radians", exp.Paren(this=exp.Sub(this=b.copy(), expression=a.copy()))), expression=_num(2))
        return _call("pow", _call("sin", half), _num(2))
    cosines = exp.Mul(this=exp.Mul(this=_call("cos", _call("radians", lat1.copy())), expression=_call("cos", _call("radians", lat2.copy()))),
                      expression=half_sin_sq(lon1, lon2))
    inner = _call("min2", _num(1), _call("sqrt", exp.Add(this=half_sin_sq(lat1, lat2), expression=cosines)))
    return exp.Mul(this=_num(2), expression=_call("asin", inner))


def _metres(angle: exp.Expression) -> exp.Expression:
    return exp.Mul(this=_num(EARTH_RADIUS_M), expression=angle)


# ---------------------------------------------------------------- kinds of arguments

# functions whose value is their first argument's value (a window over a geography column stays one)
_PASS_THROUGH = (exp.Window, exp.Paren, exp.Lag, exp.Lead, exp.FirstValue, exp.LastValue, exp.AnyValue)


def _bound_kinds(node: exp.Expression) -> dict[str, str]:
    """Names bound in the statement to a geography we build (``ST_GEOGPOINT(x, y) AS geom``), upper-cased,
    with their kind. Projections are rewritten children-first, so a binding may be seen before or after
    its own rewrite: both forms are recognised."""
    aliases = list(node.root().find_all(exp.Alias))
    bound: dict[str, str] = {}
    for _ in range(3):  # a name bound to a name bound to a call (``geom AS g``) takes a second pass
        found = {a.alias.upper(): kind for a in aliases if (kind := _kind_of(a.this, bound)) != STORED}
        if found == bound:
            break
        bound = found
    return bound


def _kind_of(e: exp.Expression, bound: dict[str, str]) -> str:
    if _KIND in e.meta:
        return e.meta[_KIND]
    if isinstance(e, _PASS_THROUGH):
        return _kind_of(e.this, bound)
    if isinstance(e, exp.Anonymous) and e.name == "toNullable" and e.expressions:  # LAG's NULL for no row (fixups)
        return _kind_of(e.expressions[0], bound)
    if isinstance(e, exp.Column):  # by name: a stored column of a bound name's spelling gets a type error
        return bound.get(e.name.upper(), STORED)
    if isinstance(e, exp.StPoint):
        return POINT
    if isinstance(e, exp.Case):  # one kind for every branch, or unknown
        kinds = {_kind_of(v, bound) for v in [*(i.args["true"] for i in e.args.get("ifs") or []), e.args.get("default")] if v}
        return kinds.pop() if len(kinds) == 1 else STORED
    if isinstance(e, exp.Cast) and e.to.is_type(exp.DataType.Type.GEOGRAPHY):
        return GEOMETRY
    if isinstance(e, exp.Anonymous):
        if e.name.upper() in REFUSED:  # name the real obstacle, not the argument it leaves unknown
            _refuse(f"{e.name.upper()}: {REFUSED[e.name.upper()]}")
        return _SOURCE_KINDS.get(e.name.upper(), STORED)
    return STORED


def _not_null(e: exp.Expression) -> exp.Expression:
    """``e`` as its non-Nullable type (the caller guards NULL); constants already are."""
    return e.copy() if isinstance(e, exp.Literal) else _call("assumeNotNull", e.copy())


def _point_parts(e: exp.Expression) -> list[exp.Expression]:
    if isinstance(e, exp.Tuple) and e.meta.get(_KIND) == POINT:
        return list(e.expressions)
    return [_call("tupleElement", e.copy(), _num(1)), _call("tupleElement", e.copy(), _num(2))]


class _Arg:
    """One geography argument, already rewritten, with its kind."""

    def __init__(self, e: exp.Expression, ctx: Context, bound: dict[str, str]):
        self.expr, self.kind = e, _kind_of(e, bound)
        if self.kind == STORED and ctx.family == "snowflake":
            _refuse(
                f"Snowflake ST_* argument {e.sql('snowflake')} may be GEOMETRY (planar) or GEOGRAPHY; "
                "only TO_GEOGRAPHY / ST_GEOGFROMWKB / ST_POINT values are written")

    def geometry(self) -> exp.Expression:
        """The argument as a ClickHouse Geometry (NULL for NULL)."""
        if self.kind == GEOMETRY:
            return self.expr.copy()
        if self.kind == POINT:
            lon, lat = _point_parts(self.expr)
            point = exp.Tuple(expressions=[_not_null(lon), _not_null(lat)])
            return _null_unless([lon, lat], _cast(_cast(point, "Point"), "Geometry"))
        return _read(self.expr, "readWKT")


def _args(node: exp.Expression, ctx: Context, count: int) -> list[_Arg]:
    values = _arguments(node)
    if len(values) != count:
        _refuse(f"{_name(node)} with {len(values)} arguments (only the {count}-argument form is written)")
    bound = _bound_kinds(node)
    return [_Arg(v, ctx, bound) for v in values]


def _arguments(node: exp.Expression) -> list[exp.Expression]:
    if isinstance(node, exp.Anonymous):
        return list(node.expressions)
    if isinstance(node, exp.StDistance) and node.args.get("use_spheroid") is not None:
        _refuse("ST_DISTANCE(..., use_spheroid): the WGS84 spheroid has no ClickHouse form here")
    if isinstance(node, exp.StPoint) and (node.args.get("z") is not None or node.args.get("m") is not None):
        _refuse("ST_POINT with z or m coordinates")
    return [node.this, node.expression]


def _name(node: exp.Expression) -> str:
    return node.name.upper() if isinstance(node, exp.Anonymous) else {exp.StDistance: "ST_DISTANCE", exp.StPoint: "ST_POINT"}[type(node)]


def _read(value: exp.Expression, reader: str) -> exp.Expression:
    """``readWKT`` / ``readWKB`` of a column: the readers raise on NULL, so NULL is kept by hand."""
    if isinstance(value, exp.Literal):
        return _call(reader, value.copy())
    return _null_unless([value], _call(reader, _call("assumeNotNull", value.copy())))


# ---------------------------------------------------------------- constructors

def _point(node: exp.Expression, ctx: Context) -> exp.Expression:
    """ST_GEOGPOINT / ST_POINT(lon, lat). Not checked here: BigQuery raises for a latitude beyond ±90."""
    values = _arguments(node)
    if len(values) != 2:
        _refuse(f"{_name(node)} with {len(values)} arguments")
    lon, lat = values
    return _kinded(exp.Tuple(expressions=[lon.copy(), lat.copy()]), POINT)


def _from_wkb(node: exp.Expression, ctx: Context) -> exp.Expression:
    """ST_GEOGFROMWKB(bytes): the BYTES/BINARY form (a hex string would fail loudly in readWKB)."""
    if len(node.expressions) != 1:
        _refuse(f"{node.name.upper()} with options (oriented, planar, make_valid, allow_invalid)")
    return _kinded(_read(node.expressions[0], "readWKB"), GEOMETRY)


def _from_text(node: exp.Expression, ctx: Context) -> exp.Expression:
    if len(node.expressions) != 1:
        _refuse(f"{node.name.upper()} with options (oriented, planar, make_valid, allow_invalid)")
    return _kinded(_read(node.expressions[0], "readWKT"), GEOMETRY)


def cast_to_geography(node: exp.Cast, ctx: Context) -> exp.Expression:
    """Snowflake TO_GEOGRAPHY(x) / CAST(x AS GEOGRAPHY): x is WKB bytes (BINARY) or WKT text; WKB starts
    with its byte-order byte (0 or 1), WKT with a letter. GeoJSON and hex text fail loudly in readWKT."""
    value = node.this
    if isinstance(value, exp.Literal) and value.is_string:
        return _kinded(_call("readWKT", value.copy()), GEOMETRY)
    is_wkb = exp.LT(this=_call("ascii", value.copy()), expression=_num(2))
    both = _call("if", is_wkb, _call("readWKB", _call("assumeNotNull", value.copy())),
                 _call("readWKT", _call("assumeNotNull", value.copy())))
    return _kinded(_null_unless([value], both), GEOMETRY)


# GeoJSON geometry type -> (ClickHouse type, nesting depth of its coordinate arrays above one position)
GEOJSON_TYPES: dict[str, tuple[str, int]] = {
    "Point": ("Point", 0), "MultiPoint": ("MultiPoint", 1), "LineString": ("LineString", 1),
    "MultiLineString": ("MultiLineString", 2), "Polygon": ("Polygon", 2), "MultiPolygon": ("MultiPolygon", 3),
}
# WKT that readWKT can take: a geometry keyword and a body of numbers, blanks, commas and parentheses
_WKT_SHAPE = r"^\s*(?i:POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON)\s*\([-+0-9.eE,()\s]*\)\s*$"


def _numbers_at(value: exp.Expression, depth: int) -> exp.Expression:
    """Every position of the GeoJSON coordinates ``value`` (arrays of Nullable(Float64), nested
    ``depth`` deep) has two or more numbers: a string or a missing number would read as 0."""
    if depth == 0:
        return exp.and_(exp.GTE(this=_call("length", value.copy()), expression=_num(2)),
                        exp.Not(this=_call("has", value.copy(), exp.Null())))
    name = f"c{depth}"
    return _call("arrayAll", _lambda(_numbers_at(exp.column(name), depth - 1), name), value)


def _per_row(value: exp.Expression) -> exp.Expression:
    """A constant made a column: ClickHouse folds a constant multiIf by evaluating every branch (so a
    reader raises on input another branch was meant for); over a column each row takes one branch."""
    return value if value.find(exp.Column) else _call("materialize", value.copy())


def _geojson_branches(text: exp.Expression) -> list[exp.Expression]:
    """multiIf branches reading GeoJSON geometry ``text`` with JSONExtract into the geo types, each taken
    only where the type matches and every coordinate is a number (JSONExtract would read a string as 0)."""
    kind = _call("JSONExtractString", text.copy(), exp.Literal.string("type"))
    branches: list[exp.Expression] = []
    for name, (clickhouse_type, depth) in GEOJSON_TYPES.items():
        numbers = f"{'Array(' * (depth + 1)}Nullable(Float64){')' * (depth + 1)}"
        coordinates = _call("JSONExtract", text.copy(), exp.Literal.string("coordinates"), exp.Literal.string(numbers))
        branches.append(exp.and_(exp.EQ(this=kind.copy(), expression=exp.Literal.string(name)), _numbers_at(coordinates, depth)))
        value = _call("JSONExtract", text.copy(), exp.Literal.string("coordinates"), exp.Literal.string(clickhouse_type))
        branches.append(_cast(value, "Geometry"))
    return branches


def _from_geojson(node: exp.Expression, ctx: Context) -> exp.Expression:
    """BigQuery ST_GEOGFROMGEOJSON(s): GeoJSON geometries; anything else falls to readWKT, which raises
    on it, as BigQuery does."""
    if len(node.expressions) != 1:
        _refuse("ST_GEOGFROMGEOJSON with make_valid")
    s = _per_row(node.expressions[0])
    text = _call("assumeNotNull", s.copy())  # under the NULL guard; JSONExtract has no Nullable(Array)
    return _kinded(_null_unless([s], _call("multiIf", *_geojson_branches(text), _call("readWKT", text.copy()))), GEOMETRY)


def _try_to_geography(node: exp.Expression, ctx: Context) -> exp.Expression:
    """Snowflake TRY_TO_GEOGRAPHY(s): GeoJSON, WKT text or WKB bytes, NULL where s is none of them.
    GeoJSON geometries as ``_geojson_branches`` reads them (an unknown type, a non-number coordinate or
    bad JSON: NULL); text shaped like WKT goes to readWKT and bytes to readWKB, which raise on the rare
    input that has the shape but not the grammar (unbalanced parentheses, an odd count of numbers): a
    loud error where Snowflake gives NULL, never a wrong value."""
    if len(node.expressions) != 1:
        _refuse("TRY_TO_GEOGRAPHY with allow_invalid")
    s = _per_row(node.expressions[0])
    text = _call("assumeNotNull", s.copy())  # under the NULL guard; JSONExtract has no Nullable(Array)
    branches = _geojson_branches(text) + [
        exp.LT(this=_call("ascii", s.copy()), expression=_num(2)), _call("readWKB", text),
        _call("match", s.copy(), exp.Literal.string(_WKT_SHAPE)), _call("readWKT", text.copy()), exp.Null()]
    read = _null_unless([s], _call("multiIf", *branches))
    del read.meta[_NULL_PARTS]  # NULL also where s is no geography, not only where s is NULL
    return _kinded(read, GEOMETRY)


# ---------------------------------------------------------------- measures

def _distance_of(a: _Arg, b: _Arg) -> exp.Expression:
    if a.kind == POINT and b.kind == POINT:
        (lon1, lat1), (lon2, lat2) = _point_parts(a.expr), _point_parts(b.expr)
        return _metres(_central_angle(lon1, lat1, lon2, lat2))
    shared = _Shared(a.expr)
    areal_a, areal_b = (_point_ring(x) if x.kind == POINT else shared(_areal(shared(x.geometry()))) for x in (a, b))
    nulls = [_point_guard(x) if x.kind == POINT else x.geometry() for x in (a, b)]
    # an empty geography (an intersection of disjoint polygons) has no distance: NULL, as in the source
    empty = [_call("empty", x.copy()) for x, arg in ((areal_a, a), (areal_b, b)) if arg.kind != POINT]
    angle = _metres(_call("polygonsDistanceSpherical", areal_a, areal_b))
    return shared.define(_null_unless(nulls, _call("if", exp.or_(*empty), exp.Null(), angle) if empty else angle))


def _point_guard(a: _Arg) -> exp.Expression:
    """A stand-in whose NULL parts are a point's coordinates (for ``_null_unless``)."""
    marker = exp.Null()
    marker.meta[_NULL_PARTS] = _point_parts(a.expr)
    return marker


def _point_ring(a: _Arg) -> exp.Expression:
    """A point as the MultiPolygon polygonsDistanceSpherical takes: one ring that stays on it."""
    lon, lat = _point_parts(a.expr)
    point = exp.Tuple(expressions=[_not_null(lon), _not_null(lat)])
    ring = exp.Array(expressions=[point.copy() for _ in range(4)])
    return _cast(exp.Array(expressions=[exp.Array(expressions=[ring])]), "MultiPolygon")


def _areal(g: exp.Expression) -> exp.Expression:
    """``g`` as a MultiPolygon with the same points, for polygonsDistanceSpherical (which takes polygons
    only): a point is a ring that stays on it, a line a ring that runs along it and back (no area)."""
    def part(kind: str) -> exp.Expression:
        return _call("variantElement", g.copy(), exp.Literal.string(kind))

    def is_(kind: str) -> exp.Expression:
        return exp.EQ(this=_call("variantType", g.copy()), expression=exp.Literal.string(kind))

    def still(p: exp.Expression) -> exp.Expression:  # [p, p, p, p]: the smallest closed ring
        return exp.Array(expressions=[p.copy() for _ in range(4)])

    def there_and_back(line: exp.Expression) -> exp.Expression:
        return _call("arrayConcat", line.copy(), _call("arrayReverse", line.copy()))

    point = _call("assumeNotNull", part("Point"))
    branches = [
        is_("Polygon"), exp.Array(expressions=[part("Polygon")]),
        is_("MultiPolygon"), part("MultiPolygon"),
        is_("Point"), exp.Array(expressions=[exp.Array(expressions=[still(point)])]),
        is_("MultiPoint"), _call("arrayMap", _lambda(exp.Array(expressions=[still(exp.column("p"))]), "p"), part("MultiPoint")),
        is_("LineString"), exp.Array(expressions=[exp.Array(expressions=[there_and_back(part("LineString"))])]),
        is_("MultiLineString"), _call("arrayMap", _lambda(exp.Array(expressions=[there_and_back(exp.column("l"))]), "l"),
                                      part("MultiLineString")),
        is_("Ring"), exp.Array(expressions=[exp.Array(expressions=[part("Ring")])]),
    ]
    return _cast(_call("multiIf", *branches, exp.Array(expressions=[])), "MultiPolygon")


def _distance(node: exp.Expression, ctx: Context) -> exp.Expression:
    """ST_DISTANCE(a, b) in metres: between two points the haversine distance; otherwise the shortest
    great-circle distance between the two point sets (0 where they meet)."""
    a, b = _args(node, ctx, 2)
    return _distance_of(a, b)


def _dwithin(node: exp.Expression, ctx: Context) -> exp.Expression:
    """ST_DWITHIN(a, b, d): distance <= d; at d = 0 that is exactly ST_INTERSECTS."""
    values = _arguments(node)
    if len(values) != 3:
        _refuse("ST_DWITHIN with use_spheroid (the WGS84 spheroid has no ClickHouse form here)")
    limit = values[2]
    bound = _bound_kinds(node)
    a, b = _Arg(values[0], ctx, bound), _Arg(values[1], ctx, bound)
    if isinstance(limit, exp.Literal) and limit.is_number and float(limit.name) == 0:
        return _call("geometryIntersectSpherical", a.geometry(), b.geometry())
    return exp.LTE(this=_distance_of(a, b), expression=limit.copy())


def _rings_area(polygon: exp.Expression) -> exp.Expression:
    """A polygon's area on the unit sphere: its outer ring less its holes, each ring's area taken
    without sign (areaSpherical signs it by orientation; the source takes the smaller region)."""
    sign = _call("if", exp.EQ(this=exp.column("i"), expression=_num(1)), _num(1), _num(-1))
    ring = exp.Mul(this=sign, expression=_call("abs", _call("areaSpherical", exp.column("r"))))
    return _call("arraySum", _lambda(ring, "r", "i"), polygon, _call("arrayEnumerate", polygon.copy()))


def _over_parts(g: exp.Expression, single: str, multi: str,
                measure: Callable[[exp.Expression], exp.Expression]) -> exp.Expression:
    """``measure`` of g as a ``single`` shape plus the sum of ``measure`` over its parts as a ``multi``
    shape: variantElement gives an empty value for the kind g is not, so one of the two terms is 0."""
    return exp.Add(this=measure(_call("variantElement", g.copy(), exp.Literal.string(single))),
                   expression=_call("arraySum", _lambda(measure(exp.column("part")), "part"),
                                    _call("variantElement", g.copy(), exp.Literal.string(multi))))


def _area(node: exp.Expression, ctx: Context) -> exp.Expression:
    """ST_AREA(g) in square metres: polygons' areas on the sphere times R²; points and lines have none."""
    (a,) = _args(node, ctx, 1)
    shared = _Shared(node)
    g = shared(a.geometry())
    polygons = _over_parts(g, "Polygon", "MultiPolygon", _rings_area)
    r2 = _num(EARTH_RADIUS_M * EARTH_RADIUS_M)
    return shared.define(_null_unless([g], exp.Mul(this=r2, expression=exp.Paren(this=polygons))))


def _line_angle(line: exp.Expression) -> exp.Expression:
    """A line's length on the unit sphere: the sum of its segments' great-circle angles."""
    def coord(p: str, i: int) -> exp.Expression:
        return _call("tupleElement", exp.column(p), _num(i))
    segment = _central_angle(coord("a", 1), coord("a", 2), coord("b", 1), coord("b", 2))
    return _call("arraySum", _lambda(segment, "a", "b"), _call("arrayPopBack", line), _call("arrayPopFront", line.copy()))


def _length(node: exp.Expression, ctx: Context) -> exp.Expression:
    """ST_LENGTH(g) in metres: the lines' lengths; points and polygons have none (0), as in the source."""
    (a,) = _args(node, ctx, 1)
    shared = _Shared(node)
    g = shared(a.geometry())
    lines = _over_parts(g, "LineString", "MultiLineString", _line_angle)
    return shared.define(_null_unless([g], _metres(exp.Paren(this=lines))))


# ---------------------------------------------------------------- predicates and overlays

def _intersects(node: exp.Expression, ctx: Context) -> exp.Expression:
    a, b = _args(node, ctx, 2)
    return _call("geometryIntersectSpherical", a.geometry(), b.geometry())


def _boundary(g: exp.Expression) -> exp.Expression:
    """The rings of g's polygons as one MultiLineString (empty for points and lines)."""
    polygon = _cast(_call("variantElement", g.copy(), exp.Literal.string("Polygon")), "MultiLineString")
    multi = _call("arrayReduce", exp.Literal.string("groupArrayArray"), _call("variantElement", g.copy(), exp.Literal.string("MultiPolygon")))
    return _call("arrayConcat", polygon, multi)


def _within_of(inner: _Arg, outer: _Arg) -> exp.Expression:
    """``inner`` within ``outer`` (OGC, as BigQuery and Snowflake): no point of inner outside outer and the
    interiors meet, so a point on a polygon's edge is not within it. For a point: it meets the polygon
    and not its boundary rings. Otherwise polygonsWithinSpherical (polygons only; lines raise).
    Known gap: a point at an end of a line counts as within the line here (the source says no)."""
    shared = _Shared(inner.expr)
    gi, go = shared(inner.geometry()), shared(outer.geometry())
    point_within = exp.and_(_call("geometryIntersectSpherical", gi.copy(), go.copy()),
                            exp.Not(this=_call("geometryIntersectSpherical", gi.copy(), _boundary(go))))
    if inner.kind == POINT:
        return shared.define(point_within)
    is_point = exp.EQ(this=_call("variantType", gi.copy()), expression=exp.Literal.string("Point"))
    return shared.define(_call("if", is_point, point_within, _call("polygonsWithinSpherical", gi, go)))


def _within(node: exp.Expression, ctx: Context) -> exp.Expression:
    a, b = _args(node, ctx, 2)
    return exp.Paren(this=_within_of(a, b))


def _contains(node: exp.Expression, ctx: Context) -> exp.Expression:
    a, b = _args(node, ctx, 2)
    return exp.Paren(this=_within_of(b, a))


def _intersection(node: exp.Expression, ctx: Context) -> exp.Expression:
    """ST_INTERSECTION of two (multi)polygons, edges as great-circle arcs (points and lines raise)."""
    a, b = _args(node, ctx, 2)
    ga, gb = a.geometry(), b.geometry()
    overlap = _cast(_call("polygonsIntersectionSpherical", ga, gb), "Geometry")
    return _kinded(_null_unless([ga, gb], overlap), GEOMETRY)


def _union_agg(node: exp.Expression, ctx: Context) -> exp.Expression:
    """ST_UNION_AGG(g): the union of a group's (multi)polygons, folded pairwise with great-circle edges;
    NULLs are skipped and a group without any is NULL. Points and lines raise (polygonsUnionSpherical)."""
    (a,) = _args(node, ctx, 1)
    shared = _Shared(node)
    g = shared(a.geometry())
    present = exp.Not(this=_call("isNull", g.copy()))
    union = _lambda(_call("polygonsUnionSpherical", exp.column("acc"), exp.column("x")), "acc", "x")
    folded = _call("arrayFold", union, _call("groupArrayIf", g.copy(), present.copy()), _cast(exp.Array(expressions=[]), "MultiPolygon"))
    none = exp.EQ(this=_call("countIf", present), expression=_num(0))
    return _kinded(shared.define(_call("if", none, exp.Null(), _cast(folded, "Geometry"))), GEOMETRY)


def _at(array: exp.Expression, i: int) -> exp.Expression:
    return exp.Bracket(this=array.copy(), expressions=[_num(i)], offset=1)  # 1-based, as written


def _bind(value: exp.Expression, name: str, body: exp.Expression) -> exp.Expression:
    """``body`` with ``name`` standing for ``value`` (a one-element arrayMap: the value is computed once)."""
    return exp.Bracket(this=_call("arrayMap", _lambda(body, name), exp.Array(expressions=[value])), expressions=[_num(1)], offset=1)


def _unit_vector(p: exp.Expression) -> exp.Expression:
    """A (lon, lat) point as [x, y, z] on the unit sphere."""
    lon, lat = (_call("radians", _call("tupleElement", p.copy(), _num(i))) for i in (1, 2))
    return exp.Array(expressions=[exp.Mul(this=_call("cos", lat.copy()), expression=_call("cos", lon.copy())),
                                  exp.Mul(this=_call("cos", lat.copy()), expression=_call("sin", lon)), _call("sin", lat)])


def _ring_moment(ring: exp.Expression) -> exp.Expression:
    """Twice the integral of the position vector over the region a ring (as unit vectors) encloses: the
    sum over its edges A->B of the arc angle times the unit normal A×B/|A×B| (the divergence theorem on
    the sphere), turned to point into the region (towards the sum of its vertices: the smaller one)."""
    a, b, n = exp.column("A"), exp.column("B"), exp.column("n")
    cross = exp.Array(expressions=[exp.Sub(this=exp.Mul(this=_at(a, j), expression=_at(b, k)), expression=exp.Mul(this=_at(a, k), expression=_at(b, j)))
                                   for j, k in ((2, 3), (3, 1), (1, 2))])
    norm = _call("L2Norm", n.copy())
    scale = _call("if", exp.EQ(this=norm.copy(), expression=_num(0)), _num(0),
                  exp.Div(this=_call("atan2", norm.copy(), _call("arrayDotProduct", a.copy(), b.copy())), expression=norm.copy()))
    edge = _bind(cross, "n", _call("arrayMap", _lambda(exp.Mul(this=exp.column("c"), expression=scale), "c"), n.copy()))
    moment = _call("arrayReduce", exp.Literal.string("sumForEach"),
                   _call("arrayMap", _lambda(edge, "A", "B"), _call("arrayPopBack", ring.copy()), _call("arrayPopFront", ring.copy())))
    towards = _call("sign", _call("arrayDotProduct", exp.column("m"), _call("arrayReduce", exp.Literal.string("sumForEach"), ring.copy())))
    return _bind(moment, "m", _call("arrayMap", _lambda(exp.Mul(this=exp.column("c"), expression=towards), "c"), exp.column("m")))


def _polygon_moment(polygon: exp.Expression) -> exp.Expression:
    """A polygon's moment: its outer ring's less its holes'."""
    rings = _call("arrayMap", _lambda(_call("arrayMap", _lambda(_unit_vector(exp.column("p")), "p"), exp.column("r")), "r"), polygon)
    sign = _call("if", exp.EQ(this=exp.column("i"), expression=_num(1)), _num(1), _num(-1))
    signed = _call("arrayMap", _lambda(exp.Mul(this=exp.column("c"), expression=sign), "c"), _ring_moment(exp.column("U")))
    return _call("arrayReduce", exp.Literal.string("sumForEach"),
                 _call("arrayMap", _lambda(signed, "U", "i"), rings, _call("arrayEnumerate", rings.copy())))


def _centroid(node: exp.Expression, ctx: Context) -> exp.Expression:
    """ST_CENTROID(g): a point is its own centroid; (multi)polygons have their centre of mass on the
    sphere, the direction of the integral of the position vector over the area (S2's true centroid:
    Snowflake's documented POLYGON((10 10, 10 20, 20 20, 20 10, 10 10)) -> (15, 15.0148198554385) is
    reproduced). Lines and multipoints raise (no centroid of theirs is written)."""
    (a,) = _args(node, ctx, 1)
    shared = _Shared(node)
    g = shared(a.geometry())
    kind = _call("variantType", g.copy())
    moments = _call("arrayConcat", exp.Array(expressions=[_polygon_moment(_call("variantElement", g.copy(), exp.Literal.string("Polygon")))]),
                    _call("arrayMap", _lambda(_polygon_moment(exp.column("q")), "q"), _call("variantElement", g.copy(), exp.Literal.string("MultiPolygon"))))
    t = exp.column("T")
    lon = _call("degrees", _call("atan2", _at(t, 2), _at(t, 1)))
    lat = _call("degrees", _call("atan2", _at(t, 3), _call("sqrt", exp.Add(this=exp.Mul(this=_at(t, 1), expression=_at(t, 1)),
                                                                             expression=exp.Mul(this=_at(t, 2), expression=_at(t, 2))))))
    centre = _bind(_call("arrayReduce", exp.Literal.string("sumForEach"), moments), "T",
                   _cast(_cast(exp.Tuple(expressions=[lon, lat]), "Point"), "Geometry"))
    areal = exp.In(this=kind.copy(), expressions=[exp.Literal.string("Polygon"), exp.Literal.string("MultiPolygon")])
    unwritten = exp.and_(exp.Not(this=_call("isNull", g.copy())), exp.NEQ(this=kind.copy(), expression=exp.Literal.string("Point")),
                         exp.Not(this=areal.copy()))
    checked = exp.EQ(this=_call("throwIf", unwritten, exp.Literal.string("ST_CENTROID of a line or multipoint is not written")),
                     expression=_num(0))
    value = _call("multiIf", exp.EQ(this=kind, expression=exp.Literal.string("Point")), g.copy(), areal, centre, exp.Null())
    return _kinded(shared.define(_call("if", checked, value, exp.Null())), GEOMETRY)


def _coordinate(index: int) -> Callable[[exp.Expression, Context], exp.Expression]:
    def build(node: exp.Expression, ctx: Context) -> exp.Expression:
        (a,) = _args(node, ctx, 1)
        if a.kind == POINT:
            return _point_parts(a.expr)[index - 1].copy()
        ctx.notes.append(f"{_name(node)} of a geography that is not a point is NULL here (an error in {ctx.source})")
        return _call("tupleElement", _call("variantElement", a.geometry(), exp.Literal.string("Point")), _num(index))
    return build


# ---------------------------------------------------------------- the tables

# upper-cased source function name -> builder of its ClickHouse form
CALLS: dict[str, Callable[[exp.Expression, Context], exp.Expression]] = {
    "ST_GEOGPOINT": _point, "ST_POINT": _point, "ST_MAKEPOINT": _point,
    "ST_GEOGFROMWKB": _from_wkb, "ST_GEOGRAPHYFROMWKB": _from_wkb,
    "ST_GEOGFROMTEXT": _from_text, "ST_GEOGRAPHYFROMTEXT": _from_text, "ST_GEOGRAPHYFROMWKT": _from_text,
    "ST_GEOGFROMGEOJSON": _from_geojson,
    "ST_DISTANCE": _distance, "ST_DWITHIN": _dwithin, "ST_AREA": _area, "ST_LENGTH": _length,
    "ST_INTERSECTS": _intersects, "ST_WITHIN": _within, "ST_CONTAINS": _contains, "ST_INTERSECTION": _intersection,
    "ST_X": _coordinate(1), "ST_Y": _coordinate(2), "ST_UNION_AGG": _union_agg, "TRY_TO_GEOGRAPHY": _try_to_geography,
    "ST_CENTROID": _centroid,
}

# the kind each constructor builds (read before its own rewrite, by ``_bound_kinds``)
_SOURCE_KINDS: dict[str, str] = {
    "ST_GEOGPOINT": POINT, "ST_POINT": POINT, "ST_MAKEPOINT": POINT,
    **{name: GEOMETRY for name in ("ST_GEOGFROMWKB", "ST_GEOGRAPHYFROMWKB", "ST_GEOGFROMTEXT",
                                   "ST_GEOGRAPHYFROMTEXT", "ST_GEOGRAPHYFROMWKT", "ST_INTERSECTION", "ST_UNION_AGG",
                                   "TRY_TO_GEOGRAPHY", "ST_GEOGFROMGEOJSON", "ST_CENTROID")},
}

# functions with no faithful ClickHouse form, and why
REFUSED: dict[str, str] = {
    "ST_ENVELOPE": "the spherical bounding box (edges bulge poleward) has no ClickHouse function",
    "ST_COLLECT": "no aggregate collection of geographies in ClickHouse",
    "ST_ASTEXT": "ClickHouse's wkt() rounds coordinates to 6 significant digits",
}

# sqlglot's own node types for two of the calls
NODE_CALLS: dict[type[exp.Expression], Callable[[exp.Expression, Context], exp.Expression]] = {
    exp.StDistance: _distance, exp.StPoint: _point,
}


def handles(family: str, name: str) -> bool:
    """Whether an unknown call ``name`` of dialect ``family`` is ours: every ST_* of a GEOGRAPHY dialect
    (one missing from the tables is refused, not passed to ClickHouse's same-named planar functions)."""
    upper = name.upper()
    return family in DIALECTS and (upper.startswith("ST_") or upper in CALLS or upper in REFUSED)


def rewrite_call(node: exp.Expression, ctx: Context) -> exp.Expression:
    """The ClickHouse form of a geography call (an Anonymous ST_* or one of ``NODE_CALLS``)."""
    if ctx.family not in DIALECTS:
        return node  # PostGIS and others: ST_* on planar geometry, not ours
    name = _name(node)
    if name in REFUSED:
        _refuse(f"{name}: {REFUSED[name]}")
    build = CALLS.get(name) or NODE_CALLS.get(type(node))
    if build is None:
        _refuse(f"{name} is not in the geography table (no spherical ClickHouse form written yet)")
    return build(node, ctx)


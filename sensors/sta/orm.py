"""Turn a parsed $filter / $orderby (query.py) into Django ORM expressions for one entity type.

Only declared properties (entities.py) can be reached, every literal becomes a bound parameter
(no SQL is ever built from the query text), and types are checked before the database sees
anything, so a wrong query is a clear 400 and never a 500.

- to-one navigation paths (`Datastream/Thing/id`, `Thing/properties/project`) become joins;
- a path through a to-many navigation (`Datastreams/name eq 'x'`) means "any of them" and
  becomes `pk IN (subquery)`, as do `any()` / `all()` lambdas; no row is ever duplicated;
- Datastream/phenomenonTime is an interval: `gt`/`ge` compare its start, `lt`/`le` its end,
  `eq` both (FROST does the same).
"""

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time

from django.db.models import (
    BooleanField,
    DateField,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Q,
    TextField,
    Value,
)
from django.db.models.functions import (
    Cast,
    Ceil,
    Concat,
    ExtractDay,
    ExtractHour,
    ExtractMinute,
    ExtractMonth,
    ExtractSecond,
    ExtractYear,
    Floor,
    Length,
    Lower,
    Mod,
    NullIf,
    Round,
    StrIndex,
    Substr,
    Trim,
    TruncDate,
    Upper,
)
from django.db.models.lookups import (
    Contains,
    EndsWith,
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    IsNull,
    LessThan,
    LessThanOrEqual,
    StartsWith,
)
from django.utils import timezone

from sensors.sta.entities import ENTITIES, Entity, Nav
from sensors.sta.query import (
    ARITHMETIC,
    COMPARISONS,
    BinOp,
    Call,
    Lambda,
    Literal,
    Not,
    Path,
    StaError,
    parse_instant,
)

NOTHING = Q(pk__in=[])
EVERYTHING = ~NOTHING

LOOKUPS = {"eq": Exact, "gt": GreaterThan, "ge": GreaterThanOrEqual, "lt": LessThan,
           "le": LessThanOrEqual}
MIRRORED = {"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}
OUTPUT_FIELDS = {"id": IntegerField, "num": FloatField, "str": TextField, "bool": BooleanField,
                 "datetime": DateTimeField, "date": DateField, "duration": DurationField}
NUMERIC = ("id", "num")


@dataclass(frozen=True)
class Typed:
    """A value expression with its STA type; literals keep their Python value."""

    expr: object
    type: str
    literal: bool = False
    value: object = None


@dataclass(frozen=True)
class Interval:
    start: str
    end: str


@dataclass(frozen=True)
class ManySplit:
    """A path that crosses a to-many navigation: the part up to it and the rest."""

    prefix: str          # ORM prefix of the to-one joins before it
    nav: Nav
    rest: tuple[str, ...]

    @property
    def key(self):
        return (self.prefix, self.nav.name)


def _literal(value, kind: str) -> Typed:
    if kind == "null":
        return Typed(None, "null", True, None)
    return Typed(Value(value, output_field=OUTPUT_FIELDS[kind]()), kind, True, value)


def _describe(path) -> str:
    return "/".join(path.segments) if isinstance(path, Path) else str(path)


def _paths(node) -> list[Path]:
    """Paths of a leaf condition (not looking inside lambdas, which have their own scope)."""
    if isinstance(node, Path):
        return [node]
    if isinstance(node, BinOp):
        return _paths(node.left) + _paths(node.right)
    if isinstance(node, Not):
        return _paths(node.operand)
    if isinstance(node, Call):
        return [path for arg in node.args for path in _paths(arg)]
    return []


def _rewrite(node, mapping: dict[Path, Path]):
    if isinstance(node, Path):
        return mapping.get(node, node)
    if isinstance(node, BinOp):
        return replace(node, left=_rewrite(node.left, mapping),
                       right=_rewrite(node.right, mapping))
    if isinstance(node, Not):
        return Not(_rewrite(node.operand, mapping))
    if isinstance(node, Call):
        return replace(node, args=tuple(_rewrite(arg, mapping) for arg in node.args))
    return node


class FilterCompiler:
    """Compiles expressions relative to `entity`; ORM paths get `prefix` (to-one joins) and
    paths may start with one of `variables` (lambda variables that mean "this entity")."""

    def __init__(self, entity: Entity, *, prefix: str = "", variables: tuple = (),
                 now: datetime | None = None):
        self.entity = entity
        self.prefix = prefix
        self.variables = variables
        self.now = now or timezone.now()

    # --- paths -----------------------------------------------------------------------------

    def _strip_variable(self, segments: tuple[str, ...]) -> tuple[str, ...]:
        if segments and segments[0] in self.variables:
            segments = segments[1:]
            if not segments:
                raise StaError("a lambda variable must be followed by a property, e.g. d/name")
        return segments

    def _walk(self, segments: tuple[str, ...]):
        """(entity, ORM prefix, remaining segments, to-many nav or None) after following the
        to-one navigations at the start of the path."""
        entity, prefix = self.entity, self.prefix
        while segments and segments[0] in entity.nav_map:
            nav = entity.nav_map[segments[0]]
            if nav.many:
                return entity, prefix, segments, nav
            prefix = f"{prefix}{nav.path}__"
            entity = ENTITIES[nav.target]
            segments = segments[1:]
        return entity, prefix, segments, None

    def many_split(self, path: Path) -> ManySplit | None:
        segments = self._strip_variable(path.segments)
        _entity, prefix, rest, nav = self._walk(segments)
        if nav is None:
            return None
        return ManySplit(prefix, nav, rest[1:])

    def resolve(self, path: Path):
        segments = self._strip_variable(path.segments)
        entity, prefix, rest, nav = self._walk(segments)
        if nav is not None:
            raise StaError(f"{_describe(path)}: {nav.name} is a collection; compare one of its "
                           f"properties (e.g. {nav.name}/id eq 1) or use any()")
        if not rest:
            raise StaError(f"{_describe(path)} is an entity, not a value; add a property such "
                           f"as /id")
        name, keys = rest[0], rest[1:]
        if name == "@iot.id":
            name = "id"
        prop = entity.prop_map.get(name)
        if prop is None:
            raise StaError(f"{entity.name} has no property {name!r}")
        if prop.type == "object":
            if not keys:
                raise StaError(f"{_describe(path)} is an object; compare one of its keys, e.g. "
                               f"{name}/<key>")
            key = keys[0]
            if prop.keys is None or key not in prop.keys:
                known = ", ".join(sorted(prop.keys or ())) or "none"
                raise StaError(f"{entity.name} {name} has no key {key!r} (known: {known})")
            orm, kind = prop.keys[key]
            if orm is None or len(keys) > 1:
                raise StaError(f"{_describe(path)} cannot be used in a query")
            return Typed(F(f"{prefix}{orm}"), kind)
        if keys:
            raise StaError(f"{entity.name} {name} has no sub-properties")
        if prop.type == "interval":
            start, end = prop.interval
            return Interval(f"{prefix}{start}", f"{prefix}{end}")
        if prop.orm is None:
            raise StaError(f"{entity.name} {name} cannot be used in $filter or $orderby")
        return Typed(F(f"{prefix}{prop.orm}"), prop.type)

    # --- conditions ------------------------------------------------------------------------

    def condition(self, node) -> Q:
        if isinstance(node, BinOp) and node.op in ("and", "or"):
            left, right = self.condition(node.left), self.condition(node.right)
            return left & right if node.op == "and" else left | right
        if isinstance(node, Not):
            return ~self.condition(node.operand)
        if isinstance(node, Lambda):
            return self.lambda_condition(node)
        if isinstance(node, Literal):
            if node.kind != "bool":
                raise StaError("$filter must be a condition, e.g. name eq 'x'")
            return EVERYTHING if node.value else NOTHING
        return self.leaf(node)

    def leaf(self, node) -> Q:
        """A comparison or boolean function call; paths through a to-many navigation turn it
        into "any member satisfies it"."""
        splits = {}
        plain = []
        for path in _paths(node):
            split = self.many_split(path)
            if split is None:
                plain.append(path)
            else:
                splits[path] = split
        if not splits:
            return self.simple_leaf(node)
        keys = {split.key for split in splits.values()}
        if len(keys) > 1 or plain:
            raise StaError("a condition through a collection (e.g. Datastreams/name) can only "
                           "compare that collection's properties with fixed values")
        split = next(iter(splits.values()))
        if any(not s.rest for s in splits.values()):
            raise StaError(f"add a property after {split.nav.name}, e.g. {split.nav.name}/id")
        inner = _rewrite(node, {path: Path(s.rest) for path, s in splits.items()})
        return self.member_condition(split, FilterCompiler(
            ENTITIES[split.nav.target], now=self.now).condition(inner))

    def member_condition(self, split: ManySplit, inner: Q, *, every: bool = False) -> Q:
        target = ENTITIES[split.nav.target]
        lookup = f"{split.prefix}{split.nav.local}__in"
        if every:
            failing = target.visible().filter(~inner).values(split.nav.remote)
            return ~Q(**{lookup: failing})
        return Q(**{lookup: target.visible().filter(inner).values(split.nav.remote)})

    def lambda_condition(self, node: Lambda) -> Q:
        split = self.many_split(node.path)
        if split is None or split.rest:
            raise StaError(f"{node.operator}() needs a collection, e.g. Datastreams/any(d: ...)")
        inner = FilterCompiler(ENTITIES[split.nav.target], variables=(node.variable,),
                               now=self.now)
        for path in _paths(node.body):
            if path.segments[0] != node.variable:
                raise StaError(f"inside {node.operator}(), start every path with "
                               f"{node.variable}/")
        return self.member_condition(split, inner.condition(node.body),
                                     every=node.operator == "all")

    def simple_leaf(self, node) -> Q:
        if isinstance(node, BinOp) and node.op in COMPARISONS:
            return self.compare(node.op, self.value(node.left), self.value(node.right))
        value = self.value(node)
        if isinstance(value, Typed) and value.type == "bool":
            if value.literal:
                return EVERYTHING if value.value else NOTHING
            if isinstance(value.expr, Q):
                return value.expr
            return Q(Exact(value.expr, True))
        raise StaError("$filter must be a condition, e.g. name eq 'x'")

    def compare(self, op: str, left, right) -> Q:
        if isinstance(left, Interval) or isinstance(right, Interval):
            return self.compare_interval(op, left, right)
        if left.literal and not right.literal:
            left, right, op = right, left, MIRRORED[op]
        if left.type == "quality":
            if right.type != "null" or op not in ("eq", "ne"):
                raise StaError("resultQuality can only be compared with null: "
                               "resultQuality eq null means no quality remarks")
            clean = Q(Exact(left.expr, 0))
            return clean if op == "eq" else ~clean
        if right.type == "null" or left.type == "null":
            if op not in ("eq", "ne"):
                raise StaError("null can only be compared with eq or ne")
            if left.type == "null" and right.type == "null":
                return EVERYTHING if op == "eq" else NOTHING
            subject = left if right.type == "null" else right
            condition = Q(IsNull(subject.expr, True))
            return condition if op == "eq" else ~condition
        left, right = _coerced(left, right)
        if left.literal and right.literal:
            return EVERYTHING if _python_compare(op, left.value, right.value) else NOTHING
        if isinstance(left.expr, Q) and right.literal and op in ("eq", "ne"):
            # startswith(name, 'x') eq true
            return left.expr if (op == "eq") == bool(right.value) else ~left.expr
        lhs = _as_q_operand(left)
        rhs = right.value if right.literal else _as_q_operand(right)
        if op == "ne":
            # OData: null ne 'x' is true; SQL's NOT (NULL = 'x') is not
            return ~Q(Exact(lhs, rhs)) | Q(IsNull(lhs, True))
        return Q(LOOKUPS[op](lhs, rhs))

    def compare_interval(self, op: str, left, right) -> Q:
        if isinstance(left, Interval) and isinstance(right, Interval):
            raise StaError("cannot compare two time intervals")
        if isinstance(right, Interval):
            left, right, op = right, left, MIRRORED[op]
        if right.type == "null":
            return self.compare(op, Typed(F(left.start), "datetime"), right)
        start, end = Typed(F(left.start), "datetime"), Typed(F(left.end), "datetime")
        if op in ("gt", "ge"):
            return self.compare(op, start, right)
        if op in ("lt", "le"):
            return self.compare(op, end, right)
        both = self.compare("eq", start, right) & self.compare("eq", end, right)
        return both if op == "eq" else ~both

    # --- values ------------------------------------------------------------------------------

    def value(self, node):
        if isinstance(node, Literal):
            if node.kind == "duration":
                return Typed(Value(node.value, output_field=DurationField()), "duration", True,
                             node.value)
            return _literal(node.value, node.kind)
        if isinstance(node, Path):
            return self.resolve(node)
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, BinOp) and node.op in ARITHMETIC:
            return self.arithmetic(node.op, self.value(node.left), self.value(node.right))
        if isinstance(node, Lambda):
            return Typed(self.lambda_condition(node), "bool")
        raise StaError("a condition cannot be used as a value here")

    def arithmetic(self, op: str, left, right) -> Typed:
        if isinstance(left, Interval) or isinstance(right, Interval):
            raise StaError("cannot calculate with a time interval")
        if left.type == "datetime" and right.type == "duration" and op in ("add", "sub"):
            if left.literal:
                moment = left.value + right.value if op == "add" else left.value - right.value
                return _literal(moment, "datetime")
            combined = left.expr + right.expr if op == "add" else left.expr - right.expr
            return Typed(ExpressionWrapper(combined, output_field=DateTimeField()), "datetime")
        if left.type not in NUMERIC or right.type not in NUMERIC:
            raise StaError(f"{op} needs numbers (or a time and a duration), not {left.type} "
                           f"and {right.type}")
        if left.literal and right.literal:
            a, b = left.value, right.value
            if op in ("div", "mod") and b == 0:
                raise StaError("division by zero")
            result = {"add": a + b, "sub": a - b, "mul": a * b,
                      "div": a / b if op == "div" else 0, "mod": a % b if op == "mod" else 0}[op]
            return _literal(result, "num")
        if op in ("div", "mod") and right.literal and right.value == 0:
            raise StaError("division by zero")
        a = Cast(left.expr, FloatField())
        b = Cast(right.expr, FloatField())
        if op in ("div", "mod") and not right.literal:
            b = NullIf(b, Value(0.0))  # x div 0 is null (no match), not a database error
        if op == "mod":
            return Typed(Mod(a, b), "num")
        combined = {"add": a + b, "sub": a - b, "mul": a * b, "div": a / b}[op]
        return Typed(ExpressionWrapper(combined, output_field=FloatField()), "num")

    def call(self, node: Call) -> Typed:
        name, args = node.name, node.args
        if name == "now":
            _arity(node, 0)
            return _literal(self.now, "datetime")
        if name.startswith(("geo.", "st_")):
            raise StaError(f"the geospatial function {name}() is not supported")
        if name in ("substringof", "startswith", "endswith", "contains"):
            _arity(node, 2)
            first, second = self._string(args[0], name), self._string(args[1], name)
            haystack, needle = (second, first) if name == "substringof" else (first, second)
            if haystack.literal:
                raise StaError(f"{name}(): the text to search in must be a property")
            lookup = {"startswith": StartsWith, "endswith": EndsWith}.get(name, Contains)
            return Typed(Q(lookup(haystack.expr, needle.value if needle.literal
                                  else needle.expr)), "bool")
        if name in ("tolower", "toupper", "trim", "length"):
            _arity(node, 1)
            text = self._string(args[0], name)
            function = {"tolower": Lower, "toupper": Upper, "trim": Trim, "length": Length}[name]
            return Typed(function(text.expr), "num" if name == "length" else "str")
        if name == "concat":
            _arity(node, 2)
            parts = [self._string(arg, name).expr for arg in args]
            return Typed(Concat(*parts, output_field=TextField()), "str")
        if name == "indexof":
            _arity(node, 2)
            text, part = self._string(args[0], name), self._string(args[1], name)
            return Typed(StrIndex(text.expr, part.expr) - 1, "num")
        if name == "substring":
            if len(args) not in (2, 3):
                raise StaError("substring() takes 2 or 3 arguments")
            text = self._string(args[0], name)
            numbers = [self.value(arg) for arg in args[1:]]
            if not all(n.literal and n.type == "num" and isinstance(n.value, int)
                       and n.value >= 0 for n in numbers):
                raise StaError("substring(): positions must be whole numbers")
            length = numbers[1].value if len(numbers) == 2 else None
            return Typed(Substr(text.expr, numbers[0].value + 1, length), "str")
        if name in ("year", "month", "day", "hour", "minute", "second"):
            _arity(node, 1)
            moment = self._datetime(args[0], name)
            extract = {"year": ExtractYear, "month": ExtractMonth, "day": ExtractDay,
                       "hour": ExtractHour, "minute": ExtractMinute,
                       "second": ExtractSecond}[name]
            return Typed(extract(moment.expr, tzinfo=UTC), "id")
        if name == "date":
            _arity(node, 1)
            argument = self.value(args[0])
            if isinstance(argument, Typed) and argument.literal and argument.type in (
                    "str", "date", "datetime"):
                return _literal(_as_date(argument.value), "date")
            moment = self._datetime(args[0], name)
            return Typed(TruncDate(moment.expr, tzinfo=UTC), "date")
        if name in ("round", "floor", "ceiling"):
            _arity(node, 1)
            number = self.value(args[0])
            if not isinstance(number, Typed) or number.type not in NUMERIC:
                raise StaError(f"{name}() needs a number")
            function = {"round": Round, "floor": Floor, "ceiling": Ceil}[name]
            return Typed(function(Cast(number.expr, FloatField())), "num")
        raise StaError(f"unknown or unsupported function {name}()")

    def _string(self, node, name: str) -> Typed:
        value = self.value(node)
        if not isinstance(value, Typed) or value.type != "str":
            raise StaError(f"{name}() needs text arguments")
        return value

    def _datetime(self, node, name: str) -> Typed:
        value = self.value(node)
        if isinstance(value, Interval):
            value = Typed(F(value.start), "datetime")
        if value.type != "datetime" or value.literal:
            raise StaError(f"{name}() needs a time property such as phenomenonTime")
        return value

    # --- ordering ------------------------------------------------------------------------------

    def ordering(self, items) -> list:
        expressions = []
        for node, descending in items:
            if isinstance(node, Path) and self.many_split(node) is not None:
                raise StaError("$orderby cannot use a property of a collection")
            value = self.value(node)
            if isinstance(value, Interval):
                value = Typed(F(value.start), "datetime")
            if value.literal or isinstance(value.expr, Q):
                raise StaError("$orderby needs a property, e.g. phenomenonTime desc")
            expressions.append(value.expr.desc() if descending else value.expr.asc())
        return expressions


def _arity(node: Call, count: int) -> None:
    if len(node.args) != count:
        raise StaError(f"{node.name}() takes {count} argument{'s' if count != 1 else ''}")


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise StaError(f"not a valid date: {value!r}") from None


def _as_q_operand(typed: Typed):
    if isinstance(typed.expr, Q):
        return ExpressionWrapper(typed.expr, output_field=BooleanField())
    return typed.expr


def _coerce_literal(literal: Typed, kind: str) -> Typed:
    value = literal.value
    if literal.type == kind:
        return literal
    if kind == "datetime":
        if literal.type == "date":
            return _literal(datetime.combine(value, time(0), tzinfo=UTC), "datetime")
        if literal.type == "str":
            return _literal(parse_instant(value, what="time"), "datetime")
    if kind == "date" and literal.type in ("str", "datetime"):
        return _literal(_as_date(value), "date")
    if kind == "id":
        if literal.type == "num" and float(value).is_integer():
            return _literal(int(value), "id")
        if literal.type == "str" and value.isdigit():
            return _literal(int(value), "id")
    if kind == "num" and literal.type == "id":
        return _literal(value, "num")
    raise StaError(f"cannot compare a {kind} property with {literal.type} {value!r}")


def _coerced(left: Typed, right: Typed) -> tuple[Typed, Typed]:
    if right.literal and not left.literal:
        return left, _coerce_literal(right, left.type)
    if left.type == right.type or (left.type in NUMERIC and right.type in NUMERIC):
        return left, right
    raise StaError(f"cannot compare {left.type} with {right.type}")


def _python_compare(op: str, a, b) -> bool:
    return {"eq": a == b, "ne": a != b, "gt": a > b, "ge": a >= b, "lt": a < b,
            "le": a <= b}[op]


def filter_q(entity: Entity, node, *, now: datetime | None = None) -> Q:
    return FilterCompiler(entity, now=now).condition(node)


def order_by(entity: Entity, items, *, unique: tuple[str, ...] = ()) -> list:
    """The requested order plus the id as a tie-breaker, so that paging with $skip gives
    every row exactly once. `unique`: ORM fields already unique in this collection (the
    phenomenonTime of one datastream's observations), which need no tie-breaker."""
    expressions = FilterCompiler(entity).ordering(items)
    named = [getattr(e.expression, "name", None) for e in expressions]
    if "pk" not in named and "id" not in named and not any(
            name in unique for name in named):
        expressions.append(F("pk").asc())
    return expressions



"""OData query options of the SensorThings API v1.1, parsed into plain data (no ORM here).

    $filter   comparison (eq ne gt ge lt le), and/or/not, parentheses, arithmetic (add sub mul
              div mod), functions (startswith, endswith, substringof, contains, tolower, ...,
              year ... second, date, now), literals: 'strings', numbers, true/false/null,
              2026-11-01T00:00:00Z, 2026-11-01, duration'PT1H'; paths such as
              properties/project, Datastream/Thing/id, Datastreams/any(d: d/name eq 'x')
    $expand   Datastreams($select=name;$expand=Observations($top=1;$orderby=phenomenonTime desc))
    $select   id,name            $orderby  phenomenonTime desc,id
    $top $skip $count $resultFormat=dataArray

Everything that is wrong with the query raises `StaError` (a 400 in the STA error shape).
`orm.py` turns the parsed filter into Django Q objects for an entity type.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

MAX_FILTER_LENGTH = 4000
MAX_NESTING = 40
MAX_EXPAND_DEPTH = 5


class StaError(Exception):
    """An error answered in the SensorThings shape {"code", "type": "error", "message"}."""

    def __init__(self, message: str, status: int = 400, headers: dict | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.headers = headers or {}


# --- AST -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    value: object
    kind: str  # str | num | bool | null | datetime | date | duration


@dataclass(frozen=True)
class Path:
    segments: tuple[str, ...]


@dataclass(frozen=True)
class Lambda:
    """`Datastreams/any(d: d/name eq 'x')`: `path` leads to a collection, `body` is about one
    of its members, whose own paths start with `variable`."""

    path: Path
    operator: str  # any | all
    variable: str
    body: object


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple


@dataclass(frozen=True)
class BinOp:
    op: str  # eq ne gt ge lt le and or add sub mul div mod
    left: object
    right: object


@dataclass(frozen=True)
class Not:
    operand: object


COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")
ARITHMETIC = ("add", "sub", "mul", "div", "mod")


# --- tokenizer -----------------------------------------------------------------------------------

_DATETIME = (r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
             r"(?:Z|[+\- ]\d{2}:?\d{2})?)?")
_TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | (?P<duration>duration'(?P<duration_value>[^']*)')
      | (?P<string>'(?:[^']|'')*')
      | (?P<datetime>""" + _DATETIME + r""")(?![\w.])
      | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?![\w])
      | (?P<name>[A-Za-z_@$][\w.@$]*)
      | (?P<punct>[()/,:])
      | (?P<minus>-)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    value: object = None


def _tokens(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise StaError(f"$filter: unexpected character at position {position + 1}: "
                           f"{text[position:position + 10]!r}")
        position = match.end()
        kind = match.lastgroup
        raw = match.group(0)
        if kind == "ws":
            continue
        if kind == "duration_value":
            kind = "duration"
        if kind == "duration":
            tokens.append(Token("literal", raw, Literal(parse_duration(match.group(
                "duration_value")), "duration")))
        elif kind == "string":
            tokens.append(Token("literal", raw, Literal(raw[1:-1].replace("''", "'"), "str")))
        elif kind == "datetime":
            tokens.append(Token("literal", raw, _datetime_literal(raw)))
        elif kind == "number":
            number = float(raw) if any(c in raw for c in ".eE") else int(raw)
            tokens.append(Token("literal", raw, Literal(number, "num")))
        else:
            tokens.append(Token(kind, raw))
    return tokens


def _datetime_literal(raw: str) -> Literal:
    if len(raw) == 10:
        try:
            return Literal(date.fromisoformat(raw), "date")
        except ValueError:
            raise StaError(f"not a valid date: {raw}") from None
    # "+01:00" typed into a URL without encoding arrives as " 01:00"
    if raw[-6] == " " or raw[-5] == " ":
        raw = raw[:-6] + raw[-6:].replace(" ", "+")
    return Literal(parse_instant(raw, what="time"), "datetime")


def parse_instant(raw, *, what: str = "phenomenonTime") -> datetime:
    """An ISO 8601 instant with a time zone (Z or an offset)."""
    if not isinstance(raw, str):
        raise StaError(f"{what} must be an ISO 8601 time, such as 2026-11-01T12:00:00Z")
    if "/" in raw:
        raise StaError(f"{what}: time intervals are not supported, give one instant")
    text = raw.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    # Python 3.11 reads +0100 as well as +01:00.
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise StaError(f"{what}: not a valid ISO 8601 time: {raw}") from None
    if moment.tzinfo is None:
        raise StaError(f"{what}: the time needs a time zone (Z or an offset such as +01:00): "
                       f"{raw}")
    return moment.astimezone(UTC)


_DURATION = re.compile(
    r"^P(?:(?P<days>\d+(?:\.\d+)?)D)?(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?"
    r"(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)


def parse_duration(text: str) -> timedelta:
    """ISO 8601 durations in days, hours, minutes and seconds: P1D, PT1H, PT10m, P1DT12H."""
    match = _DURATION.match(text or "")
    if match is None or not any(match.groupdict().values()):
        raise StaError(f"not a valid duration (e.g. duration'PT1H'): {text!r}")
    parts = {key: float(value) for key, value in match.groupdict().items() if value}
    return timedelta(**parts)


# --- expression parser ---------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str, *, option: str):
        self.option = option
        if len(text) > MAX_FILTER_LENGTH:
            raise StaError(f"{option} is too long (at most {MAX_FILTER_LENGTH} characters)")
        self.tokens = _tokens(text)
        self.position = 0
        self.depth = 0

    # helpers
    def peek(self, offset: int = 0) -> Token | None:
        index = self.position + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def next(self) -> Token:
        token = self.peek()
        if token is None:
            raise StaError(f"{self.option}: the expression ends too early")
        self.position += 1
        return token

    def is_word(self, *words: str, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token is not None and token.kind == "name" and token.text.lower() in words

    def is_punct(self, char: str, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token is not None and token.kind == "punct" and token.text == char

    def expect_punct(self, char: str) -> None:
        token = self.next()
        if token.kind != "punct" or token.text != char:
            raise StaError(f"{self.option}: expected {char!r} but found {token.text!r}")

    def done(self) -> bool:
        return self.position >= len(self.tokens)

    def nested(self):
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise StaError(f"{self.option}: the expression is nested too deeply")

    # grammar: or > and > not > comparison > additive > multiplicative > unary > primary
    def expression(self):
        self.nested()
        try:
            node = self.and_expression()
            while self.is_word("or"):
                self.next()
                node = BinOp("or", node, self.and_expression())
            return node
        finally:
            self.depth -= 1

    def and_expression(self):
        node = self.not_expression()
        while self.is_word("and"):
            self.next()
            node = BinOp("and", node, self.not_expression())
        return node

    def not_expression(self):
        if self.is_word("not"):
            self.next()
            self.nested()
            try:
                return Not(self.not_expression())
            finally:
                self.depth -= 1
        return self.comparison()

    def comparison(self):
        node = self.additive()
        if self.is_word(*COMPARISONS):
            op = self.next().text.lower()
            node = BinOp(op, node, self.additive())
            if self.is_word(*COMPARISONS):
                raise StaError(f"{self.option}: use and/or between comparisons")
        return node

    def additive(self):
        node = self.multiplicative()
        while self.is_word("add", "sub"):
            op = self.next().text.lower()
            node = BinOp(op, node, self.multiplicative())
        return node

    def multiplicative(self):
        node = self.unary()
        while self.is_word("mul", "div", "mod"):
            op = self.next().text.lower()
            node = BinOp(op, node, self.unary())
        return node

    def unary(self):
        token = self.peek()
        if token is not None and token.kind == "minus":
            self.next()
            self.nested()
            try:
                operand = self.unary()
            finally:
                self.depth -= 1
            if isinstance(operand, Literal) and operand.kind == "num":
                return Literal(-operand.value, "num")
            return BinOp("sub", Literal(0, "num"), operand)
        return self.primary()

    def primary(self):
        token = self.next()
        if token.kind == "literal":
            return token.value
        if token.kind == "punct" and token.text == "(":
            node = self.expression()
            self.expect_punct(")")
            return node
        if token.kind != "name":
            raise StaError(f"{self.option}: unexpected {token.text!r}")
        word = token.text
        lowered = word.lower()
        if lowered in ("true", "false"):
            return Literal(lowered == "true", "bool")
        if lowered == "null":
            return Literal(None, "null")
        if self.is_punct("("):
            return self.call(lowered)
        return self.path(word)

    def call(self, name: str):
        self.expect_punct("(")
        args = []
        if not self.is_punct(")"):
            args.append(self.expression())
            while self.is_punct(","):
                self.next()
                args.append(self.expression())
        self.expect_punct(")")
        return Call(name, tuple(args))

    def path(self, first: str):
        segments = [first]
        while self.is_punct("/"):
            self.next()
            token = self.next()
            if token.kind != "name":
                raise StaError(f"{self.option}: expected a name after '/' in "
                               f"{'/'.join(segments)}")
            if token.text.lower() in ("any", "all") and self.is_punct("("):
                return self.lambda_(Path(tuple(segments)), token.text.lower())
            segments.append(token.text)
        return Path(tuple(segments))

    def lambda_(self, path: Path, operator: str):
        self.expect_punct("(")
        variable = self.next()
        if variable.kind != "name":
            raise StaError(f"{self.option}: expected a variable name in {operator}()")
        self.expect_punct(":")
        body = self.expression()
        self.expect_punct(")")
        return Lambda(path, operator, variable.text, body)


def parse_filter(text: str):
    parser = _Parser(text, option="$filter")
    if parser.done():
        raise StaError("$filter is empty")
    node = parser.expression()
    if not parser.done():
        raise StaError(f"$filter: unexpected {parser.peek().text!r}")
    return node


def parse_orderby(text: str) -> list[tuple[object, bool]]:
    """[(expression, descending)]"""
    parser = _Parser(text, option="$orderby")
    items = []
    while True:
        if parser.done():
            raise StaError("$orderby: expected a property")
        expression = parser.additive()
        descending = False
        if parser.is_word("asc", "desc"):
            descending = parser.next().text.lower() == "desc"
        items.append((expression, descending))
        if parser.done():
            return items
        parser.expect_punct(",")


# --- query options -------------------------------------------------------------------------------


@dataclass
class Expand:
    navigation: str
    options: "QueryOptions"


@dataclass
class QueryOptions:
    filter: object = None
    orderby: list = field(default_factory=list)
    select: list[str] | None = None
    expand: list[Expand] = field(default_factory=list)
    top: int | None = None
    skip: int = 0
    count: bool = False
    result_format: str | None = None
    # the options as given, to rebuild nextLinks of expanded collections
    raw: dict[str, str] = field(default_factory=dict)


KNOWN_OPTIONS = ("$filter", "$orderby", "$select", "$expand", "$top", "$skip", "$count",
                 "$resultFormat")
# Accepted and ignored: we always answer JSON and always give the metadata.
IGNORED_OPTIONS = ("$format", "$resultMetadata")


def _split_top_level(text: str, separator: str) -> list[str]:
    """Split on `separator` outside parentheses and 'quoted strings'."""
    parts, depth, quoted, current = [], 0, False, []
    for char in text:
        if char == "'":
            quoted = not quoted
        elif not quoted:
            if char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if depth < 0:
                    raise StaError("unbalanced parentheses in the query")
            elif char == separator and depth == 0:
                parts.append("".join(current))
                current = []
                continue
        current.append(char)
    if depth != 0 or quoted:
        raise StaError("unbalanced parentheses or quotes in the query")
    parts.append("".join(current))
    return parts


def _non_negative(name: str, text: str) -> int:
    if not re.fullmatch(r"\s*\d{1,9}\s*", text or ""):
        raise StaError(f"{name} must be a whole number of 0 or more")
    return int(text)


def parse_options(params: dict[str, str], *, depth: int = 0) -> QueryOptions:
    options = QueryOptions(raw={k: v for k, v in params.items() if k in KNOWN_OPTIONS})
    for name in params:
        if name.startswith("$") and name not in KNOWN_OPTIONS + IGNORED_OPTIONS:
            raise StaError(f"unknown query option {name}; known are {', '.join(KNOWN_OPTIONS)}")
    if "$filter" in params:
        options.filter = parse_filter(params["$filter"])
    if "$orderby" in params:
        options.orderby = parse_orderby(params["$orderby"])
    if "$select" in params:
        names = [part.strip() for part in params["$select"].split(",")]
        if not all(names):
            raise StaError("$select: expected a comma-separated list of properties")
        options.select = names
    if "$top" in params:
        options.top = _non_negative("$top", params["$top"])
    if "$skip" in params:
        options.skip = _non_negative("$skip", params["$skip"])
    if "$count" in params:
        value = params["$count"].strip().lower()
        if value not in ("true", "false"):
            raise StaError("$count must be true or false")
        options.count = value == "true"
    if "$resultFormat" in params:
        value = params["$resultFormat"].strip()
        if value.lower() != "dataarray":
            raise StaError("$resultFormat: only dataArray is supported")
        options.result_format = "dataArray"
    if "$expand" in params:
        options.expand = parse_expand(params["$expand"], depth=depth)
    return options


def parse_expand(text: str, *, depth: int = 0) -> list[Expand]:
    if depth >= MAX_EXPAND_DEPTH:
        raise StaError(f"$expand is nested too deeply (at most {MAX_EXPAND_DEPTH} levels)")
    expands: list[Expand] = []
    for item in _split_top_level(text, ","):
        item = item.strip()
        if not item:
            raise StaError("$expand: empty item")
        inner: dict[str, str] = {}
        if "(" in item:
            if not item.endswith(")"):
                raise StaError(f"$expand: expected ')' at the end of {item!r}")
            head, _, rest = item.partition("(")
            for option in _split_top_level(rest[:-1], ";"):
                option = option.strip()
                if not option:
                    continue
                key, equals, value = option.partition("=")
                if not equals or not key.strip().startswith("$"):
                    raise StaError(f"$expand: expected $option=value in {option!r}")
                inner[key.strip()] = value.strip()
        else:
            head = item
        names = [name.strip() for name in head.split("/")]
        if not all(re.fullmatch(r"[A-Za-z]\w*", name) for name in names):
            raise StaError(f"$expand: not a navigation property: {head!r}")
        if depth + len(names) > MAX_EXPAND_DEPTH:
            raise StaError(f"$expand is nested too deeply (at most {MAX_EXPAND_DEPTH} levels)")
        # Datastreams/Observations($top=1) = Datastreams($expand=Observations($top=1))
        options = parse_options(inner, depth=depth + len(names))
        for name in reversed(names[1:]):
            options = QueryOptions(expand=[Expand(name, options)],
                                   raw={"$expand": _expand_text(name, options)})
        _merge_expand(expands, Expand(names[0], options))
    return expands


def _expand_text(name: str, options: QueryOptions) -> str:
    inner = ";".join(f"{key}={value}" for key, value in options.raw.items())
    return f"{name}({inner})" if inner else name


def _merge_expand(expands: list[Expand], new: Expand) -> None:
    """`$expand=Datastreams/Sensor,Datastreams/ObservedProperty` expands Datastreams once."""
    for existing in expands:
        if existing.navigation == new.navigation:
            for child in new.options.expand:
                _merge_expand(existing.options.expand, child)
            if new.options.expand:
                parts = [_expand_text(e.navigation, e.options) for e in existing.options.expand]
                existing.options.raw["$expand"] = ",".join(parts)
            return
    expands.append(new)

"""Reading the SensorThings API: resource paths, collections with server-driven paging,
$expand with a constant number of queries, and the JSON of every entity.

Query budget (independent of $top): one query for the page, one for `$count=true`, one per
expanded navigation (plus one to find the keys of a two-step to-one navigation such as
Observation -> FeatureOfInterest), one per entity on the resource path before the last.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote, urlencode

from django.db import connection
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber

from sensors.sta.entities import DEFAULT_TOP, ENTITIES, SET_NAMES, Entity, Nav
from sensors.sta.orm import filter_q, order_by
from sensors.sta.query import QueryOptions, StaError

MAX_ID = 2**63 - 1
SELF_NAMES = ("id", "@iot.id", "selfLink", "@iot.selfLink")
DATA_ARRAY_COMPONENTS = ["id", "phenomenonTime", "result", "resultTime", "resultQuality"]


@dataclass
class Context:
    base: str                # absolute URL of the service root, ending in "/"
    now: datetime

    def link(self, entity: Entity, pk) -> str:
        return f"{self.base}{entity.set_name}({pk})"


@dataclass
class Plan:
    """Query options checked and compiled against one entity type, before any query runs."""

    entity: Entity
    options: QueryOptions
    q: Q | None
    order: list
    top: int
    children: list[tuple[Nav, "Plan"]] = field(default_factory=list)


def plan_for(entity: Entity, options: QueryOptions, *, ctx: Context,
             unique: tuple[str, ...] = ()) -> Plan:
    if options.select is not None:
        known = set(SELF_NAMES) | set(entity.prop_map) | set(entity.nav_map)
        unknown = [name for name in options.select if name not in known]
        if unknown:
            raise StaError(f"$select: {entity.name} has no property {unknown[0]!r}")
    q = filter_q(entity, options.filter, now=ctx.now) if options.filter is not None else None
    top = options.top if options.top is not None else DEFAULT_TOP
    plan = Plan(entity, options, q, order_by(entity, options.orderby, unique=unique),
                min(top, entity.max_top))
    for expand in options.expand:
        nav = entity.nav_map.get(expand.navigation)
        if nav is None:
            raise StaError(f"$expand: {entity.name} has no navigation property "
                           f"{expand.navigation!r}")
        target = ENTITIES[nav.target]
        if expand.options.result_format:
            raise StaError("$resultFormat cannot be used inside $expand")
        child_unique = ("phenomenon_time",) if nav.name == "Observations" and (
            entity.name == "Datastream") else ()
        plan.children.append((nav, plan_for(target, expand.options, ctx=ctx,
                                            unique=child_unique)))
    return plan


# --- resource paths ----------------------------------------------------------------------------


@dataclass
class Resolved:
    kind: str                  # collection | entity | property | value | ref
    entity: Entity | None = None
    queryset: object = None
    row: object = None
    link: str = ""             # absolute URL of this resource (without query)
    unique: tuple[str, ...] = ()
    name: str = ""             # property name
    value: object = None       # property value
    # POST Observations here: True, with the datastream of Datastreams(n)/Observations
    postable: bool = False
    datastream_id: int | None = None


def _segment(text: str) -> tuple[str, int | None]:
    name, bracket, rest = text.partition("(")
    if not bracket:
        return text, None
    if not rest.endswith(")"):
        raise StaError(f"not a valid path segment: {text}", 404)
    raw = rest[:-1].strip("'")
    if not raw.isdigit() or int(raw) > MAX_ID:
        raise StaError(f"no such entity: {text}", 404)
    return name, int(raw)


def _to_one_key(entity: Entity, nav: Nav, rows: list) -> dict:
    """{row pk: target pk} for a to-one navigation, in at most one query."""
    first, _, rest = nav.path.partition("__")
    attname = entity.model._meta.get_field(first).attname
    if not rest:
        return {row.pk: getattr(row, attname) for row in rows}
    related = entity.model._meta.get_field(first).related_model
    firsts = {getattr(row, attname) for row in rows}
    mapping = dict(related.objects.filter(pk__in=firsts).values_list("pk", rest))
    return {row.pk: mapping.get(getattr(row, attname)) for row in rows}


def _local_value(row, nav: Nav):
    return row.pk if nav.local == "pk" else getattr(row, nav.local)


def children_queryset(nav: Nav, keys):
    target = ENTITIES[nav.target]
    base = target.unrestricted() if nav.implies_visible else target.visible()
    return base.filter(**{f"{nav.remote}__in": keys})


def resolve(ctx: Context, path: str) -> Resolved:
    segments = [segment for segment in path.strip("/").split("/")]
    name, pk = _segment(segments[0])
    entity = ENTITIES.get(name)
    if entity is None:
        raise StaError(f"no such entity set: {name}", 404)
    current = Resolved("collection", entity, entity.visible(), link=ctx.base + entity.set_name,
                       postable=entity.name == "Observation")
    if pk is not None:
        current = _entity(ctx, entity, entity.visible(), pk)
    for index, segment in enumerate(segments[1:], start=1):
        last = index == len(segments) - 1
        if current.kind == "collection":
            if segment == "$ref" and last:
                current.kind = "ref"
                continue
            raise StaError(f"not found: {'/'.join(segments[:index + 1])}", 404)
        if current.kind == "property":
            if segment == "$value" and last:
                current.kind = "value"
                continue
            if isinstance(current.value, dict) and segment in current.value:
                current = Resolved("property", name=segment, value=current.value[segment])
                continue
            raise StaError(f"not found: {'/'.join(segments[:index + 1])}", 404)
        if current.kind != "entity":
            raise StaError(f"not found: {'/'.join(segments[:index + 1])}", 404)
        entity, row = current.entity, current.row
        name, pk = _segment(segment)
        nav = entity.nav_map.get(name)
        if nav is not None and nav.many:
            target = ENTITIES[nav.target]
            queryset = children_queryset(nav, [_local_value(row, nav)])
            link = f"{current.link}/{nav.name}"
            in_datastream = entity.name == "Datastream"
            current = Resolved("collection", target, queryset, link=link,
                               unique=("phenomenon_time",) if in_datastream else (),
                               postable=in_datastream,
                               datastream_id=row.pk if in_datastream else None)
            if pk is not None:
                current = _entity(ctx, target, queryset, pk)
        elif nav is not None and pk is None:
            target = ENTITIES[nav.target]
            key = _to_one_key(entity, nav, [row])[row.pk]
            if key is None:
                raise StaError(f"not found: {'/'.join(segments[:index + 1])}", 404)
            current = _entity(ctx, target, target.visible(), key)
        elif name in entity.prop_map and pk is None:
            if name == "id":
                value = row.pk
            else:
                value = entity.values(row).get(name)
            current = Resolved("property", name=name, value=value)
        else:
            raise StaError(f"not found: {'/'.join(segments[:index + 1])}", 404)
    return current


def _entity(ctx: Context, entity: Entity, queryset, pk: int) -> Resolved:
    row = queryset.filter(pk=pk).first()
    if row is None:
        raise StaError(f"no such entity: {entity.set_name}({pk})", 404)
    return Resolved("entity", entity, row=row, link=ctx.link(entity, pk))


# --- reading -----------------------------------------------------------------------------------


def read_collection(ctx: Context, resolved: Resolved, options: QueryOptions,
                    params: dict[str, str]) -> dict:
    entity = resolved.entity
    if resolved.kind == "ref":
        options.select, options.expand = ["@iot.selfLink"], []
    plan = plan_for(entity, options, ctx=ctx, unique=resolved.unique)
    if options.result_format and entity.name != "Observation":
        raise StaError("$resultFormat=dataArray is only available for Observations")
    if options.result_format and options.expand:
        raise StaError("$resultFormat=dataArray cannot be combined with $expand")
    queryset = resolved.queryset
    if plan.q is not None:
        queryset = queryset.filter(plan.q)
    result: dict = {}
    if options.count:
        result["@iot.count"] = queryset.count()
    rows = []
    if plan.top > 0:
        start = options.skip
        rows = list(queryset.order_by(*plan.order)[start:start + plan.top + 1])
    more = len(rows) > plan.top
    rows = rows[:plan.top]
    if more:
        result["@iot.nextLink"] = next_link(resolved.link, params, options.skip + plan.top,
                                            plan.top)
    if options.result_format:
        result["value"] = data_array(ctx, rows, options.select)
        return result
    expand_rows(ctx, plan, rows)
    result["value"] = [render(ctx, plan, row) for row in rows]
    return result


def read_entity(ctx: Context, resolved: Resolved, options: QueryOptions) -> dict:
    plan = plan_for(resolved.entity, options, ctx=ctx)
    expand_rows(ctx, plan, [resolved.row])
    return render(ctx, plan, resolved.row)


def next_link(link: str, params: dict[str, str], skip: int, top: int) -> str:
    query = {key: value for key, value in params.items() if key not in ("$top", "$skip")}
    query["$top"] = str(top)
    query["$skip"] = str(skip)
    encoded = urlencode(query, quote_via=quote, safe="$,()'/:;@")
    return f"{link}?{encoded}"


def data_array(ctx: Context, rows: list, select: list[str] | None) -> list[dict]:
    components = select or DATA_ARRAY_COMPONENTS
    allowed = {"id", "phenomenonTime", "result", "resultTime", "resultQuality"}
    for name in components:
        if name not in allowed:
            raise StaError(f"$resultFormat=dataArray: {name!r} cannot be a component "
                           f"(use {', '.join(sorted(allowed))})")
    entity = ENTITIES["Observations"]
    groups: dict[int, list] = {}
    for row in rows:
        values = entity.values(row)
        values["id"] = row.pk
        groups.setdefault(row.datastream_id, []).append([values[name] for name in components])
    return [{"Datastream@iot.navigationLink": ctx.link(ENTITIES["Datastreams"], datastream),
             "components": components,
             "dataArray@iot.count": len(array),
             "dataArray": array} for datastream, array in groups.items()]


def expand_rows(ctx: Context, plan: Plan, rows: list) -> None:
    for row in rows:
        row._sta_expanded = {}
    if not rows:
        return
    for nav, child_plan in plan.children:
        if nav.many:
            _expand_many(ctx, plan.entity, nav, child_plan, rows)
        else:
            _expand_one(ctx, plan.entity, nav, child_plan, rows)


def _expand_one(ctx, entity: Entity, nav: Nav, plan: Plan, rows: list) -> None:
    keys = _to_one_key(entity, nav, rows)
    queryset = plan.entity.visible().filter(pk__in={k for k in keys.values() if k is not None})
    if plan.q is not None:
        queryset = queryset.filter(plan.q)
    targets = {target.pk: target for target in queryset}
    expand_rows(ctx, plan, list(targets.values()))
    for row in rows:
        target = targets.get(keys[row.pk])
        row._sta_expanded[nav.name] = None if target is None else render(ctx, plan, target)


def _expand_many(ctx, entity: Entity, nav: Nav, plan: Plan, rows: list) -> None:
    keys = {_local_value(row, nav) for row in rows}
    queryset = children_queryset(nav, keys)
    if plan.q is not None:
        queryset = queryset.filter(plan.q)
    counts = {}
    if plan.options.count:
        counts = dict(queryset.order_by().values_list(nav.remote).annotate(n=Count("pk")))
    children: list = []
    skip, top = plan.options.skip, plan.top
    if top > 0 and keys:
        children = _per_parent_page(queryset, nav, plan.order, keys, skip, top + 1,
                                    plan.entity.name == "Observation")
    expand_rows(ctx, plan, children)
    grouped: dict = {}
    for child in children:
        grouped.setdefault(child._sta_parent, []).append(child)
    for row in rows:
        key = _local_value(row, nav)
        members = grouped.get(key, [])
        more = len(members) > top
        members = members[:top]
        link = f"{ctx.link(entity, row.pk)}/{nav.name}"
        row._sta_expanded[nav.name] = [render(ctx, plan, member) for member in members]
        if plan.options.count:
            row._sta_expanded[f"{nav.name}@iot.count"] = counts.get(key, 0)
        if more:
            row._sta_expanded[f"{nav.name}@iot.nextLink"] = next_link(
                link, plan.options.raw, skip + top, top)


def _per_parent_page(queryset, nav: Nav, order: list, keys, skip: int, limit: int,
                     big_table: bool) -> list:
    """The first `limit` children (after `skip`) of every parent, in one query. On PostgreSQL
    the observation table gets one index-backed LIMIT subquery per parent (UNION ALL), so the
    "latest observation of every datastream" never scans whole series; elsewhere a window
    function numbers the children per parent."""
    annotated = queryset.annotate(_sta_parent=F(nav.remote))
    if big_table and connection.features.supports_slicing_ordering_in_compound and len(keys) > 1:
        parts = [annotated.filter(**{nav.remote: key}).order_by(*order)[skip:skip + limit]
                 for key in sorted(keys)]
        return list(parts[0].union(*parts[1:], all=True))
    if big_table and len(keys) == 1:
        return list(annotated.order_by(*order)[skip:skip + limit])
    ranked = annotated.annotate(_sta_rank=Window(RowNumber(), partition_by=[F(nav.remote)],
                                                 order_by=order))
    return list(ranked.filter(_sta_rank__gt=skip, _sta_rank__lte=skip + limit)
                .order_by("_sta_parent", "_sta_rank"))


def render(ctx: Context, plan: Plan, row) -> dict:
    entity, select = plan.entity, plan.options.select
    wanted = set(select) if select is not None else None
    link = ctx.link(entity, row.pk)
    out: dict = {}
    if wanted is None or {"id", "@iot.id"} & wanted:
        out["@iot.id"] = row.pk
    if wanted is None or {"selfLink", "@iot.selfLink"} & wanted:
        out["@iot.selfLink"] = link
    for name, value in entity.values(row).items():
        if wanted is None or name in wanted:
            out[name] = value
    for nav in entity.navs:
        if wanted is None or nav.name in wanted:
            out[f"{nav.name}@iot.navigationLink"] = f"{link}/{nav.name}"
    expanded = getattr(row, "_sta_expanded", {})
    for key, value in expanded.items():
        if value is not None:
            out[key] = value
    return out


def service_root(ctx: Context) -> dict:
    return {
        "value": [{"name": name, "url": ctx.base + name} for name in SET_NAMES],
        "serverSettings": {
            "conformance": [
                "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel",
                "http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/"
                "resource-path-to-entities",
                "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
                "http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array",
            ],
        },
    }


def property_json(resolved: Resolved) -> str:
    return json.dumps({resolved.name: resolved.value}, ensure_ascii=False)


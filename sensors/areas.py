"""Project areas: a GeoJSON Polygon or MultiPolygon in WGS84 (positions are [longitude,
latitude], RFC 7946). A home must lie inside its project's area.

Small and dependency-free on purpose (no GIS library): the areas are a neighbourhood or a town,
a few dozen vertices, and the only questions asked are "is this point inside?" (ray casting,
holes respected, a point on an edge counts as inside) and "what box does it cover?". At these
sizes the plane approximation of lon/lat is exact enough (an error of centimetres).
"""

import math

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

AREA_TYPES = ("Polygon", "MultiPolygon")
# Keeps the admin honest: a neighbourhood needs tens of points, not a national border.
MAX_POSITIONS = 5000


def _polygons(area: dict) -> list:
    """The polygons of an area as lists of rings; each ring a list of (lon, lat)."""
    if area["type"] == "Polygon":
        return [area["coordinates"]]
    return list(area["coordinates"])


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def area_validate(area) -> None:
    """Raise ValidationError unless `area` is a usable GeoJSON Polygon or MultiPolygon."""
    if not isinstance(area, dict) or area.get("type") not in AREA_TYPES:
        raise ValidationError(_("The area must be a GeoJSON Polygon or MultiPolygon."),
                              code="area_type")
    coordinates = area.get("coordinates")
    if not isinstance(coordinates, list) or not coordinates:
        raise ValidationError(_("The area has no coordinates."), code="area_empty")
    polygons = [coordinates] if area["type"] == "Polygon" else coordinates
    count = 0
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise ValidationError(_("Every polygon needs at least one ring of positions."),
                                  code="area_ring")
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                raise ValidationError(
                    _("Every ring needs at least four positions (the last one equal to the "
                      "first)."), code="area_ring")
            for position in ring:
                if (not isinstance(position, list | tuple) or len(position) < 2
                        or not all(_is_number(value) for value in position[:2])):
                    raise ValidationError(
                        _("Every position must be [longitude, latitude] in numbers."),
                        code="area_position")
                lon, lat = position[0], position[1]
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    raise ValidationError(
                        _("Positions are [longitude, latitude] in degrees: longitude between "
                          "-180 and 180, latitude between -90 and 90."), code="area_range")
            if list(ring[0][:2]) != list(ring[-1][:2]):
                raise ValidationError(_("Every ring must end where it starts."),
                                      code="area_open_ring")
            count += len(ring)
    if count > MAX_POSITIONS:
        raise ValidationError(
            _("The area has %(count)d positions; at most %(max)d are allowed. Simplify it.")
            % {"count": count, "max": MAX_POSITIONS}, code="area_too_large")


def _on_segment(x, y, x1, y1, x2, y2) -> bool:
    cross = (x - x1) * (y2 - y1) - (y - y1) * (x2 - x1)
    if abs(cross) > 1e-12:
        return False
    return min(x1, x2) - 1e-12 <= x <= max(x1, x2) + 1e-12 and \
        min(y1, y2) - 1e-12 <= y <= max(y1, y2) + 1e-12


def _ring_contains(ring, x, y) -> bool | None:
    """True inside, False outside, None exactly on the ring's edge."""
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if _on_segment(x, y, xi, yi, xj, yj):
            return None
        if (yi > y) != (yj > y):
            crossing = (xj - xi) * (y - yi) / (yj - yi) + xi
            if x < crossing:
                inside = not inside
        j = i
    return inside


def _polygon_contains(rings, x, y) -> bool:
    outer = _ring_contains(rings[0], x, y)
    if outer is None:
        return True
    if not outer:
        return False
    # Holes: inside a hole is outside the polygon; the edge of a hole still counts as inside.
    return all(_ring_contains(hole, x, y) is not True for hole in rings[1:])


def point_in_area(area: dict, latitude, longitude) -> bool:
    """Whether the point lies inside (or on the edge of) the Polygon / MultiPolygon."""
    x, y = float(longitude), float(latitude)
    return any(_polygon_contains(rings, x, y) for rings in _polygons(area) if rings)


def area_bounds(area: dict) -> tuple[float, float, float, float]:
    """(south, west, north, east) of the area's outer rings."""
    lons, lats = [], []
    for rings in _polygons(area):
        for position in rings[0] if rings else []:
            lons.append(float(position[0]))
            lats.append(float(position[1]))
    return min(lats), min(lons), max(lats), max(lons)


def area_size_km(area: dict) -> tuple[float, float]:
    """The width (east-west) and height (north-south) of the area's box, in kilometres."""
    south, west, north, east = area_bounds(area)
    middle = math.radians((south + north) / 2)
    width = (east - west) * 111.32 * math.cos(middle)
    height = (north - south) * 111.32
    return round(width, 1), round(height, 1)

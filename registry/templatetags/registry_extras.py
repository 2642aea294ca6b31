"""Template filters for the register pages."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def number(value, default="–", grouping=False):
    """A measured value without trailing zeros, localised: 96.500 -> "96,5" in Dutch (with
    `grouping`, from Python: 480000 -> "480.000")."""
    if value is None or value == "":
        return default
    try:
        value = Decimal(value).normalize()
    except (InvalidOperation, TypeError, ValueError):
        return value
    if value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    return number_format(value, use_l10n=True, force_grouping=grouping)

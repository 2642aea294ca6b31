"""DigiD levels of assurance (betrouwbaarheidsniveaus), in increasing order."""

from django.db import models
from django.utils.translation import gettext_lazy as _

SESSION_KEY = "digid_assurance_level"


class AssuranceLevel(models.TextChoices):
    BASIS = "basis", _("Basis")
    MIDDEN = "midden", _("Midden")
    SUBSTANTIEEL = "substantieel", _("Substantieel")
    HOOG = "hoog", _("Hoog")


_ORDER = [level.value for level in AssuranceLevel]


def level_rank(level: str | None) -> int:
    """0 for no DigiD level at all, 1..4 for basis..hoog."""
    return _ORDER.index(level) + 1 if level in _ORDER else 0


def meets(level: str | None, minimum: str) -> bool:
    return level_rank(level) >= level_rank(minimum)

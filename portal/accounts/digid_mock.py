"""The embedded DigiD mock: test residents and one-time artifacts (development and demos only).

Modelled on DigiD's artifact binding. The mock IdP page keeps what the "IdP" knows about the
login (BSN, level, name) in the cache under a random one-time artifact and sends the browser
to our ACS with only that artifact in the URL. The ACS resolves the artifact once; a second
use finds nothing. So no BSN ever travels in a URL (access logs) or lands in the database.

Test residents are a constant, never database rows. Their BSNs are from the range DigiD
reserves for testing (999990000-999999999) and pass the 11-proef.
"""

import re
import secrets
from dataclasses import dataclass

from django.core.cache import cache

from portal.accounts.assurance import AssuranceLevel

ARTIFACT_TTL_SECONDS = 120
_ARTIFACT_CACHE_PREFIX = "digid-mock-artifact:"
# secrets.token_urlsafe(32) gives 43 characters of [A-Za-z0-9_-]; anything else is not ours.
_ARTIFACT_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class MockResident:
    key: str
    name: str
    bsn: str
    level: str


TEST_RESIDENTS: tuple[MockResident, ...] = (
    MockResident("fatima", "Fatima el Amrani", "999991772", AssuranceLevel.MIDDEN),
    MockResident("jan", "Jan de Vries", "999990019", AssuranceLevel.BASIS),
    MockResident("sanne", "Sanne Bakker", "999990032", AssuranceLevel.SUBSTANTIEEL),
    MockResident("emre", "Emre Yılmaz", "999990044", AssuranceLevel.MIDDEN),
    MockResident("anouk", "Anouk van den Berg", "999990056", AssuranceLevel.HOOG),
    MockResident("kees", "Kees Jansen", "999990068", AssuranceLevel.BASIS),
)


def mock_resident_get(*, key: str) -> MockResident | None:
    return next((resident for resident in TEST_RESIDENTS if resident.key == key), None)


def artifact_issue(*, bsn: str, level: str, name: str = "") -> str:
    """Store what the IdP asserts under a fresh random artifact; return the artifact."""
    artifact = secrets.token_urlsafe(32)
    cache.set(
        _ARTIFACT_CACHE_PREFIX + artifact,
        {"bsn": bsn, "level": str(level), "name": name},
        timeout=ARTIFACT_TTL_SECONDS,
    )
    return artifact


def artifact_resolve(*, artifact: str | None) -> dict | None:
    """The assertion behind `artifact`, exactly once; None when unknown, expired or used."""
    if not artifact or not _ARTIFACT_PATTERN.match(artifact):
        return None
    key = _ARTIFACT_CACHE_PREFIX + artifact
    assertion = cache.get(key)
    if assertion is None:
        return None
    # delete() reports whether this call removed the key: of two concurrent uses, one wins.
    if not cache.delete(key):
        return None
    return assertion

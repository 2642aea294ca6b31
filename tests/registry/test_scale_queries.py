"""Issue 6: the register lists, the dashboard and the API lists at scale keep a constant number
of queries. The records are bulk-inserted (bench/run.py's `build_registers`, the same fixture
`make bench` uses with 2,000 algorithms and 5,000 pilots), with KPIs and published final
evaluations with KPI results, so every related table the pages read is filled.

The smaller service-built query-count tests of each page stay in test_pages, test_pilots_pages,
test_dashboard, test_api and test_pilots_api; this one checks the counts against a few hundred
records of each kind.
"""

import pytest

from bench.run import build_registers
from tests.registry.conftest import count_queries

pytestmark = pytest.mark.django_db

URLS = [
    "/registers/algoritmes/",
    "/registers/pilots/",
    "/registers/raadsinformatie/",
    "/api/v1/algorithms/",
    "/api/v1/pilots/",
]


@pytest.mark.parametrize("url", URLS)
def test_query_count_is_the_same_for_5_and_200_records(client, url):
    build_registers(5, 5, 2, prefix="klein")
    client.get(url)  # warm up (session, caches)
    few = count_queries(client, url)

    build_registers(200, 200, 80, prefix="groot")

    assert count_queries(client, url) == few

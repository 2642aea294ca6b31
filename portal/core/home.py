"""A hook point for the home page: the apps that own a section fill its items.

portal/core sits left of every area app and may not import them, so an app registers a
function that returns its section's items (in its `AppConfig.ready`), the same way consent
registers with portal/core/access.py:

    from portal.core.home import register_home_items

    register_home_items("ideas", latest_ideas)   # latest_ideas() -> list of items

`home_sections()` (selectors.py) asks each section's provider for its items. An item needs
`title` and `get_absolute_url` (or `url`); `summary` is shown when present. A provider is one
short query (related rows fetched in the same query), so the home page costs one query per
filled section, whatever the number of rows. Nothing registered: the section shows its empty
state.
"""

from collections.abc import Callable

_PROVIDERS: dict[str, Callable[[], list]] = {}


def register_home_items(section_key: str, func: Callable[[], list]) -> Callable[[], list]:
    """Register the items of a home section; the same key twice replaces the earlier one."""
    _PROVIDERS[section_key] = func
    return func


def unregister_home_items(section_key: str) -> None:
    """For tests."""
    _PROVIDERS.pop(section_key, None)


def home_items(section_key: str) -> list:
    """The items of a home section, or [] when no app provides them."""
    func = _PROVIDERS.get(section_key)
    return list(func()) if func is not None else []

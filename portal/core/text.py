"""Plain text with simple formatting, rendered safely.

What people write is stored as they wrote it and rendered on output: Markdown for paragraphs,
**bold**, *italic*, lists, quotes and links; then nh3 (the ammonia HTML sanitiser) keeps only a
small allow-list of tags and attributes. Raw HTML in the text never survives: `<script>` goes
with its content, other tags are dropped, attributes such as `onclick` or `javascript:` links
are removed, and malformed markup is closed properly.
"""

from html import unescape

import markdown
import nh3
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "a"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def render_simple_text(text: str) -> SafeString:
    html = markdown.markdown(text or "", extensions=["nl2br", "sane_lists"], output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer ugc",
        clean_content_tags={"script", "style"},
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above


def plain_excerpt(text: str, length: int = 200) -> str:
    """The text without formatting, cut at a word boundary; for lists and feeds.

    Plain text, not HTML: entities are decoded (so "&" stays "&"), and templates and feed
    writers escape it on output."""
    plain = " ".join(unescape(strip_tags(str(render_simple_text(text)))).split())
    if len(plain) <= length:
        return plain
    return plain[:length].rsplit(" ", 1)[0] + "…"

"""Text filters for ideas and comments: what people wrote, rendered safely.

    {% load ideas_text %}
    {{ idea.body|simple_text }}     sanitised simple formatting (portal.core.text)
    {{ idea.body|plain_excerpt:160 }}  the text without formatting, cut at a word
"""

from django import template

from portal.core import text

register = template.Library()


@register.filter
def simple_text(value):
    return text.render_simple_text(str(value or ""))


@register.filter
def plain_excerpt(value, length=200):
    return text.plain_excerpt(str(value or ""), int(length))

"""Template filters for item texts: ``{{ question.stem|item_html }}``."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from examhall.itembank.formats.html_text import display_html, strip_tags

register = template.Library()


@register.filter
def item_html(text: str) -> SafeString:
    """A stored item text as safe HTML (imported markup cleaned, plain text escaped)."""
    return mark_safe(display_html(str(text or "")))


@register.filter
def item_text(text: str) -> str:
    """A stored item text as plain text (for lists and excerpts; escaped as usual)."""
    return strip_tags(display_html(str(text or "")))

"""A small allow-list sanitiser for the simple HTML of item texts.

Every importer runs source HTML through ``clean_html`` so a stem or option
holds only what the delivery pages render safely: p, br, b/strong, i/em, u,
sub, sup, img and tables. Any other tag is dropped but its text kept; the
content of script, style and similar containers is dropped whole; attributes
are allowed per tag (never ``on*``, never ``style``) and URLs only with safe
schemes (``data:`` only for raster images, never ``javascript:``).

Plain text from a source is made safe with ``escape_text``. Both escape only
``&`` and ``<`` in text (``>`` needs no escaping), so the output of
``clean_html`` is stable: cleaning it again gives the same string, which is
what lets the writers round-trip.

Standard library only (``html.parser``); no Django.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

ALLOWED_TAGS = frozenset(
    {"p", "br", "b", "strong", "i", "em", "u", "sub", "sup", "img",
     "table", "caption", "thead", "tbody", "tfoot", "tr", "td", "th"}
)
VOID_TAGS = frozenset({"br", "img"})
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "img": frozenset({"src", "alt", "width", "height"}),
    "td": frozenset({"colspan", "rowspan"}),
    "th": frozenset({"colspan", "rowspan"}),
}
# Containers whose content is code or chrome, not text: dropped with their content.
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "template", "noscript", "iframe", "object", "embed", "svg", "math",
     "head", "title", "textarea", "select"}
)
_SAFE_URL = re.compile(
    r"^(?:https?://|/|\./|\.\./|data:image/(?:png|jpe?g|gif|webp);base64,|@@PLUGINFILE@@/)",
    re.IGNORECASE,
)
_RELATIVE_URL = re.compile(r"^[\w\-./%]+$")
_NUMBER = re.compile(r"^\d{1,4}%?$")


def escape_text(text: str) -> str:
    """Plain text as simple HTML: only ``&`` and ``<`` need escaping."""
    return text.replace("&", "&amp;").replace("<", "&lt;")


def _escape_attribute(value: str) -> str:
    return escape_text(value).replace('"', "&quot;")


def _safe_url(value: str) -> bool:
    value = "".join(value.split())  # "java\nscript:" tricks
    return bool(_SAFE_URL.match(value) or (_RELATIVE_URL.match(value) and ":" not in value))


def _allowed_attribute(tag: str, name: str, value: str | None) -> bool:
    if name not in ALLOWED_ATTRIBUTES.get(tag, ()) or value is None:
        return False
    if name == "src":
        return _safe_url(value)
    if name in {"width", "height", "colspan", "rowspan"}:
        return bool(_NUMBER.match(value.strip()))
    return True


class _Cleaner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open_tags: list[str] = []
        self.dropping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROPPED_WITH_CONTENT:
            self.dropping.append(tag)
            return
        if self.dropping or tag not in ALLOWED_TAGS:
            return
        kept = "".join(
            f' {name}="{_escape_attribute(value or "")}"'
            for name, value in attrs
            if _allowed_attribute(tag, name, value)
        )
        self.out.append(f"<{tag}{kept}>")
        if tag not in VOID_TAGS:
            self.open_tags.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROPPED_WITH_CONTENT:
            return
        self.handle_starttag(tag, attrs)
        if tag in self.open_tags and self.open_tags[-1] == tag:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in DROPPED_WITH_CONTENT:
            if tag in self.dropping:
                while self.dropping.pop() != tag:
                    pass
            return
        if self.dropping or tag not in self.open_tags:
            return
        while self.open_tags:
            current = self.open_tags.pop()
            self.out.append(f"</{current}>")
            if current == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.out.append(escape_text(data))

    def result(self) -> str:
        self.close()
        self.out.extend(f"</{tag}>" for tag in reversed(self.open_tags))
        self.open_tags.clear()
        return "".join(self.out)


def clean_html(text: str) -> str:
    """Keep the allowed tags and attributes of ``text``, drop the rest (see module doc)."""
    cleaner = _Cleaner()
    cleaner.feed(text)
    return cleaner.result()


def strip_tags(text: str) -> str:
    """The text of simple HTML without its tags (for names and excerpts)."""
    parser = _TextOnly()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


_MARKUP = re.compile(r"</?(?:" + "|".join(sorted(ALLOWED_TAGS)) + r")\b", re.IGNORECASE)


def display_html(text: str) -> str:
    """A stored item text as safe HTML for a page: simple HTML (from an import) is
    cleaned; plain text (typed in the admin, the demo seed) is escaped and keeps its
    line breaks."""
    if _MARKUP.search(text):
        return clean_html(text)
    return escape_text(text).replace("\r\n", "\n").replace("\n", "<br>")

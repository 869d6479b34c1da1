"""Between QTI's XHTML content and the simple HTML of the neutral model.

Reading keeps p, br, b/strong, i/em, u (QTI's ``span class="qti-underline"``),
sub, sup, img, tables, lists, div/span and pre/code; other elements are unwrapped
to their text. Writing turns simple HTML into QTI-namespace XHTML elements with
the same allow-list, ``u`` as ``span class="qti-underline"`` (QTI 2.1 has no
``u``), ``img`` always with an ``alt``. Image paths are kept as written
(relative to the item file); the images themselves are not copied.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from html.parser import HTMLParser
from xml.etree.ElementTree import Element, SubElement

from ..html_text import clean_html

ALLOWED = frozenset(
    {
        *("p", "br", "b", "strong", "i", "em", "u", "sub", "sup", "img", "hr", "pre", "code"),
        *("table", "caption", "thead", "tbody", "tfoot", "tr", "td", "th", "col", "colgroup"),
        *("div", "span", "ul", "ol", "li", "dl", "dt", "dd", "blockquote"),
        *("h1", "h2", "h3", "h4", "h5", "h6"),
    }
)
VOID = frozenset({"br", "img", "hr", "col"})
ATTRIBUTES = {
    "img": ("src", "alt", "width", "height"),
    "td": ("colspan", "rowspan"),
    "th": ("colspan", "rowspan"),
}
UNDERLINE_CLASS = "qti-underline"
GAP = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")

# Replaces a QTI element while reading: return the HTML to put there, "" to drop it,
# None to serialise it normally.
Replace = Callable[[Element], "str | None"]
Gap = Callable[[Element, str], bool]


def clean(text: str) -> str:
    return clean_html(text.strip())


def inner_html(element: Element, replace: Replace | None = None) -> str:
    parts: list[str] = [html.escape(element.text or "", quote=False)]
    for child in element:
        parts.append(outer_html(child, replace))
        parts.append(html.escape(child.tail or "", quote=False))
    return "".join(parts)


def outer_html(element: Element, replace: Replace | None = None) -> str:
    if not isinstance(element.tag, str):  # comments, processing instructions
        return ""
    if replace is not None:
        replaced = replace(element)
        if replaced is not None:
            return replaced
    tag = element.tag
    if tag == "span" and UNDERLINE_CLASS in (element.get("class") or "").split():
        tag = "u"
    if tag == "object" and (element.get("type") or "").startswith("image"):
        return f'<img src="{html.escape(element.get("data") or "")}">'
    if tag not in ALLOWED:
        return inner_html(element, replace)
    attributes = "".join(
        f' {name}="{html.escape(element.get(name) or "")}"'
        for name in ATTRIBUTES.get(tag, ())
        if element.get(name) and not (name == "alt" and element.get(name) == "")
    )
    if tag in VOID:
        return f"<{tag}{attributes}>"
    return f"<{tag}{attributes}>{inner_html(element, replace)}</{tag}>"


class _Builder(HTMLParser):
    """Builds XHTML elements under ``parent`` from simple HTML."""

    def __init__(self, parent: Element, gap: Gap | None):
        super().__init__(convert_charrefs=True)
        self.stack = [parent]
        self.names = ["#root"]
        self.gap = gap

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED:
            return
        name = tag
        attributes = {k: v or "" for k, v in attrs if k in ATTRIBUTES.get(tag, ())}
        if tag == "u":
            tag, attributes = "span", {"class": UNDERLINE_CLASS}
        if tag == "img":
            attributes.setdefault("alt", "")
        element = SubElement(self.stack[-1], tag, attributes)
        if tag not in VOID:
            self.stack.append(element)
            self.names.append(name)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and tag in ALLOWED and self.names[-1] == tag:
            self.stack.pop()
            self.names.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.names[1:]:
            while self.names[-1] != tag:
                self.stack.pop()
                self.names.pop()
            self.stack.pop()
            self.names.pop()

    def handle_data(self, data: str) -> None:
        position = 0
        for match in GAP.finditer(data) if self.gap else ():
            self._text(data[position : match.start()])
            if not self.gap(self.stack[-1], match.group(1)):
                self._text(match.group(0))
            position = match.end()
        self._text(data[position:])

    def _text(self, text: str) -> None:
        if not text:
            return
        parent = self.stack[-1]
        if len(parent):
            parent[-1].tail = (parent[-1].tail or "") + text
        else:
            parent.text = (parent.text or "") + text


def append_html(parent: Element, text: str, gap: Gap | None = None) -> None:
    """Append simple HTML ``text`` to ``parent`` as un-namespaced XHTML elements.

    ``gap(parent, key)`` writes each ``{{key}}`` and returns False to keep it as text.
    """
    builder = _Builder(parent, gap)
    builder.feed(text)
    builder.close()

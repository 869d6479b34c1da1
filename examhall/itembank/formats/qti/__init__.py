"""IMS QTI 2.1/2.2 and 3.0: items and content packages in and out of the neutral model.

``parse_qti(data, filename)`` reads a content package (zip with imsmanifest.xml)
or one assessmentItem / qti-assessment-item file; ``write_qti_package(items,
version)`` writes a package with one item file per item.

Mapping decisions:

- choiceInteraction: maxChoices 1 → single, anything else → multiple; a choice
  interaction with class ``examhall-true-false`` and two choices → true_false
  (we write that class; nothing is guessed from wording). correctResponse gives
  ``Option.correct``. When the response is scored by its mapping (template
  map_response, or a mapResponse in custom processing) each mapped value becomes
  ``Option.weight`` = mappedValue / MAXSCORE, or / the sum of positive mapped
  values when there is no MAXSCORE (and for sub-questions).
- textEntryInteraction, one or several inline → fill_blank, one Blank per
  interaction (key = responseIdentifier, ``{{key}}`` in the stem); accepted
  answers = correctResponse + mapEntry keys with a positive value; caseSensitive
  from the mapEntries (exact match, so case-sensitive, without a mapping);
  baseType float/integer → numeric; tolerance from an absolute ``equal`` in the
  response processing; Blank.score = the mapped value, left None when every gap
  has the same points (the item's score split evenly).
- inlineChoiceInteraction → a fill_blank gap whose accepted answers are the texts
  of the correct inline choices; the wrong choices are not kept.
- extendedTextInteraction → essay.
- Several choice/essay interactions → case, one sub-question per interaction (the
  prompt is its stem), or per ``div.examhall-sub-item`` as we write them.
- Response processing: the templates match_correct and map_response (QTI 2.1 and
  3.0 URIs) and custom processing all import from correctResponse and mapping,
  without a problem; custom processing contributes only mapResponse and
  tolerances.
- Score: MAXSCORE's default value, else SCORE's normalMaximum, else the upperBound
  of a map_response mapping, else none (the sum of mapped values only turns them
  into weights: an export without a score must not come back with one).
- Export: one ``div.examhall-stem`` per stem, sub-questions as
  ``div.examhall-sub-item``; a single choice/essay uses the match_correct /
  map_response templates, fill_blank and case write custom processing (a sum of
  mapResponse per gap, an absolute-tolerance ``equal`` for numeric gaps). A gap
  without its own score gets the item's score split evenly (or 1 point).
- Explanation: rubricBlock view scorer/tutor, else the first modalFeedback.
- Any other interaction → the item is skipped (``unsupported_interaction`` naming
  it) and the rest imports.
- Images: ``img``/image ``object`` keep their src as written, relative to the item
  file; image files are not copied on export.
- Gaps mixed with choice/essay interactions outside sub-questions → skipped
  (``unsupported_combination``); no interaction at all → skipped (``no_interaction``).
- Source indentation in third-party bodies reads as one space (as HTML renders it).
- Not carried: tags, difficulty, and the scores, titles and explanations of
  sub-questions. Identifiers that are not valid QTI identifiers are prefixed
  (I_, O_, B_).
- Safety (``safety.py``): defusedxml only; the compression-ratio check applies to
  members over 1 MiB (small files cannot be bombs, and tiny XML compresses well).
"""

from __future__ import annotations

import posixpath
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from django.utils.translation import gettext as _

from ..interchange import MAX_ITEMS, FormatError, ItemProblem, ParseResult
from .reader import Rejected, read_item
from .safety import check_size, is_zip, normalise, parse_xml, qti_version, read_zip, split_tag
from .writer import write_qti_package

__all__ = ["parse_qti", "write_qti_package"]


def parse_qti(data: bytes, filename: str = "") -> ParseResult:
    check_size(data, filename)
    if is_zip(data):
        return _parse_package(read_zip(data, filename), filename)
    location = filename or "item.xml"
    root = parse_xml(data, location)
    if qti_version(root) is None or split_tag(root.tag)[1] not in (
        "assessmentItem",
        "qti-assessment-item",
    ):
        raise FormatError(
            "not_qti",
            _("%(file)s is not a QTI 2.x or 3.0 assessment item.") % {"file": location},
        )
    result = ParseResult()
    _read_file(root, location, result)
    return result


def _parse_package(files: dict[str, bytes], filename: str) -> ParseResult:
    manifests = sorted(
        (name for name in files if posixpath.basename(name) == "imsmanifest.xml"),
        key=lambda name: name.count("/"),
    )
    if not manifests:
        raise FormatError(
            "not_qti",
            _("%(file)s has no imsmanifest.xml; it is not an IMS content package.")
            % {"file": filename or "zip"},
        )
    manifest = parse_xml(files[manifests[0]], manifests[0])
    base = posixpath.dirname(manifests[0])
    resources = [
        element
        for element in manifest.iter()
        if split_tag(element.tag)[1] == "resource" and _is_item(element.get("type") or "")
    ]
    if not resources:
        raise FormatError(
            "not_qti", _("The package lists no QTI item (imsqti_item resource) in its manifest.")
        )
    if len(resources) > MAX_ITEMS:
        raise FormatError(
            "too_many_items",
            _("The package holds %(count)d items; at most %(limit)d are accepted.")
            % {"count": len(resources), "limit": MAX_ITEMS},
        )
    result = ParseResult()
    for resource in resources:
        _read_resource(resource, files, base, result)
    return result


def _is_item(resource_type: str) -> bool:
    """imsqti_item_xmlv2p1, imsqti_item_xmlv2p2, imsqti_item_xmlv3p0, imsqti_apipitem_xmlv2p1..."""
    return resource_type.startswith(("imsqti_item", "imsqti_apipitem"))


def _read_resource(resource: Element, files: dict[str, bytes], base: str, result: ParseResult):
    name = resource.get("identifier") or ""
    href = resource.get("href") or next(
        (f.get("href") for f in resource if split_tag(f.tag)[1] == "file"), ""
    )
    path = posixpath.normpath(posixpath.join(base, unquote(href or "")))
    if not href or path not in files:
        result.error(
            path,
            name,
            "missing_file",
            _("The manifest lists %(file)s, which is not in the package.") % {"file": href},
        )
        return
    try:
        root = parse_xml(files[path], path)
    except FormatError as exc:
        if exc.code != "xml_malformed":
            raise
        result.error(path, name, exc.code, exc.message)
        return
    if qti_version(root) is None:
        result.error(path, name, "not_qti", _("The file is not a QTI 2.x or 3.0 item."))
        return
    _read_file(root, path, result)


def _read_file(root: Element, location: str, result: ParseResult) -> None:
    normalise(root)
    name = root.get("identifier") or root.get("title") or location
    if root.tag != "assessmentItem":
        result.error(location, name, "not_qti", _("The file is not a QTI assessment item."))
        return
    try:
        item = read_item(root)
    except Rejected as rejected:
        result.problems.append(
            ItemProblem(location, name, rejected.status, rejected.code, rejected.message)
        )
        return
    item.location = location
    result.items.append(item)

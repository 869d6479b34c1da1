"""Neutral items → a QTI 2.1 or 3.0 content package (imsmanifest.xml + one file per item).

Items are built with bare QTI 2.1 names, then namespaced (2.1) or renamed to the
QTI 3.0 kebab-case vocabulary (3.0) when serialised.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal
from urllib.parse import quote
from xml.etree.ElementTree import Element, SubElement, tostring

from ..interchange import Blank, Item
from .html import ALLOWED, append_html
from .reader import EXPLANATION_CLASS, STEM_CLASS, SUB_ITEM_CLASS, TRUE_FALSE_CLASS
from .safety import QTI3_NAMESPACE

QTI21_NAMESPACE = "http://www.imsglobal.org/xsd/imsqti_v2p1"
XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"
RESERVED = frozenset({"SCORE", "MAXSCORE", "RESPONSE"})

VERSIONS = {
    "2.1": {
        "namespace": QTI21_NAMESPACE,
        "schema": f"{QTI21_NAMESPACE} http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1p2.xsd",
        "templates": "http://www.imsglobal.org/question/qti_v2p1/rptemplates/{}",
        "cp": "http://www.imsglobal.org/xsd/imscp_v1p1",
        "cp_schema": "http://www.imsglobal.org/xsd/imscp_v1p1 "
        "http://www.imsglobal.org/xsd/qti/qtiv2p1/qtiv2p1_imscpv1p2_v1p0.xsd",
        "package": ("QTIv2.1 Package", "1.0.0"),
        "resource": "imsqti_item_xmlv2p1",
    },
    "3.0": {
        "namespace": QTI3_NAMESPACE,
        "schema": f"{QTI3_NAMESPACE} "
        "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd",
        "templates": "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/{}.xml",
        "cp": "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1",
        "cp_schema": "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1 "
        "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqtiv3p0_imscpv1p2_v1p0.xsd",
        "package": ("QTI Package", "3.0.0"),
        "resource": "imsqti_item_xmlv3p0",
    },
}


def _valid(identifier: str) -> bool:
    return bool(re.fullmatch(r"[^\W\d][\w.\-]*", identifier))


def identifier_for(value: str, prefix: str) -> str:
    """``value`` when it is a valid QTI identifier, else a valid one made from it."""
    if _valid(value) and value not in RESERVED:
        return value
    return prefix + re.sub(r"[^\w.\-]", "_", value)


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


@dataclass
class _Responses:
    declarations: list[Element] = field(default_factory=list)
    rules: list[Element] = field(default_factory=list)
    template: str | None = None


def write_qti_package(items: list[Item], version: Literal["2.1", "3.0"] = "2.1") -> bytes:
    spec = VERSIONS[version]
    buffer = io.BytesIO()
    used: set[str] = set()
    entries: list[tuple[str, str]] = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, item in enumerate(items, 1):
            identifier = identifier_for(item.identifier, "I_") if item.identifier else ""
            if not identifier or identifier in used:
                identifier = f"ITEM_{index:05d}"
            used.add(identifier)
            path = f"items/{identifier}.xml"
            archive.writestr(path, _serialise(_item(item, identifier), version))
            entries.append((f"RES_{index:05d}", path))
        archive.writestr("imsmanifest.xml", _manifest(entries, spec))
    return buffer.getvalue()


def _manifest(entries: list[tuple[str, str]], spec: dict) -> bytes:
    root = Element("manifest", {"identifier": "MANIFEST_EXAMHALL"})
    _declare(root, spec["cp"], spec["cp_schema"])
    metadata = SubElement(root, "metadata")
    SubElement(metadata, "schema").text = spec["package"][0]
    SubElement(metadata, "schemaversion").text = spec["package"][1]
    SubElement(root, "organizations")
    resources = SubElement(root, "resources")
    for identifier, path in entries:
        href = quote(path)
        resource = SubElement(
            resources,
            "resource",
            {"identifier": identifier, "type": spec["resource"], "href": href},
        )
        SubElement(resource, "file", {"href": href})
    return tostring(root, encoding="utf-8", xml_declaration=True)


def _item(item: Item, identifier: str) -> Element:
    responses = _Responses()
    body = Element("itemBody")
    _container(item, body, responses, "RESPONSE", top=True)
    if item.explanation:
        rubric = SubElement(body, "rubricBlock", {"view": "scorer"})
        append_html(SubElement(rubric, "div", {"class": EXPLANATION_CLASS}), item.explanation)
    root = Element(
        "assessmentItem",
        {
            "identifier": identifier,
            "title": item.title,
            "adaptive": "false",
            "timeDependent": "false",
        },
    )
    root.extend(responses.declarations)
    root.append(_outcome("SCORE", Decimal(0)))
    if item.score is not None:
        root.append(_outcome("MAXSCORE", item.score))
    root.append(body)
    if responses.template:
        root.append(Element("responseProcessing", {"template": responses.template}))
    elif responses.rules:
        processing = Element("responseProcessing")
        processing.extend(responses.rules)
        root.append(processing)
    return root


def _outcome(identifier: str, value: Decimal) -> Element:
    attributes = {"identifier": identifier, "cardinality": "single", "baseType": "float"}
    outcome = Element("outcomeDeclaration", attributes)
    SubElement(SubElement(outcome, "defaultValue"), "value").text = _number(value)
    return outcome


def _container(item: Item, parent: Element, responses: _Responses, rid: str, top: bool) -> None:
    stem = SubElement(parent, "div", {"class": STEM_CLASS})
    if item.kind == "case":
        append_html(stem, item.stem)
        for index, sub in enumerate(item.sub_items, 1):
            attributes = {"class": SUB_ITEM_CLASS}
            if sub.identifier and _valid(sub.identifier):
                attributes["id"] = sub.identifier
            div = SubElement(parent, "div", attributes)
            _container(sub, div, responses, f"RESPONSE_{index}", top=False)
    elif item.kind == "fill_blank":
        _fill_blank(item, stem, responses)
    elif item.kind == "essay":
        append_html(stem, item.stem)
        SubElement(parent, "extendedTextInteraction", {"responseIdentifier": rid})
        responses.declarations.append(_declaration(rid, "single", "string"))
    else:
        append_html(stem, item.stem)
        _choice(item, parent, responses, rid, top)


def _declaration(rid: str, cardinality: str, base_type: str, correct: list[str] = ()) -> Element:
    declaration = Element(
        "responseDeclaration",
        {"identifier": rid, "cardinality": cardinality, "baseType": base_type},
    )
    if correct:
        values = SubElement(declaration, "correctResponse")
        for value in correct:
            SubElement(values, "value").text = value
    return declaration


def _choice(item: Item, parent: Element, responses: _Responses, rid: str, top: bool) -> None:
    attributes = {
        "responseIdentifier": rid,
        "shuffle": "false",
        "maxChoices": "0" if item.kind == "multiple" else "1",
    }
    if item.kind == "true_false":
        attributes["class"] = TRUE_FALSE_CLASS
    interaction = SubElement(parent, "choiceInteraction", attributes)
    keys = {option.key: identifier_for(option.key, "O_") for option in item.options}
    for option in item.options:
        choice = SubElement(interaction, "simpleChoice", {"identifier": keys[option.key]})
        append_html(choice, option.text)
    cardinality = "multiple" if item.kind == "multiple" else "single"
    declaration = _declaration(
        rid, cardinality, "identifier", [keys[key] for key in item.correct_keys]
    )
    responses.declarations.append(declaration)
    weighted = any(option.weight is not None for option in item.options)
    if weighted:
        mapping = SubElement(declaration, "mapping", {"defaultValue": "0"})
        for option in item.options:
            value = (option.weight or Decimal(0)) * (item.score or Decimal(1))
            entry = {"mapKey": keys[option.key], "mappedValue": _number(value)}
            SubElement(mapping, "mapEntry", {**entry, "caseSensitive": "true"})
    if top:
        responses.template = VERSIONS["2.1"]["templates"].format(
            "map_response" if weighted else "match_correct"
        )
    elif weighted:
        responses.rules.append(_add_score(Element("mapResponse", {"identifier": rid})))
    else:
        match = Element("match")
        SubElement(match, "variable", {"identifier": rid})
        SubElement(match, "correct", {"identifier": rid})
        responses.rules.append(_add_score_if(match, item.score or Decimal(1)))


def _fill_blank(item: Item, stem: Element, responses: _Responses) -> None:
    blanks = {blank.key: blank for blank in item.blanks}
    ids = {key: identifier_for(key, "B_") for key in blanks}

    def gap(parent: Element, key: str) -> bool:
        if key not in blanks:
            return False
        SubElement(parent, "textEntryInteraction", {"responseIdentifier": ids[key]})
        return True

    append_html(stem, item.stem, gap)
    share = None
    if item.score is not None and item.blanks:
        share = (item.score / len(item.blanks)).quantize(Decimal("0.0001"))
    for blank in item.blanks:
        points = blank.score if blank.score is not None else share or Decimal(1)
        _blank(blank, ids[blank.key], points, responses)


def _blank(blank: Blank, rid: str, points: Decimal, responses: _Responses) -> None:
    base_type = "float" if blank.numeric else "string"
    declaration = _declaration(rid, "single", base_type, blank.answers[:1])
    mapping = SubElement(declaration, "mapping", {"defaultValue": "0"})
    for answer in blank.answers:
        SubElement(
            mapping,
            "mapEntry",
            {
                "mapKey": answer,
                "mappedValue": _number(points),
                "caseSensitive": "true" if blank.case_sensitive else "false",
            },
        )
    responses.declarations.append(declaration)
    if blank.numeric and blank.tolerance:
        either = Element("or")
        tolerance = _number(blank.tolerance)
        for answer in blank.answers:
            equal = SubElement(
                either,
                "equal",
                {"toleranceMode": "absolute", "tolerance": f"{tolerance} {tolerance}"},
            )
            SubElement(equal, "variable", {"identifier": rid})
            SubElement(equal, "baseValue", {"baseType": "float"}).text = answer
        responses.rules.append(_add_score_if(either, points))
    else:
        responses.rules.append(_add_score(Element("mapResponse", {"identifier": rid})))


def _add_score(expression: Element) -> Element:
    """setOutcomeValue SCORE = SCORE + expression."""
    setter = Element("setOutcomeValue", {"identifier": "SCORE"})
    total = SubElement(setter, "sum")
    SubElement(total, "variable", {"identifier": "SCORE"})
    total.append(expression)
    return setter


def _add_score_if(condition: Element, points: Decimal) -> Element:
    rule = Element("responseCondition")
    branch = SubElement(rule, "responseIf")
    branch.append(condition)
    value = Element("baseValue", {"baseType": "float"})
    value.text = _number(points)
    branch.append(_add_score(value))
    return rule


def _serialise(root: Element, version: str) -> bytes:
    spec = VERSIONS[version]
    if version == "3.0":
        for element in list(root.iter()):
            if element.tag not in ALLOWED:
                _to_qti3(element)
    _declare(root, spec["namespace"], spec["schema"])
    return tostring(root, encoding="utf-8", xml_declaration=True)


def _declare(root: Element, namespace: str, schema: str) -> None:
    """Put the un-prefixed tree in ``namespace`` (ElementTree's default_namespace
    refuses un-prefixed attributes)."""
    root.set("xmlns", namespace)
    root.set("xmlns:xsi", XSI_NAMESPACE)
    root.set("xsi:schemaLocation", schema)


def _kebab(name: str) -> str:
    return re.sub(r"[A-Z]", lambda match: f"-{match.group(0).lower()}", name)


def _to_qti3(element: Element) -> None:
    if element.tag == "responseProcessing" and element.get("template"):
        name = element.get("template").rsplit("/", 1)[-1]
        element.set("template", VERSIONS["3.0"]["templates"].format(name))
    if element.tag == "rubricBlock":
        element.set("use", "scoring")
        children = list(element)
        for child in children:
            element.remove(child)
        SubElement(element, "qti-content-body").extend(children)
    element.tag = "qti-" + _kebab(element.tag)
    element.attrib = {_kebab(key): value for key, value in element.attrib.items()}

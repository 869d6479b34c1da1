"""One normalised QTI assessmentItem tree → one neutral ``Item`` (or a reason why not).

The tree has bare QTI 2 names (``safety.normalise``), so QTI 2.x and 3.0 read alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element

from django.utils.translation import gettext as _

from ..interchange import Blank, Item, Option
from .html import clean, inner_html

BLOCK = frozenset({"choiceInteraction", "extendedTextInteraction"})
INLINE = frozenset({"textEntryInteraction", "inlineChoiceInteraction"})
SUPPORTED = BLOCK | INLINE
SUB_ITEM_CLASS = "examhall-sub-item"
STEM_CLASS = "examhall-stem"
EXPLANATION_CLASS = "examhall-explanation"
TRUE_FALSE_CLASS = "examhall-true-false"
HIDDEN = frozenset(
    {"modalFeedback", "feedbackBlock", "feedbackInline", "templateBlock", "stylesheet"}
)


class Rejected(Exception):
    def __init__(self, status: str, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Declaration:
    base_type: str = "identifier"
    correct: list[str] = field(default_factory=list)
    mapping: dict[str, Decimal] = field(default_factory=dict)
    case_sensitive: bool | None = None
    upper_bound: Decimal | None = None


@dataclass
class Scoring:
    """What the response processing tells us: which responses are scored by their
    mapping, and the absolute tolerance of numeric comparisons."""

    mapped: set[str] = field(default_factory=set)
    tolerance: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class Context:
    declarations: dict[str, Declaration]
    scoring: Scoring
    max_score: Decimal | None


def is_interaction(element: Element) -> bool:
    return isinstance(element.tag, str) and element.tag.endswith("Interaction")


def _classes(element: Element) -> list[str]:
    return (element.get("class") or "").split()


def _decimal(text: str | None) -> Decimal | None:
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def read_item(root: Element) -> Item:
    body = root.find("itemBody")
    if body is None:
        raise Rejected("error", "no_item_body", _("The item has no itemBody."))
    interactions = [element for element in body.iter() if is_interaction(element)]
    unsupported = sorted({element.tag for element in interactions} - SUPPORTED)
    if unsupported:
        raise Rejected(
            "skipped",
            "unsupported_interaction",
            _("The item uses %(names)s, which ExamHall cannot import.")
            % {"names": ", ".join(unsupported)},
        )
    if not interactions:
        raise Rejected("skipped", "no_interaction", _("The item has no interaction to answer."))
    context = Context(
        {d.get("identifier") or "": _declaration(d) for d in root.findall("responseDeclaration")},
        _scoring(root.find("responseProcessing")),
        _max_score(root),
    )
    item = _read_container(body, context, top=True)
    item.identifier = root.get("identifier") or ""
    item.title = root.get("title") or ""
    item.score = context.max_score
    response = context.declarations.get("RESPONSE")
    if item.score is None and response and "RESPONSE" in context.scoring.mapped:
        item.score = response.upper_bound
    item.explanation = _explanation(root)
    return item


def _declaration(element: Element) -> Declaration:
    declaration = Declaration(base_type=element.get("baseType") or "identifier")
    correct = element.find("correctResponse")
    if correct is not None:
        declaration.correct = [(value.text or "").strip() for value in correct.findall("value")]
    mapping = element.find("mapping")
    if mapping is not None:
        declaration.upper_bound = _decimal(mapping.get("upperBound"))
        for entry in mapping.findall("mapEntry"):
            value = _decimal(entry.get("mappedValue"))
            if value is not None:
                declaration.mapping[(entry.get("mapKey") or "").strip()] = value
        entries = mapping.findall("mapEntry")
        flags = [entry.get("caseSensitive", "true") == "true" for entry in entries]
        declaration.case_sensitive = any(flags) if flags else None
    return declaration


def _scoring(processing: Element | None) -> Scoring:
    scoring = Scoring()
    if processing is None:
        return scoring
    template = (processing.get("template") or "").rstrip("/").rsplit("/", 1)[-1]
    if template.removesuffix(".xml") == "map_response":
        scoring.mapped.add("RESPONSE")
    scoring.mapped.update(e.get("identifier") or "" for e in processing.iter("mapResponse"))
    for equal in processing.iter("equal"):
        variable = equal.find("variable")
        tolerance = _decimal((equal.get("tolerance") or "").split(" ")[0])
        if equal.get("toleranceMode") == "absolute" and variable is not None and tolerance:
            scoring.tolerance[variable.get("identifier") or ""] = tolerance
    return scoring


def _max_score(root: Element) -> Decimal | None:
    for outcome in root.findall("outcomeDeclaration"):
        if outcome.get("identifier") == "MAXSCORE":
            value = outcome.find("defaultValue/value")
            if value is not None:
                return _decimal(value.text)
    for outcome in root.findall("outcomeDeclaration"):
        if outcome.get("identifier") == "SCORE" and outcome.get("normalMaximum"):
            return _decimal(outcome.get("normalMaximum"))
    return None


def _explanation(root: Element) -> str:
    for rubric in root.iter("rubricBlock"):
        if {"scorer", "tutor"} & set((rubric.get("view") or "").split()):
            marked = next((e for e in rubric.iter("div") if EXPLANATION_CLASS in _classes(e)), None)
            return clean(inner_html(marked if marked is not None else rubric))
    feedback = root.find("modalFeedback")
    return clean(inner_html(feedback)) if feedback is not None else ""


def _hide(element: Element) -> str | None:
    """The replacement of QTI elements in stem HTML (None: serialise as usual)."""
    if element.tag in INLINE:
        return "{{%s}}" % (element.get("responseIdentifier") or "")
    if element.tag in BLOCK or element.tag in HIDDEN:
        return ""
    if element.tag == "div" and SUB_ITEM_CLASS in _classes(element):
        return ""
    if element.tag == "rubricBlock" and {"scorer", "tutor"} & set(
        (element.get("view") or "").split()
    ):
        return ""
    return None


def _stem(container: Element, block: Element | None = None) -> str:
    marked = next((e for e in container if e.tag == "div" and STEM_CLASS in _classes(e)), None)
    if marked is not None:
        return clean(inner_html(marked, _hide))
    text = _squeeze(inner_html(container, _hide))
    prompt = _prompt(block) if block is not None else ""
    if prompt:
        text = f"{text}<p>{prompt}</p>" if text else prompt
    return clean(text)


def _prompt(block: Element) -> str:
    prompt = block.find("prompt")
    return _squeeze(inner_html(prompt, _hide)) if prompt is not None else ""


def _squeeze(text: str) -> str:
    """Source indentation (whitespace with a line break) read as one space, as HTML does;
    ``pre`` blocks keep theirs."""
    parts = re.split(r"(<pre>.*?</pre>)", text, flags=re.DOTALL)
    return "".join(
        part if part.startswith("<pre>") else re.sub(r"\s*\n\s*", " ", part) for part in parts
    ).strip()


def _read_container(container: Element, context: Context, top: bool = False) -> Item:
    sub_divs = [e for e in container if e.tag == "div" and SUB_ITEM_CLASS in _classes(e)]
    if sub_divs:
        subs = [_read_container(div, context) for div in sub_divs]
        for div, sub in zip(sub_divs, subs, strict=True):
            sub.identifier = div.get("id") or ""
        return Item(kind="case", stem=_stem(container), sub_items=subs)
    interactions = [e for e in container.iter() if is_interaction(e)]
    blocks = [e for e in interactions if e.tag in BLOCK]
    inline = [e for e in interactions if e.tag in INLINE]
    if not blocks:
        blanks = [_blank(element, context) for element in inline]
        return Item(kind="fill_blank", stem=_stem(container), blanks=_even(blanks))
    if inline:
        raise Rejected(
            "skipped",
            "unsupported_combination",
            _("The item mixes gaps with choice or essay interactions outside sub-questions."),
        )
    if len(blocks) == 1:
        return _block(blocks[0], context, _stem(container, blocks[0]), top)
    subs = [_block(element, context, clean(_prompt(element)), top=False) for element in blocks]
    return Item(kind="case", stem=_stem(container), sub_items=subs)


def _block(element: Element, context: Context, stem: str, top: bool) -> Item:
    if element.tag == "extendedTextInteraction":
        return Item(kind="essay", stem=stem)
    identifier = element.get("responseIdentifier") or ""
    declaration = context.declarations.get(identifier, Declaration())
    choices = element.findall("simpleChoice")
    if not choices:
        raise Rejected("error", "no_choices", _("The choice interaction has no choices."))
    weights = _weights(identifier, declaration, context, top)
    options = [
        Option(
            key=choice.get("identifier") or "",
            text=clean(inner_html(choice, _hide)),
            correct=(choice.get("identifier") or "") in declaration.correct,
            weight=weights.get(choice.get("identifier") or "") if weights else None,
        )
        for choice in choices
    ]
    if not declaration.correct and weights:
        for option in options:
            option.correct = (option.weight or 0) > 0
    if not any(option.correct for option in options):
        raise Rejected(
            "error", "no_correct_response", _("The item does not say which choice is correct.")
        )
    kind = "single" if (element.get("maxChoices") or "1") == "1" else "multiple"
    if TRUE_FALSE_CLASS in _classes(element) and len(options) == 2:
        kind = "true_false"
    return Item(kind=kind, stem=stem, options=options)


def _weights(
    identifier: str, declaration: Declaration, context: Context, top: bool
) -> dict[str, Decimal]:
    """Mapped values as shares of the item's score: MAXSCORE when the item declares it
    (and this is the item's only response), else the sum of positive mapped values."""
    if identifier not in context.scoring.mapped or not declaration.mapping:
        return {}
    positive = sum((v for v in declaration.mapping.values() if v > 0), Decimal(0))
    total = context.max_score if top and context.max_score else positive
    if not total:
        return {}
    return {key: value / total for key, value in declaration.mapping.items()}


def _blank(element: Element, context: Context) -> Blank:
    identifier = element.get("responseIdentifier") or ""
    declaration = context.declarations.get(identifier, Declaration())
    positive = [key for key, value in declaration.mapping.items() if value > 0]
    accepted = list(dict.fromkeys(declaration.correct + positive))
    case_sensitive = declaration.case_sensitive is not False
    if element.tag == "inlineChoiceInteraction":
        texts = {
            choice.get("identifier"): clean(inner_html(choice))
            for choice in element.findall("inlineChoice")
        }
        accepted = [texts[key] for key in accepted if key in texts]
        case_sensitive = False
    if not accepted:
        raise Rejected(
            "error",
            "no_correct_response",
            _("The gap %(gap)s has no correct answer.") % {"gap": identifier},
        )
    scores = [declaration.mapping[key] for key in positive]
    return Blank(
        key=identifier,
        answers=accepted,
        case_sensitive=case_sensitive,
        numeric=declaration.base_type in ("float", "integer"),
        tolerance=context.scoring.tolerance.get(identifier, Decimal(0)),
        score=max(scores) if scores else None,
    )


def _even(blanks: list[Blank]) -> list[Blank]:
    """Equal points on every gap read as no per-gap score (the item's score split evenly)."""
    if len({blank.score for blank in blanks}) <= 1:
        for blank in blanks:
            blank.score = None
    return blanks

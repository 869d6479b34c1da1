"""The integrity report of one attempt as a PDF (reportlab; Chinese text in the
built-in CID font STSong-Light, so no font file is needed)."""

from __future__ import annotations

import datetime as dt
import io
import logging
import uuid
from collections.abc import Iterator
from xml.sax.saxutils import escape

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (
    Flowable,
    Image,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from examhall.delivery.models import AttemptState
from examhall.proctoring.models import Snapshot
from examhall.review.selectors import AttemptDossier

logger = logging.getLogger(__name__)

FONT = "STSong-Light"
EMBEDDED_PICTURES = 8
THUMBNAIL_WIDTH = 42 * mm

_font_registered = False


def _register_font() -> None:
    global _font_registered
    if not _font_registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _font_registered = True


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=14)
    return {
        "title": ParagraphStyle("title", parent=body, fontSize=16, leading=22, spaceAfter=4),
        "subtitle": ParagraphStyle("subtitle", parent=body, textColor=colors.HexColor("#5b6676")),
        "heading": ParagraphStyle("heading", parent=body, fontSize=12, leading=17,
                                  spaceBefore=10, spaceAfter=4, keepWithNext=1,
                                  textColor=colors.HexColor("#163f73")),
        "body": body,
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.5, leading=11.5),
    }


def _when(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    return formats.date_format(timezone.localtime(value), "Y-m-d H:i:s")


def integrity_report_pdf(dossier: AttemptDossier) -> bytes:
    """The report: candidate (masked ID), exam, times, identity, flags with evidence
    pictures, browser events, proctor actions, irregularity reports, decisions."""
    _register_font()
    styles = _styles()
    buffer = io.BytesIO()
    registration = dossier.attempt.registration
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
        bottomMargin=16 * mm, title=_("Integrity report"),
        subject=f"{registration.exam.name} · {registration.ticket_number}", author="ExamHall")
    document.build(list(_story(dossier, styles)))
    return buffer.getvalue()


def _story(dossier: AttemptDossier, styles: dict[str, ParagraphStyle]) -> Iterator[Flowable]:
    attempt = dossier.attempt
    registration = attempt.registration
    yield Paragraph(escape(_("Integrity report")), styles["title"])
    yield Paragraph(escape(f"{registration.exam.name} · {registration.subject.display_name}"),
                    styles["subtitle"])
    yield Spacer(1, 4 * mm)
    yield _table(styles, None, [
        (_("Candidate"), registration.candidate.name),
        (_("ID number"), registration.candidate.id_number_masked),
        (_("Admission ticket number"), registration.ticket_number),
        (_("Session"), registration.session.name),
        (_("Room"), registration.room.name),
        (_("State"), attempt.get_state_display()),
        (_("Started at"), _when(attempt.started_at)),
        (_("Submitted at"), _when(attempt.submitted_at)),
        (_("Score"), _score_text(dossier)),
        (_("Identity verification"), _identity_text(dossier)),
        (_("Review decision"), _decision_text(dossier)),
    ], widths=[40 * mm, None])
    yield from _flags(dossier, styles)
    yield from _section(styles, _("Browser events"), [_("event"), _("times")],
                        [(label, str(n)) for label, n in dossier.browser_events])
    yield from _section(styles, _("Proctor actions"), [_("at"), _("proctor"), _("action"),
                                                       _("reason")],
                        [(_when(a.at), a.actor.get_username(), a.get_kind_display(), a.reason)
                         for a in dossier.proctor_actions])
    yield from _section(styles, _("Irregularity reports"), [_("filed at"), _("by"),
                                                            _("category"), _("description")],
                        [(_when(r.filed_at), r.author.get_username(), r.get_category_display(),
                          r.description) for r in dossier.irregularities])
    yield from _section(styles, _("Review decisions"), [_("at"), _("reviewer"), _("decision"),
                                                        _("note")],
                        [(_when(d.at), d.reviewer.get_username(),
                          f"{d.get_kind_display()}: {d.get_status_display()}"
                          + (f" ({_('result voided')})" if d.voided else ""), d.note)
                         for d in dossier.decisions])
    yield Spacer(1, 6 * mm)
    yield Paragraph(escape(_("Generated by ExamHall at %(at)s.")
                           % {"at": _when(timezone.now())}), styles["subtitle"])


def _score_text(dossier: AttemptDossier) -> str:
    result = dossier.result
    if result is None:
        return "—"
    text = f"{result.score} / {result.max_score}"
    if dossier.attempt.state == AttemptState.VOIDED:
        text += " (" + _("void") + ")"
    return text


def _identity_text(dossier: AttemptDossier) -> str:
    check = dossier.identity
    if check is None:
        return _("not required")
    text = check.get_status_display()
    if check.distance is not None:
        text += " · " + _("face distance %(d).3f") % {"d": check.distance}
    return text


def _decision_text(dossier: AttemptDossier) -> str:
    review = dossier.review
    if review is None:
        return dossier.status_label
    text = dossier.status_label
    if review.note:
        text += f" — {review.note}"
    if review.awaiting_confirmation:
        text += " (" + _("waiting for a second reviewer") + ")"
    if review.voided_at:
        text += " (" + _("result voided") + ")"
    return text


def _flags(dossier: AttemptDossier, styles: dict[str, ParagraphStyle]) -> Iterator[Flowable]:
    rows = [(f"{f.label} ({f.severity_label})", f.camera or "—", f.status_label,
             f"{_when(f.first_at)} – {_when(f.last_at)[11:]}", str(f.count))
            for f in dossier.flags]
    yield from _section(styles, _("Flags"), [_("flag"), _("camera"), _("status"), _("time"),
                                             _("times seen")], rows)
    pictures = [(f.label, snapshot_id) for f in dossier.flags if f.status != "dismissed"
                for snapshot_id in f.evidence]
    thumbnails = list(_thumbnails(pictures[:EMBEDDED_PICTURES], styles))
    if thumbnails:
        yield Paragraph(escape(_("Evidence pictures")), styles["heading"])
        grid = [thumbnails[i:i + 3] for i in range(0, len(thumbnails), 3)]
        grid[-1] += [""] * (3 - len(grid[-1]))
        table = Table(grid, colWidths=[THUMBNAIL_WIDTH + 12 * mm] * 3, hAlign="LEFT")
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
        yield table


def _thumbnails(pictures: list[tuple[str, uuid.UUID]],
                styles: dict[str, ParagraphStyle]) -> Iterator[list[Flowable]]:
    snapshots = Snapshot.objects.in_bulk([pk for _label, pk in pictures])
    for label, pk in pictures:
        snapshot = snapshots.get(pk)
        if snapshot is None or not snapshot.image:
            continue
        try:
            with snapshot.image.open("rb") as handle:
                data = io.BytesIO(handle.read())
        except (FileNotFoundError, OSError):
            logger.warning("evidence picture %s is missing", pk)
            continue
        height = THUMBNAIL_WIDTH * snapshot.height / max(snapshot.width, 1)
        caption = f"{label} · {snapshot.get_camera_display()} · {_when(snapshot.taken_at)[11:]}"
        yield [Image(data, width=THUMBNAIL_WIDTH, height=height),
               Paragraph(escape(caption), styles["cell"])]


def _section(styles: dict[str, ParagraphStyle], title: str, columns: list[str],
             rows: list[tuple[str, ...]]) -> Iterator[Flowable]:
    yield Paragraph(escape(title), styles["heading"])
    if not rows:
        yield Paragraph(escape(_("None.")), styles["body"])
        return
    yield _table(styles, columns, rows)


def _table(styles: dict[str, ParagraphStyle], columns: list[str] | None,
           rows: list[tuple[str, ...]], widths: list[float | None] | None = None) -> Table:
    cell = styles["cell"]
    data = [[Paragraph(escape(str(value)), cell) for value in row] for row in rows]
    if columns:
        data.insert(0, [Paragraph(f"<b>{escape(c)}</b>", cell) for c in columns])
    table = Table(data, colWidths=widths, hAlign="LEFT", repeatRows=1 if columns else 0)
    style = [("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#d8dee8")),
             ("VALIGN", (0, 0), (-1, -1), "TOP")]
    if columns:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e7eef8")))
    else:
        style.append(("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f4f6f9")))
    table.setStyle(TableStyle(style))
    return table

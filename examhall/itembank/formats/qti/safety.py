"""Hardened reading of QTI input: size limits, zip checks and defusedxml parsing.

Everything hostile ends here as a ``FormatError`` with a stable code; the rest of
the QTI code only ever sees parsed, size-checked, name-normalised trees.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from lzma import LZMAError
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.utils.translation import gettext as _

from ..interchange import MAX_ARCHIVE_MEMBERS, MAX_FILE_BYTES, MAX_UNPACKED_BYTES, FormatError

MAX_COMPRESSION_RATIO = 100

QTI2_NAMESPACES = frozenset(
    {
        "http://www.imsglobal.org/xsd/imsqti_v2p0",
        "http://www.imsglobal.org/xsd/imsqti_v2p1",
        "http://www.imsglobal.org/xsd/imsqti_v2p2",
    }
)
QTI3_NAMESPACE = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"


def check_size(data: bytes, filename: str) -> None:
    if len(data) > MAX_FILE_BYTES:
        raise FormatError(
            "file_too_large",
            _("%(file)s is %(size)d MB; the limit is %(limit)d MB. Split it into smaller packages.")
            % {
                "file": filename or _("The file"),
                "size": len(data) // (1024 * 1024),
                "limit": MAX_FILE_BYTES // (1024 * 1024),
            },
        )


def is_zip(data: bytes) -> bool:
    return data[:2] == b"PK"


def read_zip(data: bytes, filename: str) -> dict[str, bytes]:
    """Every file member of the archive, refused whole when it is broken or hostile."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError) as exc:
        raise FormatError(
            "bad_zip", _("%(file)s is not a readable zip archive.") % {"file": filename or "zip"}
        ) from exc
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        _check_members(members)
        return {info.filename: _read_member(archive, info) for info in members}


def _check_members(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise FormatError(
            "zip_bomb",
            _("The archive holds %(count)d files; at most %(limit)d are accepted.")
            % {"count": len(members), "limit": MAX_ARCHIVE_MEMBERS},
        )
    if sum(info.file_size for info in members) > MAX_UNPACKED_BYTES:
        raise FormatError(
            "zip_bomb",
            _("The archive would unpack to more than %(limit)d MB.")
            % {"limit": MAX_UNPACKED_BYTES // (1024 * 1024)},
        )
    for info in members:
        if _unsafe_name(info.filename):
            raise FormatError(
                "unsafe_path",
                _("The archive member %(name)s points outside the package.")
                % {"name": info.filename},
            )
        if info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1) and (
            info.file_size > 1024 * 1024
        ):
            raise FormatError(
                "zip_bomb",
                _("The archive member %(name)s is compressed more than %(ratio)d times.")
                % {"name": info.filename, "ratio": MAX_COMPRESSION_RATIO},
            )


def _unsafe_name(name: str) -> bool:
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return True
    return ".." in re.split(r"[/\\]", name)


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        with archive.open(info) as member:
            content = member.read(info.file_size + 1)
    except (
        zipfile.BadZipFile,
        zlib.error,
        LZMAError,
        RuntimeError,
        NotImplementedError,
        ValueError,
        OSError,
        EOFError,
    ) as exc:
        raise FormatError(
            "bad_zip",
            _("The archive member %(name)s cannot be read (damaged or encrypted).")
            % {"name": info.filename},
        ) from exc
    if len(content) > info.file_size:
        raise FormatError(
            "zip_bomb",
            _("The archive member %(name)s is larger than the archive declares.")
            % {"name": info.filename},
        )
    return content


def parse_xml(data: bytes, location: str) -> Element:
    """Parse with defusedxml; entity declarations and external references are refused."""
    try:
        return fromstring(data)
    except DefusedXmlException as exc:
        raise FormatError(
            "xml_forbidden",
            _("%(file)s declares entities or external references, which are refused for safety.")
            % {"file": location},
        ) from exc
    except ParseError as exc:
        line, column = exc.position
        raise FormatError(
            "xml_malformed",
            _("%(file)s is not well-formed XML (line %(line)d, column %(column)d).")
            % {"file": location, "line": line, "column": column},
        ) from exc
    except (LookupError, ValueError) as exc:  # an unknown or unsupported encoding
        raise FormatError(
            "xml_malformed",
            _("%(file)s declares an encoding that cannot be read; save it as UTF-8.")
            % {"file": location},
        ) from exc


def split_tag(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, local = tag[1:].split("}", 1)
        return namespace, local
    return "", tag


def qti_version(root: Element) -> str | None:
    """The QTI major version ("2" or "3") of a root element, None when it is not QTI."""
    namespace, _local = split_tag(root.tag)
    if namespace in QTI2_NAMESPACES:
        return "2"
    if namespace == QTI3_NAMESPACE:
        return "3"
    return None


def _camel(name: str) -> str:
    return re.sub(r"-([a-z0-9])", lambda match: match.group(1).upper(), name)


def normalise(root: Element) -> None:
    """Rewrite a QTI 2.x or 3.0 tree in place to bare QTI 2 names.

    ``{imsqtiasi_v3p0}qti-choice-interaction max-choices="1"`` becomes
    ``choiceInteraction maxChoices="1"``; XHTML elements keep their names; elements
    of other namespaces (MathML, ...) keep their ``{namespace}`` tag.
    """
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        namespace, local = split_tag(element.tag)
        if namespace not in QTI2_NAMESPACES and namespace != QTI3_NAMESPACE:
            continue
        if local.startswith("qti-"):
            element.tag = _camel(local[4:])
            element.attrib = {
                (key if key.startswith(("data-", "aria-", "{")) else _camel(key)): value
                for key, value in element.attrib.items()
            }
        else:
            element.tag = local

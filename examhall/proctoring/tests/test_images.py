"""Snapshot pictures on the way to storage: a plain JPEG keeps its pixels and loses its
metadata at byte level; anything unusual is decoded and encoded again; nothing the
sender wrote besides the pixels is kept either way."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from examhall.identity.tests.frames import frame
from examhall.proctoring import images
from examhall.proctoring.tests.helpers import with_exif

XMP = b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>secret location</x:xmpmeta>"


def _jpeg(image: Image.Image, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80, **options)
    return out.getvalue()


def _with_xmp_comment_and_tail(data: bytes) -> bytes:
    """EXIF, an XMP packet, a comment and bytes hidden after the end marker."""
    data = with_exif(data)
    xmp = b"\xff\xe1" + (len(XMP) + 2).to_bytes(2, "big") + XMP
    comment = b"\xff\xfe" + (len(b"secret note") + 2).to_bytes(2, "big") + b"secret note"
    return data[:2] + xmp + comment + data[2:] + b"hidden payload after the end"


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def test_a_plain_jpeg_keeps_its_pixels_and_loses_every_metadata_segment():
    original = frame("obama")
    sent = _with_xmp_comment_and_tail(original)
    assert b"secret location" in sent and b"secret note" in sent
    assert Image.open(io.BytesIO(sent)).getexif()

    clean = images.clean_snapshot(sent)

    for secret in (b"secret location", b"secret note", b"hidden payload", b"Exif"):
        assert secret not in clean.jpeg
    assert clean.jpeg.endswith(b"\xff\xd9")
    stored = Image.open(io.BytesIO(clean.jpeg))
    assert not stored.getexif() and "comment" not in stored.info
    assert (clean.width, clean.height) == stored.size == Image.open(io.BytesIO(sent)).size
    # The compressed pixels are the sender's own: decoded, they are the upload's.
    assert np.array_equal(_pixels(clean.jpeg), _pixels(sent))


@pytest.mark.parametrize("options", [{"progressive": True}, {"restart_marker_blocks": 4}],
                         ids=["progressive", "restart-markers"])
def test_progressive_and_restart_marker_jpegs_are_kept_whole(options):
    image = Image.open(io.BytesIO(frame("obama"))).convert("RGB")
    sent = _jpeg(image, **options)
    clean = images.clean_snapshot(sent)
    assert np.array_equal(_pixels(clean.jpeg), _pixels(sent))


def test_an_adobe_cmyk_or_turned_picture_is_decoded_and_encoded_again():
    image = Image.open(io.BytesIO(frame("obama"))).convert("RGB")
    cmyk = _jpeg(image.convert("CMYK"))  # Pillow writes the Adobe segment for CMYK
    assert images.jpeg_without_metadata(cmyk) is None
    turned = Image.Exif()
    turned[0x0112] = 6  # "rotate 90° to show"
    sideways = _jpeg(image, exif=turned)
    for sent in (cmyk, sideways):
        clean = images.clean_snapshot(sent)
        stored = Image.open(io.BytesIO(clean.jpeg))
        assert stored.mode == "RGB" and not stored.getexif()
        assert b"Adobe" not in clean.jpeg
    assert images.clean_snapshot(sideways).width == image.height  # turned upright


def test_a_truncated_or_broken_jpeg_is_refused_as_not_decodable():
    sent = frame("obama")
    for broken in (sent[: len(sent) // 2], sent[:200] + b"\x00" * 50):
        with pytest.raises(images.SnapshotImageError) as refused:
            images.clean_snapshot(broken)
        assert refused.value.code == "not_decodable"


def test_the_same_frame_twice_has_one_fingerprint_and_another_frame_does_not():
    first = images.clean_snapshot(frame("obama"))
    again = images.clean_snapshot(with_exif(frame("obama")))
    other = images.clean_snapshot(frame("biden"))
    assert images.fingerprint_difference(first.fingerprint, again.fingerprint) == 0.0
    assert images.fingerprint_difference(first.fingerprint, other.fingerprint) > 5.0

"""Fake camera input for Chromium: a Y4M video made from a still face photo."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def face_y4m(target: Path, *, photo: str = "faces/astronaut.jpg", frames: int = 30,
             size: tuple[int, int] = (640, 480)) -> Path:
    """Write a 4:2:0 Y4M clip of the photo centred on a grey 640×480 frame."""
    if target.exists():
        return target
    width, height = size
    canvas = Image.new("RGB", size, (128, 128, 128))
    face = Image.open(FIXTURES / photo).convert("RGB")
    face.thumbnail((height, height))
    canvas.paste(face, ((width - face.width) // 2, (height - face.height) // 2))
    y, cb, cr = canvas.convert("YCbCr").split()
    chroma = (width // 2, height // 2)
    planes = y.tobytes() + cb.resize(chroma).tobytes() + cr.resize(chroma).tobytes()
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F15:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n")
            out.write(planes)
    return target

"""Fake camera and microphone input for Chromium: a Y4M video made from a still face
photo, and a WAV tone."""

from __future__ import annotations

import math
import struct
import wave
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


def live_face_y4m(target: Path, *, photo: str = "faces/astronaut.jpg", frames: int = 30,
                  size: tuple[int, int] = (640, 480)) -> Path:
    """Like ``face_y4m``, but the face sways by a pixel or two from frame to frame, as a
    person in front of a real camera does: the device check tells a still picture (a
    frozen camera) from a live one."""
    if target.exists():
        return target
    width, height = size
    face = Image.open(FIXTURES / photo).convert("RGB")
    face.thumbnail((height, height))
    chroma = (width // 2, height // 2)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F15:1 Ip A1:1 C420jpeg\n".encode())
        for frame in range(frames):
            shift = round(2 * math.sin(2 * math.pi * frame / frames))
            canvas = Image.new("RGB", size, (128, 128, 128))
            canvas.paste(face, ((width - face.width) // 2 + shift,
                                (height - face.height) // 2))
            y, cb, cr = canvas.convert("YCbCr").split()
            out.write(b"FRAME\n")
            out.write(y.tobytes() + cb.resize(chroma).tobytes() + cr.resize(chroma).tobytes())
    return target


def tone_wav(target: Path, *, frequency: float = 440.0, seconds: float = 2.0,
             rate: int = 16000, amplitude: float = 0.5) -> Path:
    """Write a mono 16-bit WAV of a sine tone (Chromium loops it as the microphone)."""
    if target.exists():
        return target
    frames = int(seconds * rate)
    peak = int(amplitude * 32767)
    samples = b"".join(
        struct.pack("<h", round(peak * math.sin(2 * math.pi * frequency * n / rate)))
        for n in range(frames)
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples)
    return target

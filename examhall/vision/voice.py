"""Voice activity: is somebody speaking in a short audio clip?

The page measures the microphone's level itself; this module gives the server's
second opinion with the Silero VAD model (v5/v6, ONNX) run by onnxruntime on numpy.
The ``silero-vad`` package is installed only for its ``.onnx`` file (``pip install
--no-deps``): its own ``__init__`` imports torch, so it is never imported here — the
file is found with ``importlib.util.find_spec`` like dlib's model files
(:mod:`.models`).

Audio: a RIFF/WAVE file of 16-bit PCM, mono or stereo, at any common rate
(:func:`decode_wav`), mixed down to mono and resampled to 16 kHz with numpy
(:func:`resample`). The model is called once per 512-sample window (32 ms) with
the 64 samples before it as context, carrying its recurrent state from window to
window; the per-window probabilities become speech segments with the usual
hysteresis (speech starts at ``threshold``, ends after ``min_silence_ms`` below
``threshold - 0.15``; segments shorter than ``min_speech_ms`` are dropped), as in
Silero's own ``get_speech_timestamps``.

One ``InferenceSession`` per process, built on first use (one intra-op thread);
``run`` is thread-safe and every call carries its own state, so threads share it.
"""

from __future__ import annotations

import importlib.util
import math
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from examhall.vision.models import ModelsMissingError, _Lazy

SAMPLE_RATE = 16_000
WINDOW_SAMPLES = 512
CONTEXT_SAMPLES = 64
STATE_SHAPE = (2, 1, 128)
WINDOW_SECONDS = WINDOW_SAMPLES / SAMPLE_RATE

THRESHOLD = 0.5
NEG_THRESHOLD_GAP = 0.15
MIN_SPEECH_MS = 250
MIN_SILENCE_MS = 100
SPEECH_PAD_MS = 30
MIN_TOTAL_SPEECH_SECONDS = 0.3
"""``has_speech`` needs at least this much speech in the clip (after padding)."""

MIN_RATE, MAX_RATE = 8_000, 96_000

VAD_PACKAGE = "silero_vad"
VAD_FILE = "silero_vad.onnx"
VAD_VERSION = "6.2.3"

_WAVE_FORMAT_PCM = 0x0001
_WAVE_FORMAT_EXTENSIBLE = 0xFFFE
_PCM_SUBFORMAT = bytes.fromhex("0100000000001000800000aa00389b71")


class AudioError(ValueError):
    """An audio file that cannot be used. ``code``: ``not_wav`` (not a RIFF/WAVE file),
    ``unsupported_format`` (a WAV that is not 16-bit PCM mono or stereo at 8–96 kHz),
    ``not_decodable`` (a WAV that is broken, truncated or empty)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class WavInfo:
    sample_rate: int
    channels: int
    bits: int
    frames: int

    @property
    def duration_seconds(self) -> float:
        return self.frames / self.sample_rate


@dataclass(frozen=True)
class SpeechSegment:
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class VoiceActivity:
    """The model's verdict on one clip (16 kHz mono)."""

    duration_seconds: float
    probabilities: tuple[float, ...]
    segments: tuple[SpeechSegment, ...]
    threshold: float = THRESHOLD
    window_seconds: float = WINDOW_SECONDS
    min_total_speech_seconds: float = MIN_TOTAL_SPEECH_SECONDS
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def speech_seconds(self) -> float:
        return round(sum(segment.seconds for segment in self.segments), 3)

    @property
    def has_speech(self) -> bool:
        return self.speech_seconds >= self.min_total_speech_seconds

    @property
    def max_probability(self) -> float:
        return max(self.probabilities, default=0.0)

    def to_dict(self, *, probabilities: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "has_speech": self.has_speech,
            "speech_seconds": self.speech_seconds,
            "duration_seconds": round(self.duration_seconds, 3),
            "segments": [{"start": s.start, "end": s.end} for s in self.segments],
            "max_probability": round(self.max_probability, 3),
            "threshold": self.threshold,
            "window_seconds": self.window_seconds,
            "model": f"silero-vad {VAD_VERSION} ({VAD_FILE})",
        }
        if probabilities:
            out["probabilities"] = [round(p, 3) for p in self.probabilities]
        return out


# --- WAV in and out -----------------------------------------------------------------


def _chunks(data: bytes) -> dict[bytes, tuple[int, int]]:
    """The RIFF chunks of a WAVE file: id → (offset, size) of their payload (the first of
    each id). A ``data`` chunk whose size is a streaming placeholder (0 or 0xFFFFFFFF)
    runs to the end of the file."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioError("not_wav", "not a RIFF/WAVE file")
    chunks: dict[bytes, tuple[int, int]] = {}
    offset = 12
    while offset + 8 <= len(data):
        chunk_id, size = data[offset:offset + 4], struct.unpack_from("<I", data, offset + 4)[0]
        start = offset + 8
        if chunk_id == b"data" and size in (0, 0xFFFFFFFF):
            size = len(data) - start
        chunks.setdefault(chunk_id, (start, size))
        if chunk_id == b"data":
            break  # nothing after the samples matters
        offset = start + size + (size & 1)
    return chunks


def wav_info(data: bytes) -> WavInfo:
    """Read a WAV file's header (format, rate, channels, length) without decoding it."""
    chunks = _chunks(data)
    if b"fmt " not in chunks:
        raise AudioError("not_decodable", "no fmt chunk")
    if b"data" not in chunks:
        raise AudioError("not_decodable", "no data chunk")
    fmt_start, fmt_size = chunks[b"fmt "]
    if fmt_size < 16 or fmt_start + fmt_size > len(data):
        raise AudioError("not_decodable", "fmt chunk too short")
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack_from(
        "<HHIIHH", data, fmt_start)
    if tag == _WAVE_FORMAT_EXTENSIBLE:
        if fmt_size < 40 or data[fmt_start + 24:fmt_start + 40] != _PCM_SUBFORMAT:
            raise AudioError("unsupported_format", "an extensible WAV that is not PCM")
    elif tag != _WAVE_FORMAT_PCM:
        raise AudioError("unsupported_format", f"WAV format {tag:#06x} is not PCM")
    if bits != 16:
        raise AudioError("unsupported_format", f"{bits}-bit samples (16-bit only)")
    if channels not in (1, 2):
        raise AudioError("unsupported_format", f"{channels} channels (mono or stereo only)")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise AudioError("unsupported_format", f"{rate} Hz (8000 to 96000 only)")
    if block_align != channels * 2:
        raise AudioError("not_decodable", "block alignment does not match the format")
    data_start, data_size = chunks[b"data"]
    if data_start + data_size > len(data):
        raise AudioError("not_decodable", "the data chunk is truncated")
    frames = data_size // block_align
    if frames == 0:
        raise AudioError("not_decodable", "no samples")
    return WavInfo(sample_rate=rate, channels=channels, bits=bits, frames=frames)


def decode_wav(data: bytes) -> tuple[np.ndarray, int]:
    """The samples of a 16-bit PCM WAV as float32 mono in [-1, 1], and their rate."""
    info = wav_info(data)
    start, _size = _chunks(data)[b"data"]
    pcm = np.frombuffer(data, dtype="<i2", count=info.frames * info.channels, offset=start)
    samples = pcm.astype(np.float32) / 32768.0
    if info.channels == 2:
        samples = samples.reshape(-1, 2).mean(axis=1)
    return samples, info.sample_rate


def _smooth_at_least(n: int) -> int:
    """The smallest number ≥ n with no prime factor above 5 (a fast FFT length)."""
    best = 1 << max(0, (n - 1).bit_length())
    fives = 1
    while fives < best:
        threes = fives
        while threes < best:
            twos = threes
            while twos < n:
                twos *= 2
            best = min(best, twos)
            threes *= 3
        fives *= 5
    return best


def resample(samples: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited resampling through the spectrum (drop or add the bins above the new
    Nyquist frequency): no aliasing when going down, for clips of a few seconds. The
    input is padded with zeros to a length whose FFT is fast (44.1 kHz clips otherwise
    have lengths with large prime factors)."""
    samples = np.asarray(samples, dtype=np.float64).reshape(-1)
    if rate == target or samples.size == 0:
        return samples.astype(np.float32)
    divisor = math.gcd(rate, target)
    step_in, step_out = rate // divisor, target // divisor
    blocks = _smooth_at_least(-(-samples.size // step_in))
    padded = np.zeros(blocks * step_in)
    padded[:samples.size] = samples
    length_in, length_out = blocks * step_in, blocks * step_out
    spectrum = np.fft.rfft(padded)
    bins = length_out // 2 + 1
    if bins <= spectrum.size:
        spectrum = spectrum[:bins]
    else:
        spectrum = np.concatenate([spectrum, np.zeros(bins - spectrum.size, spectrum.dtype)])
    out = np.fft.irfft(spectrum, n=length_out) * (length_out / length_in)
    keep = max(1, round(samples.size * target / rate))
    return np.clip(out[:keep], -1.0, 1.0).astype(np.float32)


def load_wav(data: bytes) -> np.ndarray:
    """A WAV file as float32 mono samples at 16 kHz, ready for :func:`detect_voice`."""
    samples, rate = decode_wav(data)
    return resample(samples, rate)


def encode_wav(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bytes:
    """float samples in [-1, 1] (mono) as a 16-bit PCM WAV file."""
    pcm = np.clip(np.asarray(samples, dtype=np.float64), -1.0, 1.0)
    payload = np.round(pcm * 32767).astype("<i2").tobytes()
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(payload), b"WAVE",
                         b"fmt ", 16, _WAVE_FORMAT_PCM, 1, sample_rate, sample_rate * 2, 2,
                         16, b"data", len(payload))
    return header + payload


# --- The model ------------------------------------------------------------------------


def vad_model_path() -> Path:
    """The ``.onnx`` file shipped in the ``silero-vad`` package, without importing it."""
    try:
        spec = importlib.util.find_spec(VAD_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    for location in list(spec.submodule_search_locations or []) if spec else []:
        path = Path(location) / "data" / VAD_FILE
        if path.is_file():
            return path
    raise ModelsMissingError(
        f"the {VAD_PACKAGE} package (or its {VAD_FILE}) is not installed "
        f"(pip install --no-deps {VAD_PACKAGE.replace('_', '-')}=={VAD_VERSION})")


@dataclass(frozen=True)
class _Model:
    session: Any
    input_name: str
    state_name: str
    rate_name: str
    output_names: tuple[str, str]


def _build_model() -> _Model:
    try:
        import onnxruntime
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ModelsMissingError(
            "onnxruntime is not installed (pip install --no-deps onnxruntime)") from exc
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(str(vad_model_path()), sess_options=options,
                                           providers=["CPUExecutionProvider"])
    inputs = {item.name for item in session.get_inputs()}
    outputs = [item.name for item in session.get_outputs()]
    if not {"input", "state", "sr"} <= inputs or len(outputs) != 2:
        raise ModelsMissingError(
            f"{VAD_FILE} is not a Silero VAD v5/v6 model (inputs {sorted(inputs)}, "
            f"outputs {outputs})")
    return _Model(session=session, input_name="input", state_name="state", rate_name="sr",
                  output_names=(outputs[0], outputs[1]))


_model = _Lazy(_build_model)


def preload_vad() -> None:
    """Build the session now (e.g. in a worker's start-up) rather than on first use."""
    _model.get()


def speech_probabilities(samples: np.ndarray) -> list[float]:
    """The model's speech probability for each 32 ms window of 16 kHz mono samples (the
    last window padded with zeros), its recurrent state carried across windows."""
    model = _model.get()
    audio = np.asarray(samples, dtype=np.float32).reshape(-1)
    count = -(-audio.size // WINDOW_SAMPLES)
    padded = np.zeros(count * WINDOW_SAMPLES + CONTEXT_SAMPLES, dtype=np.float32)
    padded[CONTEXT_SAMPLES:CONTEXT_SAMPLES + audio.size] = audio
    state = np.zeros(STATE_SHAPE, dtype=np.float32)
    rate = np.array(SAMPLE_RATE, dtype=np.int64)
    out: list[float] = []
    for index in range(count):
        start = index * WINDOW_SAMPLES  # the window, preceded by its 64 samples of context
        window = padded[start:start + CONTEXT_SAMPLES + WINDOW_SAMPLES][np.newaxis, :]
        probability, state = model.session.run(
            model.output_names,
            {model.input_name: window, model.state_name: state, model.rate_name: rate})
        out.append(float(probability.reshape(-1)[0]))
    return out


def speech_segments(probabilities: list[float] | tuple[float, ...], *, total_samples: int,
                    threshold: float = THRESHOLD, min_speech_ms: int = MIN_SPEECH_MS,
                    min_silence_ms: int = MIN_SILENCE_MS,
                    speech_pad_ms: int = SPEECH_PAD_MS) -> list[SpeechSegment]:
    """Speech segments (seconds) from per-window probabilities: a segment opens at a
    window ≥ ``threshold`` and closes once the probability has stayed below
    ``threshold − 0.15`` for ``min_silence_ms``; shorter than ``min_speech_ms``, it is
    dropped; kept ones are padded by ``speech_pad_ms`` each side (without overlapping)."""
    negative = max(threshold - NEG_THRESHOLD_GAP, 0.01)
    min_speech = SAMPLE_RATE * min_speech_ms / 1000
    min_silence = SAMPLE_RATE * min_silence_ms / 1000
    found: list[tuple[int, int]] = []
    start: int | None = None
    silence_from = 0
    for index, probability in enumerate(probabilities):
        sample = index * WINDOW_SAMPLES
        if probability >= threshold:
            silence_from = 0
            if start is None:
                start = sample
            continue
        if start is None or probability >= negative:
            continue
        if not silence_from:
            silence_from = sample
        if sample - silence_from >= min_silence:
            if silence_from - start > min_speech:
                found.append((start, silence_from))
            start, silence_from = None, 0
    if start is not None and total_samples - start > min_speech:
        found.append((start, total_samples))
    return _pad(found, total_samples, SAMPLE_RATE * speech_pad_ms // 1000)


def _pad(found: list[tuple[int, int]], total: int, pad: int) -> list[SpeechSegment]:
    """Widen each segment by ``pad`` samples, or by half the gap to its neighbour."""
    segments = []
    for index, (start, end) in enumerate(found):
        before = pad if index == 0 else min(pad, (start - found[index - 1][1]) // 2)
        after = pad if index == len(found) - 1 else min(pad, (found[index + 1][0] - end) // 2)
        segments.append(SpeechSegment(round(max(0, start - before) / SAMPLE_RATE, 3),
                                      round(min(total, end + after) / SAMPLE_RATE, 3)))
    return segments


def detect_voice(samples: np.ndarray, *, threshold: float = THRESHOLD,
                 min_speech_ms: int = MIN_SPEECH_MS,
                 min_silence_ms: int = MIN_SILENCE_MS) -> VoiceActivity:
    """Speech in 16 kHz mono float samples (see :func:`load_wav`)."""
    audio = np.asarray(samples, dtype=np.float32).reshape(-1)
    probabilities = speech_probabilities(audio)
    segments = speech_segments(probabilities, total_samples=audio.size, threshold=threshold,
                               min_speech_ms=min_speech_ms, min_silence_ms=min_silence_ms)
    return VoiceActivity(duration_seconds=audio.size / SAMPLE_RATE,
                         probabilities=tuple(probabilities), segments=tuple(segments),
                         threshold=threshold)


def analyse_wav(data: bytes, *, threshold: float = THRESHOLD) -> VoiceActivity:
    """Decode a WAV file (16-bit PCM, any common rate) and look for speech in it."""
    return detect_voice(load_wav(data), threshold=threshold)

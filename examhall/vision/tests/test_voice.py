"""Voice activity with Silero VAD (ONNX, no torch): the generated speech fixtures are
speech; silence, white noise, keyboard clicks and a tone are not; WAV files of other
rates and channel counts are read; broken files fail with a stable code."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from examhall.vision import voice
from examhall.vision.models import ModelsMissingError

from .conftest import FACES

AUDIO = FACES.parent / "audio"
ROOT = FACES.parents[2]


def _read(name: str) -> bytes:
    return (AUDIO / name).read_bytes()


def _samples(name: str) -> np.ndarray:
    return voice.load_wav(_read(name))


def _wav(pcm: np.ndarray, rate: int, channels: int, *, tag: int = 1, bits: int = 16) -> bytes:
    """A WAV file written by hand (not by the module under test)."""
    payload = pcm.astype("<i2").tobytes()
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(payload), b"WAVE", b"fmt ",
                         16, tag, channels, rate, rate * channels * bits // 8,
                         channels * bits // 8, bits, b"data", len(payload))
    return header + payload


@pytest.mark.parametrize("name", ["speech_zh.wav", "speech_en.wav"])
def test_spoken_sentences_are_found_as_speech(name: str) -> None:
    activity = voice.analyse_wav(_read(name))

    assert activity.has_speech
    assert activity.speech_seconds >= 1.5
    assert activity.segments
    assert all(0 <= s.start < s.end <= activity.duration_seconds for s in activity.segments)
    assert activity.max_probability > 0.9


@pytest.mark.parametrize("name", ["silence.wav", "white_noise.wav", "keyboard_clicks.wav",
                                  "tone_440hz.wav"])
def test_silence_noise_clicks_and_a_tone_are_not_speech(name: str) -> None:
    activity = voice.analyse_wav(_read(name))

    assert not activity.has_speech
    assert activity.segments == ()
    assert activity.speech_seconds == 0
    assert activity.max_probability < voice.THRESHOLD


def test_a_probability_per_32_ms_window() -> None:
    samples = _samples("speech_en.wav")

    activity = voice.detect_voice(samples)

    assert len(activity.probabilities) == -(-samples.size // 512)
    assert activity.window_seconds == 0.032
    assert all(0.0 <= p <= 1.0 for p in activity.probabilities)


def test_speech_between_silences_is_placed_where_it_is() -> None:
    speech = _samples("speech_en.wav")
    gap = np.zeros(2 * voice.SAMPLE_RATE, dtype=np.float32)

    activity = voice.detect_voice(np.concatenate([gap, speech, gap]))

    first, last = activity.segments[0], activity.segments[-1]
    assert 1.8 <= first.start <= 2.3
    assert 3.8 <= last.end <= 4.8
    assert activity.duration_seconds == pytest.approx(4 + speech.size / voice.SAMPLE_RATE)


@pytest.mark.parametrize(("rate", "channels"), [(48_000, 2), (44_100, 1), (8_000, 1),
                                                (22_050, 2)])
def test_other_rates_and_stereo_are_mixed_down_and_resampled(rate: int, channels: int) -> None:
    mono = _samples("speech_zh.wav")
    resampled = voice.resample(mono, voice.SAMPLE_RATE, rate)
    pcm = np.round(resampled * 32767).astype(np.int16)
    data = _wav(np.repeat(pcm, channels) if channels == 2 else pcm, rate, channels)

    info = voice.wav_info(data)
    activity = voice.analyse_wav(data)

    assert (info.sample_rate, info.channels) == (rate, channels)
    assert activity.has_speech
    assert activity.duration_seconds == pytest.approx(mono.size / voice.SAMPLE_RATE, abs=0.01)


def test_resampling_keeps_a_tone_and_drops_what_16_khz_cannot_carry() -> None:
    t = np.arange(48_000) / 48_000
    kept = voice.resample(0.5 * np.sin(2 * np.pi * 1000 * t), 48_000)
    dropped = voice.resample(0.5 * np.sin(2 * np.pi * 10_000 * t), 48_000)

    assert kept.size == dropped.size == 16_000
    assert np.sqrt(np.mean(kept ** 2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.01)
    assert np.sqrt(np.mean(dropped ** 2)) < 0.01  # 10 kHz is above 8 kHz: no alias left
    spectrum = np.abs(np.fft.rfft(kept))
    assert int(np.argmax(spectrum)) == 1000  # 1 Hz per bin over one second


def test_encode_then_decode_round_trips() -> None:
    samples = np.sin(np.linspace(0, 100, 8000)).astype(np.float32) * 0.8

    data = voice.encode_wav(samples)
    decoded, rate = voice.decode_wav(data)

    assert rate == 16_000 and data[:4] == b"RIFF" and len(data) == 44 + 2 * 8000
    assert np.max(np.abs(decoded - samples)) < 1e-4


@pytest.mark.parametrize(("data", "code"), [
    (b"", "not_wav"),
    (b"this is not audio" * 10, "not_wav"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "not_wav"),
    (b"RIFF\x24\x00\x00\x00WAVE", "not_decodable"),
    (_wav(np.zeros(100, np.int16), 16_000, 1)[:-100], "not_decodable"),
    (_wav(np.zeros(0, np.int16), 16_000, 1), "not_decodable"),
    (_wav(np.zeros(100, np.int16), 16_000, 1, tag=3), "unsupported_format"),
    (_wav(np.zeros(100, np.int16), 16_000, 1, bits=8), "unsupported_format"),
    (_wav(np.zeros(600, np.int16), 16_000, 6), "unsupported_format"),
    (_wav(np.zeros(100, np.int16), 4_000, 1), "unsupported_format"),
], ids=["empty", "text", "png", "no-chunks", "truncated", "no-samples", "float", "8-bit",
        "six-channels", "4-khz"])
def test_files_that_are_not_16_bit_pcm_wav_fail_with_a_code(data: bytes, code: str) -> None:
    with pytest.raises(voice.AudioError) as caught:
        voice.analyse_wav(data)

    assert caught.value.code == code


def test_a_streamed_wav_without_sizes_is_read_to_its_end() -> None:
    data = bytearray(_read("speech_en.wav"))
    data[40:44] = b"\xff\xff\xff\xff"  # the data chunk's size, unknown while recording

    assert voice.analyse_wav(bytes(data)).has_speech


def test_the_model_file_is_found_without_importing_silero_vad() -> None:
    sys.modules.pop("silero_vad", None)

    path = voice.vad_model_path()

    assert path.name == "silero_vad.onnx" and path.is_file()
    assert "silero_vad" not in sys.modules
    assert "torch" not in sys.modules


def test_a_missing_model_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(voice, "VAD_PACKAGE", "no_such_vad_package_here")

    with pytest.raises(ModelsMissingError, match="not installed"):
        voice.vad_model_path()


def test_threads_share_one_session_and_agree() -> None:
    speech, silence = _samples("speech_en.wav"), _samples("silence.wav")
    expected = {0: voice.detect_voice(speech).probabilities,
                1: voice.detect_voice(silence).probabilities}
    barrier = threading.Barrier(6)
    results: list[tuple[int, tuple[float, ...]]] = []

    def work(index: int) -> None:
        barrier.wait()
        kind = index % 2
        results.append((kind, voice.detect_voice(speech if kind == 0 else silence)
                        .probabilities))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 6
    for kind, probabilities in results:
        assert probabilities == pytest.approx(expected[kind], abs=1e-5)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "examhall.vision", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)


def test_the_cli_reports_speech_as_json_with_exit_status_0() -> None:
    done = _cli("voice", str(AUDIO / "speech_zh.wav"), "--json")

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["has_speech"] is True and report["segments"]
    assert report["speech_seconds"] > 1


def test_the_cli_says_no_speech_with_exit_status_1() -> None:
    done = _cli("voice", str(AUDIO / "white_noise.wav"))

    assert done.returncode == 1
    assert "no speech" in done.stdout


def test_the_cli_refuses_a_file_that_is_not_a_wav(tmp_path: Path) -> None:
    bogus = tmp_path / "clip.wav"
    bogus.write_bytes(b"not a wav at all")

    done = _cli("voice", str(bogus))

    assert done.returncode == 2
    assert "not_wav" in done.stderr

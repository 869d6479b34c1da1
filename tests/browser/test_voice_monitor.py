"""static/proctoring/voice.js in a real Chromium: encodeWav writes a WAV the server
reads back, and VoiceMonitor, listening to a fake microphone that speaks (the espeak-ng
fixture), reports a voice at once and hands a 16 kHz clip to ``uploadClip`` in which
the server's model finds speech. With the 440 Hz tone as the microphone and no
``uploadClip`` (how monitor.js uses it) and the ScriptProcessorNode fallback, the page
still hears something loud (it only measures) and reports it with the clip; the server
then finds no speech in it."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from examhall.vision import voice
from tests.browser.conftest import MEDIA_FIXTURES, launch_chromium
from tests.browser.media import FIXTURES, face_y4m, tone_wav

pytestmark = pytest.mark.django_db(transaction=True)


LISTEN = """async ({ base, options, separateUpload }) => {
  const module = await import(base + '/static/proctoring/voice.js');
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  window.heard = [];
  window.clips = [];
  const toBase64 = async (blob) => {
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let text = '';
    for (const byte of bytes) text += String.fromCharCode(byte);
    return btoa(text);
  };
  const keep = async (blob) => window.clips.push({ type: blob.type,
                                                  data: await toBase64(blob) });
  window.monitor = new module.VoiceMonitor({
    stream,
    onVoice: (heard) => {
      window.heard.push({ ...heard, clip: Boolean(heard.clip) });
      if (heard.clip) keep(heard.clip);
    },
    ...(separateUpload ? { uploadClip: keep } : {}),
    ...options,
  });
  await window.monitor.start();
  return true;
}"""


def _page(browser: Any, server_url: str) -> Any:
    page = browser.new_context().new_page()
    page.goto(f"{server_url}/static/proctoring/voice.js")
    page.mouse.click(5, 5)  # a gesture, so that the page may start audio
    return page


def test_encode_wav_writes_a_16_bit_pcm_file_the_server_reads(browser, server_url):
    page = _page(browser, server_url)

    encoded = page.evaluate("""async (base) => {
      const { encodeWav, downsample } = await import(base + '/static/proctoring/voice.js');
      const rate = 48000;
      const tone = new Float32Array(rate).map(
        (_, i) => 0.5 * Math.sin(2 * Math.PI * 440 * i / rate));
      tone[10] = 2; tone[11] = -2;  // out of range: clipped
      const bytes = new Uint8Array(encodeWav(downsample(tone, rate, 16000), 16000));
      let text = '';
      for (const byte of bytes) text += String.fromCharCode(byte);
      return btoa(text);
    }""", server_url)

    data = base64.b64decode(encoded)
    info = voice.wav_info(data)
    samples, rate = voice.decode_wav(data)
    assert (info.sample_rate, info.channels, info.bits, info.frames) == (16000, 1, 16, 16000)
    assert rate == 16000 and len(data) == 44 + 32000
    assert np.sqrt(np.mean(samples[100:] ** 2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.02)
    spectrum = np.abs(np.fft.rfft(samples))
    assert int(np.argmax(spectrum)) == 440
    assert np.max(np.abs(samples)) <= 1.0


def _listen(launched: Any, server_url: str, *, separate_upload: bool, worklet: bool
            ) -> tuple[list[dict], bytes, str]:
    page = _page(launched, server_url)
    options = {"clipMs": 3000, "useWorklet": worklet}
    assert page.evaluate(LISTEN, {"base": server_url, "options": options,
                                  "separateUpload": separate_upload})
    page.wait_for_function("window.clips.length > 0", timeout=60_000)
    heard = page.evaluate("window.heard")
    clip = page.evaluate("window.clips[0]")
    recorder = page.evaluate("window.monitor.recorder")
    page.evaluate("window.monitor.stop()")
    assert clip["type"] == "audio/wav"
    return heard, base64.b64decode(clip["data"]), recorder


def _launch(browser: Any, audio: Path) -> Any:
    return launch_chromium(browser.browser_type, video=face_y4m(MEDIA_FIXTURES / "face.y4m"),
                           audio=audio)


def test_a_voice_is_reported_and_its_clip_holds_speech(browser, server_url):
    launched = _launch(browser, FIXTURES / "audio" / "speech_en.wav")
    try:
        heard, clip, recorder = _listen(launched, server_url, separate_upload=True,
                                        worklet=True)
    finally:
        launched.close()

    assert recorder == "worklet"
    assert len(heard) == 1 and heard[0]["clip"] is False  # reported at once, clip apart
    assert heard[0]["level"] >= 0.02
    assert heard[0]["duration_ms"] == heard[0]["durationMs"] >= 400
    info = voice.wav_info(clip)
    assert (info.sample_rate, info.channels) == (16000, 1)
    assert info.duration_seconds == pytest.approx(3.0, abs=0.05)
    assert voice.analyse_wav(clip).has_speech


def test_a_loud_tone_is_heard_by_the_page_but_is_no_speech_to_the_server(browser,
                                                                          server_url):
    launched = _launch(browser, tone_wav(MEDIA_FIXTURES / "tone-440.wav"))
    try:
        # Without uploadClip (as monitor.js calls it): one report, carrying the clip;
        # recorded by the fallback for browsers without AudioWorklet.
        heard, clip, recorder = _listen(launched, server_url, separate_upload=False,
                                        worklet=False)
    finally:
        launched.close()

    assert recorder == "script-processor"
    assert len(heard) == 1 and heard[0]["clip"] is True
    assert heard[0]["level"] >= 0.02
    assert voice.wav_info(clip).duration_seconds == pytest.approx(3.0, abs=0.05)
    assert not voice.analyse_wav(clip).has_speech

/**
 * Voice monitoring on the PC exam page — static/proctoring/voice.js.
 *
 * The page measures; the server decides. `VoiceMonitor` follows the
 * microphone's level with a Web Audio AnalyserNode. When the level stays above
 * the threshold for most of a short while (`holdMs` of `windowMs`), it
 * reports a voice to the page (`onVoice`, at most once per `minIntervalMs`)
 * and records a short clip —
 * about one second from before it heard the voice and the seconds after it —
 * as a 16 kHz mono 16-bit PCM WAV, which the server checks with a
 * voice-activity model (`POST /api/attempts/{id}/audio-clips`, at most one
 * clip per 20 s; this module waits `clipIntervalMs`, 30 s, between clips).
 *
 *   const monitor = new VoiceMonitor({
 *     stream,                    // a MediaStream with an audio track (required)
 *     onVoice(heard) {},         // {level, duration_ms, durationMs[, clip]}
 *     uploadClip(blob) {},       // optional: the recorded clip (Blob, audio/wav)
 *     // options (defaults):
 *     threshold: 0.02,           // RMS level (0-1) that counts as loud...
 *     noiseFactor: 3,            // ...and this many times the room's noise floor
 *     holdMs: 400,               // loud for this long in the last windowMs = a voice
 *     windowMs: 600,
 *     minIntervalMs: 15000,      // at most one onVoice per this long
 *     clipMs: 4000,              // length of a clip, the pre-roll included
 *     preRollMs: 1000,           // kept from before the voice was heard
 *     clipIntervalMs: 30000,     // at most one clip per this long
 *     recordClips: true,         // false: report voices only, never record
 *     useWorklet: true,          // false: record with a ScriptProcessorNode
 *     audioContext: null,        // an AudioContext to use (else one is made)
 *   });
 *   await monitor.start();       // resolves once listening (rejects without audio)
 *   monitor.level;               // the latest RMS level, 0-1
 *   monitor.recorder;            // 'worklet' | 'script-processor' | null (no clips)
 *   monitor.stop();              // stops listening; closes its own AudioContext
 *
 * `onVoice` is called once per voice heard: at once when `uploadClip` is
 * given (the clip then goes to `uploadClip` when recorded); without
 * `uploadClip`, when the clip is recorded, with the clip as `heard.clip` (and
 * at once, without a clip, when no clip is due or recording is impossible). `level` is the RMS level that triggered it,
 * `duration_ms` (also `durationMs`) how long the level had been high. Errors
 * thrown by the callbacks are swallowed: monitoring is best-effort.
 *
 * Recording uses an AudioWorklet, or a ScriptProcessorNode where worklets are
 * missing; samples are downsampled to 16 kHz here (`downsample`) and written
 * as WAV (`encodeWav`). Both are pure functions, exported for tests. No
 * user-visible text is written by this module.
 */

export const CLIP_SAMPLE_RATE = 16000;

const DEFAULTS = {
  threshold: 0.02,
  noiseFactor: 3,
  holdMs: 400,
  windowMs: 600,
  minIntervalMs: 15000,
  clipMs: 4000,
  preRollMs: 1000,
  clipIntervalMs: 30000,
  recordClips: true,
  useWorklet: true,
  audioContext: null,
};
const TICK_MS = 50;
const FLOOR_RISE = 0.005; // per tick: the noise floor follows a louder room slowly
const WORKLET_BATCH = 2048; // samples per message from the worklet

/**
 * float samples in [-1, 1] (mono) as a 16-bit PCM WAV file (an ArrayBuffer).
 * Values outside [-1, 1] are clipped.
 */
export function encodeWav(float32Samples, sampleRate) {
  const samples = float32Samples || new Float32Array(0);
  const rate = Math.round(Number(sampleRate));
  if (!Number.isFinite(rate) || rate <= 0) {
    throw new RangeError('sampleRate must be a positive number');
  }
  const buffer = new ArrayBuffer(44 + samples.length * 2);
  const view = new DataView(buffer);
  const ascii = (offset, text) => {
    for (let i = 0; i < text.length; i += 1) {
      view.setUint8(offset + i, text.charCodeAt(i));
    }
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + samples.length * 2, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * 2, true); // bytes per second
  view.setUint16(32, 2, true); // bytes per frame
  view.setUint16(34, 16, true); // bits per sample
  ascii(36, 'data');
  view.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i += 1) {
    const value = Math.max(-1, Math.min(1, Number(samples[i]) || 0));
    view.setInt16(44 + i * 2, Math.round(value * 32767), true);
  }
  return buffer;
}

/**
 * Mono float samples from `fromRate` to `toRate` (lower or equal): each output
 * sample is the mean of the input samples it covers (a box filter keeps most
 * of what lies above the new Nyquist frequency out).
 */
export function downsample(samples, fromRate, toRate = CLIP_SAMPLE_RATE) {
  if (!samples || samples.length === 0) {
    return new Float32Array(0);
  }
  if (fromRate === toRate) {
    return Float32Array.from(samples);
  }
  if (fromRate < toRate) {
    throw new RangeError('only downsampling is supported');
  }
  const ratio = fromRate / toRate;
  const length = Math.floor(samples.length / ratio);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i += 1) {
    const start = Math.floor(i * ratio);
    const end = Math.min(samples.length, Math.max(start + 1, Math.floor((i + 1) * ratio)));
    let sum = 0;
    for (let j = start; j < end; j += 1) {
      sum += samples[j];
    }
    out[i] = sum / (end - start);
  }
  return out;
}

/** The RMS level of a block of float samples. */
export function rmsLevel(samples) {
  if (!samples || samples.length === 0) {
    return 0;
  }
  let squares = 0;
  for (let i = 0; i < samples.length; i += 1) {
    squares += samples[i] * samples[i];
  }
  return Math.sqrt(squares / samples.length);
}

const WORKLET_SOURCE = `
class ExamhallVoiceTap extends AudioWorkletProcessor {
  constructor() {
    super();
    this.buffer = new Float32Array(${WORKLET_BATCH});
    this.filled = 0;
  }
  process(inputs) {
    const channels = inputs[0];
    if (channels && channels.length) {
      const frames = channels[0].length;
      for (let i = 0; i < frames; i += 1) {
        let sum = 0;
        for (let c = 0; c < channels.length; c += 1) sum += channels[c][i];
        this.buffer[this.filled++] = sum / channels.length;
        if (this.filled === this.buffer.length) {
          this.port.postMessage(this.buffer);
          this.buffer = new Float32Array(${WORKLET_BATCH});
          this.filled = 0;
        }
      }
    }
    return true;
  }
}
try {
  registerProcessor('examhall-voice-tap', ExamhallVoiceTap);
} catch (error) {
  // already registered in this AudioContext (a monitor started again on it)
}
`;

function safely(callback, ...args) {
  try {
    const result = callback?.(...args);
    if (result && typeof result.catch === 'function') {
      result.catch(() => {});
    }
  } catch {
    // best-effort: a failing callback must not stop the monitor
  }
}

export class VoiceMonitor {
  constructor({ stream, onVoice = null, uploadClip = null, ...options } = {}) {
    this.stream = stream;
    this.onVoice = onVoice;
    this.uploadClip = uploadClip;
    this.options = { ...DEFAULTS, ...options };
    this.level = 0;
    this.noiseFloor = 0;
    this.running = false;
    this._context = null;
    this._ownContext = false;
    this._nodes = [];
    this._timer = 0;
    this._history = []; // loud or not, per tick of the last windowMs
    this._lastVoiceAt = -Infinity;
    this._lastClipAt = -Infinity;
    this._ring = []; // recent blocks of samples at the context's rate (the pre-roll)
    this._ringLength = 0;
    this._recording = null; // {blocks, length, target, heard}
    this.recorder = null; // 'worklet' | 'script-processor' once recording is possible
    this._resumeOnGesture = null;
  }

  /** Start listening; rejects when the stream has no live audio track or no Web Audio. */
  async start() {
    if (this.running) {
      return;
    }
    const tracks = this.stream?.getAudioTracks?.() || [];
    if (!tracks.some((track) => track.readyState === 'live')) {
      throw new Error('no live audio track');
    }
    const AudioContextClass = window.AudioContext || window.webkitAudioContext;
    if (!this.options.audioContext && !AudioContextClass) {
      throw new Error('no Web Audio');
    }
    this._ownContext = !this.options.audioContext;
    const context = this.options.audioContext || new AudioContextClass();
    this._context = context;
    this.running = true;
    try {
      const source = context.createMediaStreamSource(this.stream);
      const analyser = context.createAnalyser();
      analyser.fftSize = 2048;
      source.connect(analyser);
      this._nodes.push(source, analyser);
      this._analyser = analyser;
      this._block = new Float32Array(analyser.fftSize);
      await this._startTap(source);
    } catch (error) {
      this.stop();
      throw error;
    }
    if (!this.running) {
      return; // stopped while starting
    }
    this._keepAwake();
    this._timer = setInterval(() => this._tick(), TICK_MS);
  }

  /** Stop listening; a clip being recorded is dropped. */
  stop() {
    this.running = false;
    clearInterval(this._timer);
    this._timer = 0;
    if (this._resumeOnGesture) {
      window.removeEventListener('pointerdown', this._resumeOnGesture, true);
      window.removeEventListener('keydown', this._resumeOnGesture, true);
      this._resumeOnGesture = null;
    }
    for (const node of this._nodes) {
      try {
        node.disconnect();
      } catch {
        // already disconnected
      }
      if (node.port) {
        node.port.onmessage = null;
      }
      if ('onaudioprocess' in node) {
        node.onaudioprocess = null;
      }
    }
    this._nodes = [];
    this.recorder = null;
    this._recording = null;
    this._ring = [];
    this._ringLength = 0;
    this._history = [];
    if (this._ownContext && this._context && this._context.state !== 'closed') {
      this._context.close().catch(() => {});
    }
    this._context = null;
  }

  // --- recording ---------------------------------------------------------------------

  async _startTap(source) {
    const context = this._context;
    if (!this.options.recordClips) {
      return;
    }
    if (this.options.useWorklet && context.audioWorklet
        && typeof AudioWorkletNode === 'function') {
      const url = URL.createObjectURL(new Blob([WORKLET_SOURCE],
        { type: 'application/javascript' }));
      try {
        await context.audioWorklet.addModule(url);
        if (!this.running) {
          return; // stopped meanwhile
        }
        const tap = new AudioWorkletNode(context, 'examhall-voice-tap');
        tap.port.onmessage = (message) => this._samples(message.data);
        source.connect(tap);
        this._nodes.push(tap, ...this._toSilentOutput(tap));
        this.recorder = 'worklet';
        return;
      } catch {
        // fall back to the ScriptProcessorNode below
      } finally {
        URL.revokeObjectURL(url);
      }
    }
    if (typeof context.createScriptProcessor !== 'function') {
      return; // no recording: voices are still reported, without clips
    }
    const processor = context.createScriptProcessor(4096, 1, 1);
    processor.onaudioprocess = (event) => {
      this._samples(Float32Array.from(event.inputBuffer.getChannelData(0)));
    };
    source.connect(processor);
    this._nodes.push(processor, ...this._toSilentOutput(processor));
    this.recorder = 'script-processor';
  }

  /** A node is only pulled (processed) when it leads to the output: through a mute. */
  _toSilentOutput(node) {
    const mute = this._context.createGain();
    mute.gain.value = 0;
    node.connect(mute);
    mute.connect(this._context.destination);
    return [mute];
  }

  _samples(block) {
    if (!this.running || !block || !block.length) {
      return;
    }
    const rate = this._context.sampleRate;
    const recording = this._recording;
    if (recording) {
      recording.blocks.push(block);
      recording.length += block.length;
      if (recording.length >= recording.target) {
        this._recording = null;
        this._finishClip(recording, rate);
      }
      return;
    }
    this._ring.push(block);
    this._ringLength += block.length;
    const keep = Math.round((this.options.preRollMs / 1000) * rate);
    while (this._ring.length > 1 && this._ringLength - this._ring[0].length >= keep) {
      this._ringLength -= this._ring.shift().length;
    }
  }

  _startClip(heard) {
    const rate = this._context.sampleRate;
    const recording = {
      blocks: this._ring,
      length: this._ringLength,
      target: Math.round((this.options.clipMs / 1000) * rate),
      heard,
    };
    this._ring = [];
    this._ringLength = 0;
    this._recording = recording;
  }

  _finishClip(recording, rate) {
    const all = new Float32Array(recording.length);
    let offset = 0;
    for (const block of recording.blocks) {
      all.set(block, offset);
      offset += block.length;
    }
    const clipped = all.subarray(Math.max(0, all.length - recording.target));
    const wav = encodeWav(downsample(clipped, rate, CLIP_SAMPLE_RATE), CLIP_SAMPLE_RATE);
    const blob = new Blob([wav], { type: 'audio/wav' });
    if (this.uploadClip) {
      safely(this.uploadClip, blob);
    } else {
      safely(this.onVoice, { ...recording.heard, clip: blob });
    }
  }

  // --- level --------------------------------------------------------------------------

  _keepAwake() {
    const context = this._context;
    if (context.state === 'suspended') {
      context.resume().catch(() => {});
      // Autoplay rules may keep it suspended until the candidate touches the page.
      this._resumeOnGesture = () => {
        if (this._context && this._context.state === 'suspended') {
          this._context.resume().catch(() => {});
        }
      };
      window.addEventListener('pointerdown', this._resumeOnGesture, true);
      window.addEventListener('keydown', this._resumeOnGesture, true);
    }
  }

  _tick() {
    if (!this.running || !this._analyser) {
      return;
    }
    this._analyser.getFloatTimeDomainData(this._block);
    const level = rmsLevel(this._block);
    this.level = level;
    const { threshold, noiseFactor, holdMs, windowMs } = this.options;
    const loud = level >= Math.max(threshold, this.noiseFloor * noiseFactor);
    // The floor drops at once to a quieter level and rises slowly with a louder room
    // (a fan switched on stops counting as a voice after some seconds).
    this.noiseFloor = level < this.noiseFloor
      ? level : this.noiseFloor + (level - this.noiseFloor) * FLOOR_RISE;
    // Loud for `holdMs` of the last `windowMs`: a voice (syllables leave short gaps);
    // typing's clicks are loud for a tick each and stay below.
    this._history.push(loud);
    while (this._history.length > Math.max(1, Math.round(windowMs / TICK_MS))) {
      this._history.shift();
    }
    const loudMs = this._history.filter(Boolean).length * TICK_MS;
    if (loud && loudMs >= holdMs) {
      this._heard(level, loudMs);
    }
  }

  _heard(level, loudMs) {
    const now = performance.now();
    if (now - this._lastVoiceAt < this.options.minIntervalMs) {
      return;
    }
    this._lastVoiceAt = now;
    const heard = {
      level: Math.round(level * 1000) / 1000,
      duration_ms: loudMs,
      durationMs: loudMs,
    };
    const canRecord = Boolean(this.recorder) && !this._recording;
    const clipDue = canRecord && now - this._lastClipAt >= this.options.clipIntervalMs;
    if (clipDue) {
      this._lastClipAt = now;
      this._startClip(heard);
    }
    if (this.uploadClip || !clipDue) {
      safely(this.onVoice, heard);
    }
  }
}

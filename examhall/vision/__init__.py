"""Face analysis for proctoring: plain Python on dlib and numpy, no Django.

Detection (dlib HOG), landmarks, 128-d embeddings and their comparison
(:mod:`.faces`), photo quality verdicts (:mod:`.quality`), active liveness
(:mod:`.liveness`) and threshold calibration (:mod:`.calibration`). Models
are loaded lazily, once per process (:mod:`.models`). Results are
dataclasses with ``to_dict()``; failures carry stable ``code`` strings that
the Django side translates.

    python -m examhall.vision detect IMAGE... --json
    python -m examhall.vision compare A B [--threshold T] --json
    python -m examhall.vision calibrate PAIRS.csv --root DIR [--json]
    python -m examhall.vision voice CLIP.wav [--json]

Voice activity in short audio clips (Silero VAD's ONNX model on onnxruntime, no
torch) is in :mod:`.voice`.
"""

from examhall.vision.faces import (
    DETECTION_MIN_SCORE,
    MATCH_THRESHOLD,
    Box,
    Comparison,
    Face,
    FaceCountError,
    Verification,
    compare_embeddings,
    compare_images,
    detect_faces,
    face_distance,
    face_embedding,
    face_landmarks,
    find_faces,
    prepare,
    verify,
)
from examhall.vision.images import ImageError, load_image
from examhall.vision.liveness import (
    CHALLENGES,
    FrameMeasure,
    LivenessResult,
    check_liveness,
    judge,
    measure_frame,
    pick_challenge,
)
from examhall.vision.models import ModelsMissingError, preload
from examhall.vision.quality import QualityVerdict, assess_quality
from examhall.vision.voice import (
    AudioError,
    SpeechSegment,
    VoiceActivity,
    analyse_wav,
    detect_voice,
    encode_wav,
    load_wav,
    wav_info,
)

__all__ = [
    "CHALLENGES",
    "DETECTION_MIN_SCORE",
    "MATCH_THRESHOLD",
    "AudioError",
    "Box",
    "Comparison",
    "Face",
    "FaceCountError",
    "FrameMeasure",
    "ImageError",
    "LivenessResult",
    "ModelsMissingError",
    "QualityVerdict",
    "SpeechSegment",
    "Verification",
    "VoiceActivity",
    "analyse_wav",
    "assess_quality",
    "check_liveness",
    "compare_embeddings",
    "compare_images",
    "detect_faces",
    "detect_voice",
    "encode_wav",
    "face_distance",
    "face_embedding",
    "face_landmarks",
    "find_faces",
    "judge",
    "load_image",
    "load_wav",
    "measure_frame",
    "pick_challenge",
    "preload",
    "prepare",
    "verify",
    "wav_info",
]

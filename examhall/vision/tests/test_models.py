"""Model paths without importing face_recognition_models; one load per process."""

from __future__ import annotations

import sys
import threading

import pytest

from examhall.vision import models


def test_model_files_are_found_without_importing_the_package() -> None:
    sys.modules.pop("face_recognition_models", None)
    path = models.model_path(models.ENCODER_FILE)
    assert path.is_file()
    assert path.parent.name == "models"
    assert "face_recognition_models" not in sys.modules


def test_a_missing_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "MODELS_PACKAGE", "no_such_models_package_here")
    with pytest.raises(models.ModelsMissingError, match="not installed"):
        models.models_dir()


def test_a_lazy_value_is_built_once_across_threads() -> None:
    calls: list[int] = []
    barrier = threading.Barrier(8)

    def build() -> object:
        calls.append(1)
        return object()

    lazy = models._Lazy(build)
    seen: list[object] = []

    def worker() -> None:
        barrier.wait()
        seen.append(lazy.get())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert len({id(value) for value in seen}) == 1


def test_the_package_imports_neither_django_nor_the_models_package() -> None:
    import subprocess

    code = ("import sys, examhall.vision.__main__, examhall.vision.synthetic;"
            "import examhall.vision as v; v.preload();"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('django', 'face_recognition_models', 'pkg_resources')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_threads_verifying_at_once_get_the_answers_of_one_thread(astronaut, obama) -> None:
    """Requests run on threads of their own; dlib objects must not be shared unsafely
    (a shared HOG detector corrupts memory, davisking/dlib#1149)."""
    from concurrent.futures import ThreadPoolExecutor

    from examhall.vision import face_embedding, verify

    reference = face_embedding(obama)
    images = [astronaut, obama] * 6
    expected = [verify(reference, image).distance for image in images[:2]]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda image: verify(reference, image), images))
    assert [round(r.distance, 6) for r in results] == [round(d, 6) for d in expected] * 6
    assert [r.passed for r in results] == [False, True] * 6

"""Detection, embeddings and the match decision on the face fixtures."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from examhall.vision import faces
from examhall.vision.faces import MATCH_THRESHOLD, FaceCountError

from .conftest import FACES, rgb


def test_the_same_person_in_two_photos_matches() -> None:
    result = faces.compare_images(rgb("obama.jpg"), rgb("obama3.jpg"))
    assert result.match
    assert result.distance < MATCH_THRESHOLD


def test_another_person_does_not_match() -> None:
    result = faces.compare_images(rgb("obama.jpg"), rgb("biden.jpg"))
    assert not result.match
    assert result.distance > MATCH_THRESHOLD


def test_verify_against_a_reference_embedding() -> None:
    reference = faces.face_embedding((FACES / "obama2.jpg").read_bytes())
    same = faces.verify(reference, rgb("obama.jpg"))
    other = faces.verify(reference, rgb("astronaut.jpg"))
    assert (same.passed, same.reason) == (True, "match")
    assert (other.passed, other.reason) == (False, "no_match")


def test_verify_without_a_face_fails_with_no_face() -> None:
    reference = faces.face_embedding(rgb("obama.jpg"))
    result = faces.verify(reference, np.full((480, 640, 3), 128, dtype=np.uint8))
    assert (result.passed, result.reason, result.face_count) == (False, "no_face", 0)


def test_verify_with_two_people_fails_with_several_faces(two_faces: np.ndarray) -> None:
    reference = faces.face_embedding(rgb("obama.jpg"))
    result = faces.verify(reference, two_faces)
    assert (result.passed, result.reason, result.face_count) == (False, "several_faces", 2)


def test_a_reference_photo_needs_exactly_one_face(two_faces: np.ndarray) -> None:
    with pytest.raises(FaceCountError) as several:
        faces.face_embedding(two_faces)
    with pytest.raises(FaceCountError) as none:
        faces.face_embedding(np.full((200, 200, 3), 90, dtype=np.uint8))
    assert (several.value.code, none.value.code) == ("several_faces", "no_face")


def test_the_mission_patch_is_not_counted_as_a_face(astronaut: np.ndarray) -> None:
    assert len(faces.detect_faces(astronaut)) == 1
    assert len(faces.detect_faces(astronaut, min_score=0.0)) == 2


def test_boxes_and_landmarks_are_in_original_coordinates(astronaut: np.ndarray) -> None:
    big_image = np.asarray(Image.fromarray(astronaut).resize((1536, 1536)))
    work = faces.prepare(big_image)
    assert work.scale == pytest.approx(1536 / 640)
    at_working_size = faces.find_faces(work.array)[0]
    big = faces.find_faces(big_image)[0]
    assert big.box.left == pytest.approx(at_working_size.box.left * work.scale, abs=1)
    assert big.box.right == pytest.approx(at_working_size.box.right * work.scale, abs=1)
    assert big.landmarks is not None and at_working_size.landmarks is not None
    assert np.abs(big.landmarks - at_working_size.landmarks * work.scale).max() < 1e-6
    assert big.box.left > 300  # not working coordinates (the face starts near x=179×1.25)


def test_embeddings_are_128_numbers_and_distance_is_symmetric() -> None:
    a = faces.face_embedding(rgb("obama.jpg"))
    b = faces.face_embedding(rgb("biden.jpg"))
    assert a.shape == (128,)
    assert faces.face_distance(a, b) == pytest.approx(faces.face_distance(b, a))
    assert faces.face_distance(a, a) == 0.0


def test_a_threshold_override_changes_the_decision() -> None:
    a, b = faces.face_embedding(rgb("obama.jpg")), faces.face_embedding(rgb("obama2.jpg"))
    distance = faces.face_distance(a, b)
    assert faces.compare_embeddings(a, b, threshold=distance + 0.01).match
    assert not faces.compare_embeddings(a, b, threshold=distance - 0.01).match


def test_a_face_count_error_carries_its_code() -> None:
    error = FaceCountError("several_faces", 2)
    assert (error.code, error.args[0], str(error)) == ("several_faces", "several_faces",
                                                       "several_faces: 2 faces found")

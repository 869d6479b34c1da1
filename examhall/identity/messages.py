"""What the vision package's codes mean to a candidate or an exam office: one
actionable sentence each, translated (the vision package itself has no UI text)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

REASONS: dict[str, Promise] = {
    # photo quality
    "no_face": _("No face was found. Sit facing the camera with your whole face inside the "
                 "oval."),
    "several_faces": _("More than one face is in the picture. Make sure you are alone in "
                       "front of the camera."),
    "face_too_small": _("Your face is too small in the picture. Move closer to the camera."),
    "face_off_centre": _("Your face is not in the middle of the picture. Move so that it "
                         "fills the oval."),
    "too_dark": _("The picture is too dark. Turn on a light in front of you."),
    "too_bright": _("The picture is too bright. Move away from direct sunlight or a strong "
                    "lamp."),
    "backlit": _("There is strong light behind you. Turn so that the window or lamp is in "
                 "front of you, not behind."),
    "blurred": _("The picture is blurred. Hold still and clean the camera lens."),
    "eyes_closed": _("Your eyes seem closed. Look at the screen with your eyes open."),
    # liveness
    "no_motion": _("No movement was seen. Follow the instruction on the screen while the "
                   "pictures are taken."),
    "incomplete_blink": _("The blink was not seen clearly. Blink once, slowly and fully."),
    "turn_too_small": _("The head turn was too small. Turn your head further, then look back "
                        "at the screen."),
    "wrong_direction": _("You turned your head the other way. Follow the arrow on the "
                         "screen."),
    "face_lost": _("Your face left the picture too often. Keep it inside the oval while you "
                   "move."),
    "not_enough_frames": _("Too few pictures arrived. Check your connection and try again."),
    # comparison
    "no_match": _("The face does not match the registered photo. Check the light and your "
                  "position and try again; after the last try a proctor checks by hand."),
    "no_reference": _("No registered photo is on file for you. A proctor will check your "
                      "identity by hand."),
    # images
    "not_an_image": _("The file is not a picture the server can read (JPEG, PNG, WebP or "
                      "HEIC)."),
    "too_large": _("The picture is too large."),
    "unsupported_format": _("This picture format is not supported. Use JPEG, PNG or WebP."),
}


def reason_message(code: str) -> str:
    return str(REASONS.get(code, _("The check did not pass. Please try again.")))

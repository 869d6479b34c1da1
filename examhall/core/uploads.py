"""An uploaded file kept in storage between a check and its confirmation.

Two-step admin imports (roster, questions) check a file first and write only
when the person confirms. The file waits in the configured storage (a local
folder, or S3 in production) under ``<directory>/<uuid><suffix>``; the
browser session remembers which one, with whatever the page needs (``state``).
It is deleted after the import, on cancel, or after ``MAX_AGE`` by the next
upload.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any, BinaryIO

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.utils import timezone

logger = logging.getLogger(__name__)

MAX_AGE = dt.timedelta(hours=24)


def parse_uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


class KeptUpload:
    def __init__(self, request: HttpRequest, *, directory: str, session_key: str,
                 suffix: str = ".upload") -> None:
        self.request = request
        self.directory = directory
        self.session_key = session_key
        self.suffix = suffix

    @property
    def state(self) -> dict[str, Any]:
        return self.request.session.get(self.session_key) or {}

    def update(self, **values: Any) -> None:
        self.request.session[self.session_key] = {**self.state, **values}

    def _path(self, token: str) -> str:
        return f"{self.directory}/{uuid.UUID(token)}{self.suffix}"

    def keep(self, upload: UploadedFile, **state: Any) -> str:
        """Store ``upload`` (replacing one kept before) and remember it; the token."""
        self.discard()
        self.purge_old()
        token = str(uuid.uuid4())
        default_storage.save(self._path(token), upload)
        self.request.session[self.session_key] = {"token": token, "filename": upload.name,
                                                  **state}
        return token

    def is_available(self, token: object) -> bool:
        """The confirmation names the file this session kept, and it is still there."""
        kept = self.state.get("token")
        return (kept is not None and str(token) == kept
                and default_storage.exists(self._path(kept)))

    def open(self) -> BinaryIO:
        return default_storage.open(self._path(self.state["token"]), "rb")

    def discard(self) -> None:
        state = self.request.session.pop(self.session_key, None) or {}
        if parse_uuid(state.get("token")):
            default_storage.delete(self._path(state["token"]))

    def purge_old(self) -> None:
        """Delete files left behind by checks that were never confirmed."""
        try:
            _dirs, files = default_storage.listdir(self.directory)
            for name in files:
                path = f"{self.directory}/{name}"
                if timezone.now() - default_storage.get_modified_time(path) > MAX_AGE:
                    default_storage.delete(path)
        except (FileNotFoundError, NotImplementedError, OSError) as exc:
            logger.debug("Could not purge old uploads in %s: %s", self.directory, exc)

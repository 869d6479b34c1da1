"""The candidate API of the identity app (mounted under /api/)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["identity"])

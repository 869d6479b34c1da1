"""The candidate API of the devicecheck app (mounted under /api/)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["devicecheck"])

"""JSON renderings of the result model: renderers only render."""

from __future__ import annotations

import json
from typing import Any

from ..model.release import Release


def render_json(release: Release) -> str:
    return dumps(release.to_dict())


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"

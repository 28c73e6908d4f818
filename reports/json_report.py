"""JSON renderings of the result model: renderers only render."""

from __future__ import annotations

import json
from typing import Any

from ..model import SourceResult


def check_report(result: SourceResult) -> dict[str, Any]:
    return result.to_dict()


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"

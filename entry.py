"""The console entry point. It imports the CLI inside a guard so that Ctrl-C during start-up
also ends with exit 130 and one line, not a traceback from whichever import was running."""

from __future__ import annotations

import sys

from .errors import EXIT_INTERRUPTED


def main() -> None:
    try:
        from .cli import main as run_cli
    except KeyboardInterrupt:
        sys.stderr.write("triangulate: interrupted\n")
        sys.exit(EXIT_INTERRUPTED)
    run_cli()

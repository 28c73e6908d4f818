"""The console entry point. It installs the run's signal handlers (lifecycle.py), then imports the CLI inside a
guard, so that Ctrl-C, SIGTERM or SIGHUP during start-up also ends with one line and 128 + the signal's number
(130, 143, 129), not a traceback from whichever import was running."""

from __future__ import annotations


def main() -> None:
    from .lifecycle import exit_stopped, install_handlers  # light: errors and the standard library

    install_handlers()
    try:
        from .cli import main as run_cli
    except KeyboardInterrupt as error:
        exit_stopped(error)
    run_cli()

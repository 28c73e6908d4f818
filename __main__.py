"""`python -m triangulate`: the console entry point (entry.py), run only as the main module, so that importing this
module (a spawned worker never does, but a tool might) starts no command."""

from .entry import main

if __name__ == "__main__":
    main()

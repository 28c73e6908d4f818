"""`triangulate run` sends nothing over the network and writes nothing outside its outputs."""

import os
import subprocess
import sys
from pathlib import Path

# Every socket is refused. Creating one is not sending anything (urllib3, imported by Great
# Expectations, probes for IPv6 support that way at import), so only connects, sends and name
# lookups count as attempts to use the network.
BLOCKED_RUN = """
import socket, sys
attempts = []

def refuse(*args, **kwargs):
    raise OSError("sockets blocked by the test")

def attempt(*args, **kwargs):
    attempts.append(repr(args)[:80])
    raise OSError("network blocked by the test")

class NoSocket(socket.socket):
    def __init__(self, *args, **kwargs):
        refuse()
    connect = connect_ex = sendto = sendmsg = attempt

socket.socket = NoSocket
socket.create_connection = attempt
socket.getaddrinfo = attempt
socket.gethostbyname = attempt
from triangulate.cli import main
try:
    main(sys.argv[1:])
except SystemExit as done:
    code = done.code
print("ATTEMPTS", len(attempts), "EXIT", code, file=sys.stderr)
"""


def test_run_with_sockets_blocked_makes_no_attempt(synthetic: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", BLOCKED_RUN, "run", str(synthetic / "release.yaml"), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.stderr.strip().splitlines()[-1] == "ATTEMPTS 0 EXIT 1", result.stderr
    assert (tmp_path / "out" / "report.html").exists() and (tmp_path / "out" / "results.json").exists()


def test_run_writes_nothing_to_home(synthetic: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "MPL", "GX_", "GE_"))}
    environment |= {"HOME": str(home), "TMPDIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "triangulate.cli", "run", str(synthetic / "release.yaml"), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=600, env=environment,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert list(home.iterdir()) == []
    # Temporary files (matplotlib's font cache) are gone once the run ends.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "out"]

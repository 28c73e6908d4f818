"""Every refusal by the operating system is exit 2 and one line naming the path or stream, never an internal error.

Walked as subprocesses of the real CLI: a full file system (ENOSPC, a 64 KB tmpfs mounted in a private mount
namespace), a file size limit (EFBIG, RLIMIT_FSIZE), a name longer than NAME_MAX or PATH_MAX (ENAMETOOLONG), no
permission (EACCES, EPERM: run as the unprivileged user `nobody`, since root passes every mode), a full, closed or
broken standard output, no usable temporary folder, a link loop, and file names the locale cannot encode. These run
as root in CI, so nothing relies on chmod stopping the test's own user; a mechanism this machine lacks is skipped
with the reason.
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import TRIANGULATE, main_raising

NCMD = "ncmd_case_id,child_id,la_code,sex,date_of_birth,date_of_death,social_care_status\nN1,,E06000001,M,2010-01-01,2020-06-01,LAC\n"
CHECK = ("check", "--source", "ncmd")
SYNTH = ("synth", "--years", "1", "--children", "50", "--no-xlsx", "--out")  # a second's work that prints a line
DATE = ("--reference-date", "2024-03-31")
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def triangulate(
    *args: str | bytes, env: dict[str, str] | None = None, cwd: Path | None = None, **popen: Any
) -> subprocess.CompletedProcess[bytes]:
    """The CLI in a fresh interpreter; stderr (and stdout, unless redirected) captured as bytes: names may not be text."""
    popen.setdefault("stdout", subprocess.PIPE)
    environment = {**os.environ, **(env or {})}
    command = [*popen.pop("prefix", []), *TRIANGULATE, *args]
    return subprocess.run(command, stderr=subprocess.PIPE, env=environment, cwd=cwd, timeout=600, check=False, **popen)


def one_line(result: subprocess.CompletedProcess[bytes], *fragments: str | bytes) -> bytes:
    """The contract: exit 2, one line on stderr, no traceback, no internal error, naming what was refused."""
    err = result.stderr
    assert result.returncode == 2, err
    assert b"Traceback" not in err and b"internal error" not in err and b"Exception ignored" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(b"triangulate: error: "), err
    for fragment in fragments:
        assert (fragment.encode() if isinstance(fragment, str) else fragment) in lines[0], lines[0]
    return lines[0]


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


@pytest.fixture
def data(tmp_path: Path) -> Path:
    (tmp_path / "x.csv").write_text(NCMD)
    (tmp_path / "out").mkdir()
    return tmp_path


# --- Names too long, link loops, a file where a folder should be ---------------------------------------------------


@pytest.mark.parametrize("shape", ["component over NAME_MAX", "path over PATH_MAX"])
def test_an_input_name_too_long(data: Path, shape: str) -> None:
    name = "n" * 300 + ".csv" if shape.startswith("component") else "d/" * 2100 + "x.csv"
    one_line(triangulate(*CHECK, str(data / name), *DATE), "file name too long", "x.csv" if "/" in name else "nnnn.csv")


@pytest.mark.parametrize("shape", ["component over NAME_MAX", "path over PATH_MAX"])
def test_an_output_name_too_long(data: Path, shape: str) -> None:
    name = "n" * 300 + ".json" if shape.startswith("component") else "d/" * 2100 + "r.json"
    result = triangulate(*CHECK, str(data / "x.csv"), *DATE, "--json", str(data / "out" / name))
    one_line(result, "file name too long", "r.json" if "/" in name else "nnnn.json")
    assert leftovers(data / "out") == []


def test_an_input_that_is_a_link_loop(data: Path) -> None:
    (data / "loop.csv").symlink_to("loop.csv")
    one_line(triangulate(*CHECK, str(data / "loop.csv"), *DATE), "loop.csv:", "link loop")


def test_an_input_under_a_file(data: Path) -> None:
    one_line(triangulate(*CHECK, str(data / "x.csv" / "y.csv"), *DATE), "x.csv/y.csv:", "not a folder")


# --- A file size limit (EFBIG) and a full file system (ENOSPC) ------------------------------------------------------


def _file_size_limit(size: int) -> Any:
    def limit() -> None:
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, not a core dump
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


def test_an_output_over_the_file_size_limit(data: Path) -> None:
    # The JSON report of one record is over 4 KB; nothing else the run writes is.
    result = triangulate(
        *CHECK, str(data / "x.csv"), *DATE, "--json", str(data / "out" / "r.json"), preexec_fn=_file_size_limit(2048)
    )
    one_line(result, str(data / "out" / "r.json") + ": file too large")
    assert leftovers(data / "out") == []


def test_standard_output_over_the_file_size_limit(data: Path) -> None:
    with (data / "out" / "console.txt").open("wb") as console:
        result = triangulate(*CHECK, str(data / "x.csv"), *DATE, "--json", "-", stdout=console, preexec_fn=_file_size_limit(2048))
    one_line(result, "standard output: file too large")


FULL = """
mount -t tmpfs -o size=64k tmpfs "$0" || exit 99
head -c 1048576 /dev/zero > "$0/fill" 2>/dev/null
if [ -n "$FULL_STDOUT" ]; then "$@" > "$0/console.txt"; else "$@"; fi
code=$?
rm -f "$0/fill" "$0/console.txt"
ls -A "$0" > "$0.left"
exit $code
"""


@pytest.fixture(scope="session")
def private_mount() -> list[str]:
    """How this machine lets a test mount a tmpfs where only its own process sees it: `unshare -m` as root, else
    `unshare -rm` (a user namespace). Skipped where neither is allowed (a container without CAP_SYS_ADMIN or
    user namespaces)."""
    with tempfile.TemporaryDirectory() as folder:
        for unshare in (["unshare", "-m"], ["unshare", "-rm"]):
            probe = subprocess.run(
                [*unshare, "sh", "-c", 'mount -t tmpfs -o size=64k tmpfs "$0"', folder], capture_output=True, check=False
            )
            if probe.returncode == 0:
                return unshare
    pytest.skip("no private mount namespace here (unshare -m and unshare -rm both refused): a full file system cannot be made")


def _on_a_full_file_system(
    unshare: list[str], folder: Path, *args: str, full_stdout: bool = False
) -> subprocess.CompletedProcess[bytes]:
    env = {"FULL_STDOUT": "1"} if full_stdout else {}
    result = triangulate(*args, env=env, prefix=[*unshare, "sh", "-c", FULL, str(folder)])
    assert result.returncode != 99, "the tmpfs could not be mounted"
    return result


def test_an_output_on_a_full_file_system(data: Path, private_mount: list[str]) -> None:
    full = data / "full"
    full.mkdir()
    result = _on_a_full_file_system(private_mount, full, *CHECK, str(data / "x.csv"), *DATE, "--json", str(full / "r.json"))
    one_line(result, str(full / "r.json") + ": no space left on the device holding it")
    assert (data / "full.left").read_text() == "", "an output or a temporary file was left on the full device"


def test_standard_output_on_a_full_file_system(data: Path, private_mount: list[str]) -> None:
    full = data / "full"
    full.mkdir()
    result = _on_a_full_file_system(private_mount, full, *SYNTH, str(data / "out"), full_stdout=True)
    one_line(result, "standard output: no space left")


def test_a_temporary_folder_on_a_full_file_system(data: Path, private_mount: list[str]) -> None:
    full = data / "full"
    full.mkdir()
    result = triangulate(*CHECK, str(data / "x.csv"), *DATE, env={"TMPDIR": str(full)},
                         prefix=[*private_mount, "sh", "-c", FULL, str(full)])  # fmt: skip
    one_line(result, str(full), "$TMPDIR", "no space left")


# --- Standard output: full, closed, broken ------------------------------------------------------------------------


def test_standard_output_is_dev_full(data: Path) -> None:
    with open("/dev/full", "wb") as full:
        one_line(triangulate(*SYNTH, str(data / "out"), stdout=full), "standard output: no space left")


def test_json_to_standard_output_that_is_dev_full(data: Path) -> None:
    with open("/dev/full", "wb") as full:
        one_line(triangulate(*CHECK, str(data / "x.csv"), *DATE, "--json", "-", stdout=full), "standard output: no space left")


def test_standard_output_closed(data: Path) -> None:
    result = triangulate(*CHECK, str(data / "x.csv"), *DATE, "--json", str(data / "out" / "r.json"), stdout=None,
                         preexec_fn=lambda: os.close(1))  # fmt: skip
    one_line(result, "standard output: closed")
    assert leftovers(data / "out") == []  # refused before any work: a file opened later never takes descriptor 1


@contextlib.contextmanager
def _pipe_with_no_reader() -> Iterator[int]:
    read, write = os.pipe()
    os.close(read)  # the reader has gone before a byte is written: as `| head -0` or a consumer that crashed
    try:
        yield write
    finally:
        os.close(write)


@pytest.mark.parametrize("json", [False, True], ids=["console", "--json -"])
def test_standard_output_broken_pipe(data: Path, json: bool) -> None:
    extra = ("--json", "-") if json else ()
    with _pipe_with_no_reader() as pipe:
        result = (
            triangulate(*CHECK, str(data / "x.csv"), *DATE, *extra, stdout=pipe)
            if json
            else triangulate(*SYNTH, str(data / "out"), stdout=pipe)
        )
    one_line(result, "standard output: closed by the program reading it (broken pipe)")


def test_help_to_a_broken_pipe(data: Path) -> None:
    with _pipe_with_no_reader() as pipe:
        one_line(triangulate("check", "--help", stdout=pipe), "standard output", "broken pipe")


# --- The temporary folder -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["missing", "a file"])
def test_tmpdir_that_cannot_be_used(data: Path, kind: str) -> None:
    tmpdir = data / "no-such-folder" if kind == "missing" else data / "x.csv"
    work = data / "work"
    work.mkdir()
    result = triangulate(
        *CHECK, str(data / "x.csv"), *DATE, "--json", str(data / "out" / "r.json"), env={"TMPDIR": str(tmpdir)}, cwd=work
    )
    one_line(
        result, str(tmpdir) + ": the temporary folder ($TMPDIR)", "does not exist" if kind == "missing" else "is not a folder"
    )
    assert leftovers(work) == [], "the working folder was used as the temporary folder"
    assert leftovers(data / "out") == []


NO_TEMPORARY_FOLDER = """
for folder in /tmp /var/tmp /usr/tmp; do
    # read-only binds of themselves: what is there stays readable (a checkout and its venv may live under /tmp)
    [ -d "$folder" ] && { { mount --bind "$folder" "$folder" && mount -o remount,bind,ro "$folder"; } || exit 99; }
done
cd /tmp && unset TMPDIR TEMP TMP && exec "$@"
"""


def test_no_temporary_folder_anywhere(private_mount: list[str]) -> None:
    # Read-only file systems stop root too (EROFS): /tmp, /var/tmp and the working folder, where tempfile looks.
    result = triangulate(*CHECK, "x.csv", prefix=[*private_mount, "sh", "-c", NO_TEMPORARY_FOLDER, "sh"])
    assert result.returncode != 99, "the read-only file systems could not be mounted"
    one_line(result, "no usable temporary folder", "set TMPDIR")


def test_tmpdir_is_not_needed_for_help_or_the_version(data: Path) -> None:
    assert triangulate("check", "--help", env={"TMPDIR": str(data / "gone")}).returncode == 0
    assert triangulate("--version", env={"TMPDIR": str(data / "gone")}).returncode == 0


# --- As an unprivileged user: EACCES and EPERM --------------------------------------------------------------------


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder the unprivileged user `nobody` can reach (pytest's own are root's alone), with a home and a
    temporary folder it may write; skipped where this interpreter cannot run as `nobody`."""
    folder = Path(tempfile.mkdtemp(prefix="triangulate-os-errors-"))
    try:
        folder.chmod(0o755)
        for name, mode in (("home", 0o777), ("tmp", 0o1777)):
            (folder / name).mkdir()
            (folder / name).chmod(mode)
        (folder / "x.csv").write_text(NCMD)
        probe = subprocess.run(
            [*NOBODY, sys.executable, "-c", "import triangulate.cli"], cwd=folder, capture_output=True, check=False
        )
        if os.geteuid() != 0 or probe.returncode != 0:
            pytest.skip(
                f"cannot run the CLI as nobody here (not root, or setpriv/the interpreter refused): {probe.stderr[-200:]!r}"
            )
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def as_nobody(folder: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    result = triangulate(*args, prefix=NOBODY, cwd=folder, env={"HOME": str(folder / "home"), "TMPDIR": str(folder / "tmp")})
    assert leftovers(folder / "home") == [], "something was written under HOME"
    return result


def test_an_input_behind_a_folder_without_permission(shared: Path) -> None:
    (shared / "private").mkdir(mode=0o700)
    shutil.copy(shared / "x.csv", shared / "private" / "in.csv")
    one_line(as_nobody(shared, *CHECK, "private/in.csv", *DATE), "private/in.csv: permission denied")


def test_an_input_named_by_a_config_without_permission(shared: Path) -> None:
    (shared / "private").mkdir(mode=0o700)
    shutil.copy(shared / "x.csv", shared / "private" / "in.csv")
    (shared / "run.yaml").write_text("sources:\n  n: {kind: ncmd, path: private/in.csv}\n")
    one_line(as_nobody(shared, "run", "run.yaml", "--out", "tmp/out"), "in.csv", "permission denied")


def test_an_output_in_a_folder_without_permission(shared: Path) -> None:
    (shared / "locked").mkdir(mode=0o755)  # root's: nobody may not write in it
    one_line(as_nobody(shared, *CHECK, "x.csv", *DATE, "--json", "locked/r.json"), "locked/r.json")
    assert leftovers(shared / "locked") == []


def test_a_temporary_folder_without_permission(shared: Path) -> None:
    (shared / "locked").mkdir(mode=0o755)
    result = triangulate(*CHECK, "x.csv", *DATE, prefix=NOBODY, cwd=shared,
                         env={"HOME": str(shared / "home"), "TMPDIR": str(shared / "locked")})  # fmt: skip
    one_line(result, str(shared / "locked") + ": the temporary folder ($TMPDIR) cannot be used: permission denied")
    assert leftovers(shared / "locked") == []


def test_replacing_another_users_output_in_a_sticky_folder(shared: Path) -> None:
    # /tmp's rule: in a sticky folder only a file's owner may replace it (rename onto it: EPERM), even one its mode
    # lets everyone write. The previous output stays as it was, and no temporary file or backup is left beside it.
    sticky = shared / "sticky"
    sticky.mkdir()
    sticky.chmod(0o1777)
    (sticky / "r.json").write_text("{}")
    (sticky / "r.json").chmod(0o666)
    one_line(as_nobody(shared, *CHECK, "x.csv", *DATE, "--json", "sticky/r.json"), "sticky/r.json: operation not permitted")
    assert leftovers(sticky) == ["r.json"] and (sticky / "r.json").read_text() == "{}"


# --- File names the locale cannot encode --------------------------------------------------------------------------

C_LOCALE = {"PYTHONUTF8": "0", "LC_ALL": "C", "PYTHONIOENCODING": ""}  # ASCII, no UTF-8 mode
UTF8_STRICT = {"LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8"}  # UTF-8 console, errors=strict (as en_GB.UTF-8 has)


def _named(folder: Path, name: bytes, content: str = NCMD) -> bytes:
    path = os.fsencode(folder) + b"/" + name
    with open(path, "wb") as handle:
        handle.write(content.encode())
    return path


def test_an_undecodable_name_in_an_error_is_printed_escaped(data: Path) -> None:
    path = _named(data, b"emp\xe9.csv", "")
    one_line(triangulate(*CHECK, path, env=UTF8_STRICT), rb"emp\xe9.csv: file is empty")


def test_a_non_ascii_name_under_the_c_locale_in_an_error(data: Path) -> None:
    path = _named(data, "empté.csv".encode(), "")
    one_line(triangulate(*CHECK, path, env=C_LOCALE), "empté.csv: file is empty".encode())


@pytest.mark.parametrize(("name", "env", "shown"), [(b"r\xe9s", UTF8_STRICT, rb"r\xe9s/manifest.json"),
                                                    ("résultats".encode(), C_LOCALE, "résultats/manifest.json".encode())],
                         ids=["undecodable, UTF-8 console", "UTF-8 name, C locale"])  # fmt: skip
def test_an_unencodable_name_printed_on_standard_output(data: Path, name: bytes, env: dict[str, str], shown: bytes) -> None:
    result = triangulate(*SYNTH, os.fsencode(data) + b"/" + name, env=env)
    assert result.returncode == 0 and result.stderr == b"", result.stderr
    assert shown in result.stdout, result.stdout


@pytest.mark.parametrize(("name", "env"), [(b"b\xe9d.csv", UTF8_STRICT), ("café.csv".encode(), C_LOCALE)],
                         ids=["undecodable", "UTF-8 name, C locale"])  # fmt: skip
def test_an_unencodable_input_name_is_read(data: Path, name: bytes, env: dict[str, str]) -> None:
    """The file is found and read whatever its name's bytes. Its name in the JSON report: decoded where it is UTF-8,
    U+FFFD for a byte that is not (pipeline/atomic.py writing with errors.TEXT_ERRORS); until then, one line naming
    the file and exit 2, never an internal error."""
    from triangulate.errors import shown_name

    path = _named(data, name)
    result = triangulate(*CHECK, path, *DATE, "--json", str(data / "out" / "r.json"), env=env)
    assert result.returncode != 3 and b"Traceback" not in result.stderr, result.stderr
    if result.returncode == 2:
        one_line(result, shown_name(os.fsdecode(name)).encode(), b"cannot be written out")
        assert leftovers(data / "out") == []
    else:
        report = (data / "out" / "r.json").read_text(encoding="utf-8")
        assert name.decode("utf-8", "replace") in report


# --- In process: the mapping itself, and bugs stay internal errors ------------------------------------------------


def test_system_fault_names_where_a_write_was_going() -> None:
    from triangulate.errors import SystemFault

    rename = OSError(errno.EPERM, "Operation not permitted", "/o/.r.json.triangulate-0123456789abcdef.part", None, "/o/r.json")
    assert SystemFault.of(rename).one_line() == "/o/r.json: operation not permitted"
    temporary = OSError(errno.ENOSPC, "No space left on device", "/o/.r.json.triangulate-0123456789abcdef.part")
    assert SystemFault.of(temporary).one_line() == "/o/r.json: no space left on the device holding it"
    assert SystemFault.of(OSError(errno.EPIPE, "Broken pipe"), "standard output").one_line() == (
        "standard output: closed by the program reading it (broken pipe)"
    )
    assert SystemFault.of(OSError(errno.EIO, "Input/output error", b"/o/b\xe9d")).path == "/o/b\udce9d"
    assert SystemFault.of(OSError(errno.EOPNOTSUPP, "Operation not supported")).one_line() == "operation not supported"


def test_the_escaping_handlers() -> None:
    from triangulate.errors import CONSOLE_ERRORS, TEXT_ERRORS, register_text_errors, shown_name

    register_text_errors()  # not at import (errors.py): before the first encode that names them

    c_locale_name = "café".encode().decode("ascii", "surrogateescape")  # as LC_ALL=C hands it over
    undecodable = b"b\xe9d".decode("utf-8", "surrogateescape")
    assert c_locale_name.encode("utf-8", TEXT_ERRORS) == "café".encode()
    assert undecodable.encode("utf-8", TEXT_ERRORS) == "b\ufffdd".encode()
    assert undecodable.encode("ascii", CONSOLE_ERRORS) == rb"b\xe9d"
    assert c_locale_name.encode("ascii", CONSOLE_ERRORS) == rb"caf\xe9"
    assert shown_name(c_locale_name) == "café" and shown_name(undecodable) == r"b\xe9d"


@pytest.mark.parametrize(
    ("raised", "code", "line"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "/o/r.json"), 2, "/o/r.json: no space left on the device holding it"),
        (OSError(errno.EMFILE, "Too many open files"), 2, "too many open files in this process"),
        (UnicodeEncodeError("utf-8", "/d/b\udce9d.csv", 4, 5, "surrogates not allowed"), 2, r"/d/b\xe9d.csv: its name has bytes"),
        (UnicodeEncodeError("ascii", "café", 3, 4, "ordinal not in range(128)"), 3, "internal error (UnicodeEncodeError)"),
        (ValueError("a bug"), 3, "internal error (ValueError)"),
    ],
    ids=["ENOSPC", "EMFILE", "surrogate name", "not a file name", "a bug"],
)
def test_main_maps_system_errors_and_keeps_bugs_internal(
    raised: Exception, code: int, line: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    exit_code = main_raising(raised, monkeypatch)
    err = capsys.readouterr().err
    assert exit_code == code and len(err.strip().splitlines()) == 1 and line in err, err

"""Where aiops writes: special files are written through, never replaced; a directory is
refused; a full disk is a one-line error with its own exit status (3) that leaves the
previous output whole; bad flags and unusable output paths are one `error:` line, exit 2.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from small_disk import fill, small_tmpfs

from aiops.errors import BadInputError
from aiops.report.files import write_atomic

REPO = Path(__file__).resolve().parents[2]


def aiops(*args: str, cwd: Path = REPO, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
    return subprocess.run([sys.executable, "-m", "aiops", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=timeout)


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    return errors[0]


# -- special files: written through -----------------------------------------------------------------

def test_a_symlink_stays_a_link_and_its_target_gets_the_text(tmp_path):
    target = tmp_path / "real.json"
    target.write_text("old\n")
    link = tmp_path / "report.json"
    link.symlink_to(target)
    write_atomic(link, "new\n")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new\n"
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "made-by-the-write.json")
    write_atomic(dangling, "first\n")
    assert dangling.is_symlink() and (tmp_path / "made-by-the-write.json").read_text() == "first\n"


def test_a_fifo_is_written_into_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    from aiops.writing import OutputFile

    with OutputFile(fifo, "--output") as fh:
        fh.write("line 1\nline 2\n")
    reader.join(timeout=30)
    assert got == [b"line 1\nline 2\n"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_device_node_stays_a_device(tmp_path):
    """A private null device (so a regression cannot replace the system's /dev/null)."""
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot make a device node here: {exc}")
    write_atomic(node, "discarded\n")
    assert stat.S_ISCHR(os.lstat(node).st_mode) and node.read_bytes() == b""
    assert [p.name for p in tmp_path.iterdir()] == ["null"]       # no temp file beside it


def test_a_directory_is_refused_and_left_alone(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(BadInputError, match=r"d: is a directory"):
        write_atomic(tmp_path / "d", "x")
    (tmp_path / "link").symlink_to(tmp_path / "d")
    with pytest.raises(BadInputError, match=r"link: links to a directory"):
        write_atomic(tmp_path / "link", "x")
    assert (tmp_path / "link").is_symlink() and list((tmp_path / "d").iterdir()) == []


def test_an_out_dir_that_is_a_link_stays_a_link(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "a.md").write_text("old a")
    link = tmp_path / "reports"
    link.symlink_to(real)
    from aiops.writing import write_directory

    write_directory(link, {"a.md": "new a", "b.md": "new b"}, "--out-dir")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert {p.name: p.read_text() for p in real.iterdir()} == {"a.md": "new a", "b.md": "new b"}


def test_an_out_dir_shared_with_other_files_keeps_them(tmp_path):
    out = tmp_path / "artifacts"
    out.mkdir()
    (out / "coverage.xml").write_text("theirs")
    (out / "a.md").write_text("old")
    from aiops.writing import write_directory

    write_directory(out, {"a.md": "new"}, "--out-dir")
    assert {p.name: p.read_text() for p in out.iterdir()} == {"a.md": "new", "coverage.xml": "theirs"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["artifacts"]          # no staging left over


# -- a full output device or disk ---------------------------------------------------------------------

def test_detect_output_to_a_full_device_is_a_write_error(tmp_path):
    series = tmp_path / "s.csv"
    series.write_text("timestamp,value\n" + "".join(f"{i},{i % 7}\n" for i in range(2000)))
    proc = aiops("detect", "--input", str(series), "--output", "/dev/full")
    assert proc.returncode == 3, proc.stderr
    line = one_error_line(proc)
    assert line == "error: --output /dev/full: cannot write: No space left on device (disk full)"


def test_a_full_disk_while_writing_a_report_keeps_the_old_one(tmp_path):
    with small_tmpfs(tmp_path / "disk", "1m") as disk:
        out = disk / "report.json"
        out.write_text("the previous report\n")
        fill(disk, leave=4096)
        proc = aiops("diagnose", "--demo", "--format", "json", "--output", str(out), "-q")
        assert proc.returncode == 3, proc.stderr
        errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
        assert errors == [f"error: --output {out}: cannot write: No space left on device (disk full) "
                          "(the previous file is unchanged)"], proc.stderr
        assert out.read_text() == "the previous report\n"
        assert sorted(p.name for p in disk.iterdir()) == [".filler", "report.json"]   # no temp file left


# -- aiops report --out-dir: the whole set or nothing -------------------------------------------------

@pytest.fixture(scope="module")
def releases(simulated_releases):
    clean, errors, version, _ = simulated_releases
    return clean, errors, version


def _digest(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_a_failed_out_dir_write_never_mixes_two_releases(releases, tmp_path):
    clean, errors, version = releases
    with small_tmpfs(tmp_path / "disk", "1m") as disk:
        out = disk / "reports"
        first = aiops("report", "--release", version, "--bundle", str(clean), "--out-dir", str(out), "-q",
                      "--format", "none")
        assert first.returncode == 0, first.stderr
        before = _digest(out)
        assert b'failures="0"' in before["release-junit.xml"]
        fill(disk, leave=40 * 1024)            # the new Markdown fits, the HTML and JSON do not
        proc = aiops("report", "--release", version, "--bundle", str(errors), "--out-dir", str(out), "-q",
                     "--format", "none", "--no-diagnose")
        assert proc.returncode == 3, proc.stderr          # not 1 (a failing release), not 2 (bad input)
        line = one_error_line(proc)
        assert line.startswith(f"error: --out-dir {out}: cannot write release-") and "disk full" in line
        assert line.endswith(f"nothing in {out} was changed")
        assert _digest(out) == before                     # the previous, whole set; nothing of the new one
        assert sorted(p.name for p in disk.iterdir()) == [".filler", "reports"]   # no staging directory left


def test_junit_through_a_link_to_standard_output_leaves_the_link(releases, tmp_path):
    """CI's `report --junit /dev/stdout` as root: a rename would replace the system's
    /dev/stdout, so the check uses a link of its own that points where /dev/stdout does."""
    clean, _, version = releases
    link = tmp_path / "junit.xml"
    link.symlink_to("/proc/self/fd/1")
    proc = aiops("report", "--release", version, "--bundle", str(clean), "--junit", str(link), "--format", "none",
                 "-q")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("<?xml") and "<testsuite" in proc.stdout          # it went to the pipe
    assert link.is_symlink() and os.readlink(link) == "/proc/self/fd/1"


def test_an_out_dir_below_a_device_is_bad_input(releases):
    clean, _, version = releases
    proc = aiops("report", "--release", version, "--bundle", str(clean), "--out-dir", "/dev/full/x", "-q")
    assert proc.returncode == 2, proc.stderr
    assert one_error_line(proc) == "error: --out-dir /dev/full/x: /dev/full is not a directory"


# -- bad flags ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, named", [
    (["diagnose", "--bogus"], "No such option: --bogus"),
    (["detect", "--input", "x.csv", "--threshold", "abc"], "'--threshold'"),
    (["report"], "'--release'"),
    (["frobnicate"], "No such command 'frobnicate'"),
    (["runs", "show", "a", "b"], "unexpected extra argument"),
])
def test_a_bad_flag_is_one_error_line(args, named):
    proc = aiops(*args)
    assert proc.returncode == 2, proc.stderr
    line = one_error_line(proc)
    assert named in line and "Usage:" not in proc.stderr, line

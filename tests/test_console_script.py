"""The installed ``steg`` console script, in real shell pipelines (subprocesses)."""

import os
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(shutil.which("steg") is None, reason="steg console script not installed")


def steg(args, env, stdin=None, cwd=None):
    return subprocess.run(["steg", *args], input=stdin, capture_output=True, env=env, cwd=cwd, timeout=120)


def test_shell_pipeline_round_trip(tiny_weights, tmp_path, cover_png, message_file):
    env = {**os.environ, "STEGCLI_WEIGHTS": str(tiny_weights)}
    cmd = (f"cat {cover_png} | steg embed-bits {message_file} --key-out {tmp_path / 'z.npy'} -q"
           f" | steg extract-bits - --key {tmp_path / 'z.npy'} -q > {tmp_path / 'out.bin'}")
    done = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], env=env, capture_output=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.bin").read_bytes() == message_file.read_bytes()


def test_python_dash_m_and_error_exit_code(tiny_weights, tmp_path):
    env = {**os.environ, "STEGCLI_WEIGHTS": str(tiny_weights)}
    done = subprocess.run([sys.executable, "-m", "stegcli", "extract-bits", str(tmp_path / "missing.png")],
                          capture_output=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 3
    assert done.stderr.decode().strip().startswith("steg: error:") and done.stdout == b""


def test_usage_error_exits_2(tmp_path):
    done = steg(["embed-bits"], os.environ.copy(), cwd=tmp_path)
    assert done.returncode == 2

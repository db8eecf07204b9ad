#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The demo's traffic tool (tools/iplb_demo/bulk.py) between two network
namespaces this test creates and removes, as root: plain TCP with several
flows and MPTCP deliver and count what they sent, and a refused connection
is an error in the JSON, not a number."""

import json
import os
import subprocess
import time

import pytest

TOP = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BULK = os.path.join(TOP, "tools", "iplb_demo", "bulk.py")
PY = "/usr/bin/python3"
TAG = "iplbk%d" % (os.getpid() % 100000)
A, B = TAG + "-a", TAG + "-b"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (namespaces)")


def sh(*args, timeout=30):
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=timeout)


@pytest.fixture(scope="module")
def pair():
    try:
        for ns in (A, B):
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "dev", "lo", "up")
        sh("ip", "link", "add", "eth0", "netns", A, "type", "veth", "peer", "name", "eth0",
           "netns", B)
        for ns, address in ((A, "10.9.0.1/24"), (B, "10.9.0.2/24")):
            sh("ip", "-n", ns, "addr", "add", address, "dev", "eth0")
            sh("ip", "-n", ns, "link", "set", "dev", "eth0", "up")
        sink = subprocess.Popen(["ip", "netns", "exec", B, PY, BULK, "serve", "5201"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while ":5201 " not in sh("ip", "netns", "exec", B, "ss", "-Hltn").stdout:
            assert sink.poll() is None, sink.stderr.read()
            assert time.monotonic() < deadline, "the sink did not listen"
            time.sleep(0.05)
        yield
    finally:
        for ns in (A, B):
            subprocess.run(["ip", "netns", "pids", ns], capture_output=True)
            for pid in subprocess.run(["ip", "netns", "pids", ns], capture_output=True,
                                      text=True).stdout.split():
                subprocess.run(["kill", "-KILL", pid])
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def send(*args, port=5201):
    result = subprocess.run(["ip", "netns", "exec", A, PY, BULK, "send", "10.9.0.2", str(port),
                             "1", "--bind", "10.9.0.1", *args],
                            capture_output=True, text=True, timeout=60)
    return result.returncode, json.loads(result.stdout)


@pytest.mark.parametrize("args, flows", [(["--flows", "3"], 3), (["--mptcp"], 1)],
                         ids=["tcp", "mptcp"])
def test_every_flow_delivers_and_is_counted(pair, args, flows):
    rc, out = send(*args)
    assert rc == 0, out
    assert out["errors"] == []
    assert out["flows"] == flows
    assert out["mptcp"] == ("--mptcp" in args)
    assert out["bytes"] > 64 * 1024
    # Counted: what was acknowledged within the second; all of it was sent
    # and delivered (the sender waited for the sink to close).
    assert out["bytes"] <= out["bytes_sent"]
    assert out["seconds"] == 1 and out["drained_seconds"] >= 1
    assert out["bits_per_second"] == pytest.approx(8 * out["bytes"])


def test_a_refused_connection_is_an_error(pair):
    rc, out = send("--flows", "2", port=5299)
    assert rc == 1
    assert "cannot connect to 10.9.0.2:5299" in out["error"]
    assert "bits_per_second" not in out

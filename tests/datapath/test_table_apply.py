#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""iplbctl table --apply: the table a host of a k=4 fat-tree should hold,
written into a real datapath instance (host program attached in a network
namespace this test creates and removes), then kept in step by
differences. Needs root."""

import json
import os
import subprocess

import pytest

from netns import Namespaces

IPLBCTL = os.environ.get("IPLBCTL", "tools/iplbctl/iplbctl")
NAMESPACES = Namespaces("iplbp")
NODE = NAMESPACES.ns("h")

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (netns, eBPF)")


def iplbctl(*args, json_out=False):
    flags = ["-j"] if json_out else []
    result = NAMESPACES.sh(IPLBCTL, *flags, "-N", NODE, "-n", NODE, *args)
    return json.loads(result.stdout) if json_out else result.stdout


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    topology = tmp_path_factory.mktemp("table") / "fattree4.json"
    topology.write_text(NAMESPACES.sh(IPLBCTL, "topology", "generate", "fattree",
                                      "--k", "4").stdout)
    try:
        NAMESPACES.sh("ip", "netns", "add", NODE)
        NAMESPACES.sh("ip", "link", "add", "up1", "netns", NODE, "type", "veth", "peer",
                      "name", "peer1", "netns", NODE)
        iplbctl("attach", "host", "up1")
        yield str(topology)
    finally:
        NAMESPACES.sh(IPLBCTL, "-n", NODE, "purge", check=False)
        NAMESPACES.sh("ip", "netns", "del", NODE, check=False)


def table(topology, *args):
    return iplbctl("table", "--topology", topology, "--from", "10.1.2.2", *args,
                   json_out=True)


def installed():
    return iplbctl("prefix", "show", json_out=True)


def test_the_kernel_holds_what_the_engine_computed(instance):
    wanted = table(instance, "-k", "4")
    assert len(wanted) == 15
    assert iplbctl("table", "--topology", instance, "--from", "10.1.2.2", "-k", "4",
                   "--apply", json_out=True) == {"written": 15, "removed": 0,
                                                  "unchanged": 0, "errors": []}
    assert installed() == wanted


def test_applying_again_writes_only_differences(instance):
    assert iplbctl("table", "--topology", instance, "--from", "10.1.2.2", "-k", "4",
                   "--apply", json_out=True)["unchanged"] == 15
    # Two paths instead of four: every prefix with more than two lists changes.
    smaller = table(instance, "-k", "2")
    changed = sum(1 for e in table(instance, "-k", "4") if len(e["lists"]) > 2)
    result = iplbctl("table", "--topology", instance, "--from", "10.1.2.2", "-k", "2",
                     "--apply", json_out=True)
    assert result == {"written": changed, "removed": 0, "unchanged": 15 - changed,
                      "errors": []}
    assert installed() == smaller


def test_a_prefix_no_longer_wanted_is_removed(instance):
    iplbctl("prefix", "add", "192.0.2.0/24", "relay", "10.200.0.0")
    result = iplbctl("table", "--topology", instance, "--from", "10.1.2.2", "-k", "2",
                     "--apply", json_out=True)
    assert result["removed"] == 1 and result["written"] == 0
    assert "192.0.2.0/24" not in [e["prefix"] for e in installed()]


def test_bad_options_change_nothing(instance):
    before = installed()
    for bad in (["-k", "0"], ["--encap", "mpls"], ["--from", "10.9.9.9"]):
        args = ["table", "--topology", instance, "--from", "10.1.2.2", "--apply"] + bad
        if bad[0] == "--from":
            args = ["table", "--topology", instance, "--apply"] + bad
        result = subprocess.run([IPLBCTL, "-N", NODE, "-n", NODE] + args,
                                capture_output=True, text=True, timeout=30)
        assert result.returncode != 0 and result.stderr.startswith("iplbctl: "), result
    assert installed() == before

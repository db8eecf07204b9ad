#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""iplbctl as an operator uses it: generate a topology, ask for paths,
get JSON, and get a one-line error and a non-zero status for bad input."""

import json
import os
import subprocess
import sys
import time

import pytest

IPLBCTL = os.environ.get("IPLBCTL", "tools/iplbctl/iplbctl")


def run(*args):
    return subprocess.run([IPLBCTL, *args], capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def fattree(tmp_path_factory):
    path = tmp_path_factory.mktemp("topo") / "fattree4.json"
    result = run("topology", "generate", "fattree", "--k", "4")
    assert result.returncode == 0, result.stderr
    path.write_text(result.stdout)
    return str(path)


def test_generated_fattree_is_a_topology_file(fattree):
    topology = json.load(open(fattree))
    assert len(topology["routers"]) == 20 + 16
    assert len(topology["prefixes"]) == 16
    assert all(link["cost"] == 10 for link in topology["links"])


def test_jellyfish_is_reproducible():
    args = ("topology", "generate", "jellyfish", "--switches", "45", "--ports", "6",
            "--hosts", "54", "--seed", "7")
    first, second = run(*args), run(*args)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert len(json.loads(first.stdout)["routers"]) == 45 + 54


def test_paths_json(fattree):
    result = run("-j", "paths", "--topology", fattree, "--from", "10.1.2.2",
                 "--to", "10.4.3.3", "-k", "8")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    paths = out["paths"]
    assert len(paths) == 8
    assert [p["cost"] for p in paths] == sorted(p["cost"] for p in paths)
    assert [p["cost"] for p in paths[:4]] == [60] * 4  # (k/2)^2 shortest
    for p in paths:
        assert p["hops"][0] == "10.1.2.2" and p["hops"][-1] == "10.4.3.3"
        assert len(set(p["hops"])) == len(p["hops"])
        assert set(p["relays"]) <= set(p["hops"][1:-1])
        assert p["pinned"] is True  # the exact planner pins every fat-tree path


def test_paths_to_a_prefix_and_tree_planner(fattree):
    result = run("-j", "paths", "--topology", fattree, "--from", "10.1.2.2",
                 "--to", "10.4.3.3/32", "-k", "2", "--planner", "tree")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["planner"] == "tree" and len(out["paths"]) == 2


def test_relay_source(tmp_path):
    topo = tmp_path / "loopbacks.json"
    topo.write_text(json.dumps({
        "routers": [{"id": "1.1.1.%d" % i} for i in range(1, 5)],
        "links": [{"from": "1.1.1.%d" % a, "to": "1.1.1.%d" % b, "cost": c}
                  for a, b, c in [(1, 2, 1), (2, 1, 1), (2, 3, 1), (3, 2, 1), (3, 4, 1),
                                  (4, 3, 1), (1, 3, 5), (3, 1, 5)]],
        "prefixes": [{"router": "1.1.1.%d" % i, "prefix": "10.255.0.%d/32" % i}
                     for i in range(1, 5)]}))
    base = ("-j", "paths", "--topology", str(topo), "--from", "1.1.1.1", "--to", "1.1.1.4",
            "-k", "2")
    by_id = json.loads(run(*base).stdout)["paths"]
    by_loopback = json.loads(run(*base, "--relay-source", "prefix:10.255.0.0/16").stdout)["paths"]
    assert [p["hops"] for p in by_id] == [p["hops"] for p in by_loopback]
    relays = [r for p in by_loopback for r in p["relays"]]
    assert relays and all(r.startswith("10.255.0.") for r in relays), by_loopback
    bad = run(*base, "--relay-source", "magic")
    assert bad.returncode == 2 and "unknown relay source 'magic'" in bad.stderr


def test_paths_text(fattree):
    result = run("paths", "--topology", fattree, "--from", "10.1.2.2", "--to", "10.4.3.3",
                 "-k", "3", "--metric", "hops")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("10.1.2.2 -> 10.4.3.3: 3 paths (k 3, metric hops")
    assert len(lines) == 2 + 3


@pytest.mark.parametrize(
    "args, status, message",
    [
        (("--to", "10.9.9.9"), 1, "--to: unknown router 10.9.9.9"),
        (("--to", "10.9.9.0/24"), 1, "--to: no router announces 10.9.9.0/24"),
        (("--to", "10.4.3.3", "-k", "0"), 2, "-k must be a number in 1-1024, not '0'"),
        (("--to", "10.4.3.3", "--planner", "magic"), 2, "unknown planner 'magic'"),
        (("--to", "10.4.3.3", "--metric", "delay"), 2, "unknown metric 'delay'"),
        (("--to", "10.4.3.3", "--colour", "red"), 2, "unknown option '--colour'"),
        (("--to", "10.1.2.2"), 1, "same router"),
        (("--to", "10.4.3.300"), 2, "'10.4.3.300' is not an IPv4 address"),
    ],
)
def test_bad_input(fattree, args, status, message):
    result = run("paths", "--topology", fattree, "--from", "10.1.2.2", *args)
    assert result.returncode == status, result
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("iplbctl: ")
    assert message in result.stderr


def test_bad_topology_file_names_the_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{\n "routers": [\n  {"id": "10.0.0.1"},\n  {"id": }\n ]\n}\n')
    result = run("paths", "--topology", str(bad), "--from", "10.0.0.1", "--to", "10.0.0.2")
    assert result.returncode == 1
    assert "line 4" in result.stderr, result.stderr


def test_unreachable_destination(tmp_path):
    topo = tmp_path / "islands.json"
    topo.write_text(json.dumps({"routers": [{"id": "10.0.0.1"}, {"id": "10.0.0.2"}]}))
    result = run("paths", "--topology", str(topo), "--from", "10.0.0.1", "--to", "10.0.0.2")
    assert result.returncode == 1
    assert "10.0.0.2 is unreachable from 10.0.0.1" in result.stderr


def test_help_and_usage_errors():
    assert run("--help").returncode == 0
    assert "iplbctl [-j] paths" in run("--help").stdout
    assert "iplbctl relay source add|del PREFIX [PREFIX...]" in run("--help").stdout
    assert run().returncode == 2
    assert run("frobnicate").returncode == 2


@pytest.mark.parametrize("where", ["first", "last", "middle"])
def test_global_options_anywhere(fattree, where):
    command = ["paths", "--topology", fattree, "--from", "10.1.2.2", "--to", "10.4.3.3",
               "-k", "2"]
    if where == "first":
        args = ["-j"] + command
    elif where == "last":
        args = command + ["--json"]
    else:
        args = command[:3] + ["-j"] + command[3:]
    result = run(*args)
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["paths"]) == 2


@pytest.mark.parametrize("args", [
    ["paths", "--help"], ["paths", "--topology", "x", "-h"], ["prefix", "add", "--help"],
    ["srv6", "sid", "add", "-h"],
])
def test_help_anywhere(args):
    result = run(*args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: iplbctl")


def test_version_anywhere():
    result = run("topology", "-V")
    assert result.returncode == 0 and result.stdout.startswith("iplbctl "), result


def test_instance_and_pin_root_anywhere(tmp_path):
    result = run("show", "-n", "x1", "--pin-root", str(tmp_path / "none"))
    assert result.returncode == 1
    assert "x1" in result.stderr and "none" in result.stderr, result.stderr


@pytest.mark.parametrize("args, message", [
    (["paths", "--topology", "F", "--from", "10.1.2.2", "--to", "10.4.3.3", "extra"],
     "unexpected argument 'extra': expected --topology, --from, -k, --metric, --planner, "
     "--relay-source or --to"),
    (["paths", "--topology", "F", "--from", "10.1.2.2", "--to"], "option --to needs a value"),
    (["paths", "--topology", "F", "--from", "10.1.2.2", "--to", "10.4.3.3", "--frm"],
     "unknown option '--frm': expected --topology"),
    (["table", "--topology", "F", "--from", "10.1.2.2", "apply"],
     "unexpected argument 'apply': expected --topology, --from, -k, --metric, --planner, "
     "--relay-source, --encap, --mode or --apply"),
    (["topology", "generate", "fattree", "8"],
     "unexpected argument '8': expected --k, --cost or --no-hosts"),
    (["prefix", "add", "10.4.1.0/24", "relay", "10.255.0.1", "extra"],
     "unknown keyword 'extra': expected relay, weight, encap, mode or mtu"),
    (["prefix", "add", "10.4.1.0/24", "relay"], "'relay' needs a value"),
    (["config", "source", "10.0.0.1", "fib"],
     "unknown keyword 'fib': expected source, source6, fib-redirect or flow-idle"),
    (["srv6", "prefix", "add", "10.4.1.0/24", "segs", "fc00::1", "dev", "x", "extra"],
     "unknown keyword 'extra': expected segs, weight or dev"),
    (["srv6", "sid", "add", "fc00::e", "action", "end", "dev", "x", "extra"],
     "unknown keyword 'extra': expected action, nh4, nh6 or dev"),
    (["-n"], "option -n needs a value"),
    (["paths", "--topology", "F", "-N"], "option -N needs a value"),
])
def test_a_stray_word_says_what_was_expected(fattree, tmp_path, args, message):
    args = [fattree if a == "F" else a for a in args]
    result = run("--pin-root", str(tmp_path / "none"), *args)
    assert result.returncode == 2, result
    assert result.stderr.startswith("iplbctl: ") and result.stderr.count("\n") == 1
    assert message in result.stderr, result.stderr
    assert "needs a value" not in result.stderr or "needs a value" in message


def test_a_topology_file_that_never_ends_is_refused_quickly():
    start = time.monotonic()
    result = run("paths", "--topology", "/dev/zero", "--from", "10.1.2.2", "--to", "10.4.3.3")
    assert time.monotonic() - start < 10
    assert result.returncode == 1, result
    assert result.stderr == ("iplbctl: /dev/zero: larger than 64 MiB (the most a topology "
                             "file may have)\n")


def test_a_topology_file_over_the_limit_is_refused_by_its_size(tmp_path):
    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(64 * 1024 * 1024 + 1)  # sparse: nothing is written
    start = time.monotonic()
    result = run("table", "--topology", str(big), "--from", "10.1.2.2")
    assert time.monotonic() - start < 5
    assert result.returncode == 1
    assert "big.json: larger than 64 MiB" in result.stderr, result.stderr


def test_the_largest_generated_fabric_fits_the_limit(tmp_path):
    """The limit is twice the largest fabric the generator makes."""
    topo = tmp_path / "ft64.json"
    with open(topo, "w") as f:
        result = subprocess.run([IPLBCTL, "topology", "generate", "fattree", "--k", "64"],
                                stdout=f, stderr=subprocess.PIPE, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert 2 * topo.stat().st_size < 64 * 1024 * 1024


if __name__ == "__main__":
    sys.exit(pytest.main(["-v", __file__]))


@pytest.mark.parametrize("args, message", [
    (["prefix", "add", "10.4.1.0/33", "relay", "10.255.0.1"], "prefix length"),
    (["prefix", "add", "10.4.1.0/24", "relay", ",".join("10.255.0.%d" % i for i in range(1, 10))],
     "9 relays, at most 8"),
    (["prefix", "add", "10.4.1.0/24", "relay", "10.255.0.1", "encap", "mpls"],
     "unknown encapsulation 'mpls': expected ipip, gre or gue"),
    (["prefix", "add", "10.4.1.0/24"], "at least one 'relay"),
    (["prefix", "add", "10.4.1.0/24", "relay", "10.255.0.1", "relay", "10.255.0.1"],
     "the same relays as another list"),
    (["prefix", "add", "10.4.1.0/24", "relay", "10.255.0.1", "mtu", "100"], "mtu must be"),
    (["prefix", "add", "10.4.1.0/24", "relays", "10.255.0.1"], "unknown keyword 'relays'"),
    (["prefix", "add", "10.4.1.0/24", "relay", "10.255.0.1", "mode", "sticky"],
     "unknown selection mode 'sticky': expected hash, weighted, flow or round-robin"),
    (["prefix", "add", "10.4.1.0/24", "relay", "10.255.0.1", "weight", "0"],
     "weight must be 1-65535, not '0'"),
    (["prefix", "add", "10.4.1.0/24", "weight", "2", "relay", "10.255.0.1"],
     "'weight' follows the relay list it weighs"),
    (["prefix", "add", "10.4.1.0/24", "relay", "10.255.0.1", "weight", "2", "weight", "3"],
     "'weight' follows the relay list it weighs, once"),
    (["flow", "show", "10.4.1.0/40"], "prefix length"),
    (["flow", "drop"], "usage: iplbctl flow show"),
    (["config", "fib-redirect", "maybe"], "fib-redirect must be on or off, not 'maybe'"),
    (["config", "source", "fc00::1"], "is not an IPv4 address (source6 for IPv6)"),
    (["config", "source6", "10.0.0.1"], "is not an IPv6 address"),
    (["config", "flow-idle", "0"], "flow-idle must be 1-86400 seconds"),
    (["prefix", "add", "fc00:4::/64", "relay", "10.255.0.1,fc00::1"],
     "the relays of a prefix are all IPv4 or all IPv6"),
    (["prefix", "add", "fc00:4::1/64", "relay", "fc00::1"], "host bits are set"),
    (["prefix", "add", "fc00:4::/129", "relay", "fc00::1"], "prefix length must be 0-128"),
    (["prefix", "add", "fc00:4::/64", "relay", "ff02::1"], "cannot be a relay address"),
    (["relay", "add", "fc00::zz"], "is not an IPv6 address"),
    (["relay", "frob"], "unknown command 'relay frob': expected add, del, source or show"),
    (["relay", "show", "10.255.0.1"], "usage: iplbctl relay show"),
    (["relay", "source"], "usage: iplbctl relay source add|del PREFIX [PREFIX...]"),
    (["relay", "source", "flush"], "usage: iplbctl relay source add|del PREFIX [PREFIX...]"),
    (["relay", "source", "add"], "usage: iplbctl relay source add|del PREFIX [PREFIX...]"),
    (["relay", "source", "add", "10.255.1.1/24"], "host bits are set"),
    (["relay", "source", "add", "10.255.1.0/24", "10.255.2.1/16"], "host bits are set"),
    (["relay", "source", "add", "10.255.1.0/33"], "prefix length must be 0-32"),
    (["relay", "source", "del", "fc00::zz"], "is not an IPv6 address"),
    (["relay", "source", "add", "fc00:ff::/129"], "prefix length must be 0-128"),
    (["lb", "vip", "add", "192.0.2.0/24"], "is not a host address"),
    (["lb", "vip", "add", "127.0.0.1"], "cannot be a VIP: a loopback address"),
    (["lb", "vip", "add", "192.0.2.10", "proto", "sctp"], "proto 'sctp': tcp or udp"),
    (["lb", "vip", "add", "192.0.2.10", "port", "0"], "port must be 1-65535"),
    (["lb", "vip", "add", "192.0.2.10", "buckets", "99"], "buckets must be 100-65536"),
    (["lb", "vip", "add", "192.0.2.10", "buckets", "70000"], "buckets must be 100-65536"),
    (["lb", "backend", "add", "192.0.2.10", "10.0.0.1", "weight", "0"],
     "weight must be 1-1000, not '0'"),
    (["lb", "backend", "add", "192.0.2.10", "10.0.0.1", "weight", "1001"],
     "weight must be 1-1000"),
    (["lb", "backend", "add", "192.0.2.10", "224.0.0.1"], "cannot be a backend"),
    (["lb", "backend", "set", "192.0.2.10", "10.0.0.1"], "set what?"),
    (["lb", "backend", "del", "192.0.2.10", "10.0.0.1", "weight", "2"], "unexpected 'weight'"),
    (["lb", "frob"], "unknown lb object 'frob'"),
    (["lb", "config", "fib", "maybe"], "fib 'maybe': on or off"),
    (["lb", "config", "daisy-timeout", "0"], "daisy-timeout must be 1-86400"),
    (["attach", "bridge", "eth0"], "usage: iplbctl attach host|relay|mux|backend"),
])
def test_bad_datapath_input_is_refused_before_anything_is_touched(tmp_path, args, message):
    # The pin root does not even exist: a bad command must fail on its input.
    result = run("--pin-root", str(tmp_path / "none"), *args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert result.stderr.count("\n") == 1, "one line"
    assert not (tmp_path / "none").exists()


@pytest.mark.parametrize("args, message", [
    (["srv6"], "usage: iplbctl srv6 prefix|sid|probe"),
    (["srv6", "route", "show"], "unknown object 'srv6 route': expected prefix, sid or probe"),
    (["srv6", "probe", "now"], "usage: iplbctl srv6 probe"),
    (["srv6", "prefix", "flush"], "unknown command 'srv6 prefix flush'"),
    (["srv6", "prefix", "add", "10.4.1.0/24", "segs", "fc00::1"], "'dev DEV' is needed"),
    (["srv6", "prefix", "add", "10.4.1.0/24", "dev", "up1"], "at least one 'segs SID"),
    (["srv6", "prefix", "add", "10.4.1.1/24", "segs", "fc00::1", "dev", "up1"], "host bits"),
    (["srv6", "prefix", "add", "10.4.1.0/24", "segs", "fc00::1,10.0.0.1", "dev", "up1"],
     "bad segment list 'fc00::1,10.0.0.1': '10.0.0.1' is not an IPv6 address"),
    (["srv6", "prefix", "add", "10.4.1.0/24", "segs", "fc00::1", "segs", "fc00::1", "dev",
      "up1"], "segment list fc00::1 is given twice"),
    (["srv6", "prefix", "add", "10.4.1.0/24", "segs", ",".join(["fc00::1"] * 9), "dev", "up1"],
     "segment list 1 has 9 segments: 1 to 8 are possible"),
    (["srv6", "prefix", "add", "10.4.1.0/24"] +
     sum((["segs", "fc00::%x" % i] for i in range(1, 18)), []) + ["dev", "up1"],
     "a prefix needs 1 to 16 segment lists, not 17"),
    (["srv6", "prefix", "add", "10.4.1.0/24", "segs", "fc00::1", "weight", "256", "dev", "x"],
     "weight must be 1-255, not '256'"),
    (["srv6", "prefix", "add", "10.4.1.0/24", "segs", "::", "dev", "up1"],
     "segment list 1: segment :: cannot be a SID"),
    (["srv6", "prefix", "add", "10.4.1.0/24", "segs", "fc00::1", "dev", "up1", "mtu", "1400"],
     "unknown keyword 'mtu': expected segs, weight or dev"),
    (["srv6", "prefix", "del", "10.4.1.0/24", "dev", "up1"], "usage: iplbctl srv6 prefix del"),
    (["srv6", "sid", "add", "fc00::e", "action", "end.dt4", "dev", "lan"],
     "unknown SRv6 action 'end.dt4': expected end, end.dx4 or end.dx6"),
    (["srv6", "sid", "add", "fc00::e", "action", "end", "nh4", "10.4.1.2", "dev", "lan"],
     "nh4 is for action end.dx4 only"),
    (["srv6", "sid", "add", "fc00::e", "action", "end.dx4", "nh6", "fd00::2", "dev", "lan"],
     "nh6 is for action end.dx6 only"),
    (["srv6", "sid", "add", "fc00::e", "action", "end"], "'dev DEV' is needed"),
    (["srv6", "sid", "add", "fc00::e", "dev", "lan"], "'action end|end.dx4|end.dx6' is needed"),
    (["srv6", "sid", "add", "ff02::1", "action", "end", "dev", "lan"], "cannot be a SID"),
    (["srv6", "sid", "add", "fc00::e", "action", "end", "action", "end", "dev", "lan"],
     "'action' given twice"),
    (["srv6", "sid", "show", "fc00::e"], "usage: iplbctl srv6 sid show"),
])
def test_bad_srv6_input_is_refused_before_netlink(args, message):
    result = run(*args)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("iplbctl: ") and message in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1, "one line"

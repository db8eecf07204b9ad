#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""iplb-sim from the command line: its JSON shape, determinism, and a
one-line error with exit status 2 for bad options."""

import json
import os
import subprocess

import pytest

IPLB_SIM = os.environ.get("IPLB_SIM", "tools/iplb-sim/iplb-sim")


def run(*args):
    return subprocess.run([IPLB_SIM, *args], capture_output=True, text=True, timeout=120)


def test_help_lists_every_option():
    result = run("--help")
    assert result.returncode == 0
    for option in ("--topology", "--ports", "--switches", "--hosts", "--seeds", "--seed",
                   "--subflows", "--k-max", "--planner", "--schemes", "--mapping",
                   "--cdf-pairs", "--relay-cdf", "--no-relay-cdf", "--json"):
        assert option in result.stdout


def test_json_has_the_documented_shape():
    result = run("--ports", "4", "--seeds", "2", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["topology"] == {"kind": "jellyfish", "ports": 4, "switches": 20, "hosts": 16,
                               "seeds": 2, "first_seed": 1}
    keys = ["ecmp"] + [f"k{k}" for k in range(2, 9)]
    assert list(out["normalized"]) == keys
    assert list(out["normalized_exact"]) == keys
    assert all(0.5 < v < 2 for v in out["normalized"].values())
    # ECMP does not depend on the planner.
    assert out["normalized"]["ecmp"] == out["normalized_exact"]["ecmp"]
    cdf = out["relay_cdf"]
    assert len(cdf) == 9
    assert all(a <= b for a, b in zip(cdf, cdf[1:]))
    assert cdf[-1] == 1.0
    assert out["relays"]["tree"]["cdf"] == cdf
    assert out["by_planner"]["exact"]["diverted_subflows"] == 0
    assert len(out["per_seed"]) == 2


def test_same_seed_same_numbers():
    args = ("--ports", "6", "--seeds", "2", "--seed", "5", "--no-relay-cdf", "--json")
    first, second = json.loads(run(*args).stdout), json.loads(run(*args).stdout)
    assert first["normalized"] == second["normalized"]
    assert first["per_seed"] == second["per_seed"]


def test_shortest_scheme_is_one_and_round_robin_runs():
    result = run("--ports", "4", "--seeds", "1", "--schemes", "shortest,k1,k4",
                 "--planner", "exact", "--mapping", "round-robin", "--no-relay-cdf", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["normalized"]["shortest"] == 1.0
    # One exact-planned path is the shortest path itself.
    assert out["normalized"]["k1"] == pytest.approx(1.0)
    assert "normalized_exact" not in out


def test_relay_cdf_only_has_no_throughput():
    out = json.loads(run("--ports", "4", "--seeds", "1", "--relay-cdf", "--json").stdout)
    assert "normalized" not in out
    assert out["relays"]["exact"]["paths"] > 0


def test_fattree_is_sized_by_ports():
    out = json.loads(run("--topology", "fattree", "--ports", "4", "--seeds", "1",
                         "--no-relay-cdf", "--json").stdout)
    assert out["topology"]["switches"] == 20
    assert out["topology"]["hosts"] == 16


@pytest.mark.parametrize("args, message", [
    (["--ports", "x"], "--ports must be a number"),
    (["--planner", "foo"], "--planner must be tree, exact or both"),
    (["--schemes", "k9"], "not 'k9'"),
    (["--schemes", "k3", "--k-max", "2"], "not 'k3'"),
    (["--subflows", "0"], "--subflows must be a number in 1-8"),
    (["--mapping", "random"], "mapping must be hash or round-robin"),
    (["--topology", "torus"], "--topology must be jellyfish or fattree"),
    (["--topology", "fattree", "--ports", "5"], "even --ports"),
    (["--seeds"], "needs a value"),
    (["--nope", "1"], "unknown option '--nope'"),
    (["--json", "--json"], "given twice"),
])
def test_bad_options_exit_2(args, message):
    result = run(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr


def test_impossible_topology_exits_1():
    result = run("--switches", "4", "--hosts", "40", "--ports", "4", "--seeds", "1")
    assert result.returncode == 1
    assert "leave no port" in result.stderr

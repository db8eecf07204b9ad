#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The demo lab end to end, as root (make check-demo): `iplb-demo up` builds the
k=4 fat-tree with FRR and iplbd, `run` routes the same traffic three ways, and
`down` leaves nothing. Throughput is not asserted (it is a measurement, see
docs/EVALUATION.md); what routing does to the traffic is: one core per pod pair
with shortest path, every switch link with iplb, MPTCP subflows joined, the
VIP over both LB nodes (and every MPTCP join on its connection's backend, in token
mode), the picture drawn, every daemon's vty on the loopback, and
no /var/tmp/frr directory of the lab's processes after `down`."""

import json
import os
import subprocess

import pytest

TOP = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DEMO = os.path.join(TOP, "tools", "iplb-demo")
SBINDIR = os.environ.get("FRR_DAEMON_DIR", "/usr/local/lib/frr")
BINDIR = os.environ.get("FRR_BIN_DIR", "/usr/local/bin")
RESULTS = "/var/tmp/iplb-demo/results.json"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (namespaces, FRR)")


def demo(*args, timeout=300):
    return subprocess.run([DEMO, "--sbindir", SBINDIR, "--bindir", BINDIR, *args],
                          capture_output=True, text=True, timeout=timeout)


FRR_TMPDIR = "/var/tmp/frr"


def lab_processes():
    """The lab's FRR processes (pid -> program): watchfrr and its daemons."""
    out = subprocess.run(["pgrep", "-a", "-f", "^%s/[a-z]+ -N dc-" % SBINDIR],
                         capture_output=True, text=True).stdout
    return {int(line.split()[0]): os.path.basename(line.split()[1])
            for line in out.splitlines() if line.strip()}


def frr_tmp_dirs(processes):
    """FRR's directories of these processes: <program>[-<instance>].<N> with N
    the pid, or (a daemon started with -d) holding its main thread's
    logbuf.<pid>."""
    entries = os.listdir(FRR_TMPDIR) if os.path.isdir(FRR_TMPDIR) else []
    return [e for e in entries for pid, name in processes.items()
            if (e.rpartition(".")[0] == name or e.startswith(name + "-"))
            and (e.rpartition(".")[2] == str(pid)
                 or os.path.exists(os.path.join(FRR_TMPDIR, e, "logbuf.%d" % pid)))]


def leftovers():
    namespaces = [l for l in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                            text=True).stdout.splitlines()
                  if l.startswith("dc-")]
    pins = [p for p in os.listdir("/run/iplb/bpf") if p.startswith("dc-")] \
        if os.path.isdir("/run/iplb/bpf") else []
    daemons = subprocess.run(["pgrep", "-f", "^%s/[a-z]+ -N dc-" % SBINDIR],
                             capture_output=True, text=True).stdout.split()
    return namespaces + pins + daemons


@pytest.fixture(scope="module")
def lab():
    if leftovers():
        pytest.skip("a demo lab is up (./quickstart.sh demo --down removes it)")
    try:
        up = demo("up")
        assert up.returncode == 0, up.stdout + up.stderr
        yield up.stdout
    finally:
        down = demo("down")
        assert down.returncode == 0, down.stderr


@pytest.fixture(scope="module")
def results(lab):
    run = demo("run", "--seconds", "3", timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    with open(RESULTS) as f:
        return run.stdout, json.load(f)


def test_up_reports_the_vip_over_both_lb_nodes(lab):
    assert "via eth-lb1" in lab and "via eth-lb2" in lab
    assert "The lab is up" in lab


def test_the_vip_serves_the_client_and_replies_take_iplb(lab, results):
    """200 requests from the client outside the fabric, through both LB nodes
    (up's ECMP) to the 4 backends on fabric hosts; their replies tunnelled by
    their iplb datapath (the last run's routing), over several relay lists."""
    assert "backends not serving yet" in lab and "committed: generation" in lab
    stdout, data = results
    vip = data["vip"]
    assert vip["failed"] == 0, vip["errors"]
    assert sum(vip["backends"].values()) == 200
    assert sorted(vip["backends"]) == sorted(data["fabric"]["hosts"][i] for i in (2, 6, 10, 14))
    assert all(count > 0 for count in vip["backends"].values()), vip["backends"]
    for host, replies in vip["replies_tunnelled"].items():
        assert replies["bytes"] > 0 and replies["lists_used"] >= 1, (host, replies)
    assert max(r["lists_used"] for r in vip["replies_tunnelled"].values()) >= 2
    picture = vip["picture"]
    assert [path[:3] for path in picture["requests"]] == [["cl", "up", "lb1"], ["cl", "up", "lb2"]]
    assert all(path[-1] == picture["backend"] for path in picture["requests"])
    assert picture["replies"] and all(path[0] == picture["backend"] and path[-1] == "cl"
                                      for path in picture["replies"])
    assert "requests; replies tunnelled by iplb" in stdout


def test_every_mptcp_join_reaches_its_connections_backend(results):
    """50 MPTCP connections from the client's two interfaces to the VIP in
    token mode: each one's second subflow established on the backend that
    answered it (a join that reached another backend would have been reset),
    none fell back to TCP, the muxes sent the joins by their tokens."""
    stdout, data = results
    mptcp = data["vip"]["mptcp"]
    assert mptcp["failed"] == 0, mptcp["errors"]
    assert mptcp["fallback"] == 0, mptcp
    assert mptcp["connections"] == 50 and mptcp["joined"] == 50, mptcp
    backends = [data["fabric"]["hosts"][i] for i in (2, 6, 10, 14)]
    assert set(mptcp["backends"]) <= set(backends), mptcp["backends"]
    assert sum(m["joins"] for m in mptcp["muxes"].values()) >= 50, mptcp["muxes"]
    assert "join subflows established on it" in stdout


def test_every_pair_got_traffic_in_every_run(results):
    _, data = results
    assert set(data["results"]) == {"%s/%s" % (m, t) for m in ("shortest", "ecmp", "iplb")
                                    for t in ("tcp", "mptcp")}
    for key, result in data["results"].items():
        assert result["failed"] == [], key
        # Never the machine's default (bbr on some: a starved sender then
        # took a minute to drain, docs/DEVELOPMENT.md).
        assert result["congestion"] == ["cubic"], (key, result["congestion"])
        assert len(result["pairs_mbit"]) == 16, key
        assert all(mbit > 0 for mbit in result["pairs_mbit"].values()), key


def test_multipath_uses_more_links_than_shortest_path(results):
    runs = results[1]["results"]
    # One path per pair against 4 (k=4 fat-tree: 24 of 64 links against ~60).
    for transport in ("tcp", "mptcp"):
        shortest = runs["shortest/%s" % transport]["links_used"]
        assert runs["ecmp/%s" % transport]["links_used"] > shortest + 16, transport
        assert runs["iplb/%s" % transport]["links_used"] > shortest + 16, transport


def test_only_iplb_tunnels_and_it_tunnels_everything(results):
    runs = results[1]["results"]
    for key, result in runs.items():
        received = result["total_mbit"] * 1e6 / 8 * 3  # 3 s runs
        if key.startswith("iplb/"):
            # Data and ACKs both go through the hosts' datapath.
            assert result["tunnelled_bytes"] >= 0.8 * received, key
        else:
            assert result["tunnelled_bytes"] == 0, key


def relays():
    """Every switch's relay: iplbctl relay show, by instance (dc-s...)."""
    out = {}
    for instance in sorted(os.listdir("/run/iplb/bpf")):
        if instance.startswith("dc-s"):
            shown = subprocess.run([os.path.join(BINDIR, "iplbctl"), "-j", "-N", instance, "-n",
                                    instance, "relay", "show"], capture_output=True, text=True,
                                   timeout=30)
            assert shown.returncode == 0, shown.stderr
            out[instance] = json.loads(shown.stdout)
    return out


def test_the_relays_take_the_hosts_tunnels_and_refuse_none(results):
    shown = relays()
    assert len(shown) == 20, "every switch of the k=4 fat-tree"
    for instance, relay in shown.items():
        assert relay["refusedSource"] == 0, (instance, relay)
        # Hosts' loopbacks, the subflow range, the VIP, the uplinks of the 4
        # backends and of the etcd member's host.
        assert "10.50.0.0/16" in relay["sources"] and len(relay["sources"]) == 16 + 1 + 1 + 5, \
            relay
    assert sum(relay["decapsulated"] for relay in shown.values()) > 0


def test_mptcp_opened_its_subflows(results):
    runs = results[1]["results"]
    # 16 connections, 3 joins each (4 subflows), all of them joined before
    # the timed run began (bulk.py --subflows).
    for mode in ("shortest", "ecmp", "iplb"):
        run = runs["%s/mptcp" % mode]
        assert run["mptcp_joins"] >= 16 * 3, mode
        assert len(run["subflows_joined"]) == 16, (mode, run["subflows_joined"])
        assert all(joined == [3] for joined in run["subflows_joined"].values()), (
            mode, run["subflows_joined"])


def test_table_and_picture(results):
    stdout, data = results
    assert "vs shortest" in stdout and "links used" in stdout
    assert len(data["picture_paths"]) == 4
    assert len(data["picture_relays"]) == 4  # the four core switches
    with open("/var/tmp/iplb-demo/fabric.png", "rb") as f:
        assert f.read(4) == b"\x89PNG"


def test_every_frr_daemon_listens_on_the_loopback_only(lab):
    """Every vty (staticd's included: frrinit.sh starts it in every node)
    is on 127.0.0.1; bgpd's BGP port is the one exception."""
    namespaces = [line.split()[0] for line in subprocess.run(
        ["ip", "netns", "list"], capture_output=True, text=True).stdout.splitlines()
        if line.startswith("dc-")]
    seen, exposed = set(), []
    for ns in namespaces:
        out = subprocess.run(["ip", "netns", "exec", ns, "ss", "-Hltnp"],
                             capture_output=True, text=True).stdout
        for line in out.splitlines():
            fields = line.split()
            if len(fields) < 6 or '(("' not in fields[5]:
                continue
            program = fields[5].split('(("')[1].split('"')[0]
            address = fields[3]
            if program not in ("zebra", "ospfd", "bgpd", "staticd", "iplbd", "watchfrr"):
                continue  # the traffic's sinks
            seen.add(program)
            if address.startswith("127.0.0.1:"):
                continue
            if program == "bgpd" and address.rpartition(":")[2] == "179":
                continue
            exposed.append((ns, program, address))
    assert {"zebra", "ospfd", "bgpd", "staticd", "iplbd"} <= seen, seen
    assert exposed == []


def test_down_leaves_nothing(results):
    processes = lab_processes()
    assert processes and "watchfrr" in processes.values(), processes
    down = demo("down")
    assert down.returncode == 0, down.stderr
    assert leftovers() == []
    # Not even FRR's per-process directories (watchfrr left its own behind).
    assert frr_tmp_dirs(processes) == []

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
iplbd as an FRR daemon, beside zebra and ospfd:

    r1 ---- s1 ---- r2          r3 (alone on s2)
    host            mux         ospfd -a without 'router ospf'
    iplbd           iplbd, bgpd iplbd

- OSPF reaches Full between r1 and r2; iplbd answers `show iplb status`
  (text and JSON) with its version, role, uptime and zebra connection.
- ospfd's API server listens on 127.0.0.1 only (ospfd -a -l 127.0.0.1).
- iplbd's LSDB feed synchronises with it (as many LSAs as ospfd has),
  keeps its database while ospfd is down and resynchronises by itself when
  ospfd comes back; its server is configurable and checked.
- The API server answers every sync request when no OSPF instance exists
  (it crashed before patches 0004 and 0005), to a probe and to iplbd.
- Configuration goes through the northbound: invalid values are rejected
  and change nothing, a command with one refused value changes nothing at
  all and `vtysh -c` exits 1, an error message is only its own; `write
  memory` persists iplbd's section and a restarted iplbd comes back with it.
- iplbd's vty listens on 127.0.0.1 only, though started without -A.
- bgpd accepts `redistribute iplb`, zebra knows the route type.
- The eBPF table's capacity: static routes fill it; one static route more
  is refused at commit with the reason (vtysh exits non-zero, the running
  configuration is unchanged).
- `datapath congestion-control iplb-lia` registers iplb_lia (pinned in
  /run/iplb/bpf/cc) and makes it r1's namespace default: a new TCP socket
  there has it, other namespaces keep theirs; `no ...` gives r1 its default
  back and leaves iplb_lia registered. Skipped if the kernel cannot have it.
"""

import json
import os
import re
import sys

import pytest

from lib import topotest
from lib.common_config import kill_router_daemons, start_router_daemons
from lib.topogen import Topogen, TopoRouter, get_topogen

import frr_env

pytestmark = [pytest.mark.ospfd, pytest.mark.bgpd, pytest.mark.iplbd]

CWD = os.path.dirname(os.path.realpath(__file__))
PROBE = os.path.join(CWD, "..", "iplb_testlib", "ospfapi_probe.py")
IPLBCTL = os.path.join(frr_env.FRR_BIN_DIR, "iplbctl")
API_SERVER_OPTIONS = "-a -l 127.0.0.1"


def build_topo(tgen):
    for name in ("r1", "r2", "r3"):
        tgen.add_router(name)
    s1 = tgen.add_switch("s1")
    s1.add_link(tgen.gears["r1"])
    s1.add_link(tgen.gears["r2"])
    tgen.add_switch("s2").add_link(tgen.gears["r3"])


def setup_module(mod):
    tgen = Topogen(build_topo, mod.__name__)
    tgen.start_topology()
    for name, router in tgen.routers().items():
        router.load_config(TopoRouter.RD_ZEBRA, os.path.join(CWD, name, "zebra.conf"))
        router.load_config(
            TopoRouter.RD_OSPF,
            os.path.join(CWD, name, "ospfd.conf"),
            API_SERVER_OPTIONS,
        )
        router.load_config(TopoRouter.RD_IPLB, os.path.join(CWD, name, "iplbd.conf"))
    tgen.gears["r2"].load_config(TopoRouter.RD_BGP, os.path.join(CWD, "r2", "bgpd.conf"))
    tgen.start_router()


def teardown_module(mod):
    get_topogen().stop_topology()


@pytest.fixture(autouse=True)
def skip_on_failure():
    if get_topogen().routers_have_failure():
        pytest.skip(get_topogen().errors)


def iplb_status(router):
    return json.loads(router.vtysh_cmd("show iplb status json"))


def test_ospf_reaches_full():
    tgen = get_topogen()
    for name, peer in (("r1", "10.255.0.2"), ("r2", "10.255.0.1")):
        router = tgen.gears[name]
        expected = {"neighbors": {peer: [{"converged": "Full"}]}}
        test_func = lambda: topotest.json_cmp(
            json.loads(router.vtysh_cmd("show ip ospf neighbor json")), expected
        )
        _, result = topotest.run_and_expect(test_func, None, count=60, wait=1)
        assert result is None, "{}: OSPF did not reach Full with {}".format(name, peer)


def test_iplb_status_json():
    tgen = get_topogen()
    for name, role in (("r1", "host"), ("r2", "mux")):
        status = iplb_status(tgen.gears[name])
        assert status["daemon"] == "iplbd"
        assert status["version"] == frr_env.IPLB_VERSION
        assert status["frrVersion"].startswith(frr_env.FRR_VERSION)
        assert status["role"] == role
        assert isinstance(status["uptimeSec"], int) and status["uptimeSec"] >= 0
        assert re.fullmatch(r"\d\d:\d\d:\d\d", status["uptime"])
        assert status["zebraConnected"] is True


def test_iplb_status_text_matches_json():
    router = get_topogen().gears["r2"]
    status = iplb_status(router)
    text = router.vtysh_cmd("show iplb status")
    assert "iplbd {}".format(status["version"]) in text
    assert re.search(r"Role:\s+mux", text)
    assert re.search(r"Zebra:\s+connected", text)


def test_ospf_api_listens_on_loopback_only():
    for name in ("r1", "r2", "r3"):
        router = get_topogen().gears[name]
        listeners = router.cmd("ss -Hltn 'sport = :2607'").split("\n")
        locals_ = sorted(line.split()[3] for line in listeners if line.strip())
        assert locals_ == ["127.0.0.1:2607"], "{}: {}".format(name, listeners)


def test_ospf_api_answers_without_router_ospf():
    router = get_topogen().gears["r3"]
    assert "router ospf" not in router.vtysh_cmd("show running-config")
    output = router.cmd("/usr/bin/python3 {} 127.0.0.1 2607; echo rc=$?".format(PROBE))
    for request in ("REGISTER_EVENT", "SYNC_LSDB", "SYNC_ROUTER_ID", "SYNC_ISM",
                    "SYNC_NSM", "SYNC_REACHABLE"):
        assert "{} 0".format(request) in output, output
    assert "rc=0" in output, output
    # ospfd survived and still answers its vty.
    assert "Logging configuration for ospfd" in router.cmd("vtysh -d ospfd -c 'show logging'")


def ospfd_lsa_count(router):
    """LSAs in ospfd's database, counted from its own JSON: per-area lists
    ("routerLinkStates", ...) and AS-scoped lists at the top level."""
    database = json.loads(router.vtysh_cmd("show ip ospf database json"))
    scopes = list(database.get("areas", {}).values()) + [database]
    return sum(
        len(lsas)
        for scope in scopes
        for kind, lsas in scope.items()
        if kind.endswith("LinkStates") and isinstance(lsas, list)
    )


def test_lsdb_feed_mirrors_ospfd():
    tgen = get_topogen()
    for name, router_id in (("r1", "10.255.0.1"), ("r2", "10.255.0.2")):
        router = tgen.gears[name]

        def feed_matches():
            lsdb = iplb_status(router)["lsdb"]
            ospfd = ospfd_lsa_count(router)
            return (lsdb["state"], lsdb.get("routerId"), lsdb["lsas"] == ospfd and ospfd)

        _, result = topotest.run_and_expect(
            feed_matches, ("established", router_id, 3), count=30, wait=1
        )
        # Two router LSAs and the DR's network LSA on s1.
        assert result == ("established", router_id, 3), "{}: {}".format(name, result)
        lsdb = iplb_status(router)["lsdb"]
        assert lsdb["lsasByType"]["router"] == 2
        assert lsdb["lsasByType"]["network"] == 1
        assert lsdb["server"] == "127.0.0.1:2607"
        assert lsdb["malformed"] == 0


def test_lsdb_feed_without_router_ospf():
    lsdb = iplb_status(get_topogen().gears["r3"])["lsdb"]
    assert lsdb["state"] == "established", lsdb
    assert lsdb["lsas"] == 0
    assert "routerId" not in lsdb


def test_lsdb_feed_survives_ospfd_restart():
    tgen = get_topogen()
    router = tgen.gears["r1"]
    before = iplb_status(router)["lsdb"]
    kill_router_daemons(tgen, "r1", ["ospfd"])

    test_func = lambda: iplb_status(router)["lsdb"]["state"]
    _, state = topotest.run_and_expect(test_func, "backoff", count=20, wait=0.5)
    assert state == "backoff"
    lsdb = iplb_status(router)["lsdb"]
    assert lsdb["lsas"] == before["lsas"], "the last database is kept"
    assert lsdb["disconnects"] == before["disconnects"] + 1
    assert lsdb["lastError"]

    start_router_daemons(tgen, "r1", ["ospfd"])
    test_func = lambda: (
        iplb_status(router)["lsdb"]["state"],
        iplb_status(router)["lsdb"]["syncs"] > before["syncs"],
    )
    _, result = topotest.run_and_expect(test_func, ("established", True), count=60, wait=1)
    assert result == ("established", True)
    # iplbd itself was never restarted.
    assert iplb_status(router)["uptimeSec"] >= before["stateSinceSec"]
    test_lsdb_feed_mirrors_ospfd()


def test_lsdb_api_server_is_configurable():
    router = get_topogen().gears["r2"]
    router.vtysh_cmd("configure terminal\nrouter iplb\nlsdb api-server 127.0.0.1 port 2699\n")
    assert re.search(r"^ lsdb api-server 127.0.0.1 port 2699$",
                     router.vtysh_cmd("show running-config"), re.M)
    test_func = lambda: iplb_status(router)["lsdb"]["lastError"]
    _, error = topotest.run_and_expect(
        test_func, "connect to 127.0.0.1:2699: Connection refused", count=20, wait=0.5
    )
    assert error == "connect to 127.0.0.1:2699: Connection refused"
    assert iplb_status(router)["lsdb"]["server"] == "127.0.0.1:2699"

    router.vtysh_cmd("configure terminal\nrouter iplb\nno lsdb api-server\n")
    assert "lsdb api-server" not in router.vtysh_cmd("show running-config")
    test_func = lambda: iplb_status(router)["lsdb"]["state"]
    _, state = topotest.run_and_expect(test_func, "established", count=30, wait=0.5)
    assert state == "established"


def test_bad_lsdb_api_server_is_rejected():
    router = get_topogen().gears["r2"]
    before = router.vtysh_cmd("show running-config")
    for bad in ("lsdb api-server 127.0.0.300", "lsdb api-server 127.0.0.1 port 0",
                "lsdb api-server 127.0.0.1 port 70000", "lsdb api-server localhost"):
        output = router.vtysh_cmd("configure terminal\nrouter iplb\n{}\n".format(bad))
        assert "% " in output, "{}: {}".format(bad, output)
    assert router.vtysh_cmd("show running-config") == before
    assert iplb_status(router)["lsdb"]["server"] == "127.0.0.1:2607"


def test_invalid_role_is_rejected_and_changes_nothing():
    router = get_topogen().gears["r2"]
    before = router.vtysh_cmd("show running-config")
    output = router.vtysh_cmd("configure terminal\nrouter iplb\nrole switch\n")
    assert "% Unknown command: role switch" in output, output
    assert iplb_status(router)["role"] == "mux"
    assert router.vtysh_cmd("show running-config") == before


def vtysh_config(router, command):
    """One command under 'router iplb' through `vtysh -c`: its output and
    vtysh's exit status."""
    output = router.cmd(
        "vtysh -c 'configure terminal' -c 'router iplb' -c '{}'; echo rc=$?".format(command))
    body, _, rc = output.rpartition("rc=")
    return body, int(rc.split()[0])


@pytest.mark.parametrize("command, message", [
    ("prefix 10.2.2.0/24 mode weighted weights 0", "weights are numbers from 1"),
    ("prefix 10.2.2.0/24 k 99 mode flow", "k must be in 1-64"),
    ("prefix 10.2.2.0/24 k 2 weights 3,,1", "weights are numbers from 1"),
    ("prefix 10.2.2.0/24 encap gre k 0", "k must be in 1-64"),
    ("datapath bpf instance a/b", "an instance name is letters"),
    ("path k 0", "k must be in 1-64"),
    ("path max-relays 9", "max relays must be in 1-8"),
    ("datapath mtu 100", "the path MTU is 0"),
    ("static-route 10.5.5.0/24 list 224.0.0.1", "cannot be a relay address"),
    ("static-route 10.5.5.0/24 list 10.0.0.1,,10.0.0.2", "a relay list is up to 8"),
], ids=lambda v: v.replace(" ", "_").replace("/", "_"))
def test_a_refused_command_changes_nothing_and_fails(command, message):
    """FRR 8.4 committed the valid parts of a command whose other part YANG
    refused, and `vtysh -c` exited 0 then: now nothing and exit 1."""
    router = get_topogen().gears["r3"]
    before = router.vtysh_cmd("show running-config")
    output, rc = vtysh_config(router, command)
    assert rc == 1, output
    assert "% " in output and message in output, output
    assert router.vtysh_cmd("show running-config") == before


def test_an_error_message_is_only_its_own():
    """A message of libyang's stayed in its context and was repeated in the
    next, unrelated error."""
    router = get_topogen().gears["r3"]
    first, rc = vtysh_config(router, "datapath bpf instance a/b")
    assert rc == 1 and "an instance name" in first, first
    second, rc = vtysh_config(router, "path k 0")
    assert rc == 1 and "k must be in 1-64" in second, second
    assert "instance" not in second, second
    third, rc = vtysh_config(router, "datapath interface nosuch0")
    assert rc == 1 and "set 'datapath bpf' first" in third, third
    assert "instance" not in third and "k must be" not in third, third


def test_valid_commands_still_exit_0():
    router = get_topogen().gears["r3"]
    for command in ("prefix 10.2.2.0/24 k 2 weights 3,1", "no prefix 10.2.2.0/24",
                    "path k 4", "no path k"):
        output, rc = vtysh_config(router, command)
        assert rc == 0 and "%" not in output, (command, output)
    assert "prefix 10.2.2.0/24" not in router.vtysh_cmd("show running-config")


def test_iplbd_vty_listens_on_loopback_only():
    """The library starts iplbd without -A: its vty is on 127.0.0.1 anyway
    (FRR's default is 0.0.0.0 and ::)."""
    for name in ("r1", "r2", "r3"):
        router = get_topogen().gears[name]
        listeners = [line.split()[3] for line in router.cmd("ss -Hltnp").splitlines()
                     if '"iplbd"' in line]
        assert "127.0.0.1:2630" in listeners, "{}: {}".format(name, listeners)
        assert all(a.startswith("127.0.0.1:") for a in listeners), "{}: {}".format(
            name, listeners)


def test_running_config_has_iplb_section():
    config = get_topogen().gears["r2"].vtysh_cmd("show running-config")
    assert re.search(r"^router iplb\n role mux\nexit$", config, re.M), config


def test_write_memory_persists_across_restart():
    tgen = get_topogen()
    router = tgen.gears["r1"]
    router.vtysh_cmd("configure terminal\nrouter iplb\nrole backend\n")
    assert iplb_status(router)["role"] == "backend"
    router.vtysh_cmd("write memory")
    saved = router.cmd("cat /etc/frr/iplbd.conf")
    assert re.search(r"^router iplb\n role backend\nexit$", saved, re.M), saved

    kill_router_daemons(tgen, "r1", ["iplbd"])
    start_router_daemons(tgen, "r1", ["iplbd"])
    test_func = lambda: iplb_status(router)["role"]
    _, role = topotest.run_and_expect(test_func, "backend", count=20, wait=0.5)
    assert role == "backend"


def test_no_router_iplb_restores_defaults():
    router = get_topogen().gears["r1"]
    router.vtysh_cmd("configure terminal\nno router iplb\n")
    assert iplb_status(router)["role"] == "host"
    assert "router iplb" not in router.vtysh_cmd("show running-config")


def test_bgpd_redistributes_iplb():
    router = get_topogen().gears["r2"]
    config = router.vtysh_cmd("show running-config")
    assert re.search(r"^  redistribute iplb$", config, re.M), config
    output = router.vtysh_cmd(
        "configure terminal\nrouter bgp 65002\naddress-family ipv4 unicast\n"
        "no redistribute iplb\nredistribute iplb\n"
    )
    assert "%" not in output, output
    # zebra knows the route type (iplbd announces VIPs with it).
    assert json.loads(router.vtysh_cmd("show ip route iplb json")) == {}


TABLE_INSTANCE = "iplb-basic-table-limit"


def table_capacity():
    """IPLB_MAX_ROUTES of the layout iplbd was built with."""
    with open(os.path.join(CWD, "..", "..", "kernel", "iplb_host_layout.h")) as f:
        return int(re.search(r"^#define IPLB_MAX_ROUTES (\d+)", f.read(), re.M).group(1))


def static_prefix(i):
    return "172.%d.%d.0/24" % (16 + i // 256, i % 256)


def vtysh_file(router, lines):
    """Configuration lines through `vtysh -f`: one transaction, as a file is
    read (and as frr-reload.py applies changes); (exit code, output)."""
    path = "/tmp/iplb-basic-%s-%d.conf" % (router.name, os.getpid())
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    try:
        rc, out, err = router.net.cmd_status("vtysh -f %s" % path, warn=False)
    finally:
        os.unlink(path)
    return rc, out + err


def table_fill(router):
    return json.loads(router.vtysh_cmd("show iplb counters json"))["table"]


def test_static_routes_beyond_the_table_are_refused():
    router = get_topogen().gears["r1"]
    capacity = table_capacity()
    # Only the static routes compete: r1's OSPF destinations (r2's loopback)
    # are left out by the destination filter, which static routes ignore.
    rc, out = vtysh_file(router, ["router iplb", " datapath bpf instance " + TABLE_INSTANCE,
                                  " destinations include 172.16.0.0/12"] +
                         [" static-route %s list 10.255.0.2" % static_prefix(i)
                          for i in range(capacity)] + ["exit"])
    assert rc == 0 and "%" not in out, out
    try:
        config = router.vtysh_cmd("show running-config")
        assert len(re.findall(r"^ static-route \S+ list ", config, re.M)) == capacity

        # As many static routes as the table holds: all installed.
        full = {"capacity": capacity, "destinations": capacity, "installed": capacity,
                "notInstalled": 0, "tableFull": 0, "writeFailed": 0}
        _, fill = topotest.run_and_expect(lambda: table_fill(router), full, count=30, wait=1)
        assert fill == full
        kernel = router.cmd("%s -n %s show" % (IPLBCTL, TABLE_INSTANCE))
        assert "    %d prefixes\n" % capacity in kernel, kernel

        # One more: refused at commit, with the reason; nothing changes.
        message = ("%d static routes: more than the datapath's table holds (%d destinations"
                   % (capacity + 1, capacity))
        rc, out, err = router.net.cmd_status(
            "vtysh -c 'configure terminal' -c 'router iplb' -c 'static-route %s list 10.255.0.2'"
            % static_prefix(capacity), warn=False)
        assert rc != 0, out + err
        assert "% Configuration failed." in out + err and message in out + err, out + err
        assert router.vtysh_cmd("show running-config") == config
        # In a file, the transaction is refused whole. (vtysh -f exits 0 all
        # the same: FRR 8.4 does not check the commit at the file's end.)
        _, out = vtysh_file(router, ["router iplb", " no static-route %s" % static_prefix(0)] +
                            [" static-route %s list 10.255.0.2" % static_prefix(capacity + i)
                             for i in range(2)] + ["exit"])
        assert message in out, out
        assert router.vtysh_cmd("show running-config") == config
        assert table_fill(router) == full
    finally:
        router.vtysh_cmd("configure terminal\nno router iplb\n")
        router.cmd("%s -n %s purge" % (IPLBCTL, TABLE_INSTANCE))


def cc_status(router):
    out = router.cmd("%s -j cc status" % IPLBCTL)
    return json.loads(out)


def namespace_cc(router):
    return router.cmd("sysctl -n net.ipv4.tcp_congestion_control").strip()


def socket_cc(router):
    """The congestion control a new socket gets in the router's namespace."""
    return router.cmd(
        "/usr/bin/python3 -c 'import socket; s = socket.socket(); print(s.getsockopt("
        "socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(bytes(1)).decode())'").strip()


def test_congestion_control_from_vtysh():
    tgen = get_topogen()
    r1, r3 = tgen.gears["r1"], tgen.gears["r3"]
    if cc_status(r1)["available"]:
        pytest.skip("iplb_lia is registered already (by something else than this test)")
    probe = json.loads(r1.cmd("%s -j cc load --pin-dir /run/iplb/bpf/cc-probe" % IPLBCTL))
    r1.cmd("%s cc unload --pin-dir /run/iplb/bpf/cc-probe" % IPLBCTL)
    if probe.get("unsupported"):
        pytest.skip("this kernel cannot have iplb_lia: " + probe["error"])
    assert probe["loaded"], probe
    before, other = namespace_cc(r1), namespace_cc(r3)
    assert before != "iplb_lia"
    try:
        output, rc = vtysh_config(r1, "datapath congestion-control iplb-lia")
        assert rc == 0 and "%" not in output, output
        _, now = topotest.run_and_expect(lambda: namespace_cc(r1), "iplb_lia", count=20, wait=0.5)
        assert now == "iplb_lia", "r1's default is %s" % now
        assert socket_cc(r1) == "iplb_lia"
        assert namespace_cc(r3) == other, "only r1's namespace changed"
        status = cc_status(r1)
        assert status["loaded"] and status["pinned"], status
        assert " datapath congestion-control iplb-lia\n" in r1.vtysh_cmd("show running-config")

        output, rc = vtysh_config(r1, "no datapath congestion-control")
        assert rc == 0 and "%" not in output, output
        _, now = topotest.run_and_expect(lambda: namespace_cc(r1), before, count=20, wait=0.5)
        assert now == before, "r1's default is %s, was %s" % (now, before)
        assert socket_cc(r1) == before
        assert cc_status(r1)["available"], "iplb_lia stays registered: it is the machine's"
        assert "congestion-control" not in r1.vtysh_cmd("show running-config")
    finally:
        r1.vtysh_cmd("configure terminal\nrouter iplb\nno datapath congestion-control\n")
        r1.cmd("%s cc unload" % IPLBCTL)


def test_memory_leak():
    tgen = get_topogen()
    if not tgen.is_memleak_enabled():
        pytest.skip("Memory leak test/report is disabled")
    tgen.report_memory_leaks()


if __name__ == "__main__":
    sys.exit(pytest.main(["-s"] + sys.argv[1:]))

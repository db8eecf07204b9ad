#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The eBPF datapath carrying real traffic between network namespaces that
this test creates (and removes), set up with iplbctl as an operator would.

                      m (10.0.5.1)
                       |
              +-- r1 (relay 10.255.0.1) --+
    a (host) -+                           +-- r3 (relay 10.255.0.3) -- b 10.4.1.2
              +-- r2 (relay 10.255.0.2) --+

a has two uplinks; its normal route to b's prefix goes through r1. Its iplb
table sends each flow to 10.4.1.0/24 through one of four relay lists,
[r1], [r2], [r1, r3], [r2, r3] (the nested ones decapsulated twice), and
routes the tunnel by the FIB, so flows through r2 leave by the other uplink.
Every link and loopback has an IPv6 address too (b: fc00:4:1::2), for IPv6
destinations over IPv4 relays and both families over IPv6 relays. The relays
accept tunnels from a's tunnel sources only (its loopbacks, `config source`);
m is another host of the network, which they must not serve.
Needs root; every wait is bounded.
"""

import json
import os
import subprocess
import time

import pytest

from netns import PY, TRAFFIC, Namespaces

IPLBCTL = os.environ.get("IPLBCTL", "tools/iplbctl/iplbctl")
NAMESPACES = Namespaces("iplbt")
ns, sh = NAMESPACES.ns, NAMESPACES.sh
NODES = ["a", "r1", "r2", "r3", "b", "m"]
LISTS = ["10.255.0.1", "10.255.0.2", "10.255.0.1,10.255.0.3", "10.255.0.2,10.255.0.3"]

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (netns, eBPF)")


def iplbctl(node, *args, json_out=False):
    # -N enters only the network namespace: the pins stay on the host's bpffs.
    flags = ["-j"] if json_out else []
    result = sh(IPLBCTL, *flags, "-N", ns(node), "-n", ns(node), *args)
    return json.loads(result.stdout) if json_out else result.stdout


LINKS = [  # (node, ifname, address, peer node, peer ifname, peer address)
    ("a", "up1", "10.0.1.1/30", "r1", "toa", "10.0.1.2/30"),
    ("a", "up2", "10.0.2.1/30", "r2", "toa", "10.0.2.2/30"),
    ("r1", "tor3", "10.0.3.1/30", "r3", "from1", "10.0.3.2/30"),
    ("r2", "tor3", "10.0.4.1/30", "r3", "from2", "10.0.4.2/30"),
    ("r3", "lan", "10.4.1.1/24", "b", "lan", "10.4.1.2/24"),
    ("m", "tor1", "10.0.5.1/30", "r1", "tom", "10.0.5.2/30"),
]
LOOPBACKS = {"a": "10.255.1.1", "r1": "10.255.0.1", "r2": "10.255.0.2", "r3": "10.255.0.3"}
LINKS6 = [  # the same links' IPv6 addresses
    ("a", "up1", "fc00:a1::1/64", "r1", "toa", "fc00:a1::2/64"),
    ("a", "up2", "fc00:a2::1/64", "r2", "toa", "fc00:a2::2/64"),
    ("r1", "tor3", "fc00:13::1/64", "r3", "from1", "fc00:13::2/64"),
    ("r2", "tor3", "fc00:23::1/64", "r3", "from2", "fc00:23::2/64"),
    ("r3", "lan", "fc00:4:1::1/64", "b", "lan", "fc00:4:1::2/64"),
]
LOOPBACKS6 = {"a": "fc00:ff::1", "r1": "fc00:0:1::1", "r2": "fc00:0:2::1",
              "r3": "fc00:0:3::1"}
LISTS6 = ["fc00:0:1::1", "fc00:0:2::1", "fc00:0:1::1,fc00:0:3::1",
          "fc00:0:2::1,fc00:0:3::1"]
ROUTES6 = {
    "a": ["fc00:0:1::1/128 via fc00:a1::2", "fc00:0:2::1/128 via fc00:a2::2",
          "fc00:0:3::1/128 via fc00:a1::2", "fc00:4:1::/64 via fc00:a1::2 src fc00:ff::1"],
    "r1": ["fc00:ff::1/128 via fc00:a1::1", "fc00:4:1::/64 via fc00:13::2",
           "fc00:0:3::1/128 via fc00:13::2", "fc00:0:2::1/128 via fc00:13::2"],
    "r2": ["fc00:ff::1/128 via fc00:a2::1", "fc00:4:1::/64 via fc00:23::2",
           "fc00:0:3::1/128 via fc00:23::2", "fc00:0:1::1/128 via fc00:23::2"],
    "r3": ["fc00:ff::1/128 via fc00:13::1", "fc00:0:1::1/128 via fc00:13::1",
           "fc00:0:2::1/128 via fc00:23::1"],
    "b": ["default via fc00:4:1::1"],
}
ROUTES = {
    "a": ["10.255.0.1/32 via 10.0.1.2", "10.255.0.2/32 via 10.0.2.2",
          "10.255.0.3/32 via 10.0.1.2", "10.4.1.0/24 via 10.0.1.2 src 10.255.1.1"],
    "r1": ["10.255.1.1/32 via 10.0.1.1", "10.4.1.0/24 via 10.0.3.2",
           "10.255.0.3/32 via 10.0.3.2", "10.255.0.2/32 via 10.0.3.2"],
    "r2": ["10.255.1.1/32 via 10.0.2.1", "10.4.1.0/24 via 10.0.4.2",
           "10.255.0.3/32 via 10.0.4.2", "10.255.0.1/32 via 10.0.4.2"],
    "r3": ["10.255.1.1/32 via 10.0.3.1", "10.255.0.1/32 via 10.0.3.1",
           "10.255.0.2/32 via 10.0.4.1"],
    "b": ["default via 10.4.1.1"],
    "m": ["default via 10.0.5.2"],
}
# The tunnel sources the relays accept: a's loopbacks, its outer sources.
SOURCES = ["10.255.1.1/32", "fc00:ff::1/128"]
RELAY_INTERFACES = {"r1": ["toa", "tor3", "tom"], "r2": ["toa", "tor3"],
                    "r3": ["from1", "from2"]}


@pytest.fixture(scope="module")
def lab():
    try:
        for node in NODES:
            sh("ip", "netns", "add", ns(node))
            sh("ip", "link", "set", "dev", "lo", "up", node=node)
            sh("sysctl", "-qw", "net.ipv4.ip_forward=1", node=node)
            sh("sysctl", "-qw", "net.ipv6.conf.all.forwarding=1", node=node)
            # A namespace may inherit the host's reverse-path filter; the
            # relays' own check is under test, and forged sources must get
            # as far as it.
            sh("sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0",
               "net.ipv4.conf.default.rp_filter=0", node=node)
        for node, ifname, address, peer, peer_if, peer_address in LINKS:
            sh("ip", "link", "add", ifname, "netns", ns(node), "type", "veth",
               "peer", "name", peer_if, "netns", ns(peer))
            sh("ip", "addr", "add", address, "dev", ifname, node=node)
            sh("ip", "addr", "add", peer_address, "dev", peer_if, node=peer)
            sh("ip", "link", "set", "dev", ifname, "up", node=node)
            sh("ip", "link", "set", "dev", peer_if, "up", node=peer)
        for node, ifname, address, peer, peer_if, peer_address in LINKS6:
            sh("ip", "addr", "add", address, "dev", ifname, "nodad", node=node)
            sh("ip", "addr", "add", peer_address, "dev", peer_if, "nodad", node=peer)
        for node, address in LOOPBACKS.items():
            sh("ip", "addr", "add", address + "/32", "dev", "lo", node=node)
        for node, address in LOOPBACKS6.items():
            sh("ip", "addr", "add", address + "/128", "dev", "lo", node=node)
        for node, routes in ROUTES.items():
            for route in routes:
                sh("ip", "route", "add", *route.split(), node=node)
        for node, routes in ROUTES6.items():
            for route in routes:
                sh("ip", "-6", "route", "add", *route.split(), node=node)

        # The FIB redirect only uses resolved neighbours: keep a's gateways
        # resolved, as an operator of multi-uplink hosts would.
        for gateway, dev in [("10.0.1.2", "up1"), ("10.0.2.2", "up2")]:
            sh("ip", "neigh", "replace", gateway, "dev", dev, "managed", node="a")
        for gateway, dev in [("fc00:a1::2", "up1"), ("fc00:a2::2", "up2")]:
            sh("ip", "-6", "neigh", "replace", gateway, "dev", dev, "managed", node="a")
        deadline = time.monotonic() + 10
        while sh("ip", "neigh", "show", "nud", "reachable", node="a").stdout.count(
                "REACHABLE") < 2 or sh("ip", "-6", "neigh", "show", "nud", "reachable",
                                       node="a").stdout.count("REACHABLE") < 2:
            assert time.monotonic() < deadline, "a's gateways never resolved"
            time.sleep(0.1)

        iplbctl("a", "attach", "host", "up1", "up2")
        iplbctl("a", "config", "source", "10.255.1.1", "source6", "fc00:ff::1",
                "fib-redirect", "on")
        args = ["prefix", "add", "10.4.1.0/24"]
        for relays in LISTS:
            args += ["relay", relays]
        iplbctl("a", *args)
        for relay, interfaces in RELAY_INTERFACES.items():
            iplbctl(relay, "attach", "relay", *interfaces)
            # Its loopback's global addresses, both families; not 127.0.0.1
            # or ::1.
            iplbctl(relay, "relay", "add", "dev", "lo")
            iplbctl(relay, "relay", "source", "add", *SOURCES)
            shown = iplbctl(relay, "relay", "show", json_out=True)
            assert shown["addresses"] == [LOOPBACKS[relay], LOOPBACKS6[relay]]
            assert shown["sources"] == SOURCES
        yield
    finally:
        for node in NODES:
            sh(IPLBCTL, "-n", ns(node), "purge", check=False)
            sh("ip", "netns", "del", ns(node), check=False)


def stats():
    [entry] = iplbctl("a", "stats", "10.4.1.0/24", json_out=True)
    return entry


def list_counters():
    return {entry["relays"]: entry["packets"] for entry in stats()["lists"]}


def sent_on(dev):
    out = sh("ip", "-j", "-s", "link", "show", "dev", dev, node="a").stdout
    return json.loads(out)[0]["stats64"]["tx"]["packets"]


def decapsulated():
    return {relay: iplbctl(relay, "relay", "show", json_out=True)["decapsulated"]
            for relay in ("r1", "r2", "r3")}


def udp_round(first_port, count, seconds=3, dst="10.4.1.2"):
    return NAMESPACES.udp_round(dst, first_port, count, seconds)


def test_udp_flows_spread_over_every_list_and_all_arrive(lab):
    lists_before, relays_before = list_counters(), decapsulated()
    fallback_before, up2_before = stats()["fibFallback"], sent_on("up2")
    received = udp_round(20000, 200)
    assert len(received) == 200, "every flow arrived (%d of 200)" % len(received)

    lists = {k: v - lists_before[k] for k, v in list_counters().items()}
    relays = {k: v - relays_before[k] for k, v in decapsulated().items()}
    assert sum(lists.values()) == 200
    assert all(n >= 20 for n in lists.values()), lists
    # What a took each list for, each relay on it unwrapped.
    assert relays["r1"] == lists[LISTS[0]] + lists[LISTS[2]], (lists, relays)
    assert relays["r2"] == lists[LISTS[1]] + lists[LISTS[3]], (lists, relays)
    assert relays["r3"] == lists[LISTS[2]] + lists[LISTS[3]], (lists, relays)
    # The normal route is through r1: what went through r2 left by the
    # other uplink, by the FIB redirect.
    assert stats()["fibFallback"] == fallback_before
    assert sent_on("up2") - up2_before >= lists[LISTS[1]] + lists[LISTS[3]]


def set_lists(lists, *extra):
    args = ["prefix", "replace", "10.4.1.0/24"]
    for relays in lists:
        args += ["relay", relays]
    iplbctl("a", *args, *extra)


@pytest.mark.parametrize("encap_name", ["gre", "gue"])
def test_other_encapsulations_carry_the_same_flows(lab, encap_name):
    set_lists(LISTS, "encap", encap_name)
    try:
        lists_before, relays_before = list_counters(), decapsulated()
        assert len(udp_round(24000, 100)) == 100
        lists = {k: v - lists_before[k] for k, v in list_counters().items()}
        relays = {k: v - relays_before[k] for k, v in decapsulated().items()}
        assert sum(lists.values()) == 100 and min(lists.values()) > 0, lists
        assert relays["r3"] == lists[LISTS[2]] + lists[LISTS[3]], (lists, relays)
        assert iplbctl("a", "prefix", "show", json_out=True)[0]["encap"] == encap_name
    finally:
        set_lists(LISTS)


@pytest.fixture(params=["ipip", "gre", "gue"])
def encap(request, lab):
    set_lists(LISTS, "encap", request.param)
    yield request.param
    set_lists(LISTS)


def test_tcp_connections_deliver_every_byte(encap):
    """Full-size segments on 1500-byte links, with up to two relay headers:
    only because SYNs and SYN-ACKs have their MSS clamped. The host sends
    GSO super-packets: the kernel segments them after encapsulation."""
    before, clamped_before = list_counters(), stats()["mssClamped"]
    sent, received = NAMESPACES.tcp_round("10.4.1.2", 5002, 1 << 20, 8)
    assert received == sent
    # Counted per skb: with GSO, a connection is a few dozen of them.
    used = [relays for relays, n in list_counters().items() if n > before[relays]]
    assert len(used) >= 2, "8 connections use more than one list: %s" % used
    assert stats()["mssClamped"] - clamped_before >= 16, "each SYN and SYN-ACK"


def which_list(port):
    before = list_counters()
    assert udp_round(port, 1, seconds=1) == {port: 1}
    [(relays, _)] = [(k, v) for k, v in list_counters().items() if v != before[k]]
    return relays


def test_removing_a_list_moves_only_its_flows(lab):
    ports = range(21000, 21024)
    before = {port: which_list(port) for port in ports}
    assert LISTS[1] in before.values(), "some flow used the list to be removed"

    remaining = [relays for relays in LISTS if relays != LISTS[1]]
    set_lists(remaining)
    try:
        for port in ports:
            now = which_list(port)
            if before[port] == LISTS[1]:
                assert now in remaining
            else:
                assert now == before[port], "port %d moved from %s to %s" % (
                    port, before[port], now)
    finally:
        set_lists(LISTS)


def test_mode_flow_keeps_each_flow_on_its_list_as_lists_are_added(lab):
    set_lists(LISTS[:2], "mode", "flow")
    try:
        ports = range(26000, 26016)
        before = {port: which_list(port) for port in ports}
        set_lists(LISTS, "mode", "flow")
        for port in ports:
            assert which_list(port) == before[port], "port %d moved" % port

        flows = [f for f in iplbctl("a", "flow", "show", "10.4.1.0/24", json_out=True)
                 if f["protocol"] == "udp" and f["destinationPort"] == 5001]
        assert {f["sourcePort"]: f["relays"] for f in flows
                if f["sourcePort"] in ports} == before
        iplbctl("a", "flow", "flush")
        assert iplbctl("a", "flow", "show", json_out=True) == []
    finally:
        set_lists(LISTS)


def stats_of(prefix):
    [entry] = iplbctl("a", "stats", prefix, json_out=True)
    return {e["relays"]: e["packets"] for e in entry["lists"]}


@pytest.mark.parametrize("prefix, dst, lists", [
    ("fc00:4:1::/64", "fc00:4:1::2", LISTS),     # IPv6 over IPv4 relays (6in4)
    ("fc00:4:1::/64", "fc00:4:1::2", LISTS6),    # IPv6 over IPv6 relays (6in6)
    ("10.4.1.0/24", "10.4.1.2", LISTS6),         # IPv4 over IPv6 relays (4in6)
], ids=["6in4", "6in6", "4in6"])
def test_both_families_over_both_families(lab, prefix, dst, lists):
    args = ["prefix", "replace" if prefix == "10.4.1.0/24" else "add", prefix]
    for relays in lists:
        args += ["relay", relays]
    iplbctl("a", *args)
    try:
        before, relays_before = stats_of(prefix), decapsulated()
        received = udp_round(27000, 100, dst=dst)
        assert len(received) == 100, "every flow arrived (%d of 100)" % len(received)
        sent = {k: v - before[k] for k, v in stats_of(prefix).items()}
        relays = {k: v - relays_before[k] for k, v in decapsulated().items()}
        assert sum(sent.values()) == 100 and min(sent.values()) > 0, sent
        assert relays["r3"] == sent[lists[2]] + sent[lists[3]], (sent, relays)
        assert relays["r1"] == sent[lists[0]] + sent[lists[2]], (sent, relays)

        # Full-size TCP: the MSS is clamped for the larger headers.
        sent, received = NAMESPACES.tcp_round(dst, 5006, 1 << 19, 4)
        assert received == sent
    finally:
        if prefix == "10.4.1.0/24":
            set_lists(LISTS)
        else:
            iplbctl("a", "prefix", "del", prefix)


def test_the_direct_lists_flows_take_the_normal_route(lab):
    set_lists(["direct", LISTS[1]])
    try:
        lists_before, relays_before = list_counters(), decapsulated()
        assert len(udp_round(28000, 100)) == 100
        lists = {k: v - lists_before.get(k, 0) for k, v in list_counters().items()}
        relays = {k: v - relays_before[k] for k, v in decapsulated().items()}
        assert set(lists) == {"direct", LISTS[1]}
        assert sum(lists.values()) == 100 and min(lists.values()) > 0, lists
        assert relays == {"r1": 0, "r2": lists[LISTS[1]], "r3": 0}, (lists, relays)
    finally:
        set_lists(LISTS)


def test_traffic_outside_the_table_is_untouched(lab):
    relays_before = decapsulated()
    sink = subprocess.Popen(["ip", "netns", "exec", ns("r1"), PY, TRAFFIC, "udp-sink",
                             "5003", "2"], stdout=subprocess.PIPE, text=True)
    try:
        assert json.loads(sink.stdout.readline()) == {"ready": True}
        sh(PY, TRAFFIC, "udp-send", "10.0.1.2", 5003, 22000, 10, node="a")
        out, _ = sink.communicate(timeout=12)
    finally:
        sink.kill()
    assert len(json.loads(out.strip().splitlines()[-1])) == 10
    assert decapsulated() == relays_before, "nothing was tunnelled"


def relay_show(relay):
    return iplbctl(relay, "relay", "show", json_out=True)


def forged_round(sender, outer_source, first_port, count=10, seconds=2):
    """count datagrams from a forged inner source, 192.0.2.66, to b, each
    tunnelled (IP-in-IP) to r1 by sender with outer source outer_source;
    what b received, by source port."""
    sink = subprocess.Popen(["ip", "netns", "exec", ns("b"), PY, TRAFFIC, "udp-sink", "5007",
                             str(seconds), str(count)], stdout=subprocess.PIPE, text=True)
    try:
        assert json.loads(sink.stdout.readline()) == {"ready": True}
        sh(PY, TRAFFIC, "ipip-send", outer_source, LOOPBACKS["r1"], "192.0.2.66", "10.4.1.2",
           5007, first_port, count, node=sender)
        out, _ = sink.communicate(timeout=seconds + 10)
    finally:
        sink.kill()
    return {int(k): v for k, v in json.loads(out.strip().splitlines()[-1]).items()}


def test_a_tunnel_from_a_source_not_allowed_is_dropped_not_delivered(lab):
    """The forged-source attack: m, a host of the network but no allowed
    tunnel source, tunnels datagrams with a forged inner source to relay r1.
    r1 must not unwrap them for the stack to forward (b gets nothing), and
    counts them; a's link address is refused the same way. From a's
    loopback, an allowed source, the same datagrams are unwrapped and
    arrive."""
    before = relay_show("r1")
    assert forged_round("m", "10.0.5.1", 29000) == {}, "delivered from m"
    assert forged_round("a", "10.0.1.1", 29100) == {}, "delivered from a's link address"
    after = relay_show("r1")
    assert after["refusedSource"] - before["refusedSource"] == 20
    assert after["decapsulated"] == before["decapsulated"]

    assert forged_round("a", LOOPBACKS["a"], 29200) == {p: 1 for p in range(29200, 29210)}
    allowed = relay_show("r1")
    assert allowed["decapsulated"] - after["decapsulated"] == 10
    assert allowed["refusedSource"] == after["refusedSource"]


def test_with_no_source_allowed_every_tunnel_is_refused(lab):
    """A relay's secure default: no allowed source, nothing decapsulated,
    even from the host's own tunnel source; and `relay show` says so."""
    # All or nothing: one prefix that is not there, and none goes.
    bad = sh(IPLBCTL, "-N", ns("r2"), "-n", ns("r2"), "relay", "source", "del", *SOURCES,
             "10.9.9.9", check=False)
    assert bad.returncode == 1 and "10.9.9.9/32 is not an allowed tunnel source" in bad.stderr
    assert relay_show("r2")["sources"] == SOURCES
    iplbctl("r2", "relay", "source", "del", *SOURCES)
    set_lists([LISTS[1]])  # every flow through r2
    try:
        shown = iplbctl("r2", "relay", "show")
        assert "no tunnel sources allowed: every tunnel is refused" in shown, shown
        before = relay_show("r2")
        assert udp_round(29500, 20, seconds=2) == {}
        after = relay_show("r2")
        assert after["refusedSource"] - before["refusedSource"] == 20
        assert after["decapsulated"] == before["decapsulated"]
    finally:
        iplbctl("r2", "relay", "source", "add", *SOURCES)
        set_lists(LISTS)
    assert relay_show("r2")["sources"] == SOURCES
    assert "tunnel source 10.255.1.1/32" in iplbctl("r2", "relay", "show")
    assert len(udp_round(29600, 20)) == 20, "allowed again"


def test_detach_stops_encapsulation(lab):
    iplbctl("a", "detach", "up1", "up2")
    try:
        before = list_counters()
        assert len(udp_round(23000, 20, seconds=2)) == 20, "plain routing still delivers"
        assert list_counters() == before
        shown = iplbctl("a", "show", json_out=True)
        assert shown["attached"] == [] and shown["prefixes"] == 1
    finally:
        # The FIB redirect only uses resolved neighbours: keep a's gateways
        # resolved, as an operator of multi-uplink hosts would.
        for gateway, dev in [("10.0.1.2", "up1"), ("10.0.2.2", "up2")]:
            sh("ip", "neigh", "replace", gateway, "dev", dev, "managed", node="a")
        deadline = time.monotonic() + 10
        while sh("ip", "neigh", "show", "nud", "reachable", node="a").stdout.count(
                "REACHABLE") < 2:
            assert time.monotonic() < deadline, "a's gateways never resolved"
            time.sleep(0.1)

        iplbctl("a", "attach", "host", "up1", "up2")


def reload_programs(*_):
    """What a restarted iplbd does: load the programs again on the pinned
    maps and swap them into the pinned links, host and relays."""
    iplbctl("a", "attach", "host", "up1", "up2")
    for relay, interfaces in RELAY_INTERFACES.items():
        iplbctl(relay, "attach", "relay", *interfaces)


def reload_programs_while(busy):
    """reload_programs(), at least once and for as long as busy() says.
    Returns how many times."""
    reloads = 0
    while busy() or reloads == 0:
        reload_programs()
        reloads += 1
    return reloads


def udp_stream_while(change, count=1500):
    """A stream from a to b while change(i) runs over and over: how many
    times, what b received, and how many datagrams a encapsulated."""
    packets_before = stats()["packets"]
    changes, received = NAMESPACES.udp_stream_while("10.4.1.2", change, count)
    return changes, received, stats()["packets"] - packets_before


def test_reloading_the_programs_leaves_no_gap(lab):
    """A datagram that left a while no program was attached would reach b by
    plain routing, uncounted; one reaching a relay without its program would
    be lost. Either breaks the equality of sent, encapsulated and received."""
    table_before = iplbctl("a", "prefix", "show", json_out=True)
    reloads, received, encapsulated = udp_stream_while(reload_programs)
    assert reloads >= 2
    assert received == {"25000": 1500}
    assert encapsulated == 1500, "every datagram encapsulated"
    assert iplbctl("a", "prefix", "show", json_out=True) == table_before


def test_replacing_a_prefix_under_traffic_never_shows_half_a_route(lab):
    """Each replace is one map update: a lookup finds the old record or the
    new one, whole. Between two different tables (lists, encapsulation),
    every datagram is encapsulated by one of them and arrives."""
    tables = [["encap", "ipip"], ["encap", "gre"]]

    def flip(i):
        args = ["prefix", "replace", "10.4.1.0/24"]
        for relays in (LISTS if i % 2 else LISTS[1:]):
            args += ["relay", relays]
        iplbctl("a", *args, *tables[i % 2])

    try:
        replaces, received, encapsulated = udp_stream_while(flip)
    finally:
        set_lists(LISTS)
    assert replaces >= 10
    assert received == {"25000": 1500}
    assert encapsulated == 1500


def test_reloading_the_programs_keeps_a_tcp_connection(lab):
    sink = subprocess.Popen(["ip", "netns", "exec", ns("b"), PY, TRAFFIC, "tcp-sink",
                             "5004", "1", "30"], stdout=subprocess.PIPE, text=True)
    try:
        assert json.loads(sink.stdout.readline()) == {"ready": True}
        stream = subprocess.Popen(["ip", "netns", "exec", ns("a"), PY, TRAFFIC,
                                   "tcp-stream", "10.4.1.2", "5004", "3"],
                                  stdout=subprocess.PIPE, text=True)
        try:
            reloads = reload_programs_while(lambda: stream.poll() is None)
            sent, _ = stream.communicate(timeout=30)
        finally:
            stream.kill()
        out, _ = sink.communicate(timeout=30)
    finally:
        sink.kill()
    assert reloads >= 2
    assert stream.returncode == 0
    received = json.loads(out.strip().splitlines()[-1])
    assert received == json.loads(sent) and received[0]["bytes"] > 0


def test_a_bad_command_leaves_the_running_table_as_it_was(lab):
    before = iplbctl("a", "prefix", "show", json_out=True)
    for bad in (["prefix", "add", "10.4.1.0/24", "relay", "10.255.0.1"],  # already there
                ["prefix", "replace", "10.4.1.0/24", "relay", "10.255.0.1", "encap", "gre6"],
                ["prefix", "del", "10.4.9.0/24"]):
        result = sh(IPLBCTL, "-N", ns("a"), "-n", ns("a"), *bad, check=False)
        assert result.returncode != 0 and result.stderr.startswith("iplbctl: ")
    assert iplbctl("a", "prefix", "show", json_out=True) == before

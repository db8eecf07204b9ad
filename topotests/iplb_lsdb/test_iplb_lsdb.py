#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
iplbd's topology follows ospfd's LSDB.

    r1 --10-- r2 --20-- r3 --10-- r4 --30-- r5 --15-- r1   (point-to-point)
    r1, r3, r5 also share a LAN (s6): a transit network with a DR

Every router runs zebra, ospfd (API server on 127.0.0.1) and iplbd. On each
router, `show iplb topology json` must equal the graph derived here,
independently, from ospfd's own `show ip ospf database router|network json`
(two-way check, transit networks, stub and network prefixes). Then a link
goes down and a cost changes, and the graphs must follow; then ospfd is
killed and restarted under a running iplbd, which keeps its topology
meanwhile and resynchronises by itself.
"""

import ipaddress
import json
import os
import sys
import time

import pytest

from lib import topotest
from lib.common_config import kill_router_daemons, start_router_daemons
from lib.topogen import Topogen, TopoRouter, get_topogen
from lib.topolog import logger

pytestmark = [pytest.mark.ospfd, pytest.mark.iplbd]

CWD = os.path.dirname(os.path.realpath(__file__))
ROUTERS = ["r1", "r2", "r3", "r4", "r5"]


def build_topo(tgen):
    for name in ROUTERS:
        tgen.add_router(name)
    for switch, (a, b) in enumerate(
        [("r1", "r2"), ("r2", "r3"), ("r3", "r4"), ("r4", "r5"), ("r5", "r1")], start=1
    ):
        s = tgen.add_switch("s%d" % switch)
        s.add_link(tgen.gears[a])
        s.add_link(tgen.gears[b])
    lan = tgen.add_switch("s6")
    for name in ("r1", "r3", "r5"):
        lan.add_link(tgen.gears[name])


def setup_module(mod):
    tgen = Topogen(build_topo, mod.__name__)
    tgen.start_topology()
    for name, router in tgen.routers().items():
        router.load_config(TopoRouter.RD_ZEBRA, os.path.join(CWD, name, "zebra.conf"))
        router.load_config(TopoRouter.RD_OSPF, os.path.join(CWD, name, "ospfd.conf"),
                           "-a -l 127.0.0.1")
        router.load_config(TopoRouter.RD_IPLB, os.path.join(CWD, name, "iplbd.conf"))
    tgen.start_router()


def teardown_module(mod):
    get_topogen().stop_topology()


@pytest.fixture(autouse=True)
def skip_on_failure():
    if get_topogen().routers_have_failure():
        pytest.skip(get_topogen().errors)


def ospf_database(router, kind):
    return json.loads(router.vtysh_cmd("show ip ospf database %s json" % kind))


def derive_from_ospfd(router):
    """The graph, from ospfd's JSON, by RFC 2328 16.1's rules."""
    router_lsas = {}
    for area, lsas in ospf_database(router, "router")["routerLinkStates"]["areas"].items():
        for lsa in lsas:
            router_lsas[(area, lsa["advertisingRouter"])] = list(lsa["routerLinks"].values())
    network_lsas = {}
    networks_json = ospf_database(router, "network").get("networkLinkStates", {})
    for area, lsas in networks_json.get("areas", {}).items():
        for lsa in lsas:
            network_lsas[(area, lsa["linkStateId"])] = (
                lsa["networkMask"], set(lsa.get("attchedRouters", {}).keys()))

    links, prefixes, used_networks, members = {}, {}, set(), set()

    def keep(table, key, value):
        if key not in table or value[0] < table[key][0]:
            table[key] = value

    def p2p_to(link, rid):
        return link["linkType"].startswith("another Router") and link["neighborRouterId"] == rid

    def transit_to(link, dr):
        return link["linkType"] == "a Transit Network" and link["designatedRouterAddress"] == dr

    for (area, rid), lsa_links in router_lsas.items():
        for link in lsa_links:
            cost = link["tos0Metric"]
            if link["linkType"].startswith("another Router"):
                back = router_lsas.get((area, link["neighborRouterId"]), [])
                if any(p2p_to(x, rid) for x in back):
                    keep(links, (rid, link["neighborRouterId"]), (cost,))
            elif link["linkType"] == "a Transit Network":
                dr = link["designatedRouterAddress"]
                network = network_lsas.get((area, dr))
                if network and rid in network[1]:
                    used_networks.add((area, dr))
                    keep(links, (rid, dr), (cost,))
                    net = ipaddress.ip_network("%s/%d" % (dr, network[0]), strict=False)
                    keep(prefixes, (str(net), rid), (cost, "network"))
            elif link["linkType"] == "Stub Network":
                net = ipaddress.ip_network(
                    "%s/%s" % (link["networkAddress"], link["networkMask"]), strict=False)
                keep(prefixes, (str(net), rid), (cost, "stub"))
    for (area, dr) in used_networks:
        for member in network_lsas[(area, dr)][1]:
            if any(transit_to(x, dr) for x in router_lsas.get((area, member), [])):
                members.add((dr, member))
    return {
        "routers": sorted({rid for (_, rid) in router_lsas}),
        "networks": {dr: sorted(m for d, m in members if d == dr) for (_, dr) in used_networks},
        "links": sorted((f, t, c[0]) for (f, t), c in links.items()),
        "prefixes": sorted((p, r, c[0], c[1]) for (p, r), c in prefixes.items()),
    }


def from_iplbd(router):
    topology = json.loads(router.vtysh_cmd("show iplb topology json"))
    return {
        "routers": sorted(r["id"] for r in topology["routers"]),
        "networks": {n["id"]: sorted(n["routers"]) for n in topology["networks"]},
        "links": sorted((l["from"], l["to"], l["cost"]) for l in topology["links"]),
        "prefixes": sorted((p["prefix"], p["router"], p["cost"], p["kind"])
                           for p in topology["prefixes"]),
    }


def status(router):
    return json.loads(router.vtysh_cmd("show iplb status json"))


def assert_graphs_agree(expect=None, count=40):
    """On every router, iplbd's graph equals the one derived from ospfd."""
    for name in ROUTERS:
        router = get_topogen().gears[name]

        def compare():
            derived = derive_from_ospfd(router)
            if expect and not expect(derived):
                return "ospfd has not converged yet"
            ours = from_iplbd(router)
            return None if ours == derived else {"iplbd": ours, "ospfd": derived}

        start = time.monotonic()
        _, diff = topotest.run_and_expect(compare, None, count=count, wait=0.5)
        assert diff is None, "%s: %s" % (name, json.dumps(diff, indent=1))
        logger.info("%s: graphs agree after %.1f s", name, time.monotonic() - start)


def test_ospf_converges():
    tgen = get_topogen()
    for name in ROUTERS:
        router = tgen.gears[name]
        test_func = lambda: len(derive_from_ospfd(router)["routers"])
        _, count = topotest.run_and_expect(test_func, 5, count=60, wait=1)
        assert count == 5, name


def test_topology_equals_the_lsdb():
    assert_graphs_agree(expect=lambda g: len(g["links"]) == 13)
    r1 = from_iplbd(get_topogen().gears["r1"])
    # Ten point-to-point directions, three onto the LAN; its prefix at each
    # member; every loopback as a stub.
    assert len(r1["networks"]) == 1
    [(dr, members)] = r1["networks"].items()
    assert members == ["10.255.0.1", "10.255.0.3", "10.255.0.5"]
    assert ("10.0.100.0/24", "10.255.0.5", 7, "network") in r1["prefixes"]
    assert ("10.255.0.4/32", "10.255.0.4", 0, "stub") in r1["prefixes"]
    for name in ROUTERS:
        s = status(get_topogen().gears[name])
        assert s["lsdb"]["state"] == "established"
        assert s["lsdb"]["malformed"] == 0
        assert s["topology"]["routers"] == 5 and s["topology"]["networks"] == 1
        assert s["topology"]["rebuilds"] >= 1
        assert s["topology"]["snapshots"] >= 1


def test_ospfd_state_is_synchronised():
    """ospfd's interfaces, neighbours and the routers its SPF reaches (ospfd
    tracks those once a Full neighbour is opaque-capable: capability opaque
    on every router here), as iplbd learnt them over the API."""
    expected = {
        # interfaces (lo included), neighbours: all Full (one DROther on the LAN)
        "r1": (4, 4), "r2": (3, 2), "r3": (4, 4), "r4": (3, 2), "r5": (4, 4),
    }
    for name, (interfaces, neighbours) in expected.items():
        router = get_topogen().gears[name]
        test_func = lambda: (status(router)["lsdb"]["ospfInterfaces"],
                             status(router)["lsdb"]["ospfInterfacesUp"],
                             status(router)["lsdb"]["ospfNeighboursFull"],
                             status(router)["lsdb"]["ospfReachableRouters"])
        want = (interfaces, interfaces, neighbours, len(ROUTERS) - 1)
        _, got = topotest.run_and_expect(test_func, want, count=20, wait=0.5)
        assert got == want, "%s: (interfaces, up, full neighbours, reachable) %s" % (name, got)


def test_link_down_and_cost_change_are_followed():
    tgen = get_topogen()
    tgen.gears["r2"].cmd("ip link set r2-eth1 down")  # r2 -- r3
    assert_graphs_agree(expect=lambda g: len(g["links"]) == 11)
    assert ("10.255.0.2", "10.255.0.3", 20) not in from_iplbd(tgen.gears["r4"])["links"]
    lsdb = status(tgen.gears["r2"])["lsdb"]
    assert (lsdb["ospfInterfacesUp"], lsdb["ospfNeighboursFull"]) == (2, 1), \
        "r2 saw its interface go down and its neighbour go away"
    change = status(tgen.gears["r4"])["topology"]["lastChange"]
    assert (change["linksRemoved"], change["linksAdded"]) == (2, 0), change

    tgen.gears["r1"].vtysh_cmd("configure terminal\ninterface r1-eth0\nip ospf cost 55\n")
    assert_graphs_agree(expect=lambda g: ("10.255.0.1", "10.255.0.2", 55) in g["links"])
    # What the path engine is told: one direction of one link got dearer,
    # and the link's own subnet, a stub on the same interface.
    change = status(tgen.gears["r4"])["topology"]["lastChange"]
    assert change["linksChanged"] == 1 and change["linksAdded"] == change["linksRemoved"] == 0, \
        change
    assert change["prefixesChanged"] == 1, change

    tgen.gears["r2"].cmd("ip link set r2-eth1 up")
    assert_graphs_agree(expect=lambda g: len(g["links"]) == 13)


def test_ospfd_restart_under_a_running_iplbd():
    tgen = get_topogen()
    r4 = tgen.gears["r4"]
    before = status(r4)
    topology_before = from_iplbd(r4)
    kill_router_daemons(tgen, "r4", ["ospfd"])

    test_func = lambda: status(r4)["lsdb"]["state"]
    _, state = topotest.run_and_expect(test_func, "backoff", count=20, wait=0.5)
    assert state == "backoff"
    assert from_iplbd(r4) == topology_before, "the topology is kept while ospfd is away"

    start_router_daemons(tgen, "r4", ["ospfd"])
    test_func = lambda: (status(r4)["lsdb"]["state"],
                         status(r4)["lsdb"]["syncs"] > before["lsdb"]["syncs"])
    _, result = topotest.run_and_expect(test_func, ("established", True), count=60, wait=1)
    assert result == ("established", True)
    assert_graphs_agree(expect=lambda g: len(g["links"]) == 13)
    assert status(r4)["uptimeSec"] >= before["uptimeSec"], "iplbd was not restarted"
    test_func = lambda: status(r4)["lsdb"]["ospfNeighboursFull"]
    _, full = topotest.run_and_expect(test_func, before["lsdb"]["ospfNeighboursFull"],
                                      count=30, wait=1)
    assert full == before["lsdb"]["ospfNeighboursFull"], "neighbours followed after the resync"


def test_memory_leak():
    tgen = get_topogen()
    if not tgen.is_memleak_enabled():
        pytest.skip("Memory leak test/report is disabled")
    tgen.report_memory_leaks()


if __name__ == "__main__":
    sys.exit(pytest.main(["-s"] + sys.argv[1:]))

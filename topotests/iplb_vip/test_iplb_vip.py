#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
A mux advertises its VIPs into BGP, and an upstream router spreads the
VIP's traffic over every mux that advertises it (ECMP):

    lb1 (AS 65001) ---- s1 ---- up (AS 65000) ---- s2 ---- lb2 (AS 65002)
    10.0.1.2        10.0.1.1          10.0.2.1          10.0.2.2
    zebra, bgpd, iplbd             zebra, bgpd          zebra, bgpd, iplbd

lb1 and lb2 run `router iplb` / `role mux` / `vip 10.99.0.1/32`; iplbd sends
the VIP to zebra as a route of type iplb and bgpd announces it
(`redistribute iplb`); up has `bgp bestpath as-path multipath-relax` and
`maximum-paths 2`, so its kernel route to the VIP has two nexthops.

- `vip ... drain` withdraws one mux's path, `no vip ... drain` restores it;
  `no vip` and `no router iplb` withdraw; the VIP comes back after zebra
  restarts under a running iplbd and after iplbd restarts from its saved
  configuration.
- Only host routes (/32, /128), and only under role mux: anything else is
  rejected with a message and leaves the running configuration unchanged.
- `show iplb vip json` says whether each VIP is advertised, and if not why.
"""

import json
import os
import re
import sys

import pytest

from lib import topotest
from lib.common_config import kill_router_daemons, start_router_daemons
from lib.topogen import Topogen, TopoRouter, get_topogen

pytestmark = [pytest.mark.bgpd, pytest.mark.iplbd]

CWD = os.path.dirname(os.path.realpath(__file__))
VIP = "10.99.0.1/32"
LB_ADDRESS = {"lb1": "10.0.1.2", "lb2": "10.0.2.2"}
BOTH = sorted(LB_ADDRESS.values())
ROLE_MSG = (
    "VIPs are advertised by role mux only (set 'role mux' before adding a VIP, "
    "remove the VIPs before leaving role mux)"
)
HOST_ROUTE_MSG = "a VIP is a single address: an IPv4 /32 or an IPv6 /128"


def build_topo(tgen):
    for name in ("up", "lb1", "lb2"):
        tgen.add_router(name)
    s1 = tgen.add_switch("s1")
    s1.add_link(tgen.gears["lb1"])
    s1.add_link(tgen.gears["up"])
    s2 = tgen.add_switch("s2")
    s2.add_link(tgen.gears["up"])
    s2.add_link(tgen.gears["lb2"])


def setup_module(mod):
    tgen = Topogen(build_topo, mod.__name__)
    tgen.start_topology()
    for name, router in tgen.routers().items():
        router.load_config(TopoRouter.RD_ZEBRA, os.path.join(CWD, name, "zebra.conf"))
        router.load_config(TopoRouter.RD_BGP, os.path.join(CWD, name, "bgpd.conf"))
        if name != "up":
            router.load_config(TopoRouter.RD_IPLB, os.path.join(CWD, name, "iplbd.conf"))
    tgen.start_router()


def teardown_module(mod):
    get_topogen().stop_topology()


@pytest.fixture(autouse=True)
def skip_on_failure():
    if get_topogen().routers_have_failure():
        pytest.skip(get_topogen().errors)


def router(name):
    return get_topogen().gears[name]


def configure(name, *lines):
    """Runs lines under `router iplb`; returns vtysh's output."""
    return router(name).vtysh_cmd(
        "configure terminal\nrouter iplb\n{}\n".format("\n".join(lines))
    )


def vips(name):
    return json.loads(router(name).vtysh_cmd("show iplb vip json"))["vips"]


def up_nexthops():
    """Gateways of up's kernel route to the VIP, sorted; [] if none."""
    routes = json.loads(router("up").cmd("ip -j route show {}".format(VIP)) or "[]")
    gateways = []
    for route in routes:
        hops = route.get("nexthops", [route])
        gateways += [hop["gateway"] for hop in hops if "gateway" in hop]
    return sorted(gateways)


def expect_up_nexthops(expected, why):
    _, got = topotest.run_and_expect(up_nexthops, expected, count=60, wait=1)
    assert got == expected, "{}: up's nexthops to {} are {}".format(why, VIP, got)


def expect_vips(name, expected, count=20):
    test_func = lambda: vips(name)
    _, got = topotest.run_and_expect(test_func, expected, count=count, wait=0.5)
    assert got == expected, "{}: show iplb vip json: {}".format(name, got)


def advertised(prefix=VIP):
    return {"prefix": prefix, "drain": False, "advertised": True, "reason": ""}


def iplb_route_in_zebra(name, prefix=VIP):
    """iplbd's route to prefix in zebra. A restarted zebra also reads the
    route it had installed back from the kernel (type iplb too, with the
    type's distance 150): iplbd's own has distance 10."""
    family = "ipv6" if ":" in prefix else "ip"
    routes = json.loads(
        router(name).vtysh_cmd("show {} route {} json".format(family, prefix))
    ).get(prefix, [])
    return [r for r in routes if r["protocol"] == "iplb" and r["distance"] == 10]


def running_config(name):
    return router(name).vtysh_cmd("show running-config")


def iplb_section(name):
    match = re.search(r"^router iplb\n(.*?)^exit$", running_config(name), re.M | re.S)
    return match.group(1) if match else None


def test_bgp_ecmp_over_both_muxes():
    for name in LB_ADDRESS:
        expect_vips(name, [advertised()], count=40)
        route = iplb_route_in_zebra(name)
        assert len(route) == 1 and route[0]["selected"], route
        assert route[0]["nexthops"][0]["blackhole"], route
    expect_up_nexthops(BOTH, "from the configuration files")
    assert router("up").cmd("ip -j route show {}".format(VIP)).count('"dev"') == 2


def test_running_config_has_the_vip():
    for name in LB_ADDRESS:
        assert iplb_section(name) == " role mux\n vip {}\n".format(VIP), running_config(name)


def test_drain_withdraws_one_path():
    output = configure("lb1", "vip {} drain".format(VIP))
    assert "%" not in output, output
    expect_up_nexthops([LB_ADDRESS["lb2"]], "lb1 drained")
    expect_vips(
        "lb1", [{"prefix": VIP, "drain": True, "advertised": False, "reason": "drained"}]
    )
    expect_vips("lb2", [advertised()])
    assert iplb_route_in_zebra("lb1") == []
    assert iplb_section("lb1") == " role mux\n vip {} drain\n".format(VIP)
    text = router("lb1").vtysh_cmd("show iplb vip")
    assert re.search(r"^{}\s+yes\s+no\s+drained$".format(re.escape(VIP)), text, re.M), text


def test_undrain_restores_both_paths():
    output = configure("lb1", "no vip {} drain".format(VIP))
    assert "%" not in output, output
    expect_up_nexthops(BOTH, "lb1 undrained")
    expect_vips("lb1", [advertised()])
    # lb1 also learns lb2's VIP from up; its own route must still win in
    # zebra, or it would not be redistributed.
    def peers():
        paths = json.loads(
            router("lb1").vtysh_cmd("show bgp ipv4 unicast {} json".format(VIP))
        ).get("paths", [])
        return sorted(p.get("peer", {}).get("peerId", "") for p in paths)

    _, got = topotest.run_and_expect(lambda: "10.0.1.1" in peers(), True, count=20, wait=0.5)
    assert got, peers()
    route = iplb_route_in_zebra("lb1")
    assert len(route) == 1 and route[0]["selected"], route
    assert iplb_section("lb1") == " role mux\n vip {}\n".format(VIP)
    text = router("lb1").vtysh_cmd("show iplb vip")
    assert re.search(r"^{}\s+no\s+yes\s+-$".format(re.escape(VIP)), text, re.M), text


def test_vip_drained_again_by_vip_drain_and_undrained_by_vip():
    """`vip X` states the whole VIP: it undrains a drained one."""
    configure("lb1", "vip {} drain".format(VIP))
    expect_up_nexthops([LB_ADDRESS["lb2"]], "lb1 drained")
    configure("lb1", "vip {}".format(VIP))
    expect_up_nexthops(BOTH, "lb1 configured without drain")
    assert iplb_section("lb1") == " role mux\n vip {}\n".format(VIP)


def test_only_host_routes_are_accepted():
    before = running_config("lb1")
    for bad in ("vip 10.99.0.0/24", "vip 10.99.0.1/31", "vip 2001:db8:99::/64"):
        output = configure("lb1", bad)
        assert HOST_ROUTE_MSG in output, "{}: {}".format(bad, output)
    assert running_config("lb1") == before
    expect_vips("lb1", [advertised()])


def test_undrain_of_an_unknown_vip_creates_nothing():
    before = running_config("lb1")
    output = configure("lb1", "no vip 10.99.0.9/32 drain")
    assert "% VIP 10.99.0.9/32 is not configured" in output, output
    assert running_config("lb1") == before


def test_role_cannot_leave_mux_while_vips_exist():
    before = running_config("lb1")
    for command in ("role host", "role backend", "no role"):
        output = configure("lb1", command)
        assert ROLE_MSG in output, "{}: {}".format(command, output)
    assert running_config("lb1") == before
    assert json.loads(router("lb1").vtysh_cmd("show iplb status json"))["role"] == "mux"
    expect_vips("lb1", [advertised()])
    expect_up_nexthops(BOTH, "role change refused")


def test_ipv6_vip():
    # Typed in upper case: YANG keeps the canonical form, `no vip` finds it.
    output = configure("lb1", "vip 2001:DB8:99::1/128")
    assert "%" not in output, output
    v6 = "2001:db8:99::1/128"
    expect_vips("lb1", [advertised(), advertised(v6)])
    assert len(iplb_route_in_zebra("lb1", v6)) == 1
    assert iplb_section("lb1") == " role mux\n vip {}\n vip {}\n".format(VIP, v6)

    configure("lb1", "no vip 2001:DB8:99::1/128")
    expect_vips("lb1", [advertised()])
    test_func = lambda: iplb_route_in_zebra("lb1", v6)
    _, routes = topotest.run_and_expect(test_func, [], count=20, wait=0.5)
    assert routes == []
    assert iplb_section("lb1") == " role mux\n vip {}\n".format(VIP)


def test_zebra_restart_gets_the_vip_again():
    tgen = get_topogen()
    kill_router_daemons(tgen, "lb1", ["zebra"])
    expect_vips(
        "lb1",
        [{"prefix": VIP, "drain": False, "advertised": False, "reason": "zebra not connected"}],
    )
    # (bgpd keeps what it redistributed while zebra is away.)
    start_router_daemons(tgen, "lb1", ["zebra"])
    # zclient retries every 10 s; the new zebra holds the VIP only if
    # iplbd sends it again.
    expect_vips("lb1", [advertised()], count=60)
    test_func = lambda: len(iplb_route_in_zebra("lb1"))
    _, got = topotest.run_and_expect(test_func, 1, count=20, wait=0.5)
    assert got == 1, "the restarted zebra has no iplb route to {}: {}".format(
        VIP, router("lb1").vtysh_cmd("show ip route {} json".format(VIP))
    )
    # bgpd's zclient forgets its redistributions when zebra goes away
    # (FRR 8.4 zclient_stop()); watchfrr restarts every daemon after zebra.
    kill_router_daemons(tgen, "lb1", ["bgpd"])
    start_router_daemons(tgen, "lb1", ["bgpd"])
    expect_up_nexthops(BOTH, "lb1's zebra and bgpd back")


def test_write_memory_and_iplbd_restart():
    tgen = get_topogen()
    configure("lb1", "vip 10.99.0.2/32 drain")
    section = " role mux\n vip {}\n vip 10.99.0.2/32 drain\n".format(VIP)
    assert iplb_section("lb1") == section
    router("lb1").vtysh_cmd("write memory")
    saved = router("lb1").cmd("cat /etc/frr/iplbd.conf")
    assert "router iplb\n" + section + "exit" in saved, saved

    kill_router_daemons(tgen, "lb1", ["iplbd"])
    # zebra drops the routes of a client that leaves.
    expect_up_nexthops([LB_ADDRESS["lb2"]], "lb1's iplbd down")
    start_router_daemons(tgen, "lb1", ["iplbd"])
    expect_vips(
        "lb1",
        [
            advertised(),
            {"prefix": "10.99.0.2/32", "drain": True, "advertised": False, "reason": "drained"},
        ],
        count=40,
    )
    assert iplb_section("lb1") == section
    expect_up_nexthops(BOTH, "lb1's iplbd restarted")
    configure("lb1", "no vip 10.99.0.2/32")
    assert iplb_section("lb1") == " role mux\n vip {}\n".format(VIP)


def test_no_router_iplb_withdraws():
    router("lb2").vtysh_cmd("configure terminal\nno router iplb\n")
    expect_up_nexthops([LB_ADDRESS["lb1"]], "no router iplb on lb2")
    assert vips("lb2") == []
    assert iplb_route_in_zebra("lb2") == []

    output = configure("lb2", "role mux", "vip {}".format(VIP))
    assert "%" not in output, output
    expect_up_nexthops(BOTH, "router iplb again on lb2")


def test_no_vip_withdraws():
    configure("lb1", "no vip {}".format(VIP))
    expect_up_nexthops([LB_ADDRESS["lb2"]], "no vip on lb1")
    assert vips("lb1") == []
    configure("lb2", "no vip {}".format(VIP))
    expect_up_nexthops([], "no vip on both")
    assert iplb_section("lb2") == " role mux\n"


def test_vip_under_role_host_is_rejected():
    output = configure("lb2", "role host")
    assert "%" not in output, output
    before = running_config("lb2")
    output = configure("lb2", "vip {}".format(VIP))
    assert ROLE_MSG in output, output
    assert running_config("lb2") == before
    assert vips("lb2") == []
    assert up_nexthops() == []


def test_memory_leak():
    tgen = get_topogen()
    if not tgen.is_memleak_enabled():
        pytest.skip("Memory leak test/report is disabled")
    tgen.report_memory_leaks()


if __name__ == "__main__":
    sys.exit(pytest.main(["-s"] + sys.argv[1:]))

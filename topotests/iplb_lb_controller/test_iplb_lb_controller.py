#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
The load balancer's controller inside iplbd, on a real 3-member etcd:

    c1 10.0.1.1 ---- s1 ---- c2 10.0.1.2
                      |
                     c3 10.0.1.3

Each node runs an etcd member (client port 2379, peer 2380, on its own
address) and zebra + iplbd with `lb etcd endpoints` (all three), `lb name`
and `lb controller`.

- One of the three leads, the others are standbys that name it
  (`show iplb lb controller json`).
- A VIP written into etcd (`etcdctl put`, as vtysh will) is planned and
  committed by the leader (generation 1: no mux is registered, so nothing is
  waited for); every node's view shows it.
- The leader's iplbd is killed (SIGKILL: its lease is left to expire): a
  standby leads within seconds, from the stored map (still generation 1, it
  prepares nothing); the restarted iplbd comes back as a standby.
- Bad configuration is refused with a message and the running
  configuration is unchanged: an endpoint that is not a URL, a name with a
  '/', the controller without endpoints.
"""

import json
import os
import shutil
import subprocess
import time

import pytest

from lib import topotest
from lib.common_config import start_router_daemons
from lib.topogen import Topogen, TopoRouter, get_topogen

pytestmark = [pytest.mark.iplbd]

CWD = os.path.dirname(os.path.realpath(__file__))
NODES = ("c1", "c2", "c3")
ADDRESS = {"c1": "10.0.1.1", "c2": "10.0.1.2", "c3": "10.0.1.3"}
ENDPOINTS = ",".join("http://{}:2379".format(ADDRESS[n]) for n in NODES)
PREFIX = "/iplb/lb/"
VIP_NAME = "192.0.2.10-tcp-80"
VIP_SHOWN = "192.0.2.10 tcp port 80"
VIP_CONFIG = {
    "vip": "192.0.2.10",
    "protocol": "tcp",
    "port": 80,
    "buckets": 1000,
    "backends": [
        {"address": "10.0.2.1", "weight": 1, "drain": False},
        {"address": "10.0.2.2", "weight": 2, "drain": False},
    ],
}
ETCD = shutil.which("etcd") or "/usr/bin/etcd"
ETCDCTL = shutil.which("etcdctl") or "/usr/bin/etcdctl"
etcd_members = {}


def build_topo(tgen):
    s1 = tgen.add_switch("s1")
    for name in NODES:
        tgen.add_router(name)
        s1.add_link(tgen.gears[name])


def router(name):
    return get_topogen().gears[name]


def etcdctl(name, *args):
    """etcdctl in a node's namespace against the whole cluster."""
    return router(name).cmd(
        "ETCDCTL_API=3 {} --endpoints={} --dial-timeout=2s --command-timeout=5s {}".format(
            ETCDCTL, ENDPOINTS, " ".join("'{}'".format(a) for a in args)
        )
    )


def etcd_command(tgen, name, cluster):
    data = os.path.join(tgen.logdir, name, "etcd-data")
    os.makedirs(data, exist_ok=True)
    address = ADDRESS[name]
    # On an existing data directory etcd ignores the --initial-* flags: a
    # restarted member rejoins with its log.
    return [
        ETCD,
        "--name=" + name,
        "--data-dir=" + data,
        "--listen-client-urls=http://{}:2379".format(address),
        "--advertise-client-urls=http://{}:2379".format(address),
        "--listen-peer-urls=http://{}:2380".format(address),
        "--initial-advertise-peer-urls=http://{}:2380".format(address),
        "--initial-cluster=" + cluster,
        "--initial-cluster-state=new",
        "--initial-cluster-token=iplb-topotest",
    ]


def spawn_etcd(tgen, mode):
    cluster = ",".join("{}=http://{}:2380".format(n, ADDRESS[n]) for n in NODES)
    for name in NODES:
        log = open(os.path.join(tgen.logdir, name, "etcd.log"), mode)
        etcd_members[name] = router(name).popen(
            etcd_command(tgen, name, cluster), stdout=log, stderr=subprocess.STDOUT
        )
    deadline = time.time() + 30
    while "OK" not in etcdctl("c1", "put", "/iplb-ready", "1"):
        assert time.time() < deadline, "etcd did not start: see etcd.log of each node"
        time.sleep(0.5)


def restart_etcd():
    spawn_etcd(get_topogen(), "a")


def start_etcd(tgen):
    """One etcd member per node, on its own address, until each answers."""
    assert os.access(ETCD, os.X_OK) and os.access(ETCDCTL, os.X_OK), (
        "etcd and etcdctl are needed (apt-get install etcd-server etcd-client; "
        "./quickstart.sh installs them)"
    )
    spawn_etcd(tgen, "w")


def setup_module(mod):
    tgen = Topogen(build_topo, mod.__name__)
    tgen.start_topology()
    for name, node in tgen.routers().items():
        node.load_config(TopoRouter.RD_ZEBRA, os.path.join(CWD, name, "zebra.conf"))
        node.load_config(TopoRouter.RD_IPLB, os.path.join(CWD, name, "iplbd.conf"))
    tgen.start_router()
    # After zebra has put the addresses on; iplbd's controllers wait for it
    # (they retry every second).
    try:
        start_etcd(tgen)
    except BaseException:
        # pytest skips teardown_module when setup_module fails.
        teardown_module(mod)
        raise


def teardown_module(mod):
    tgen = get_topogen()
    tgen.stop_topology()
    for proc in etcd_members.values():
        proc.kill()
        proc.wait(timeout=10)
    etcd_members.clear()


@pytest.fixture(autouse=True)
def skip_on_failure():
    if get_topogen().routers_have_failure():
        pytest.skip(get_topogen().errors)


def controller(name):
    return json.loads(router(name).vtysh_cmd("show iplb lb controller json"))


def leaders(among):
    """Which of `among` say they lead, and {node: the leader it names}."""
    views = {name: controller(name) for name in among}
    return (
        sorted(name for name, view in views.items() if view["leader"]),
        {name: view["leaderName"] for name, view in views.items()},
    )


def expect_one_leader(among, timeout=30):
    """Waits until exactly one of `among` leads and all of them name it."""
    deadline = time.time() + timeout
    while True:
        leading, named = leaders(among)
        if (
            len(leading) == 1
            and leading[0] in among
            and all(named[n] == leading[0] for n in among)
        ):
            return leading[0]
        assert time.time() < deadline, "no single leader: {} {}".format(leading, named)
        time.sleep(0.5)


def committed(name):
    for vip in controller(name)["vips"]:
        if vip["vip"] == VIP_SHOWN:
            return vip["committed"]
    return 0


def iplbd_pid(name):
    return router(name).cmd("cat /var/run/frr/iplbd.pid").strip()


def test_one_controller_leads():
    leader = expect_one_leader(NODES)
    view = controller(leader)
    assert view["etcd"]["connected"], view
    assert view["etcd"]["endpoints"] == ENDPOINTS.split(","), view
    text = router(leader).vtysh_cmd("show iplb lb controller")
    assert "Controller {}: leader".format(leader) in text, text
    print("\n[lb] {} leads; the others name it".format(leader))


def test_vip_written_to_etcd_is_committed():
    etcdctl("c1", "put", PREFIX + "config/" + VIP_NAME, json.dumps(VIP_CONFIG))
    for name in NODES:
        _, got = topotest.run_and_expect(lambda: committed(name), 1, count=40, wait=0.5)
        assert got == 1, "{}: {}".format(name, controller(name))
    stored = json.loads(etcdctl("c1", "get", "--print-value-only", PREFIX + "map/" + VIP_NAME))
    assert stored["generation"] == 1, stored
    assert sum(run[0] for run in stored["runs"]) == 1000, stored
    leader = expect_one_leader(NODES)
    vip = [v for v in controller(leader)["vips"] if v["vip"] == VIP_SHOWN][0]
    assert [b["state"] for b in vip["backends"]] == ["active", "active"], vip


def test_standby_takes_over_without_reshuffle():
    old = expect_one_leader(NODES)
    before = etcdctl("c1", "get", "--print-value-only", PREFIX + "map/" + VIP_NAME)
    pid = iplbd_pid(old)
    assert pid.isdigit(), pid
    router(old).cmd("kill -9 {}".format(pid))
    killed = time.time()
    others = [n for n in NODES if n != old]
    new = expect_one_leader(others, timeout=30)
    took = time.time() - killed
    view = controller(new)
    assert view["counters"]["prepares"] == 0, view
    assert committed(new) == 1
    after = etcdctl("c1", "get", "--print-value-only", PREFIX + "map/" + VIP_NAME)
    assert after == before, "the new leader changed the map"
    print("\n[lb] {} killed (SIGKILL), {} leads {:.1f} s later, map unchanged".format(old, new, took))
    # Its iplbd back (a crashed daemon's restart): a standby naming the leader.
    start_router_daemons(get_topogen(), old, ["iplbd"])
    expect_one_leader(NODES)
    assert controller(old)["leader"] is False


def configure(name, *lines):
    return router(name).vtysh_cmd(
        "configure terminal\nrouter iplb\n{}\n".format("\n".join(lines))
    )


def running(name):
    return router(name).vtysh_cmd("show running-config iplbd")


def test_bad_configuration_is_refused_and_changes_nothing():
    before = running("c3")
    assert " lb etcd endpoints {}".format(ENDPOINTS.replace(",", " ")) in before, before
    assert " lb name c3" in before and " lb controller" in before, before
    cases = [
        ("lb etcd endpoints ftp://10.0.1.1:2379", "an etcd endpoint is a URL"),
        ("lb etcd endpoints http://10.0.1.1:2379 http://10.0.1.1:2379", "given twice"),
        ("lb name a/b", "a name is 1-64 letters"),
        ("no lb etcd endpoints", "lb controller needs etcd endpoints"),
        ("lb etcd prefix nope", "starts and ends with '/'"),
    ]
    for line, message in cases:
        out = configure("c3", line)
        assert message in out, "{!r}: {}".format(line, out)
        assert running("c3") == before, line


WEB = "192.0.2.20 tcp port 443"
WEB_CMD = "lb vip 192.0.2.20 port 443"


def lb_vip(name, shown=WEB):
    out = json.loads(router(name).vtysh_cmd("show iplb lb json"))
    for vip in out["vips"]:
        if vip["vip"] == shown:
            return vip
    return None


def expect_generation(generation, name="c1"):
    test_func = lambda: (lb_vip(name) or {}).get("committed")
    _, got = topotest.run_and_expect(test_func, generation, count=40, wait=0.5)
    assert got == generation, "{}: {}".format(name, lb_vip(name))


def stored_config():
    return etcdctl("c1", "get", "--print-value-only", PREFIX + "config/192.0.2.20-tcp-443")


def test_pools_are_edited_from_vtysh_into_etcd():
    """Any node edits the pool; the leader commits; every node shows it."""
    out = configure("c2", WEB_CMD)
    assert "%" not in out.split("router iplb", 1)[1], out
    expect_generation(1)
    configure("c1", WEB_CMD + " backend 10.0.2.1")
    expect_generation(2)
    configure("c3", WEB_CMD + " backend 10.0.2.2 weight 3")
    expect_generation(3, "c2")
    vip = lb_vip("c3")
    buckets = {b["address"]: b["buckets"] for b in vip["backends"]}
    assert buckets == {"10.0.2.1": 1024, "10.0.2.2": 3072}, vip
    assert all(b["state"] == "active" for b in vip["backends"]), vip
    text = router("c1").vtysh_cmd("show iplb lb buckets 192.0.2.20 port 443")
    assert "generation 3, 4096 buckets in" in text, text
    assert "10.0.2.2" in text, text
    # Not node configuration: nothing of it in any running configuration.
    for name in NODES:
        assert "192.0.2.20" not in running(name), running(name)

    configure("c1", WEB_CMD + " backend 10.0.2.1 drain")
    expect_generation(4)
    vip = lb_vip("c1")
    drained = [b for b in vip["backends"] if b["address"] == "10.0.2.1"][0]
    assert drained["state"] == "draining" and drained["buckets"] == 0, vip
    print("\n[lb] VIP created, 2 backends (weights 1 and 3: 1024/3072 buckets), one drained: "
          "generations 1-4 committed by the leader")


def test_bad_pool_edits_are_refused_and_change_nothing():
    before = stored_config()
    cases = [
        ("lb vip 192.0.2.99 port 443 backend 10.0.2.1", "unknown VIP 192.0.2.99 tcp port 443"),
        (WEB_CMD + " backend 10.0.2.2", "is in the pool of 192.0.2.20 tcp port 443 already"),
        (WEB_CMD + " backend 10.0.2.2 weight 1001", "weight 1001 is out of range (1-1000)"),
        (WEB_CMD, "exists already"),
        ("no " + WEB_CMD + " backend 10.0.2.9", "has no backend 10.0.2.9"),
        (WEB_CMD + " backend 2001:db8::5", "2001:db8::5"),
        ("lb vip 127.0.0.1 port 443", "loopback"),
        (WEB_CMD + " health-check http path nope", "must start with '/'"),
    ]
    for line, message in cases:
        out = configure("c1", line)
        assert message in out, "{!r}: {}".format(line, out)
        assert stored_config() == before, line


def test_without_etcd_edits_are_refused_and_the_map_stays():
    members = list(etcd_members.items())
    for name, proc in members:
        proc.kill()
        proc.wait(timeout=10)
    try:
        out = configure("c1", WEB_CMD + " backend 10.0.2.3")
        assert "nothing changed" in out or "may not have been applied" in out, out
        for name in NODES:
            test_func = lambda: controller(name)["etcd"]["connected"]
            _, got = topotest.run_and_expect(test_func, False, count=30, wait=0.5)
            assert got is False, controller(name)
        text = router("c1").vtysh_cmd("show iplb lb")
        assert "etcd" in text and "%" in text, text
    finally:
        restart_etcd()
    # Back: the refused edit was not applied, the map is where it was.
    leader = expect_one_leader(NODES, timeout=40)
    expect_generation(4)
    vip = lb_vip(leader)
    assert "10.0.2.3" not in [b["address"] for b in vip["backends"]], vip
    configure("c1", WEB_CMD + " backend 10.0.2.3")
    expect_generation(5)
    print("\n[lb] etcd stopped: an edit was refused with a message; etcd back: "
          "{} leads, the next edit committed".format(leader))

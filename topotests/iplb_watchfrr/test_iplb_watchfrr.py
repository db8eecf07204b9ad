#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
iplbd under watchfrr, started the way an operator starts an installed FRR:
`frrinit.sh start` with iplbd enabled in the daemons file. The router's
/etc/frr and /var/run/frr are private to its namespace, so this FRR is
the router's own.

- watchfrr starts zebra, ospfd, staticd and iplbd; they run as user frr and
  iplbd reads its part of the integrated frr.conf (vtysh -b);
- killing iplbd makes watchfrr restart it, with the same configuration;
- the datapath is what iplbd says, in the kernel (`iplbctl show` asks the
  kernel whether it runs each pinned link): another instance replaces the
  old one, pins removed behind iplbd's back are restored and the program
  attached again, an interface that goes is reported and attached again when
  it is back, and a crash before `write memory` leaves no datapath that the
  restarted iplbd's configuration does not name (the orphan rule);
- every daemon's vty listens on 127.0.0.1 only (the daemons file's -A);
- `frrinit.sh stop` stops everything, and each process removes its
  directory in /var/tmp/frr (watchfrr's stayed before patch 0008).
"""

import json
import os
import sys

import pytest

from lib import topotest
from lib.topogen import Topogen, get_topogen

import frr_env

pytestmark = [pytest.mark.iplbd]

CWD = os.path.dirname(os.path.realpath(__file__))
FRRINIT = os.path.join(frr_env.FRR_DAEMON_DIR, "frrinit.sh")
IPLBCTL = os.path.join(frr_env.FRR_BIN_DIR, "iplbctl")
# The pin root is shared by every router of every topotest: names of our own.
INSTANCES = ("wf-r1-a", "wf-r1-b")

DAEMONS = """\
zebra=yes
ospfd=yes
iplbd=yes
vtysh_enable=yes
zebra_options="-A 127.0.0.1 -s 90000000"
ospfd_options="-A 127.0.0.1 -a -l 127.0.0.1"
staticd_options="-A 127.0.0.1"
iplbd_options="-A 127.0.0.1"
# Two tests kill iplbd; watchfrr would wait 60 s (its default) before
# restarting it the second time.
watchfrr_options="--min-restart-interval 1"
"""

FRR_CONF = """\
router ospf
 ospf router-id 10.255.0.1
exit
router iplb
 role backend
exit
"""


def build_topo(tgen):
    tgen.add_router("r1")


def setup_module(mod):
    tgen = Topogen(build_topo, mod.__name__)
    tgen.start_topology()
    # No tgen.start_router(): watchfrr, not the topotest library, starts FRR.
    r1 = tgen.gears["r1"]
    r1.cmd_raises("cat > /etc/frr/daemons", stdin=DAEMONS)
    r1.cmd_raises("cat > /etc/frr/frr.conf", stdin=FRR_CONF)
    r1.cmd_raises("echo 'service integrated-vtysh-config' > /etc/frr/vtysh.conf")
    r1.cmd_raises("chown frr:frr /etc/frr/daemons /etc/frr/frr.conf /etc/frr/vtysh.conf")
    output = r1.cmd("{} start 2>&1; echo rc=$?".format(FRRINIT))
    assert "rc=0" in output, output


def teardown_module(mod):
    tgen = get_topogen()
    tgen.gears["r1"].cmd("{} stop".format(FRRINIT))
    for instance in INSTANCES:
        tgen.gears["r1"].cmd("{} -n {} purge".format(IPLBCTL, instance))
    tgen.stop_topology()


def watchfrr_states(router):
    states = {}
    for line in router.cmd("vtysh -c 'show watchfrr'").splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[1] in ("Up", "Down", "Restarting", "Startup"):
            states[fields[0]] = fields[1]
    return states


def iplbd_pid(router):
    return router.cmd("cat /var/run/frr/iplbd.pid").strip()


def test_watchfrr_starts_iplbd():
    r1 = get_topogen().gears["r1"]
    expected = {"zebra": "Up", "ospfd": "Up", "staticd": "Up", "iplbd": "Up"}
    _, states = topotest.run_and_expect(lambda: watchfrr_states(r1), expected,
                                        count=30, wait=1)
    assert states == expected


def test_daemons_run_as_frr():
    r1 = get_topogen().gears["r1"]
    pid = iplbd_pid(r1)
    assert pid.isdigit(), pid
    assert r1.cmd("ps -o user= -p {}".format(pid)).strip() == "frr"


def test_iplbd_reads_the_integrated_config():
    r1 = get_topogen().gears["r1"]
    test_func = lambda: json.loads(r1.vtysh_cmd("show iplb status json"))["role"]
    _, role = topotest.run_and_expect(test_func, "backend", count=20, wait=0.5)
    assert role == "backend"


def test_watchfrr_restarts_a_killed_iplbd():
    r1 = get_topogen().gears["r1"]
    old_pid = iplbd_pid(r1)
    r1.cmd("kill -9 {}".format(old_pid))

    def restarted():
        pid = iplbd_pid(r1)
        if pid == old_pid or not pid.isdigit():
            return None
        status = r1.vtysh_cmd("show iplb status json")
        return json.loads(status)["role"] if status.strip().startswith("{") else None

    _, role = topotest.run_and_expect(restarted, "backend", count=60, wait=1)
    assert role == "backend", "watchfrr did not bring iplbd back with its config"
    assert watchfrr_states(r1).get("iplbd") == "Up"


def configure(router, *lines):
    output = router.vtysh_cmd(
        "configure terminal\nrouter iplb\n{}\n".format("\n".join(lines)))
    assert "%" not in output, output


def links(router, instance):
    """{(dev, hook): running} of an instance, as the kernel has it."""
    output = router.cmd("{} -j -n {} show 2>&1".format(IPLBCTL, instance))
    if "nothing at" in output:
        return {}
    return {(a["dev"], a["hook"]): a["running"]
            for a in json.loads(output)["attached"]}


def table_status(router):
    output = router.vtysh_cmd("show iplb status json")
    return json.loads(output)["table"] if output.strip().startswith("{") else None


RUNNING_ON_DP0 = {("dp0", "tcx-egress"): True, ("dp0", "tcx-ingress"): True}


def test_another_instance_replaces_the_old_one():
    r1 = get_topogen().gears["r1"]
    r1.cmd_raises("ip link add dev dp0 type veth peer name dp0p && ip link set dev dp0 up")
    configure(r1, "datapath bpf instance " + INSTANCES[0], "datapath interface dp0")
    _, found = topotest.run_and_expect(lambda: links(r1, INSTANCES[0]), RUNNING_ON_DP0,
                                       count=20, wait=0.5)
    assert found == RUNNING_ON_DP0

    configure(r1, "datapath bpf instance " + INSTANCES[1])
    _, found = topotest.run_and_expect(lambda: links(r1, INSTANCES[1]), RUNNING_ON_DP0,
                                       count=20, wait=0.5)
    assert found == RUNNING_ON_DP0
    assert links(r1, INSTANCES[0]) == {}, "the old instance is still attached"
    status = table_status(r1)
    assert status["instance"] == INSTANCES[1] and status["healthy"], status


def test_pins_removed_behind_its_back_are_restored():
    r1 = get_topogen().gears["r1"]
    r1.cmd_raises("rm -rf /run/iplb/bpf/" + INSTANCES[1])
    _, found = topotest.run_and_expect(lambda: links(r1, INSTANCES[1]), RUNNING_ON_DP0,
                                       count=10, wait=0.5)
    assert found == RUNNING_ON_DP0, "not attached again within 5 s"
    status = table_status(r1)
    assert status["healthy"] and status["repairs"] > 0 and status["problems"] == [], status


def test_an_interface_that_goes_is_reported_until_it_is_back():
    r1 = get_topogen().gears["r1"]
    r1.cmd_raises("ip link del dev dp0")
    expected = ["interface dp0: no such interface"]
    _, problems = topotest.run_and_expect(lambda: table_status(r1)["problems"], expected,
                                          count=10, wait=0.5)
    assert problems == expected
    assert not table_status(r1)["healthy"]

    r1.cmd_raises("ip link add dev dp0 type veth peer name dp0p && ip link set dev dp0 up")
    _, problems = topotest.run_and_expect(lambda: table_status(r1)["problems"], [],
                                          count=10, wait=0.5)
    assert problems == [], "the problem outlived its cause"
    assert table_status(r1)["healthy"]
    assert links(r1, INSTANCES[1]) == RUNNING_ON_DP0


def test_a_crash_before_write_memory_leaves_no_datapath_behind():
    """The datapath was configured but not saved: the restarted iplbd's
    configuration has none, so the instance it left is released."""
    r1 = get_topogen().gears["r1"]
    old_pid = iplbd_pid(r1)
    r1.cmd("kill -9 {}".format(old_pid))

    def released():
        pid = iplbd_pid(r1)
        if pid == old_pid or not pid.isdigit():
            return None
        status = table_status(r1)
        if status is None:
            return None
        return status["datapath"], status["orphans"], links(r1, INSTANCES[1])

    _, found = topotest.run_and_expect(released, ("none", [], {}), count=60, wait=1)
    assert found == ("none", [], {}), "an instance nobody configures is still attached: " + \
        r1.cmd("vtysh -c 'show watchfrr'; ps -o pid,args -C iplbd; "
               "vtysh -c 'show iplb status'; {} -n {} show".format(IPLBCTL, INSTANCES[1]))
    # The table itself stays pinned (iplbctl purge removes it).
    assert "prefixes" in r1.cmd("{} -n {} show".format(IPLBCTL, INSTANCES[1]))


def test_every_daemon_listens_on_the_loopback_only():
    """The daemons file gives every daemon -A 127.0.0.1 (staticd included:
    frrcommon.sh starts it whatever the file says); watchfrr has no TCP vty."""
    r1 = get_topogen().gears["r1"]
    listeners = {}
    for line in r1.cmd("ss -Hltnp").splitlines():
        fields = line.split()
        if len(fields) >= 6 and '(("' in fields[5]:
            name = fields[5].split('(("')[1].split('"')[0]
            listeners.setdefault(name, []).append(fields[3])
    for daemon in ("zebra", "ospfd", "staticd", "iplbd"):
        assert daemon in listeners, listeners
    for daemon, addresses in listeners.items():
        assert all(a.startswith("127.0.0.1:") for a in addresses), (daemon, addresses)


def test_frrinit_stops_everything():
    r1 = get_topogen().gears["r1"]
    pids = {}
    for line in r1.cmd("grep -H . /var/run/frr/*.pid").splitlines():
        path, _, pid = line.partition(":")
        pids[os.path.basename(path)[:-len(".pid")]] = pid.strip()
    assert "watchfrr" in pids and "iplbd" in pids, pids
    output = r1.cmd("{} stop 2>&1; echo rc=$?".format(FRRINIT))
    assert "rc=0" in output, output
    test_func = lambda: r1.cmd("ls /var/run/frr/*.pid 2>/dev/null").strip()
    _, left = topotest.run_and_expect(test_func, "", count=20, wait=0.5)
    assert left == "", left
    # Each removed its /var/tmp/frr/<name>.<N> (N its pid before -d forked;
    # its main thread's logbuf.<pid> in it): watchfrr left its own behind
    # before patch 0008.
    paths = " ".join("/var/tmp/frr/{0}.*/logbuf.{1} /var/tmp/frr/{0}.{1}".format(n, p)
                     for n, p in sorted(pids.items()))
    left = r1.cmd("ls -d {} 2>/dev/null".format(paths)).strip()
    assert left == "", left


if __name__ == "__main__":
    sys.exit(pytest.main(["-s"] + sys.argv[1:]))

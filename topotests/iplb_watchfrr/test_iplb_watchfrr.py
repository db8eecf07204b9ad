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
- `frrinit.sh stop` stops everything.
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

DAEMONS = """\
zebra=yes
ospfd=yes
iplbd=yes
vtysh_enable=yes
zebra_options="-A 127.0.0.1 -s 90000000"
ospfd_options="-A 127.0.0.1 -a -l 127.0.0.1"
staticd_options="-A 127.0.0.1"
iplbd_options="-A 127.0.0.1"
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


def test_frrinit_stops_everything():
    r1 = get_topogen().gears["r1"]
    output = r1.cmd("{} stop 2>&1; echo rc=$?".format(FRRINIT))
    assert "rc=0" in output, output
    test_func = lambda: r1.cmd("ls /var/run/frr/*.pid 2>/dev/null").strip()
    _, left = topotest.run_and_expect(test_func, "", count=20, wait=0.5)
    assert left == "", left


if __name__ == "__main__":
    sys.exit(pytest.main(["-s"] + sys.argv[1:]))

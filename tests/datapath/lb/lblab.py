#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The load balancer's namespace lab (test_lb_survival.py):

                          +-- m1 (mux, XDP on a stick)
                          +-- m2 (mux, XDP on a stick)
    c (client) -- r (router) -- b1 .. b5 (backends, TCX, echo server on the VIP)

The router has an ECMP route to the VIP over m1 and m2 (L4 hash); a mux
sends the encapsulated packet back to the router (`lb config fib off`: MAC
addresses swapped, XDP_TX), which forwards it to the backend's address (its
DIP); the backend's reply goes from the VIP straight to the client through
the router (direct server return).

Namespaces are named <tag>-<node> with a per-process tag, datapath instances
after their namespace; everything is removed by down(), which is safe to
call after a failure at any point of up().

    /usr/bin/python3 lblab.py up|down TAG     by hand (TAG: e.g. iplblb1)
"""

import ctypes
import fcntl
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from netns import PY, Namespaces  # noqa: E402

LBTRAFFIC = os.path.join(HERE, "lbtraffic.py")

VIP = "10.200.0.1"
PORT = 8080
MUXES = {"m1": ("10.0.1.2", "10.0.1.1"), "m2": ("10.0.2.2", "10.0.2.1")}  # (own, router)
BACKENDS = {"b%d" % i: ("10.1.%d.2" % i, "10.1.%d.1" % i) for i in range(1, 6)}
CLIENT = ("10.0.0.2", "10.0.0.1")
# The client's sources (on its lo): 64 addresses; the SYN flood's forged
# sources, routed to the client, which drops what comes back to them.
CLIENT_SOURCES = ["10.100.0.%d" % i for i in range(1, 65)]
FLOOD_PREFIX = "10.101.0.0/16"
# The mux links carry the client's 1500-byte packets plus 48 bytes of
# encapsulation, and stay small enough for native XDP on veth (a veth whose
# peer's MTU exceeds about 3.5 KB refuses an XDP program without frags).
MUX_MTU = 1600
BACKEND_MTU = 9000


ETHTOOL = {"tx-checksum": (0x16, 0x17)}  # legacy ioctl commands (get, set)


def set_feature(dev, feature, on):
    """An offload of dev on or off through the legacy ethtool ioctls (no
    ethtool package needed), in the calling process's namespace; returns
    the value read back."""
    SIOCETHTOOL = 0x8946
    get, put = ETHTOOL[feature]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for cmd, value in ((put, int(on)), (get, 0)):
            buf = ctypes.create_string_buffer(struct.pack("II", cmd, value), 8)
            fcntl.ioctl(sock, SIOCETHTOOL, struct.pack("16sP", dev.encode(),
                                                       ctypes.addressof(buf)))
        return bool(struct.unpack("II", buf.raw)[1])
    finally:
        sock.close()


class LbLab:
    def __init__(self, iplbctl, prefix="iplblb", tag=None):
        self.iplbctl_path = iplbctl
        self.nsp = Namespaces(prefix)
        if tag:
            self.nsp.tag = tag
        self.ns, self.sh = self.nsp.ns, self.nsp.sh
        self.nodes = ["c", "r"] + list(MUXES) + list(BACKENDS)
        self.servers = {}
        self.processes = []

    # ---- commands --------------------------------------------------------

    def iplbctl(self, node, *args, json_out=False, check=True):
        # -N enters only the network namespace: the pins stay on the host's
        # bpffs (/run/iplb/bpf), instance named after the namespace.
        flags = ["-j"] if json_out else []
        result = self.sh(self.iplbctl_path, *flags, "-N", self.ns(node), "-n", self.ns(node),
                         *args, check=check)
        return json.loads(result.stdout) if json_out else result

    def popen(self, node, *args, **kwargs):
        proc = subprocess.Popen(["ip", "netns", "exec", self.ns(node)] + [str(a) for a in args],
                                **kwargs)
        self.processes.append(proc)
        return proc

    # ---- topology --------------------------------------------------------

    def link(self, a, a_if, a_addr, b, b_if, b_addr, mtu):
        self.sh("ip", "link", "add", a_if, "netns", self.ns(a), "mtu", mtu, "type", "veth",
                "peer", "name", b_if, "netns", self.ns(b), "mtu", mtu)
        self.sh("ip", "addr", "add", a_addr + "/24", "dev", a_if, node=a)
        self.sh("ip", "addr", "add", b_addr + "/24", "dev", b_if, node=b)
        self.sh("ip", "link", "set", "dev", a_if, "up", node=a)
        self.sh("ip", "link", "set", "dev", b_if, "up", node=b)

    def up(self):
        for node in self.nodes:
            self.sh("ip", "netns", "add", self.ns(node))
            self.sh("ip", "link", "set", "dev", "lo", "up", node=node)
            # Replies leave the backends from the VIP, which the router
            # routes to the muxes: no reverse-path filter anywhere.
            self.sh("sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0",
                    "net.ipv4.conf.default.rp_filter=0", node=node)
        # The router forwards; the backends too, because the backend
        # program's daisy chain asks the FIB (bpf_fib_lookup answers
        # "forwarding disabled" on an interface that does not forward).
        for node in ["r"] + list(BACKENDS):
            self.sh("sysctl", "-qw", "net.ipv4.ip_forward=1", node=node)
        self.sh("sysctl", "-qw", "net.ipv4.fib_multipath_hash_policy=1", node="r")

        self.link("c", "eth0", CLIENT[0], "r", "toc", CLIENT[1], 1500)
        for mux, (own, router) in MUXES.items():
            self.link(mux, "eth0", own, "r", "to" + mux, router, MUX_MTU)
        for backend, (own, router) in BACKENDS.items():
            self.link(backend, "eth0", own, "r", "to" + backend, router, BACKEND_MTU)

        for src in CLIENT_SOURCES:
            self.sh("ip", "addr", "add", src + "/32", "dev", "lo", node="c")
        self.sh("ip", "route", "add", "default", "via", CLIENT[1], node="c")
        self.sh("ip", "route", "add", "10.100.0.0/24", "via", CLIENT[0], node="r")
        self.sh("ip", "route", "add", FLOOD_PREFIX, "via", CLIENT[0], node="r")
        for mux, (own, router) in MUXES.items():
            self.sh("ip", "route", "add", "default", "via", router, node=mux)
        for backend, (own, router) in BACKENDS.items():
            self.sh("ip", "route", "add", "default", "via", router, node=backend)

        # The muxes' XDP_TX'd frames reach the router's veth only if it runs
        # an XDP program of its own (xdp_pass.bpf.c says why). Loaded by
        # bpftool, pinned only until attached: `ip link set ... xdp obj`
        # would leave iproute2's tc/ip/xdp directories in the first bpffs
        # it finds, our shared pin root.
        pin = os.path.join(self.pin_root(), self.nsp.tag + "-xdp-pass")
        with tempfile.TemporaryDirectory(prefix="iplb-lb-") as tmp:
            obj = os.path.join(tmp, "xdp_pass.bpf.o")
            self.sh("clang", "-target", "bpf", "-O2", "-g", "-c",
                    os.path.join(HERE, "xdp_pass.bpf.c"), "-o", obj)
            self.sh("bpftool", "prog", "load", obj, pin, "type", "xdp")
        try:
            for mux in MUXES:
                self.sh("bpftool", "net", "attach", "xdpdrv", "pinned", pin, "dev", "to" + mux,
                        node="r")
        finally:
            os.unlink(pin)
        # The client's TCP checksums computed in full: a veth passes a
        # packet with its checksum still to be done (CHECKSUM_PARTIAL) on
        # to the next namespace, and once native XDP has had it (the mux)
        # that state is gone: the backend saw only bad checksums
        # (TcpInCsumErrors). A real NIC would have filled them in.
        self.sh(PY, "-c", "import sys; sys.path.insert(0, %r); import lblab; "
                "assert not lblab.set_feature('eth0', 'tx-checksum', False)" % HERE,
                node="c")
        self.nsp.wait_links_up(self.nodes)

    def pin_root(self):
        """The default pin root, a bpffs (mounted as iplbctl would)."""
        root = "/run/iplb/bpf"
        os.makedirs(root, mode=0o700, exist_ok=True)
        if self.sh("findmnt", "-n", "-t", "bpf", root, check=False).returncode != 0:
            self.sh("mount", "-t", "bpf", "bpf", root)
        return root

    def ecmp(self, *weights):
        """The router's route to the VIP: over m1 and m2 with these weights
        (0 leaves a mux out)."""
        hops = []
        for mux, weight in zip(MUXES, weights):
            if weight:
                hops += ["nexthop", "via", MUXES[mux][0], "weight", weight]
        self.sh("ip", "route", "replace", VIP + "/32", *hops, node="r")

    def start_server(self, backend):
        proc = self.popen(backend, PY, LBTRAFFIC, "server", backend, VIP, PORT,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = proc.stdout.readline()
        assert line and json.loads(line) == {"ready": True}, "%s: no server" % backend
        self.servers[backend] = proc
        return proc

    def down(self):
        """Everything up() and the test made, whatever state it is in:
        processes, datapath instances (pins and links), namespaces."""
        for proc in self.processes:
            if proc.poll() is None:
                proc.kill()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for node in self.nodes:
            for cmd in ([self.iplbctl_path, "-n", self.ns(node), "purge"],
                        ["ip", "netns", "del", self.ns(node)]):
                try:
                    self.sh(*cmd, check=False)
                except subprocess.TimeoutExpired:
                    pass


class Client:
    """The client's lbtraffic.py, one JSON command and answer at a time."""

    def __init__(self, lab, sources=CLIENT_SOURCES):
        self.proc = lab.popen("c", PY, LBTRAFFIC, "client", VIP, PORT, ",".join(sources),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert json.loads(self.proc.stdout.readline()) == {"ready": True}

    def send(self, **cmd):
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()

    def receive(self, timeout=60):
        # Bounded: the answer, or the process is killed, which ends the
        # read.
        timer = threading.Timer(timeout, self.proc.kill)
        timer.start()
        try:
            line = self.proc.stdout.readline()
        finally:
            timer.cancel()
        assert line, "the client died or hung"
        return json.loads(line)

    def ask(self, timeout=60, **cmd):
        self.send(**cmd)
        return self.receive(timeout)


if __name__ == "__main__":
    iplbctl = os.environ.get("IPLBCTL", "tools/iplbctl/iplbctl")
    lab = LbLab(iplbctl, tag=sys.argv[2])
    if sys.argv[1] == "up":
        lab.up()
        lab.ecmp(1, 1)
    else:
        lab.down()

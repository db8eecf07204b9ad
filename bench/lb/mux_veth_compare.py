#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
The load balancer's mux (XDP) beside plain forwarding, in one run, over veth
between network namespaces this script creates (and always removes):

    g (generator) ---- m (mux or router) ---- s (sink: the backend)
    eth-m 10.10.1.1    eth-g 10.10.1.2
                       eth-s 10.10.2.1        eth-m 10.10.2.2, VIP 192.0.2.10 on lo

g sends to the VIP; replies go from s (source: the VIP) back through m,
routed plainly, in every mode. Modes:

  plain        m routes the VIP to s (192.0.2.10/32 via 10.10.2.2), nothing
               attached
  mux-xdp      `iplbctl attach mux eth-g` on m, native XDP, `lb config fib
               on` (the FIB's next hop: XDP_REDIRECT out of eth-s), two VIPs
               (192.0.2.10 TCP port 5201, 192.0.2.10 UDP every port) with the
               one backend 10.10.2.2; on s `iplbctl attach backend eth-m` and
               `lb vip add` of both VIPs: s decapsulates and delivers locally
  mux-generic  the same in generic XDP (the skb path). iplbctl has no option
               to force it: it falls back to generic where native XDP is
               refused, and native XDP on a veth is refused (ERANGE) while the
               peer's MTU is above about 3.5 KB, so this mode gives the g - m
               link an MTU of 4000; g's route to the VIP keeps MTU 1500, so
               the packets are the same as in the other modes

Common to all modes (the same topology whatever is attached):
  - g computes its checksums (`ethtool -K eth-m tx off`): a veth hands its
    peer packets whose checksum is still to be done (CHECKSUM_PARTIAL); XDP
    loses that state, and s would see only bad TCP and UDP checksums. A
    packet from a real wire has its checksum. (With checksum offload off g
    cannot use TSO either: GSO segments before the veth, every packet is at
    most 1500 bytes, in every mode.)
  - s's eth-m has GRO on (`ethtool -K eth-m gro on`): a frame redirected by
    native XDP into a veth reaches the peer only if the peer runs NAPI (GRO
    on, or an XDP program of its own); otherwise the redirect fails and the
    frame is lost (measured: the mux counts, s receives nothing).
  - the m - s link has MTU 1600: GUE adds 48 bytes to a 1500-byte packet.

Each repetition runs every mode (in a rotating order, so that load changing
on the machine touches all alike): set it up, iperf3 TCP for --seconds (after
one second not counted: slow start), iperf3 UDP with 64-byte datagrams at full
speed (-u -l 64 -b 0) for --seconds, then a tighter UDP sender for --seconds
(64-byte datagrams from 256 source ports, written by sendmmsg() in batches of
256 on a packet socket that bypasses g's IP stack and qdisc), take it down.
Reported: TCP Gbit/s and, for both UDP senders, the packets/s received by
s's UDP (`Udp: InDatagrams + RcvbufErrors` in s: what came through the whole
path, whether a socket read it in time or not; InDatagrams counts a datagram
when it is read, so the few a socket still holds at the end are missed; the
tight sender's go to a socket on the VIP's port 9 that is never read, whose
buffer holds a handful), median and range over the
repetitions, and each median as a ratio to plain's. What iperf3's server
read is reported too: it reads on the other CPU, which other work shares, so
it measures that CPU more than the path. In
every mux run the mux's VIP counters (`iplbctl -j lb stats`) and the backend's
delivered counter must account for the traffic, and no TCP or UDP checksum
error may appear at s. Then, unless --no-bpf-stats, one run of each kind per
mux mode with BPF run-time statistics on (BPF_ENABLE_STATS, held only for
those runs) gives the mux's and the backend's ns per packet in real traffic.

Before timing, the load is read (load average, and /proc/stat twice, 1 s
apart); while the 1-minute load average is 1.0 or more the script waits, at
most --load-wait seconds (default 600), then runs anyway; the output says so.

Needs root; installs iperf3 and ethtool with apt-get if they are missing.
Every wait is bounded; the namespaces and iplb instances are removed on exit,
also on Ctrl-C, TERM or HUP.

Usage: mux_veth_compare.py [--iplbctl PATH] [--reps 5] [--seconds 5]
                           [--modes plain,mux-xdp,mux-generic] [--load-wait 600]
                           [--no-bpf-stats] [--json FILE]
"""

import argparse
import ctypes
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time

TAG = "lbb%d" % (os.getpid() % 100000)
NODES = ["g", "m", "s"]
PORT = 5201          # iperf3, and the TCP VIP's port
SINK_PORT = 9        # the tight sender's datagrams (a socket on s never reads them)
VIP = "192.0.2.10"
DIP = "10.10.2.2"
G_ADDR, M_G_ADDR, M_S_ADDR = "10.10.1.1", "10.10.1.2", "10.10.2.1"
LINKS = [  # (node, ifname, address, peer, peer ifname, peer address, MTU)
    ("g", "eth-m", G_ADDR + "/24", "m", "eth-g", M_G_ADDR + "/24", 1500),
    ("m", "eth-s", M_S_ADDR + "/24", "s", "eth-m", DIP + "/24", 1600),
]
GENERIC_MTU = 4000   # above what native XDP on a veth accepts of its peer
FLOWS = 256          # the tight sender's source ports, one batch of sendmmsg()
DEFAULT_MODES = ["plain", "mux-xdp", "mux-generic"]
MUX_MODES = ["mux-xdp", "mux-generic"]
XDP_ATTACH_MODES = {1: "native", 2: "generic", 3: "offload"}


class Failed(Exception):
    pass


def ns(node):
    return "%s-%s" % (TAG, node)


def sh(*args, node=None, check=True, timeout=30):
    cmd = (["ip", "netns", "exec", ns(node)] if node else []) + [str(a) for a in args]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failed("timed out after %d s: %s" % (timeout, " ".join(cmd)))
    if check and result.returncode != 0:
        raise Failed("%s: %s%s" % (" ".join(cmd), result.stdout, result.stderr))
    return result


def snmp(node):
    """/proc/net/snmp of node's namespace: {"Udp": {"InDatagrams": n, ...}, ...}."""
    lines = sh("cat", "/proc/net/snmp", node=node).stdout.splitlines()
    out = {}
    for names, values in zip(lines[0::2], lines[1::2]):
        proto = names.split(":")[0]
        out[proto] = dict(zip(names.split()[1:], (int(v) for v in values.split()[1:])))
    return out


def csum_errors(before, after):
    return sum(after[p]["InCsumErrors"] - before[p]["InCsumErrors"] for p in ("Tcp", "Udp"))


def udp_received(before, after):
    """Datagrams that reached s's UDP for a socket: queued, or dropped because
    the socket's buffer was full."""
    return sum(after["Udp"].get(k, 0) - before["Udp"].get(k, 0)
               for k in ("InDatagrams", "RcvbufErrors", "MemErrors"))


class Bench:
    def __init__(self, iplbctl):
        self.iplbctl = iplbctl
        self.created = []
        self.processes = []   # iperf3 server, the sink
        self.mux_mac = None
        self.udp_lost = None  # iperf3's last UDP run: loss (%), duration (s)
        self.udp_seconds = None

    # ---- iplbctl -------------------------------------------------------

    def ctl(self, node, *args, json_out=False):
        # -N enters only the network namespace: the pins stay on the host's
        # bpffs (ip netns exec would take a bpffs mounted there away).
        flags = ["-j"] if json_out else []
        result = sh(self.iplbctl, *flags, "-N", ns(node), "-n", ns(node), *args)
        return json.loads(result.stdout) if json_out else result

    def purge(self, node):
        sh(self.iplbctl, "-n", ns(node), "purge", check=False)

    # ---- topology ------------------------------------------------------

    def build(self):
        for node in NODES:
            sh("ip", "netns", "add", ns(node))
            self.created.append(node)
            sh("ip", "-n", ns(node), "link", "set", "dev", "lo", "up")
            # Forwarding everywhere: m routes; on s the backend's chain needs
            # it (iplbctl attach backend warns otherwise).
            for key in ("net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"):
                sh("sysctl", "-qw", key, node=node)
        for node, ifname, address, peer, peer_if, peer_address, mtu in LINKS:
            sh("ip", "link", "add", ifname, "netns", ns(node), "type", "veth", "peer", "name",
               peer_if, "netns", ns(peer))
            for n, dev, a in ((node, ifname, address), (peer, peer_if, peer_address)):
                sh("ip", "-n", ns(n), "addr", "add", a, "dev", dev)
                sh("ip", "-n", ns(n), "link", "set", "dev", dev, "mtu", mtu, "up")
        sh("ip", "-n", ns("s"), "addr", "add", VIP + "/32", "dev", "lo")
        # The same in every mode (module docstring): g's checksums in
        # software, NAPI on s's side of the mux's output veth.
        sh("ethtool", "-K", "eth-m", "tx", "off", node="g")
        sh("ethtool", "-K", "eth-m", "gro", "on", node="s")
        deadline = time.monotonic() + 10
        for node in NODES:
            while any(link["operstate"] != "UP" for link in json.loads(
                    sh("ip", "-n", ns(node), "-j", "link", "show", "type", "veth").stdout)):
                if time.monotonic() > deadline:
                    raise Failed("the veth links of %s did not come up" % node)
                time.sleep(0.1)
        sh("ip", "-n", ns("g"), "route", "add", VIP + "/32", "via", M_G_ADDR, "mtu", "1500")
        sh("ip", "-n", ns("m"), "route", "add", VIP + "/32", "via", DIP)
        sh("ip", "-n", ns("s"), "route", "add", "default", "via", M_S_ADDR)
        # Keep the next hops resolved: the mux's FIB lookup only uses a
        # resolved neighbour (it drops, counted noRoute, meanwhile).
        for node, address, dev in (("g", M_G_ADDR, "eth-m"), ("m", DIP, "eth-s")):
            sh("ip", "-n", ns(node), "neigh", "replace", address, "dev", dev, "managed")
            deadline = time.monotonic() + 10
            while "REACHABLE" not in sh("ip", "-n", ns(node), "neigh", "show", address).stdout:
                if time.monotonic() > deadline:
                    raise Failed("%s: next hop %s never resolved" % (node, address))
                time.sleep(0.1)
        self.mux_mac = json.loads(sh("ip", "-n", ns("m"), "-j", "link", "show", "dev",
                                     "eth-g").stdout)[0]["address"]

    def teardown(self):
        for process in self.processes:
            process.kill()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.processes = []
        for node in ("m", "s"):
            self.purge(node)
        for node in self.created:
            sh("ip", "netns", "del", ns(node), check=False)
        self.created = []

    # ---- modes ---------------------------------------------------------
    # up() configures a mode on top of plain, down() restores plain.

    def set_g_m_mtu(self, mtu):
        sh("ip", "-n", ns("g"), "link", "set", "dev", "eth-m", "mtu", mtu)
        sh("ip", "-n", ns("m"), "link", "set", "dev", "eth-g", "mtu", mtu)

    def xdp_mode(self):
        """How m's eth-g runs XDP: None, "native" or "generic"; and the id."""
        link = json.loads(sh("ip", "-n", ns("m"), "-j", "link", "show", "dev",
                             "eth-g").stdout)[0]
        xdp = link.get("xdp")
        if not xdp:
            return None, None
        return XDP_ATTACH_MODES.get(xdp.get("mode"), str(xdp.get("mode"))), \
            xdp.get("prog", {}).get("id")

    def up(self, mode):
        if mode == "plain":
            if self.xdp_mode()[0]:
                raise Failed("plain: m's eth-g still runs XDP")
            return None
        if mode == "mux-generic":
            self.set_g_m_mtu(GENERIC_MTU)
        attach = self.ctl("m", "attach", "mux", "eth-g")
        got = self.xdp_mode()[0]
        wanted = "native" if mode == "mux-xdp" else "generic"
        if got != wanted:
            raise Failed("%s: iplbctl attach mux gave XDP mode %s, not %s (%s)" % (
                mode, got, wanted, attach.stderr.strip()))
        self.ctl("m", "lb", "config", "fib", "on")
        for node in ("m", "s"):
            if node == "s":
                self.ctl("s", "attach", "backend", "eth-m")
            self.ctl(node, "lb", "vip", "add", VIP, "port", PORT)
            self.ctl(node, "lb", "vip", "add", VIP, "proto", "udp")
        self.ctl("m", "lb", "backend", "add", VIP, "port", PORT, DIP)
        self.ctl("m", "lb", "backend", "add", VIP, "proto", "udp", DIP)
        return got

    def down(self, mode):
        if mode in MUX_MODES:
            for node in ("m", "s"):
                self.purge(node)
            if mode == "mux-generic":
                self.set_g_m_mtu(1500)
            # The VIP stays bound on s's lo (purge leaves it; plain needs it).
            sh("ip", "-n", ns("s"), "addr", "replace", VIP + "/32", "dev", "lo")

    def counters(self, mode):
        """The mux's packets per VIP protocol and the backend's deliveries."""
        if mode not in MUX_MODES:
            return {}
        mux = self.ctl("m", "lb", "stats", json_out=True)["mux"]
        backend = self.ctl("s", "lb", "stats", json_out=True)["backend"]
        out = {"mux_tcp": 0, "mux_udp": 0, "mux_dropped": 0}
        for vip in mux["vips"]:
            key = "mux_udp" if " udp" in vip["vip"] else "mux_tcp"
            out[key] += vip["packets"]
            out["mux_dropped"] += sum(vip[k] for k in ("noBackend", "tooBig", "noRoute",
                                                       "errors"))
        out["backend_delivered"] = backend["delivered"]
        out["backend_dropped"] = sum(backend[k] for k in ("droppedStale", "droppedMalformed",
                                                          "droppedChain"))
        return out

    # ---- traffic -------------------------------------------------------

    def start_servers(self):
        for process in self.processes:
            process.kill()
            process.wait(timeout=5)
        # iperf3 bound to the VIP: unbound, its UDP reply would leave from
        # s's eth-m address, which g's client does not accept.
        self.processes = [
            subprocess.Popen(["ip", "netns", "exec", ns("s"), "iperf3", "-s", "-p", str(PORT),
                              "-B", VIP], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
            subprocess.Popen(["ip", "netns", "exec", ns("s"), "/usr/bin/python3", "-c",
                              "import socket, signal\n"
                              "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                              "s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)\n"
                              "s.bind((%r, %d))\n"
                              "signal.pause()\n" % (VIP, SINK_PORT)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        deadline = time.monotonic() + 10
        while True:
            listening = sh("ss", "-Htuln", node="s").stdout
            if "%s:%d" % (VIP, PORT) in listening and "%s:%d" % (VIP, SINK_PORT) in listening:
                break
            if time.monotonic() > deadline:
                raise Failed("iperf3 server or UDP sink did not start in s")
            time.sleep(0.05)

    def iperf(self, seconds, udp):
        args = ["iperf3", "-c", VIP, "-p", PORT, "-t", seconds, "-J"]
        if udp:
            args += ["-u", "-l", "64", "-b", "0"]
        else:
            args += ["-O", "1"]  # slow start: the first second is not counted
        for attempt in range(2):
            result = sh(*args, node="g", check=False, timeout=seconds + 30)
            try:
                out = json.loads(result.stdout)
            except ValueError:
                out = {"error": result.stdout + result.stderr}
            if "error" not in out:
                if udp:
                    received = out["end"]["sum_received"]
                    self.udp_lost = out["end"]["sum"].get("lost_percent")
                    self.udp_seconds = received["seconds"]
                    return received["bytes"] / 64 / received["seconds"]
                return out["end"]["sum_received"]["bits_per_second"] / 1e9
            if attempt == 0:  # a wedged server: start it again, once
                self.start_servers()
        raise Failed("iperf3 failed: %s" % out["error"])

    def udp_iperf(self, seconds):
        """iperf3 UDP for `seconds`: (packets/s received by s's UDP, datagrams
        received, packets/s its server read)."""
        before = snmp("s")
        read = self.iperf(seconds, udp=True)
        after = snmp("s")
        if csum_errors(before, after):
            raise Failed("s counted %d checksum errors" % csum_errors(before, after))
        received = udp_received(before, after)
        return received / self.udp_seconds, received, read

    def flood(self, seconds):
        """The tight sender for `seconds`: (packets/s received by s's UDP,
        datagrams received, datagrams sent)."""
        before = snmp("s")
        result = sh("/usr/bin/python3", os.path.abspath(__file__), "--flood-child", "eth-m",
                    self.mux_mac, G_ADDR, VIP, SINK_PORT, seconds, node="g",
                    timeout=seconds + 30)
        time.sleep(0.2)  # what is still queued in a veth's ring
        after = snmp("s")
        sent = json.loads(result.stdout)
        if csum_errors(before, after):
            raise Failed("s counted %d checksum errors" % csum_errors(before, after))
        received = udp_received(before, after)
        return received / sent["seconds"], received, sent["packets"]

    def measure(self, mode, seconds):
        """One TCP, one iperf3 UDP and one tight-sender run, with the checks
        that the traffic went where the mode says."""
        r = {}
        for kind in ("tcp", "udp", "flood"):
            before, snmp_before = self.counters(mode), snmp("s")
            received = 0  # datagrams that reached s's UDP
            if kind == "flood":
                r["flood_pps"], received, r["flood_sent"] = self.flood(seconds)
            elif kind == "udp":
                r["udp_pps"], received, r["udp_read_pps"] = self.udp_iperf(seconds)
                r["udp_lost_percent"] = self.udp_lost
            else:
                r["tcp_gbps"] = self.iperf(seconds, udp=False)
            after, snmp_after = self.counters(mode), snmp("s")
            if csum_errors(snmp_before, snmp_after):
                raise Failed("%s %s: s counted %d TCP/UDP checksum errors" % (
                    mode, kind, csum_errors(snmp_before, snmp_after)))
            if mode not in MUX_MODES:
                continue
            delta = {k: after[k] - before[k] for k in after}
            through = delta["mux_tcp" if kind == "tcp" else "mux_udp"]
            r[kind + "_mux_packets"] = through
            r[kind + "_delivered"] = delta["backend_delivered"]
            r[kind + "_drops"] = delta["mux_dropped"] + delta["backend_dropped"]
            if through < 1000 or delta["backend_delivered"] < 1000:
                raise Failed("%s %s: only %d packets went through the mux, %d delivered by "
                             "the backend" % (mode, kind, through, delta["backend_delivered"]))
            # What s's UDP received must have come through both (a few
            # datagrams of slack: iperf3's start and end).
            if received > min(through, delta["backend_delivered"]) + 100:
                raise Failed("%s %s: s received %d datagrams, the mux sent %d, the backend "
                             "delivered %d" % (mode, kind, received, through,
                                               delta["backend_delivered"]))
        return r


# ---- the tight sender (run in g by the bench) -------------------------------

class Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class Msghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32),
                ("iov", ctypes.POINTER(Iovec)), ("iovlen", ctypes.c_size_t),
                ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]


class Mmsghdr(ctypes.Structure):
    _fields_ = [("hdr", Msghdr), ("len", ctypes.c_uint)]


def ip_checksum(header):
    total = sum(struct.unpack("!%dH" % (len(header) // 2), header))
    total = (total & 0xffff) + (total >> 16)
    total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def flood_child(dev, dmac, src, dst, port, seconds):
    """Ethernet frames of 64-byte UDP datagrams (UDP checksum 0), FLOWS source
    ports, sendmmsg() in batches of FLOWS on a packet socket that bypasses the
    qdisc. Prints {"packets": sent, "seconds": elapsed} as JSON."""
    SOL_PACKET, PACKET_QDISC_BYPASS = 263, 20
    libc = ctypes.CDLL(None, use_errno=True)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((dev, 0))
    sock.setsockopt(SOL_PACKET, PACKET_QDISC_BYPASS, 1)
    smac = sock.getsockname()[4]
    frames = []
    for i in range(FLOWS):
        udp = struct.pack("!HHHH", 10000 + i, port, 8 + 64, 0) + bytes(64)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0x4000, 64, 17, 0,
                         socket.inet_aton(src), socket.inet_aton(dst))
        ip = ip[:10] + struct.pack("!H", ip_checksum(ip)) + ip[12:]
        frames.append(bytes.fromhex(dmac.replace(":", "")) + smac + b"\x08\x00" + ip + udp)
    buffers = [ctypes.create_string_buffer(f, len(f)) for f in frames]
    iovs = (Iovec * FLOWS)()
    msgs = (Mmsghdr * FLOWS)()
    for i, buf in enumerate(buffers):
        iovs[i].base = ctypes.cast(buf, ctypes.c_void_p)
        iovs[i].len = len(frames[i])
        msgs[i].hdr.iov = ctypes.pointer(iovs[i])
        msgs[i].hdr.iovlen = 1
    sendmmsg, fd = libc.sendmmsg, sock.fileno()
    sent = 0
    start = time.monotonic()
    end = start + seconds
    while time.monotonic() < end:
        n = sendmmsg(fd, msgs, FLOWS, 0)
        if n > 0:
            sent += n
        elif ctypes.get_errno() not in (0, 11, 105):  # EAGAIN, ENOBUFS: go on
            sys.exit("flood: sendmmsg: %s" % os.strerror(ctypes.get_errno()))
    print(json.dumps({"packets": sent, "seconds": time.monotonic() - start}))


# ---- BPF run-time statistics --------------------------------------------

BPF_SYSCALL = {"x86_64": 321, "aarch64": 280}.get(platform.machine())
BPF_ENABLE_STATS, BPF_STATS_RUN_TIME = 32, 0


def enable_bpf_stats():
    """An fd that keeps BPF run-time statistics on until it is closed (so
    they go off again even if this script dies), or None."""
    if BPF_SYSCALL is None:
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    attr = ctypes.create_string_buffer(8)  # union bpf_attr { __u32 type; }
    fd = libc.syscall(BPF_SYSCALL, BPF_ENABLE_STATS, attr, ctypes.c_uint(8))
    return fd if fd >= 0 else None


def prog_stats(prog_id):
    out = json.loads(sh("bpftool", "-j", "prog", "show", "id", prog_id).stdout)
    return out.get("run_time_ns", 0), out.get("run_cnt", 0)


def backend_prog(bench):
    path = os.path.join(bench.ctl("s", "show", json_out=True)["pins"],
                        "link-backend-ingress-eth-m")
    return json.loads(sh("bpftool", "-j", "link", "show", "pinned", path).stdout)["prog_id"]


def measure_bpf_stats(bench, seconds):
    """ns per run of the mux and the backend during one run of each kind, or
    None if statistics cannot be turned on."""
    progs = {"mux": bench.xdp_mode()[1], "backend": backend_prog(bench)}
    fd = enable_bpf_stats()
    if fd is None:
        return None
    result = {}
    try:
        for kind in ("flood", "udp", "tcp"):
            before = {k: prog_stats(v) for k, v in progs.items()}
            if kind == "flood":
                result["flood_pps"] = bench.flood(seconds)[0]
            elif kind == "udp":
                result["udp_pps"] = bench.udp_iperf(seconds)[0]
            else:
                result["tcp_gbps"] = bench.iperf(seconds, udp=False)
            after = {k: prog_stats(v) for k, v in progs.items()}
            for k in progs:
                runs = after[k][1] - before[k][1]
                result["%s_%s_ns" % (kind, k)] = (
                    (after[k][0] - before[k][0]) / runs if runs else None)
                result["%s_%s_runs" % (kind, k)] = runs
    finally:
        os.close(fd)
    return result


# ---- load -----------------------------------------------------------------

def cpu_times():
    """All CPUs' (total, idle + iowait) jiffies from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    return sum(values), values[3] + values[4]


def busy_since(then):
    total0, idle0 = then
    total1, idle1 = cpu_times()
    return 1.0 - (idle1 - idle0) / max(1, total1 - total0)


def cpu_busy(interval=1.0):
    """The share of all CPUs' time that was not idle over `interval` (two
    reads of /proc/stat)."""
    then = cpu_times()
    time.sleep(interval)
    return busy_since(then)


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def wait_for_quiet(max_wait):
    """Wait (at most max_wait s) for the 1-minute load average to fall under
    1.0. Returns what was seen, for the report."""
    seen = {"uptime_start": uptime(), "load_start": os.getloadavg()[0],
            "busy_start": cpu_busy()}
    print("load: %s; CPUs %.0f%% busy over 1 s" % (seen["uptime_start"],
                                                   100 * seen["busy_start"]),
          file=sys.stderr, flush=True)
    started = time.monotonic()
    while os.getloadavg()[0] >= 1.0 and time.monotonic() - started < max_wait:
        time.sleep(min(15, max(1, max_wait - (time.monotonic() - started))))
    seen["waited"] = time.monotonic() - started
    seen["load_go"] = os.getloadavg()[0]
    seen["busy_go"] = cpu_busy()
    seen["uptime_go"] = uptime()
    seen["quiet"] = seen["load_go"] < 1.0
    if seen["waited"] >= 1:
        print("load after waiting %.0f s: %s; CPUs %.0f%% busy%s" % (
            seen["waited"], seen["uptime_go"], 100 * seen["busy_go"],
            "" if seen["quiet"] else "; running anyway"), file=sys.stderr, flush=True)
    return seen


# ---- report --------------------------------------------------------------

def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": values}


def markdown(results, xdp, args, stats, notes):
    lines = ["### Mux over veth, g -> m -> s (%s s per run, %d repetitions)" % (
        args.seconds, args.reps), ""]
    lines.append("Kernel %s, %d CPUs. Median (min-max) over repetitions; vs plain = median "
                 "/ plain's median. UDP: 64-byte datagrams at full speed, packets/s received "
                 "by s's UDP (InDatagrams + RcvbufErrors: the datagrams that made it through the "
                 "whole path, read by a socket or dropped for a full buffer)." % (
                     platform.release(), os.cpu_count()))
    lines.append("")
    lines.append("| mode | XDP | TCP Gbit/s | vs plain | UDP kpps, iperf3 | vs plain | "
                 "UDP kpps, tight sender | vs plain |")
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|")
    plain = results.get("plain")

    def cell(r, key, scale, fmt):
        s = r[key]
        ratio = "%.2f" % (s["median"] / plain[key]["median"]) if plain else ""
        return (fmt % (s["median"] / scale) + " (" + fmt % (s["min"] / scale) + "-" +
                fmt % (s["max"] / scale) + ")", ratio)
    for mode, r in results.items():
        tcp, tcp_ratio = cell(r, "tcp_gbps", 1, "%.2f")
        udp, udp_ratio = cell(r, "udp_pps", 1e3, "%.0f")
        flood, flood_ratio = cell(r, "flood_pps", 1e3, "%.0f")
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            mode, xdp.get(mode) or "-", tcp, tcp_ratio, udp, udp_ratio, flood, flood_ratio))
    if stats:
        lines += ["", "eBPF run time per program run in real traffic (BPF_ENABLE_STATS, one "
                  "run of %s s of each kind per mode; includes the kernel's clock reads). "
                  "The mux runs once per packet (TCP: per segment of at most 1500 bytes); "
                  "so does the backend (GUE packets are not merged by GRO)." % args.seconds,
                  "",
                  "| mode | tight kpps | mux ns | backend ns | iperf3 UDP kpps | mux ns | "
                  "backend ns | TCP Gbit/s | mux ns | backend ns |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for mode, s in stats.items():
            def ns_cell(k):
                return "%.0f" % s[k] if s.get(k) is not None else ""
            lines.append("| %s | %.0f | %s | %s | %.0f | %s | %s | %.2f | %s | %s |" % (
                mode, s["flood_pps"] / 1e3, ns_cell("flood_mux_ns"), ns_cell("flood_backend_ns"),
                s["udp_pps"] / 1e3, ns_cell("udp_mux_ns"), ns_cell("udp_backend_ns"),
                s["tcp_gbps"], ns_cell("tcp_mux_ns"), ns_cell("tcp_backend_ns")))
    lines += ["", "- What iperf3's server read of its UDP test, kpps, median (min-max): " +
              "; ".join("%s %.0f (%.0f-%.0f)" % (mode, r["udp_read_pps"]["median"] / 1e3,
                                                 r["udp_read_pps"]["min"] / 1e3,
                                                 r["udp_read_pps"]["max"] / 1e3)
                        for mode, r in results.items()) +
              ". It reads on the other CPU and loses what arrives while it cannot."]
    lines += ["- " + n for n in notes]
    return "\n".join(lines)


def ensure_tools(tools):
    """Install the Debian packages of the missing tools ({tool: package})."""
    missing = {tool: package for tool, package in tools.items() if not shutil.which(tool)}
    if not missing:
        return []
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for update in (False, True):
        if update:
            subprocess.run(["apt-get", "update"], env=env, timeout=600, check=False,
                           stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y"] + sorted(set(missing.values())), env=env,
                       timeout=600, check=False, stdout=subprocess.DEVNULL)
        if all(shutil.which(tool) for tool in missing):
            return sorted(set(missing.values()))
    sys.exit("mux_veth_compare: %s missing and apt-get could not install it" %
             ", ".join(t for t in missing if not shutil.which(t)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iplbctl", default="tools/iplbctl/iplbctl")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--modes", default=",".join(DEFAULT_MODES),
                        help="of " + ",".join(DEFAULT_MODES))
    parser.add_argument("--load-wait", type=int, default=600, metavar="SECONDS",
                        help="wait at most this long for the 1-minute load average to "
                        "fall under 1.0 (default 600; 0: do not wait)")
    parser.add_argument("--no-bpf-stats", action="store_true")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args()
    if args.reps < 1 or args.seconds < 1 or args.load_wait < 0:
        sys.exit("mux_veth_compare: --reps and --seconds must be at least 1, --load-wait 0 "
                 "or more")
    modes = args.modes.split(",")
    for m in modes:
        if m not in DEFAULT_MODES:
            sys.exit("mux_veth_compare: unknown mode %s (known: %s)" % (
                m, ", ".join(DEFAULT_MODES)))
    if os.geteuid() != 0:
        sys.exit("mux_veth_compare: needs root (network namespaces, eBPF)")
    if not os.access(args.iplbctl, os.X_OK):
        sys.exit("mux_veth_compare: no iplbctl at %s (make tools/iplbctl/iplbctl)" %
                 args.iplbctl)
    args.iplbctl = os.path.abspath(args.iplbctl)
    installed = ensure_tools({"iperf3": "iperf3", "ethtool": "ethtool", "bpftool": "bpftool"})
    command = " ".join([os.path.relpath(sys.argv[0])] + sys.argv[1:])
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

    # Ctrl-C raises KeyboardInterrupt; make TERM and HUP unwind too, so that
    # the finally below removes what was made.
    def stop(signum, _frame):
        raise SystemExit("mux_veth_compare: signal %d, cleaning up" % signum)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)

    load = wait_for_quiet(args.load_wait)
    bench = Bench(args.iplbctl)
    stats, xdp = {}, {}
    started = time.monotonic()
    raw = {m: {"tcp_gbps": [], "udp_pps": [], "udp_read_pps": [], "flood_pps": [], "checks": []}
           for m in modes}
    try:
        bench.build()
        bench.start_servers()
        timed_from = cpu_times()
        for rep in range(args.reps):
            order = modes[rep % len(modes):] + modes[:rep % len(modes)]
            for mode in order:
                try:
                    xdp[mode] = bench.up(mode)
                    r = bench.measure(mode, args.seconds)
                finally:
                    bench.down(mode)
                measured = ("tcp_gbps", "udp_pps", "udp_read_pps", "flood_pps")
                for key in measured:
                    raw[mode][key].append(r[key])
                raw[mode]["checks"].append({k: v for k, v in r.items() if k not in measured})
                through = ("  mux/backend: TCP %d/%d UDP %d/%d tight %d/%d drops %d" % (
                    r["tcp_mux_packets"], r["tcp_delivered"], r["udp_mux_packets"],
                    r["udp_delivered"], r["flood_mux_packets"], r["flood_delivered"],
                    r["tcp_drops"] + r["udp_drops"] + r["flood_drops"])
                    if mode in MUX_MODES else "")
                print("rep %d/%d %-11s TCP %5.2f Gbit/s  UDP iperf3 %6.0f pps (server read "
                      "%6.0f, %.0f%% lost)  tight %6.0f pps (sent %d)%s" % (
                          rep + 1, args.reps, mode, r["tcp_gbps"], r["udp_pps"],
                          r["udp_read_pps"], r["udp_lost_percent"] or 0, r["flood_pps"],
                          r["flood_sent"], through), file=sys.stderr, flush=True)
        if not args.no_bpf_stats:
            for mode in modes:
                if mode in MUX_MODES:
                    bench.up(mode)
                    try:
                        s = measure_bpf_stats(bench, args.seconds)
                    finally:
                        bench.down(mode)
                    if s:
                        stats[mode] = s
        timed_busy = busy_since(timed_from)
    finally:
        bench.teardown()

    results = {m: {"tcp_gbps": summary(r["tcp_gbps"]), "udp_pps": summary(r["udp_pps"]),
                   "udp_read_pps": summary(r["udp_read_pps"]),
                   "flood_pps": summary(r["flood_pps"]), "checks": r["checks"]}
               for m, r in raw.items()}
    end_busy = cpu_busy()
    load_line = ("Load before timing: `%s`, CPUs %.0f%% busy over 1 s (/proc/stat read "
                 "twice)" % (load["uptime_start"], 100 * load["busy_start"]))
    if load["load_start"] < 1.0:
        load_line += "; the 1-minute load average was under 1.0, no wait"
    elif load["waited"] >= 1:
        load_line += ("; waited %.0f s for the 1-minute load average to fall under 1.0: %s "
                      "(%.2f when timing began, CPUs %.0f%% busy)" % (
                          load["waited"], "it did" if load["quiet"] else
                          "it did not, ran anyway", load["load_go"], 100 * load["busy_go"]))
    else:
        load_line += ("; the 1-minute load average was 1.0 or more and --load-wait 0: ran "
                      "anyway")
    load_line += (". While it ran (set-ups included): CPUs %.0f%% busy, this benchmark and "
                  "anything else. At the end: `%s`, CPUs %.0f%% busy." % (
                      100 * timed_busy, uptime(), 100 * end_busy))
    notes = [
        "Command: `%s`, %s; run time %.0f s." % (command, date, time.monotonic() - started),
        load_line,
        "Topology: veth g - m - s; g: `ethtool -K eth-m tx off` (checksums in software, so "
        "no TSO: packets of at most 1500 bytes on every veth), route to the VIP with MTU "
        "1500; m - s MTU 1600 (GUE's 48 bytes); s: `ethtool -K eth-m gro on` (NAPI, which "
        "native XDP's redirect into a veth needs; it also merges plain mode's TCP segments "
        "at s, which it cannot do with GUE packets), VIP %s on lo, iperf3 server bound to "
        "it. The same in every mode." % VIP,
        "Mux: `iplbctl attach mux eth-g`, `lb config fib on`, `lb vip add %s port %d`, "
        "`lb vip add %s proto udp`, `lb backend add ... %s` for both; s: `iplbctl attach "
        "backend eth-m`, `lb vip add` of both VIPs. XDP mode as `ip link` reports it." % (
            VIP, PORT, VIP, DIP),
        "mux-generic: iplbctl cannot force generic XDP; it falls back to it when native "
        "XDP is refused, which a veth does while its peer's MTU is above about 3.5 KB: "
        "the g - m link has MTU %d in that mode only (the route keeps 1500)." % GENERIC_MTU,
        "Tight sender: this script in g, sendmmsg() of %d Ethernet frames per call (64-byte "
        "UDP payload, %d source ports, UDP checksum 0) on an AF_PACKET socket with "
        "PACKET_QDISC_BYPASS; counted by s's UDP (RcvbufErrors of a socket on port %d that "
        "is never read: its buffer holds a handful, the rest is counted)." % (
            FLOWS, FLOWS, SINK_PORT),
        "Checked in every mux run: the mux's VIP packets and the backend's deliveries "
        "(`iplbctl -j lb stats`) at least what s received; no checksum errors at s in any "
        "run. Per run (TCP, iperf3 UDP, tight) in JSON (--json).",
    ]
    if installed:
        notes.append("Installed with apt-get for this run: %s." % ", ".join(installed))
    print(markdown(results, xdp, args, stats, notes))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"command": command, "date": date, "seconds": args.seconds,
                       "reps": args.reps, "kernel": platform.release(), "load": load,
                       "xdp_modes": xdp, "results": results, "bpf_stats": stats}, f, indent=2)


if __name__ == "__main__":
    if len(sys.argv) == 8 and sys.argv[1] == "--flood-child":
        flood_child(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]),
                    float(sys.argv[7]))
        sys.exit(0)
    try:
        main()
    except Failed as e:
        sys.exit("mux_veth_compare: %s" % e)
    except KeyboardInterrupt:
        print("mux_veth_compare: interrupted, cleaned up", file=sys.stderr)
        sys.exit(130)

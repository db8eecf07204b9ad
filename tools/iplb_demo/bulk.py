#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Bulk traffic for the demo's runs, plain TCP or MPTCP, with no control
protocol inside the connections.

    bulk.py serve PORT                  a sink: one MPTCP listener (it takes
                                        plain TCP too); reads every
                                        connection to its end, then closes it
    bulk.py send DST PORT SECONDS --bind SRC [--flows N]
                 [--mptcp [--subflows J]]
                                        N connections at once, each writing
                                        for SECONDS, then waiting until the
                                        sink has read everything; prints JSON

With --subflows J, the timed writing starts once each MPTCP connection has
J extra subflows (MPTCP_INFO), or after JOIN_WAIT seconds: the rate is then
the rate of every subflow. Without that wait, a join SYN lost on a
congested link (retransmitted after 1 s, then 3 s) could miss a short run
altogether, and the run measured fewer subflows than it claims.

The rate is what the receiver had acknowledged when the SECONDS were over
(what was written less what the kernel still held unacknowledged,
SIOCOUTQ) divided by SECONDS: what a receiver counting for that long sees,
as iperf3's receiver rate. The bytes still buffered then are delivered
(the sender waits for the sink to close) but not counted; SEND_BUFFER bounds
them, so that the wait is short.

Why not iperf3 (as the demo used before): iperf3 runs a control protocol
over the same kind of socket, and under `mptcpize` that is an MPTCP
connection whose first bytes the client writes while its extra subflows are
joining. Debian 12's iperf3 cannot keep the control connection plain TCP.
The kernel this project runs on (6.18.44) now and then delivered those
bytes to the server with 4 of them missing (the first bytes of a segment
that arrived on a just-joined subflow were taken for a duplicate of the
previous mapping, on the other subflow): iperf3's server then failed to
parse the test's parameters ("unable to receive parameters from client")
and closed the control connection, and the client reported "control socket
has closed unexpectedly" with no stream connected (docs/DEVELOPMENT.md,
"Demo lab"). Bulk bytes whose content nobody reads are immune to that, and
the sink answers only by closing.
"""

import argparse
import contextlib
import fcntl
import json
import socket
import struct
import sys
import termios
import threading
import time

CHUNK = 64 * 1024
# What a connection may hold unsent or unacknowledged (the kernel doubles it).
# Without a bound, autotuning let each flow queue megabytes behind the 20
# Mbit/s links; 16 flows sharing a shortest path then took longer than the
# sender's 30 s to drain after the run (CI: "flow 1: timed out"). 256 KiB is
# still far above these links' bandwidth-delay product.
SEND_BUFFER = 256 * 1024
JOIN_WAIT = 10.0
SOL_MPTCP = 284
MPTCP_INFO = 1


def serve(port):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_MPTCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", port))
    listener.listen(128)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=drain, args=(conn,), daemon=True).start()


def drain(conn):
    with conn:
        try:
            while conn.recv(CHUNK):
                pass
        except OSError:
            pass  # a reset: the sender sees it as its own error


def unsent(conn):
    """Bytes the kernel still holds for this socket: not sent, or sent and
    not acknowledged yet (SIOCOUTQ; MPTCP sockets have it too)."""
    return struct.unpack("i", fcntl.ioctl(conn, termios.TIOCOUTQ, b"\0" * 4))[0]


def extra_subflows(conn):
    """The subflows the connection has besides its first one
    (struct mptcp_info's first byte)."""
    return conn.getsockopt(SOL_MPTCP, MPTCP_INFO, 64)[0]


def wait_for_subflows(conns, wanted):
    """Until every connection has `wanted` extra subflows, or JOIN_WAIT.
    One byte first: the client opens its subflows once the connection is
    fully established, which takes data acknowledged by the peer."""
    for conn in conns:
        conn.sendall(b"\0")
    deadline = time.monotonic() + JOIN_WAIT
    while time.monotonic() < deadline:
        if all(extra_subflows(conn) >= wanted for conn in conns):
            break
        time.sleep(0.02)
    return [extra_subflows(conn) for conn in conns]


def send(dst, port, seconds, bind, flows, mptcp, subflows=0, congestion=None):
    proto = socket.IPPROTO_MPTCP if mptcp else socket.IPPROTO_TCP
    conns = []
    for _ in range(flows):
        conn = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        if congestion:
            # On an MPTCP socket it reaches every subflow.
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, congestion.encode())
        conn.bind((bind, 0))
        conn.settimeout(seconds + 30)
        conn.connect((dst, port))
        conns.append(conn)
    joined = wait_for_subflows(conns, subflows) if mptcp and subflows else []
    started = time.monotonic()
    deadline = started + seconds
    sent, delivered = [0] * flows, [0] * flows
    errors = []

    def write(i):
        data = bytes(CHUNK)
        conn = conns[i]
        try:
            # Short timeouts, so that writing stops at the deadline even
            # while the socket's buffer is full.
            conn.settimeout(0.05)
            while time.monotonic() < deadline:
                try:
                    sent[i] += conn.send(data)
                except socket.timeout:
                    pass
            # What the receiver has acknowledged by the deadline: the
            # rate, as a receiver counting for `seconds` would see it.
            delivered[i] = sent[i] - unsent(conn)
            conn.settimeout(seconds + 30)
            conn.shutdown(socket.SHUT_WR)
            # The sink closes once it has read everything.
            while conn.recv(CHUNK):
                pass
        except OSError as e:
            # What the connection still held, to tell a stuck subflow from a
            # slow sink (docs/DEVELOPMENT.md, the check-demo drain flake).
            state = []
            with contextlib.suppress(OSError):
                state.append("%d bytes unacknowledged" % unsent(conn))
            if mptcp:
                with contextlib.suppress(OSError):
                    state.append("%d extra subflows" % extra_subflows(conn))
            errors.append("flow %d: %s%s" % (i, e, " (%s)" % ", ".join(state) if state else ""))

    writers = [threading.Thread(target=write, args=(i,)) for i in range(flows)]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    drained = time.monotonic() - started
    # What the sockets ran, as the kernel says (on an MPTCP socket, what its
    # subflows were given).
    used = sorted({conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16)
                   .rstrip(b"\0").decode() for conn in conns})
    for conn in conns:
        conn.close()
    return {"flows": flows, "mptcp": mptcp, "bytes": sum(delivered), "seconds": seconds,
            "bits_per_second": 8 * sum(delivered) / seconds, "bytes_sent": sum(sent),
            "drained_seconds": drained, "subflows_joined": joined, "congestion": used,
            "errors": errors}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="the sink")
    s.add_argument("port", type=int)
    c = sub.add_parser("send", help="the source; prints JSON")
    c.add_argument("dst")
    c.add_argument("port", type=int)
    c.add_argument("seconds", type=float)
    c.add_argument("--bind", required=True, help="the source address")
    c.add_argument("--flows", type=int, default=1)
    c.add_argument("--mptcp", action="store_true")
    c.add_argument("--subflows", type=int, default=0,
                   help="with --mptcp: extra subflows to wait for before the timed run")
    c.add_argument("--congestion", help="the sockets' congestion control (e.g. iplb_lia)")
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.port)
        return 0
    try:
        result = send(args.dst, args.port, args.seconds, args.bind, args.flows, args.mptcp,
                      args.subflows, args.congestion)
    except OSError as e:
        print(json.dumps({"error": "cannot connect to %s:%d: %s" % (args.dst, args.port, e)}))
        return 1
    print(json.dumps(result))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Bulk traffic for the congestion control tests (tests/datapath/cc), run
inside the test's namespaces with `ip netns exec`. Every mode is bounded in
time and prints JSON lines.

  cctraffic.py sink PORT SECONDS
      An MPTCP listener on every IPv4 address (it takes plain TCP too): counts
      what each connection delivers, in bins of 50 ms since its start. Prints
      {"ready": true} once listening, then, after SECONDS,
      {"start": UNIX_TIME, "bin": 0.05, "connections": [{"peer": "ADDR:PORT",
      "bins": {"INDEX": BYTES, ...}}, ...]}.

  cctraffic.py send DST PORT SECONDS CC mptcp|tcp [SRC]
      One connection to DST:PORT from SRC (any if not given), congestion
      control CC (TCP_CONGESTION, set before connecting: on an MPTCP socket it
      reaches every subflow; "default": the namespace's), sending as fast as
      it can for SECONDS. Prints
      {"sent": BYTES, "cc": what getsockopt says, "subflows": N} (N: the
      extra subflows MPTCP_INFO counts at the end; 0 for TCP).
"""

import json
import selectors
import socket
import sys
import time

IPPROTO_MPTCP = 262
SOL_MPTCP = 284
MPTCP_INFO = 1
TCP_CONGESTION = getattr(socket, "TCP_CONGESTION", 13)
BIN = 0.05


def emit(obj):
    print(json.dumps(obj), flush=True)


def sink(port, seconds):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", port))
    listener.listen(64)
    listener.setblocking(False)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, None)
    start = time.time()
    deadline = start + seconds
    connections = []
    emit({"ready": True})
    while (left := deadline - time.time()) > 0:
        for key, _ in selector.select(timeout=min(left, 0.1)):
            if key.data is None:
                try:
                    conn, peer = listener.accept()
                except BlockingIOError:
                    continue
                conn.setblocking(False)
                record = {"peer": "%s:%d" % peer, "bins": {}}
                connections.append(record)
                selector.register(conn, selectors.EVENT_READ, record)
                continue
            try:
                data = key.fileobj.recv(1 << 20)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                selector.unregister(key.fileobj)
                key.fileobj.close()
                continue
            index = int((time.time() - start) / BIN)
            bins = key.data["bins"]
            bins[index] = bins.get(index, 0) + len(data)
    for key in list(selector.get_map().values()):
        key.fileobj.close()
    emit({"start": start, "bin": BIN, "connections": connections})


def extra_subflows(sock):
    """struct mptcp_info's first byte: the extra subflows established."""
    try:
        return sock.getsockopt(SOL_MPTCP, MPTCP_INFO, 64)[0]
    except OSError:
        return None


def send(dst, port, seconds, cc, mptcp, src=None):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM,
                         IPPROTO_MPTCP if mptcp else socket.IPPROTO_TCP)
    if src:
        sock.bind((src, 0))
    if cc != "default":
        sock.setsockopt(socket.IPPROTO_TCP, TCP_CONGESTION, cc.encode())
    sock.settimeout(5)
    sock.connect((dst, port))
    block = b"\x5a" * (1 << 16)
    sent = 0
    subflows = 0
    deadline = time.time() + seconds
    sock.settimeout(0.5)
    while time.time() < deadline:
        try:
            sent += sock.send(block)
        except socket.timeout:
            continue
        if mptcp:
            subflows = max(subflows, extra_subflows(sock) or 0)
    actual = sock.getsockopt(socket.IPPROTO_TCP, TCP_CONGESTION, 16).rstrip(b"\0").decode()
    sock.close()
    emit({"sent": sent, "cc": actual, "subflows": subflows})


def main(argv):
    if len(argv) == 4 and argv[1] == "sink":
        sink(int(argv[2]), float(argv[3]))
    elif len(argv) in (7, 8) and argv[1] == "send" and argv[6] in ("mptcp", "tcp"):
        send(argv[2], int(argv[3]), float(argv[4]), argv[5], argv[6] == "mptcp",
             argv[7] if len(argv) == 8 else None)
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

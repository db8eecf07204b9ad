# SPDX-License-Identifier: GPL-2.0-or-later
"""A loss probe: paced UDP flows with sequence numbers, and the receiver
that tells, per flow, how many packets were lost and the longest silence.

    probe.py receive PORT SECONDS        prints JSON when SECONDS are over
    probe.py send DST PORT SECONDS --bind ADDR [--flows N] [--rate PPS]

Each flow is its own socket (its own source port, so ECMP and iplb's hash
place each flow separately); every packet carries (flow, sequence, send
time). Used by iplb-demo failover: cut a link while the flows run."""

import argparse
import json
import socket
import struct
import sys
import time

PACKET = struct.Struct("!IId")  # flow, sequence, send time (monotonic)
PAD = bytes(64)


def receive(port, seconds):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", port))
    sock.settimeout(0.05)
    flows = {}  # flow -> [received, highest sequence, last arrival, longest gap]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            data = sock.recv(2048)
        except socket.timeout:
            continue
        if len(data) < PACKET.size:
            continue
        flow, seq, _ = PACKET.unpack_from(data)
        now = time.monotonic()
        state = flows.setdefault(flow, [0, -1, now, 0.0])
        state[0] += 1
        state[1] = max(state[1], seq)
        state[3] = max(state[3], now - state[2])
        state[2] = now
    end = time.monotonic()
    # silent_at_end: since the last packet (a flow that never recovered).
    return {str(flow): {"received": s[0], "highest": s[1], "longest_gap": s[3],
                        "silent_at_end": end - s[2]} for flow, s in sorted(flows.items())}


def send(dst, port, seconds, bind, flows, rate):
    socks = []
    for _ in range(flows):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((bind, 0))
        sock.connect((dst, port))
        socks.append(sock)
    interval = 1.0 / rate
    start = time.monotonic()
    seq = 0
    errors = 0
    while True:
        due = start + seq * interval
        now = time.monotonic()
        if now - start >= seconds:
            break
        if due > now:
            time.sleep(due - now)
        for flow, sock in enumerate(socks):
            try:
                sock.send(PACKET.pack(flow, seq, time.monotonic()) + PAD)
            except OSError:
                errors += 1  # no route for a moment: counted as lost by the receiver
        seq += 1
    return {"flows": flows, "rate": rate, "sent_per_flow": seq, "send_errors": errors}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("receive")
    r.add_argument("port", type=int)
    r.add_argument("seconds", type=float)
    s = sub.add_parser("send")
    s.add_argument("dst")
    s.add_argument("port", type=int)
    s.add_argument("seconds", type=float)
    s.add_argument("--bind", required=True)
    s.add_argument("--flows", type=int, default=16)
    s.add_argument("--rate", type=float, default=200.0, help="packets per second per flow")
    args = parser.parse_args()
    if args.command == "receive":
        print(json.dumps(receive(args.port, args.seconds)))
    else:
        print(json.dumps(send(args.dst, args.port, args.seconds, args.bind, args.flows,
                              args.rate)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

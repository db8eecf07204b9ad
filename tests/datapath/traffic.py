#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Traffic ends for the datapath tests, run inside a namespace with
`ip netns exec`. Every mode is bounded in time and prints one JSON line.

  traffic.py udp-sink PORT SECONDS [EXPECT] datagrams received, by source port
                                            (at most SECONDS, less once EXPECT came)
  traffic.py udp-send DST PORT FIRST COUNT  one datagram from each source port
                                            FIRST..FIRST+COUNT-1
  traffic.py tcp-sink PORT CONNECTIONS SECONDS
                                            bytes and sha256 of each connection
  traffic.py tcp-send DST PORT BYTES CONNECTIONS
  traffic.py udp-stream DST PORT SPORT COUNT GAP
                                            COUNT datagrams of one flow, GAP
                                            seconds apart
  traffic.py tcp-stream DST PORT SECONDS    one connection, paced, for SECONDS
  traffic.py ipip-send SRC RELAY INNER_SRC DST PORT FIRST COUNT
                                            one datagram INNER_SRC -> DST:PORT
                                            from each source port FIRST..,
                                            each in IP-in-IP SRC -> RELAY,
                                            both addresses as given (a raw
                                            socket: forged sources too)
"""

import hashlib
import json
import select
import socket
import struct
import sys
import time


def payload(size, seed):
    block = hashlib.sha256(str(seed).encode()).digest() * 2048  # 64 KiB
    return (block * (size // len(block) + 1))[:size]


def listening(kind):
    """A socket for either family: IPv6, taking IPv4 too (as mapped)."""
    s = socket.socket(socket.AF_INET6, kind)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    return s


def family(dst):
    return socket.AF_INET6 if ":" in dst else socket.AF_INET


def udp_sink(port, seconds, expect=None):
    s = listening(socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind(("::", port))
    print(json.dumps({"ready": True}), flush=True)
    got = {}
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        if select.select([s], [], [], left)[0]:
            _, peer = s.recvfrom(2048)
            sport = peer[1]
            got[sport] = got.get(sport, 0) + 1
            if expect is not None and sum(got.values()) >= expect:
                break
    print(json.dumps({str(k): v for k, v in sorted(got.items())}), flush=True)


def udp_send(dst, port, first, count):
    for sport in range(first, first + count):
        s = socket.socket(family(dst), socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::" if ":" in dst else "0.0.0.0", sport))
        s.sendto(b"iplb %d" % sport, (dst, port))
        s.close()
    print(json.dumps({"sent": count}))


def tcp_sink(port, connections, seconds):
    listener = listening(socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("::", port))
    listener.listen(connections)
    print(json.dumps({"ready": True}), flush=True)
    deadline = time.monotonic() + seconds
    results = []
    while len(results) < connections and time.monotonic() < deadline:
        if not select.select([listener], [], [], max(0, deadline - time.monotonic()))[0]:
            break
        conn, _ = listener.accept()
        digest, size = hashlib.sha256(), 0
        conn.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            while data := conn.recv(1 << 16):
                digest.update(data)
                size += len(data)
        except socket.timeout:
            pass
        conn.close()
        results.append({"bytes": size, "sha256": digest.hexdigest()})
    print(json.dumps(results), flush=True)


def tcp_send(dst, port, size, connections):
    results = []
    for i in range(connections):
        data = payload(size, i)
        s = socket.create_connection((dst, port), timeout=10)
        s.sendall(data)
        s.close()
        results.append({"bytes": size, "sha256": hashlib.sha256(data).hexdigest()})
    print(json.dumps(results))


def udp_stream(dst, port, sport, count, gap):
    s = socket.socket(family(dst), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::" if ":" in dst else "0.0.0.0", sport))
    start = time.monotonic()
    for i in range(count):
        # Paced by the clock, not by sleeps, so that the stream lasts
        # count * gap seconds however slow the machine.
        time.sleep(max(0.0, start + i * gap - time.monotonic()))
        s.sendto(b"iplb %d" % i, (dst, port))
    print(json.dumps({"sent": count}))


def tcp_stream(dst, port, seconds):
    """A connection that stays open for seconds, sending 16 KiB every 10 ms:
    long enough for whatever the test does meanwhile to hit it."""
    s = socket.create_connection((dst, port), timeout=10)
    digest, size, i = hashlib.sha256(), 0, 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        data = payload(16384, i)
        s.sendall(data)
        digest.update(data)
        size += len(data)
        i += 1
        time.sleep(0.01)
    s.close()
    print(json.dumps([{"bytes": size, "sha256": digest.hexdigest()}]))


def ipv4_header(src, dst, protocol, payload_length):
    """An IPv4 header, DF, TTL 64, with its checksum."""
    header = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_length, 0x4242,
                                   0x4000, 64, protocol, 0, socket.inet_aton(src),
                                   socket.inet_aton(dst)))
    total = sum(struct.unpack("!10H", header))
    total = (total & 0xffff) + (total >> 16)
    total = (total & 0xffff) + (total >> 16)
    header[10:12] = struct.pack("!H", ~total & 0xffff)
    return bytes(header)


def ipip_send(src, relay, inner_src, dst, port, first, count):
    """IP-in-IP written whole (IP_HDRINCL): the kernel takes both headers as
    they are, so any host can claim any source, outer or inner."""
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for sport in range(first, first + count):
        data = b"iplb %d" % sport
        udp = struct.pack("!HHHH", sport, port, 8 + len(data), 0) + data  # no checksum
        inner = ipv4_header(inner_src, dst, socket.IPPROTO_UDP, len(udp)) + udp
        s.sendto(ipv4_header(src, relay, socket.IPPROTO_IPIP, len(inner)) + inner, (relay, 0))
    s.close()
    print(json.dumps({"sent": count}))


def main(argv):
    mode, args = argv[1], argv[2:]
    if mode == "udp-sink":
        udp_sink(int(args[0]), float(args[1]), int(args[2]) if len(args) > 2 else None)
    elif mode == "udp-send":
        udp_send(args[0], int(args[1]), int(args[2]), int(args[3]))
    elif mode == "tcp-sink":
        tcp_sink(int(args[0]), int(args[1]), float(args[2]))
    elif mode == "tcp-send":
        tcp_send(args[0], int(args[1]), int(args[2]), int(args[3]))
    elif mode == "udp-stream":
        udp_stream(args[0], int(args[1]), int(args[2]), int(args[3]), float(args[4]))
    elif mode == "tcp-stream":
        tcp_stream(args[0], int(args[1]), float(args[2]))
    elif mode == "ipip-send":
        ipip_send(args[0], args[1], args[2], args[3], int(args[4]), int(args[5]), int(args[6]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)

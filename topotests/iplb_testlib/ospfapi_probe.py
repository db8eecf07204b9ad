#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
A minimal client of ospfd's API server (ospfd -a), run inside a router's
namespace by the topotests. It opens the two channels the protocol uses
(sync: client -> server port 2607 from local port P; async: server ->
client port P+1), registers for every LSA type and sends each sync request
iplbd relies on. It prints one line per request with the reply code and
exits 0 when every request was answered with OSPF_API_OK.

Usage: ospfapi_probe.py [SERVER [PORT]]
"""
import select
import socket
import struct
import sys

HEADER = struct.Struct("!BBHI")  # version, type, body length, sequence
API_VERSION = 1
MSG_REGISTER_EVENT = 3
MSG_SYNC_LSDB = 4
MSG_SYNC_REACHABLE = 7
MSG_SYNC_ISM = 8
MSG_SYNC_NSM = 9
MSG_SYNC_ROUTER_ID = 19
MSG_REPLY = 10
ALL_LSA_TYPES = 0xFFFF
ANY_ORIGIN = 2
TIMEOUT = 10.0


def lsa_filter():
    return struct.pack("!HBB", ALL_LSA_TYPES, ANY_ORIGIN, 0)


def recv_exact(sock, size):
    data = b""
    while len(data) < size:
        ready, _, _ = select.select([sock], [], [], TIMEOUT)
        if not ready:
            raise TimeoutError("no answer from ospfd within %.0f s" % TIMEOUT)
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("ospfd closed the connection")
        data += chunk
    return data


def read_message(sock):
    version, msgtype, length, seq = HEADER.unpack(recv_exact(sock, HEADER.size))
    if version != API_VERSION:
        raise ValueError("unexpected API version %d" % version)
    return msgtype, seq, recv_exact(sock, length)


def open_channels(server, port):
    """Binds local ports P and P+1 (the protocol wants them adjacent)."""
    for local in range(42000, 42200, 2):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sync = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((server, local + 1))
            listener.listen(1)
            sync.bind((server, local))
        except OSError:
            listener.close()
            sync.close()
            continue
        sync.settimeout(TIMEOUT)
        sync.connect((server, port))
        listener.settimeout(TIMEOUT)
        asynchronous, _ = listener.accept()
        listener.close()
        return sync, asynchronous
    raise OSError("no free local port pair")


def main(argv):
    server = argv[1] if len(argv) > 1 else "127.0.0.1"
    port = int(argv[2]) if len(argv) > 2 else 2607
    sync, asynchronous = open_channels(server, port)
    requests = [
        ("REGISTER_EVENT", MSG_REGISTER_EVENT, lsa_filter()),
        ("SYNC_LSDB", MSG_SYNC_LSDB, lsa_filter()),
        ("SYNC_ROUTER_ID", MSG_SYNC_ROUTER_ID, b""),
        ("SYNC_ISM", MSG_SYNC_ISM, b""),
        ("SYNC_NSM", MSG_SYNC_NSM, b""),
        ("SYNC_REACHABLE", MSG_SYNC_REACHABLE, b""),
    ]
    failures = 0
    for seq, (name, msgtype, body) in enumerate(requests, start=1):
        sync.sendall(HEADER.pack(API_VERSION, msgtype, len(body), seq) + body)
        while True:
            reply_type, reply_seq, reply = read_message(sync)
            if reply_type == MSG_REPLY and reply_seq == seq:
                break
        errcode = struct.unpack("!b", reply[:1])[0]
        print("%s %d" % (name, errcode))
        failures += errcode != 0
    sync.close()
    asynchronous.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""MPTCP traffic for the load balancer's MPTCP tests (docs/MPTCP.md), run
inside the test's namespaces. Linux's MPTCP (IPPROTO_MPTCP, 262); the extra
subflows come from the kernel's path manager (`ip mptcp endpoint ... subflow`
on the client), not from here.

  mptcptraffic.py server NAME PORT
      An MPTCP echo server on every IPv4 address, port PORT: every line
      "SEQ" gets "NAME SEQ" back, so a client knows which backend holds its
      connection. Prints {"ready": true} once listening; runs until stdin
      closes.

  mptcptraffic.py client VIP PORT SRC
      MPTCP connections to VIP:PORT from SRC (the first subflow's address),
      driven by JSON commands on stdin, one per line, each answered by one
      JSON line on stdout:
        {"cmd": "open", "count": N}   N connections; each sends a line every
                                      200-400 ms and expects its echo within
                                      ECHO_TIMEOUT seconds
        {"cmd": "status"}             every connection: its first subflow's
                                      source port, its backend, echoes,
                                      whether it broke, and its MPTCP_INFO
                                      (extra subflows, fallback to TCP, token)
        {"cmd": "probe"}              one more connection, opened on its own:
                                      how long after its handshake (and one
                                      echo: the client joins once data was
                                      acknowledged) its extra subflow was
                                      established (ms; null if not within
                                      5 s), and its backend
        {"cmd": "stop"}               status, then exit
      A connection is broken when it is reset, closed, answered out of
      order, answered by another backend than before, or silent for
      ECHO_TIMEOUT seconds.

  mptcptraffic.py join-syn VIP PORT SRC SPORT TOKEN COUNT
      COUNT MP_JOIN SYNs (RFC 8684 3.2: kind 30, length 12, subtype 1) naming
      TOKEN (8 hex digits), from SRC:SPORT to VIP:PORT, sent by a raw socket
      100 ms apart: a join no connection of this client made. Prints
      {"sent": COUNT}.

  mptcptraffic.py sniff IFNAME VIP SPORT[,SPORT...] SECONDS
      Counts, for SECONDS, the load balancer's tunnels (UDP port 6080 over
      IPv4) arriving on IFNAME that carry an inner TCP packet to VIP from
      each source port SPORT. Prints {"ready": true} once listening, then
      {"seen": {"SPORT": N, ...}}.
"""

import asyncio
import ctypes
import errno
import json
import os
import random
import socket
import struct
import sys
import time

from lbtraffic import checksum, emit, raise_fd_limit  # beside this script

IPPROTO_MPTCP = 262
SOL_MPTCP = 284
MPTCP_INFO = 1
MPTCP_TCPINFO = 2
LIBC = ctypes.CDLL(None, use_errno=True)
TCP_ESTABLISHED = 1
MPTCP_INFO_FLAG_FALLBACK = 1
ECHO_TIMEOUT = 10.0
CONNECT_TIMEOUT = 10.0


def mptcp_info(sock):
    """struct mptcp_info's first fields (include/uapi/linux/mptcp.h): the
    extra subflows established, whether the connection fell back to TCP,
    and its token (this side's)."""
    try:
        raw = sock.getsockopt(SOL_MPTCP, MPTCP_INFO, 64)
    except OSError as error:
        return {"error": str(error)}
    if len(raw) < 16:
        return {"error": "short MPTCP_INFO ({} bytes)".format(len(raw))}
    subflows = raw[0]
    flags, token = struct.unpack_from("=II", raw, 8)
    return {"subflows": subflows, "fallback": bool(flags & MPTCP_INFO_FLAG_FALLBACK),
            "token": "{:08x}".format(token)}


def subflow_states(sock):
    """Each subflow's TCP state (MPTCP_TCPINFO: struct mptcp_subflow_data,
    then the first bytes of each subflow's tcp_info, whose first is
    tcpi_state)."""
    want = 8
    # The request's header goes in: Python's getsockopt passes zeros only.
    buffer = ctypes.create_string_buffer(struct.pack("=IIII", 16, 0, 0, want) + bytes(want * 8))
    length = ctypes.c_uint32(len(buffer))
    if LIBC.getsockopt(sock.fileno(), SOL_MPTCP, MPTCP_TCPINFO, buffer,
                       ctypes.byref(length)) != 0:
        error = ctypes.get_errno()
        raise OSError(error, "MPTCP_TCPINFO: " + os.strerror(error))
    raw = buffer.raw[:length.value]
    count = struct.unpack_from("=I", raw, 4)[0]
    size = min(struct.unpack_from("=I", raw, 12)[0] or want, want)
    return [raw[16 + i * size] for i in range(min(count, (len(raw) - 16) // size))]


async def probe(vip, port, source):
    """A connection opened alone: the time from its handshake to its extra
    subflow's being established (the join's SYN, the mux, the backend's
    SYN-ACK), polled every millisecond."""
    loop = asyncio.get_running_loop()
    try:
        sock = await open_mptcp(loop, vip, port, source)
    except (OSError, asyncio.TimeoutError) as error:
        return {"joinMs": None, "error": str(error) or "timeout"}
    try:
        started = time.monotonic()
        # The client's path manager opens the join once the connection is
        # fully established: once data it sent was acknowledged.
        await loop.sock_sendall(sock, b"1\n")
        answer = await asyncio.wait_for(loop.sock_recv(sock, 100), ECHO_TIMEOUT)
        joined = None
        while time.monotonic() - started < 5.0:
            states = subflow_states(sock)
            if len(states) >= 2 and all(state == TCP_ESTABLISHED for state in states):
                joined = (time.monotonic() - started) * 1000.0
                break
            await asyncio.sleep(0.001)
        return {"joinMs": joined, "backend": answer.decode().split(" ")[0],
                "port": sock.getsockname()[1]}
    except (OSError, asyncio.TimeoutError) as error:
        return {"joinMs": None, "error": str(error) or "timeout"}
    finally:
        sock.close()


# ---- server -----------------------------------------------------------------------

async def serve(name, port):
    async def handle(reader, writer):
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                writer.write("{} {}\n".format(name, line.decode().strip()).encode())
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", port))
    sock.listen(4096)
    server = await asyncio.start_server(handle, sock=sock)
    emit({"ready": True})
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


# ---- client -----------------------------------------------------------------------

class Connection:
    def __init__(self, index):
        self.index = index
        self.backend = None
        self.echoes = 0
        self.broken = None
        self.sock = None
        self.port = None  # the first subflow's source port
        self.info = {}


async def connect(loop, sock, address):
    """A non-blocking connect: asyncio's sock_connect asks getaddrinfo with
    the socket's protocol, which does not know IPPROTO_MPTCP."""
    error = sock.connect_ex(address)
    if error not in (0, errno.EINPROGRESS):
        raise OSError(error, os.strerror(error))
    writable = loop.create_future()
    loop.add_writer(sock.fileno(), lambda: writable.done() or writable.set_result(None))
    try:
        await writable
    finally:
        loop.remove_writer(sock.fileno())
    error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if error:
        raise OSError(error, os.strerror(error))


async def open_mptcp(loop, vip, port, source):
    """An MPTCP connection from `source` to vip:port, non-blocking; closed
    again if it fails."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
    sock.setblocking(False)
    try:
        sock.bind((source, 0))
        await asyncio.wait_for(connect(loop, sock, (vip, port)), CONNECT_TIMEOUT)
    except BaseException:
        sock.close()
        raise
    return sock


async def run_connection(conn, vip, port, source, stop):
    loop = asyncio.get_running_loop()
    try:
        sock = await open_mptcp(loop, vip, port, source)
    except (OSError, asyncio.TimeoutError) as error:
        conn.broken = "connect: {}".format(error or "timeout")
        return
    conn.sock = sock
    conn.port = sock.getsockname()[1]
    reader, writer = await asyncio.open_connection(sock=sock)
    seq = 0
    try:
        while not stop.is_set():
            seq += 1
            writer.write("{}\n".format(seq).encode())
            await writer.drain()
            line = await asyncio.wait_for(reader.readline(), ECHO_TIMEOUT)
            if not line:
                conn.broken = "closed by the server"
                break
            backend, _, echoed = line.decode().strip().partition(" ")
            if echoed != str(seq):
                conn.broken = "out of order: {!r} for {}".format(line, seq)
                break
            if conn.backend is None:
                conn.backend = backend
            elif backend != conn.backend:
                conn.broken = "answered by {} after {}".format(backend, conn.backend)
                break
            conn.echoes += 1
            conn.info = mptcp_info(sock)
            try:
                await asyncio.wait_for(stop.wait(), random.uniform(0.2, 0.4))
            except asyncio.TimeoutError:
                pass
    except asyncio.TimeoutError:
        conn.broken = "no echo in {} s".format(ECHO_TIMEOUT)
    except (ConnectionError, OSError) as error:
        conn.broken = "{}".format(error)
    finally:
        conn.info = mptcp_info(sock) if not conn.info else conn.info
        writer.close()


def status(connections):
    return {"connections": [{"index": c.index, "port": c.port, "backend": c.backend,
                             "echoes": c.echoes,
                             "broken": c.broken, "mptcp": c.info} for c in connections]}


async def client(vip, port, source):
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    connections = []
    tasks = []
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        command = json.loads(line)
        if command["cmd"] == "open":
            for _ in range(command["count"]):
                conn = Connection(len(connections))
                connections.append(conn)
                tasks.append(asyncio.create_task(run_connection(conn, vip, port, source, stop)))
                await asyncio.sleep(0.005)
            emit({"opened": command["count"]})
        elif command["cmd"] == "status":
            emit(status(connections))
        elif command["cmd"] == "probe":
            emit(await probe(vip, port, source))
        elif command["cmd"] == "stop":
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            emit(status(connections))
            break


# ---- raw join SYNs and the tunnels' sniffer ----------------------------------------

def join_syn(vip, port, src, sport, token, count):
    option = struct.pack("!BBBBII", 30, 12, 0x10, 0, token, random.getrandbits(32))
    header = struct.pack("!HHIIBBHHH", sport, port, random.getrandbits(32), 0,
                         (20 + len(option)) // 4 << 4, 0x02, 64240, 0, 0) + option
    pseudo = socket.inet_aton(src) + socket.inet_aton(vip) + struct.pack(
        "!BBH", 0, socket.IPPROTO_TCP, len(header))
    header = header[:16] + struct.pack("!H", checksum(pseudo + header)) + header[18:]
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    sock.bind((src, 0))
    for _ in range(count):
        sock.sendto(header, (vip, 0))
        time.sleep(0.1)
    sock.close()
    emit({"sent": count})


def sniff(ifname, vip, sports, seconds):
    # ETH_P_ALL: taps see a frame before tc ingress, where the backend
    # program takes the tunnel apart; a socket of ETH_P_IP sees it after.
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    sock.bind((ifname, 0))
    sock.settimeout(0.2)
    target = socket.inet_aton(vip)
    emit({"ready": True})
    seen = {str(sport): 0 for sport in sports}
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            frame, address = sock.recvfrom(4096)
        except socket.timeout:
            continue
        if address[2] == socket.PACKET_OUTGOING or frame[12:14] != b"\x08\x00":
            continue
        outer = frame[14:]
        if len(outer) < 28 or outer[9] != socket.IPPROTO_UDP:
            continue
        udp = outer[(outer[0] & 0x0f) * 4:]
        if len(udp) < 8 or struct.unpack("!H", udp[2:4])[0] != 6080:
            continue
        # The inner IPv4 header follows the GUE header (variant 0) or the
        # UDP header at once (variant 1): look for it where it can start.
        for start in range(8, min(len(udp) - 24, 48), 4):
            inner = udp[start:]
            if (inner[0] == 0x45 and inner[9] == socket.IPPROTO_TCP and
                    inner[16:20] == target):
                sport = str(struct.unpack("!H", inner[20:22])[0])
                if sport in seen:
                    seen[sport] += 1
                break
    emit({"seen": seen})


def main(argv):
    raise_fd_limit()
    if len(argv) == 8 and argv[1] == "join-syn":
        join_syn(argv[2], int(argv[3]), argv[4], int(argv[5]), int(argv[6], 16),
                 int(argv[7]))
    elif len(argv) == 6 and argv[1] == "sniff":
        sniff(argv[2], argv[3], [int(p) for p in argv[4].split(",")], float(argv[5]))
    elif len(argv) == 4 and argv[1] == "server":
        asyncio.run(serve(argv[2], int(argv[3])))
    elif len(argv) == 5 and argv[1] == "client":
        asyncio.run(client(argv[2], int(argv[3]), argv[4]))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Traffic of the load balancer's netns test (test_lb_survival.py), run inside
the test's namespaces:

  lbtraffic.py server NAME ADDR PORT
      An echo server on ADDR:PORT (the VIP; "any": every address of both
      families): every line "SEQ" gets "NAME SEQ" back, so a client knows
      which backend holds its connection. Prints {"ready": true} once
      listening; runs until stdin closes.

  lbtraffic.py client VIP PORT SRC[,SRC...]
      (VIP and sources IPv4 or IPv6.) Long-lived and short connections to VIP:PORT from the given source
      addresses, driven by JSON commands on stdin, one per line, each
      answered by one JSON line on stdout:
        {"cmd": "open", "count": N}   N long-lived connections; each sends a
                                      line every 200-500 ms and expects its
                                      echo within ECHO_TIMEOUT seconds
        {"cmd": "probe", "count": N, "spread": S}
                                      N new connections, started evenly over S
                                      seconds (default 0), 3 echoes each, closed
        {"cmd": "status"}             the long-lived connections so far
        {"cmd": "stop"}               status, then exit
      A long-lived connection is broken when it is reset, closed, answered
      out of order, answered by another backend than before, or silent for
      ECHO_TIMEOUT seconds; it is then closed and reported with its backend.

  lbtraffic.py synflood VIP PORT SECONDS RATE SRC_PREFIX
      Raw TCP SYNs to VIP:PORT for SECONDS at RATE per second from random
      sources in SRC_PREFIX (an IPv4 /16) and random ports; prints
      {"sent": N}.
"""

import asyncio
import ipaddress
import json
import random
import resource
import socket
import struct
import sys
import time

ECHO_TIMEOUT = 10.0
CONNECT_TIMEOUT = 10.0


def raise_fd_limit(wanted=65536):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(wanted, soft), max(wanted, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


# ---- server ------------------------------------------------------------------

async def serve(name, addr, port):
    async def handle(reader, writer):
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                writer.write(b"%s %s" % (name.encode(), line))
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, None if addr == "any" else addr, port,
                                        backlog=4096, reuse_address=True)
    emit({"ready": True})
    loop = asyncio.get_running_loop()
    # Until the test closes our stdin (or dies).
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


# ---- client ------------------------------------------------------------------

class Connection:
    def __init__(self, ident, source):
        self.ident = ident
        self.source = source
        self.backend = None
        self.local = None
        self.error = None
        self.echoes = 0
        self.max_wait = 0.0
        self.failed_at = None


async def connect(vip, port, source):
    sock = socket.socket(socket.AF_INET6 if ":" in vip else socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    sock.bind((source, 0))
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(loop.sock_connect(sock, (vip, port)), CONNECT_TIMEOUT)
    except asyncio.TimeoutError:
        sock.close()
        raise ConnectionError("no connection in %.0f s" % CONNECT_TIMEOUT)
    except BaseException:
        sock.close()
        raise
    reader, writer = await asyncio.open_connection(sock=sock)
    return reader, writer, sock.getsockname()[:2]


async def echo(conn, reader, writer, seq):
    started = time.monotonic()
    writer.write(b"%d\n" % seq)
    await writer.drain()
    line = await asyncio.wait_for(reader.readline(), ECHO_TIMEOUT)
    if not line:
        raise ConnectionError("closed by the peer")
    words = line.decode().split()
    if len(words) != 2 or words[1] != str(seq):
        raise ConnectionError("unexpected answer %r to %d" % (line, seq))
    if conn.backend is None:
        conn.backend = words[0]
    elif words[0] != conn.backend:
        raise ConnectionError("answered by %s, was %s" % (words[0], conn.backend))
    conn.echoes += 1
    conn.max_wait = max(conn.max_wait, time.monotonic() - started)


def describe(exc):
    if isinstance(exc, asyncio.TimeoutError):
        return "no echo for %.0f s" % ECHO_TIMEOUT
    return "%s: %s" % (type(exc).__name__, exc)


class Client:
    def __init__(self, vip, port, sources):
        self.vip, self.port, self.sources = vip, port, sources
        self.long = []
        self.tasks = set()
        self.next_id = 0
        self.running = True
        # Connection attempts at once: SYNs of a thousand connections in one
        # burst would overflow the backends' accept queues for nothing.
        self.gate = asyncio.Semaphore(100)

    def source(self):
        src = self.sources[self.next_id % len(self.sources)]
        self.next_id += 1
        return src

    async def open_one(self, conn):
        async with self.gate:
            reader, writer, conn.local = await connect(self.vip, self.port, conn.source)
            await echo(conn, reader, writer, 0)
        return reader, writer

    async def long_lived(self, conn, opened):
        try:
            reader, writer = await self.open_one(conn)
        except (OSError, ConnectionError, asyncio.TimeoutError) as exc:
            conn.error = "open: " + describe(exc)
            opened.set_result(False)
            return
        opened.set_result(True)
        seq = 1
        try:
            while self.running:
                await asyncio.sleep(random.uniform(0.2, 0.5))
                if not self.running:
                    break
                await echo(conn, reader, writer, seq)
                seq += 1
        except (OSError, ConnectionError, asyncio.TimeoutError) as exc:
            conn.error = describe(exc)
            conn.failed_at = time.time()
        finally:
            writer.close()

    async def open(self, count):
        futures = []
        loop = asyncio.get_running_loop()
        for _ in range(count):
            conn = Connection(self.next_id, self.source())
            self.long.append(conn)
            opened = loop.create_future()
            task = asyncio.create_task(self.long_lived(conn, opened))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            futures.append(opened)
        results = await asyncio.gather(*futures)
        return {"opened": sum(results), "failed": len(results) - sum(results)}

    async def probe_one(self, delay):
        await asyncio.sleep(delay)
        conn = Connection(self.next_id, self.source())
        try:
            reader, writer = await self.open_one(conn)
            try:
                for seq in (1, 2):
                    await echo(conn, reader, writer, seq)
            finally:
                writer.close()
            return conn.backend, None
        except (OSError, ConnectionError, asyncio.TimeoutError) as exc:
            return None, "%s (%s)" % (describe(exc), conn.backend)

    async def probe(self, count, spread):
        results = await asyncio.gather(*(self.probe_one(spread * i / count)
                                         for i in range(count)))
        served = {}
        for backend, _ in results:
            if backend:
                served[backend] = served.get(backend, 0) + 1
        errors = [error for _, error in results if error]
        return {"served": sum(served.values()), "failed": len(errors),
                "backends": served, "errors": errors[:10]}

    def status(self):
        alive = [c for c in self.long if c.error is None and c.backend is not None]
        backends = {}
        for c in alive:
            backends[c.backend] = backends.get(c.backend, 0) + 1
        broken = [{"id": c.ident, "local": "%s:%d" % c.local if c.local else None,
                   "backend": c.backend, "error": c.error,
                   "at": c.failed_at}
                  for c in self.long if c.error is not None]
        return {"connections": len(self.long), "alive": len(alive), "backends": backends,
                "broken": broken, "echoes": sum(c.echoes for c in self.long),
                "max_wait": round(max((c.max_wait for c in self.long), default=0.0), 3)}

    async def run(self):
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        emit({"ready": True})
        while True:
            line = await reader.readline()
            if not line:
                break
            cmd = json.loads(line)
            if cmd["cmd"] == "open":
                emit(await self.open(cmd["count"]))
            elif cmd["cmd"] == "probe":
                emit(await self.probe(cmd["count"], cmd.get("spread", 0)))
            elif cmd["cmd"] == "status":
                emit(self.status())
            elif cmd["cmd"] == "stop":
                emit(self.status())
                break
        self.running = False
        for task in list(self.tasks):
            task.cancel()


# ---- SYN flood ---------------------------------------------------------------

def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def syn(src, dst, sport, dport, seq):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02, 64240, 0, 0)
    pseudo = struct.pack("!4s4sBBH", src, dst, 0, socket.IPPROTO_TCP, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), random.getrandbits(16), 0x4000,
                     64, socket.IPPROTO_TCP, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return ip + tcp


def synflood(vip, port, seconds, rate, prefix):
    net = ipaddress.ip_network(prefix)
    base = int(net.network_address)
    hosts = net.num_addresses - 2
    dst = socket.inet_aton(vip)
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    sent = 0
    start = time.monotonic()
    end = start + seconds
    while True:
        now = time.monotonic()
        if now >= end:
            break
        # Paced by the clock: as many as the rate allows by now, in bursts.
        due = int((now - start) * rate)
        while sent < due:
            src = struct.pack("!I", base + 1 + random.randrange(hosts))
            packet = syn(src, dst, random.randrange(1024, 65536), port,
                         random.getrandbits(32))
            try:
                sock.sendto(packet, (vip, 0))
            except OSError:
                pass  # a full queue: the flood goes on
            sent += 1
        time.sleep(0.002)
    emit({"sent": sent, "seconds": round(time.monotonic() - start, 2)})


def main():
    raise_fd_limit()
    what = sys.argv[1]
    if what == "server":
        asyncio.run(serve(sys.argv[2], sys.argv[3], int(sys.argv[4])))
    elif what == "client":
        asyncio.run(Client(sys.argv[2], int(sys.argv[3]), sys.argv[4].split(",")).run())
    elif what == "synflood":
        synflood(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]),
                 sys.argv[6])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The demo's web traffic through the load balancer's VIP.

  web.py serve NAME PORT
      An HTTP server on every IPv4 address, port PORT (the VIP on lo and the
      DIP the health check connects to): every GET gets "NAME\\n" back, so the
      client knows which backend answered. An MPTCP socket where the kernel
      has MPTCP (plain TCP clients are served by it too); HTTP/1.1, so one
      connection carries several requests.

  web.py get ADDRESS PORT COUNT
      COUNT GET requests to ADDRESS:PORT, each on a new connection, a few at
      a time; prints {"backends": {NAME: requests}, "failed": N,
      "errors": [...]} as JSON.

  web.py mptcp-get ADDRESS PORT COUNT
      COUNT MPTCP connections to ADDRESS:PORT, all open at once; on each a
      GET, then a wait (at most JOIN_WAIT s) until the kernel's path manager
      joined its extra subflow (the client's `subflow` endpoints), then a
      second GET that must be answered by the same backend. Prints
      {"backends": {NAME: {"connections": N, "subflows": N}}, "fallback": N,
      "failed": N, "errors": [...]} as JSON: the extra subflows established
      (TCP state) on each backend's connections, at the second GET (a join
      that reached another backend fails its HMAC check and is reset: it
      is never established).
"""

import concurrent.futures
import ctypes
import http.client
import http.server
import json
import socket
import struct
import sys
import time

TIMEOUT = 5.0
PARALLEL = 8
JOIN_WAIT = 3.0
IPPROTO_MPTCP = 262
SOL_MPTCP = 284
MPTCP_INFO = 1
MPTCP_TCPINFO = 2
MPTCP_INFO_FLAG_FALLBACK = 1
TCP_ESTABLISHED = 1
LIBC = ctypes.CDLL(None, use_errno=True)


def mptcp_socket():
    """An MPTCP socket, else (no MPTCP in the kernel) a TCP one."""
    try:
        return socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
    except OSError:
        return socket.socket(socket.AF_INET, socket.SOCK_STREAM)


def fell_back(sock):
    """Whether the connection fell back to plain TCP (struct mptcp_info,
    include/uapi/linux/mptcp.h: six u8, then u32 flags)."""
    try:
        raw = sock.getsockopt(SOL_MPTCP, MPTCP_INFO, 64)
    except OSError:
        return True  # no MPTCP socket at all
    return len(raw) < 12 or bool(struct.unpack_from("=I", raw, 8)[0] & MPTCP_INFO_FLAG_FALLBACK)


def established_subflows(sock):
    """The connection's subflows in TCP state ESTABLISHED (MPTCP_TCPINFO:
    struct mptcp_subflow_data, then each subflow's tcp_info, whose first
    byte is tcpi_state). MPTCP_INFO's subflow count will not do: the client
    counts a join once it sent its SYN. The request's header must go in,
    which Python's getsockopt cannot pass: through libc."""
    want = 8
    buffer = ctypes.create_string_buffer(struct.pack("=IIII", 16, 0, 0, want) + bytes(want * 8))
    length = ctypes.c_uint32(len(buffer))
    if LIBC.getsockopt(sock.fileno(), SOL_MPTCP, MPTCP_TCPINFO, buffer,
                       ctypes.byref(length)) != 0:
        return 0
    raw = buffer.raw[:length.value]
    count = struct.unpack_from("=I", raw, 4)[0]
    size = min(struct.unpack_from("=I", raw, 12)[0] or want, want)
    states = [raw[16 + i * size] for i in range(min(count, (len(raw) - 16) // size))]
    return sum(1 for state in states if state == TCP_ESTABLISHED)


def serve(name, port):
    body = (name + "\n").encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: several GETs per connection

        def do_GET(self):  # noqa: N802 (the standard library's name)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        allow_reuse_address = True
        daemon_threads = True

        def __init__(self):
            super().__init__(("", port), Handler, bind_and_activate=False)
            self.socket.close()
            self.socket = mptcp_socket()
            self.server_bind()
            self.server_activate()

    Server().serve_forever()


def get_one(address, port):
    connection = http.client.HTTPConnection(address, port, timeout=TIMEOUT)
    try:
        connection.request("GET", "/", headers={"Connection": "close"})
        response = connection.getresponse()
        if response.status != 200:
            raise OSError("HTTP %d" % response.status)
        return response.read().decode().strip()
    finally:
        connection.close()


def get(address, port, count):
    backends, errors = {}, []
    with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
        futures = [pool.submit(get_one, address, port) for _ in range(count)]
        for future in futures:
            try:
                name = future.result()
                backends[name] = backends.get(name, 0) + 1
            except (OSError, http.client.HTTPException) as error:
                errors.append("%s: %s" % (type(error).__name__, error))
    print(json.dumps({"backends": dict(sorted(backends.items())), "failed": len(errors),
                      "errors": errors[:10]}))


def mptcp_get_one(address, port):
    """(backend, extra subflows, fell back) of one MPTCP connection that
    carried two GETs, its extra subflow given time to join in between."""
    sock = mptcp_socket()
    sock.settimeout(TIMEOUT)
    connection = http.client.HTTPConnection(address, port, timeout=TIMEOUT)
    try:
        sock.connect((address, port))
        connection.sock = sock
        names = []
        for request in range(2):
            connection.request("GET", "/")
            response = connection.getresponse()
            if response.status != 200:
                raise OSError("HTTP %d" % response.status)
            names.append(response.read().decode().strip())
            deadline = time.monotonic() + JOIN_WAIT
            while request == 0 and established_subflows(sock) < 2 and \
                    time.monotonic() < deadline:
                time.sleep(0.01)
        if names[0] != names[1]:
            raise OSError("answered by %s, then by %s" % tuple(names))
        return names[0], max(established_subflows(sock) - 1, 0), fell_back(sock)
    finally:
        connection.close()


def mptcp_get(address, port, count):
    backends, errors, fallback = {}, [], 0
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        futures = [pool.submit(mptcp_get_one, address, port) for _ in range(count)]
        for future in futures:
            try:
                name, subflows, fell_back = future.result()
                entry = backends.setdefault(name, {"connections": 0, "subflows": 0})
                entry["connections"] += 1
                entry["subflows"] += subflows
                fallback += fell_back
            except (OSError, http.client.HTTPException) as error:
                errors.append("%s: %s" % (type(error).__name__, error))
    print(json.dumps({"backends": dict(sorted(backends.items())), "fallback": fallback,
                      "failed": len(errors), "errors": errors[:10]}))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 5 and sys.argv[1] == "get":
        get(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif len(sys.argv) == 5 and sys.argv[1] == "mptcp-get":
        mptcp_get(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()

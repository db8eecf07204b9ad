#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The demo's web traffic through the load balancer's VIP.

  web.py serve NAME PORT
      An HTTP server on every IPv4 address, port PORT (the VIP on lo and the
      DIP the health check connects to): every GET gets "NAME\\n" back, so the
      client knows which backend answered.

  web.py get ADDRESS PORT COUNT
      COUNT GET requests to ADDRESS:PORT, each on a new connection, a few at
      a time; prints {"backends": {NAME: requests}, "failed": N,
      "errors": [...]} as JSON.
"""

import concurrent.futures
import http.client
import http.server
import json
import sys

TIMEOUT = 5.0
PARALLEL = 8


def serve(name, port):
    body = (name + "\n").encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    http.server.ThreadingHTTPServer.allow_reuse_address = True
    http.server.ThreadingHTTPServer(("", port), Handler).serve_forever()


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


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 5 and sys.argv[1] == "get":
        get(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()

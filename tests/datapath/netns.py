#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Network namespaces for the datapath tests: named with a per-process tag
(tests running at once do not meet), commands in them bounded in time, and
traffic between them through traffic.py."""

import json
import os
import subprocess
import time

TRAFFIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "traffic.py")
PY = "/usr/bin/python3"


class Namespaces:
    def __init__(self, prefix):
        self.tag = "%s%d" % (prefix, os.getpid() % 100000)

    def ns(self, node):
        return "%s-%s" % (self.tag, node)

    def sh(self, *args, node=None, check=True, timeout=30):
        """Runs a command, in node's namespace if given; fails the test on a
        non-zero exit unless check is False."""
        cmd = (["ip", "netns", "exec", self.ns(node)] if node else []) + [str(a) for a in args]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError("%s: %s%s" % (" ".join(cmd), result.stdout, result.stderr))
        return result

    def wait_links_up(self, nodes, seconds=10):
        """Waits until every veth and bridge of nodes is up with carrier
        (operstate UP). They get it asynchronously, up to a second after `ip
        link set up`; until then IPv6 sends no neighbour solicitation (the
        first packets fail with "No route to host") and a bridge forwards
        nothing."""
        deadline = time.monotonic() + seconds
        for node in nodes:
            while True:
                links = [link for link in json.loads(self.sh("ip", "-j", "-d", "link", "show",
                                                             node=node).stdout)
                         if link.get("linkinfo", {}).get("info_kind") in ("veth", "bridge")]
                if all(link.get("operstate") == "UP" for link in links):
                    break
                assert time.monotonic() < deadline, "%s: veths without carrier" % node
                time.sleep(0.05)

    def udp_round(self, dst, first_port, count, seconds=3, sender="a", receiver="b",
                  port=5001):
        """Sends one datagram from each of count source ports from sender to
        dst (in receiver); returns what arrived, by source port, waiting at
        most seconds for the last."""
        sink = subprocess.Popen(["ip", "netns", "exec", self.ns(receiver), PY, TRAFFIC,
                                 "udp-sink", str(port), str(seconds), str(count)],
                                stdout=subprocess.PIPE, text=True)
        try:
            assert json.loads(sink.stdout.readline()) == {"ready": True}
            self.sh(PY, TRAFFIC, "udp-send", dst, port, first_port, count, node=sender)
            out, _ = sink.communicate(timeout=seconds + 10)
        finally:
            sink.kill()
        return {int(k): v for k, v in json.loads(out.strip().splitlines()[-1]).items()}

    def tcp_round(self, dst, port, size, connections, sender="a", receiver="b"):
        """connections TCP connections one after the other, size bytes each,
        from sender to dst (in receiver); returns (what was sent, what
        arrived): byte counts and SHA-256 per connection."""
        sink = subprocess.Popen(["ip", "netns", "exec", self.ns(receiver), PY, TRAFFIC,
                                 "tcp-sink", str(port), str(connections), "30"],
                                stdout=subprocess.PIPE, text=True)
        try:
            assert json.loads(sink.stdout.readline()) == {"ready": True}
            sent = json.loads(self.sh(PY, TRAFFIC, "tcp-send", dst, port, size, connections,
                                      node=sender, timeout=60).stdout)
            out, _ = sink.communicate(timeout=40)
        finally:
            sink.kill()
        return sent, json.loads(out.strip().splitlines()[-1])

    def udp_stream_while(self, dst, change, count, sender="a", receiver="b", port=5005,
                         sport=25000):
        """Streams count datagrams of one flow from sender to dst (in
        receiver), 2 ms apart, calling change(i) over and over meanwhile (at
        least once). Returns how many times, and what arrived by source port
        (as JSON gives it: {"25000": n})."""
        sink = subprocess.Popen(["ip", "netns", "exec", self.ns(receiver), PY, TRAFFIC,
                                 "udp-sink", str(port), "15", str(count)],
                                stdout=subprocess.PIPE, text=True)
        try:
            assert json.loads(sink.stdout.readline()) == {"ready": True}
            stream = subprocess.Popen(["ip", "netns", "exec", self.ns(sender), PY, TRAFFIC,
                                       "udp-stream", dst, str(port), str(sport), str(count),
                                       "0.002"], stdout=subprocess.PIPE, text=True)
            try:
                changes = 0
                while stream.poll() is None or changes == 0:
                    change(changes)
                    changes += 1
                stream.communicate(timeout=30)
            finally:
                stream.kill()
            out, _ = sink.communicate(timeout=20)
        finally:
            sink.kill()
        return changes, json.loads(out.strip().splitlines()[-1])


def srv6_missing(iplbctl):
    """Why this kernel cannot carry SRv6 (no seg6 lightweight tunnels, an
    optional kernel feature), or None: `iplbctl srv6 probe` in a namespace
    made for it and removed at once."""
    probe = Namespaces("iplbp")
    name = probe.ns("probe")
    subprocess.run(["ip", "netns", "add", name], check=True, timeout=10)
    try:
        # IPv6 takes no route through a device that is down.
        subprocess.run(["ip", "-n", name, "link", "set", "dev", "lo", "up"], check=True,
                       timeout=10)
        result = subprocess.run([iplbctl, "-N", name, "-j", "srv6", "probe"],
                                capture_output=True, text=True, timeout=30)
    finally:
        subprocess.run(["ip", "netns", "del", name], timeout=10)
    if result.returncode == 0:
        return None
    try:
        return json.loads(result.stdout)["reason"]
    except (ValueError, KeyError):
        raise AssertionError("iplbctl srv6 probe failed: %s%s" % (result.stdout,
                                                                  result.stderr))

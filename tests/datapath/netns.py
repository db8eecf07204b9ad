#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Network namespaces for the datapath tests: named with a per-process tag
(tests running at once do not meet), commands in them bounded in time, and
traffic between them through traffic.py."""

import json
import os
import subprocess

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

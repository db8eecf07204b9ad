#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The two commands of the README, for a fresh Debian 12 machine, as root:
#
#   ./quickstart.sh demo          install what is missing, build, install, and
#                                 run the lab (Ctrl-C stops and removes it)
#   ./quickstart.sh demo --down   stop and remove a running lab
#   ./quickstart.sh check         install what is missing, build, install, and
#                                 run every test suite (unit tests, topotests)

set -euo pipefail
cd "$(dirname "$0")"
TOP=$(pwd)

# Everything the build, the tests and the lab use, beyond Debian's base.
PACKAGES=(
	# the project's build
	build-essential autoconf automake libtool pkg-config patch git
	libgtest-dev libboost-dev nlohmann-json3-dev clang libclang-rt-14-dev
	# the eBPF datapath (programs built with clang, skeletons by bpftool)
	libbpf-dev bpftool
	# the SRv6 backend (rtnetlink through libnl-3); MPTCP's events (genetlink)
	libnl-3-dev libnl-route-3-dev libnl-genl-3-dev
	# the load balancer's control plane: etcd (server and etcdctl) and the
	# client's HTTP library (etcd's JSON gateway)
	etcd-server etcd-client libcurl4-openssl-dev
	# MPTCP tokens shared between machines: Redis and its C client
	redis-server libhiredis-dev
	# FRR 8.4.4 from Debian's source package (its build dependencies for
	# zebra, ospfd, bgpd, staticd, watchfrr, vtysh)
	dpkg-dev bison flex gawk install-info libc-ares-dev libcap-dev
	libelf-dev libjson-c-dev libpam0g-dev libpcre2-dev libpython3-dev
	libreadline-dev libyang2-dev python3 python3-dev lsb-base
	# topotests, the lab, and the benchmarks' baselines
	python3-pytest gdb iproute2 procps psmisc python3-networkx python3-igraph
	# the demo's picture; iperf3 for the datapath benchmarks, ethtool for the
	# load balancer's (veth offloads and GRO)
	graphviz iperf3 ethtool
)

step() { printf '\n==> %s\n' "$*"; }
die() {
	printf 'quickstart: %s\n' "$*" >&2
	exit 1
}

usage() {
	cat <<'EOF'
Usage: ./quickstart.sh demo [--down | --no-wait]
       ./quickstart.sh check

  demo            install missing packages, build, install (/usr/local), bring up
                  the lab in network namespaces (a k=4 fat-tree: 20 switches,
                  16 hosts, FRR on each, iplbd on hosts, two LB nodes and an
                  upstream BGP router), send the same traffic routed by shortest
                  path, ECMP and iplb, print the table, send HTTP requests and
                  two-interface MPTCP connections to the VIP (per backend: requests,
                  join subflows), draw the picture (/var/tmp/iplb-demo/), and keep
                  the lab until Ctrl-C
  demo --no-wait  same, but leave the lab running and return
  demo --down     stop and remove the lab
  check           install missing packages, build, install, run every test suite:
                  unit tests (GoogleTest), iplbctl and simulator tests, the fuzz
                  regression, eBPF packet fixtures and namespace traffic, the
                  etcd client against a 3-member etcd cluster, the
                  load balancer under real traffic, the demo lab end to end, and
                  the topotests (FRR's topotest library)
EOF
}

# apt-get source needs a deb-src entry; derive it from the deb entries.
ensure_deb_src() {
	if grep -rqs -e '^deb-src ' -e '^Types:.*deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		return 1
	fi
	step "Adding deb-src entries (apt-get source frr needs them)"
	if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
		sed -n 's/^Types: deb$/Types: deb-src/; p' /etc/apt/sources.list.d/debian.sources \
			>/etc/apt/sources.list.d/iplb-deb-src.sources
	elif [[ -f /etc/apt/sources.list ]]; then
		sed -n 's/^deb /deb-src /p' /etc/apt/sources.list >/etc/apt/sources.list.d/iplb-deb-src.list
	else
		die "no apt sources found to derive a deb-src entry from"
	fi
	return 0
}

install_packages() {
	local missing=() pkg need_update=0
	for pkg in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$pkg")
	done
	ensure_deb_src && need_update=1
	if ((${#missing[@]} == 0 && need_update == 0)); then
		step "All ${#PACKAGES[@]} required packages are installed"
		return
	fi
	step "Installing ${#missing[@]} missing packages: ${missing[*]:-none}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	((${#missing[@]} == 0)) || apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# The FRR daemons run as frr (group frr); vtysh users are in frrvty.
ensure_frr_user() {
	getent group frr >/dev/null || groupadd --system frr
	getent group frrvty >/dev/null || groupadd --system frrvty
	if ! getent passwd frr >/dev/null; then
		step "Creating the system user frr"
		useradd --system --gid frr --groups frrvty --home-dir /nonexistent \
			--no-create-home --shell /usr/sbin/nologin --comment "FRRouting" frr
	fi
	id -nG frr | grep -qw frrvty || usermod -a -G frrvty frr
}

build() {
	local jobs
	jobs=$(nproc)
	if [[ ! -x configure ]]; then
		step "Generating ./configure"
		./bootstrap.sh >/dev/null
	fi
	if [[ ! -f Makefile ]]; then
		step "Configuring"
		./configure --quiet
	fi
	step "Building the iplb core and FRR 8.4.4 with iplbd (first time: a few minutes)"
	make -j"$jobs"
	step "Installing FRR and iplbd into /usr/local"
	make install >/dev/null
}

run_check() {
	local rc=0
	step "Unit tests (GoogleTest) and iplbctl tests (pytest)"
	make -j"$(nproc)" check || rc=1
	grep -h -E '^\[(==========|  PASSED  |  FAILED  )\]' tests/unit/*.log || true
	grep -h -E '^[0-9]+ (passed|failed)' tests/cli/*.log || true
	step "eBPF datapath: packet fixtures (BPF_PROG_TEST_RUN), traffic between namespaces"
	make check-bpf BPF_TESTS_ARGS="--gtest_brief=1" DATAPATH_TESTS_ARGS="-v" || rc=1
	step "etcd client against a 3-member etcd cluster, and the MPTCP token store against redis-server and a 3-master Redis Cluster"
	make check-etcd || rc=1
	step "Load balancer: 1,000 TCP connections through XDP muxes and TCX backends while the pool and ECMP change"
	make check-lb LB_TESTS_ARGS="-v" || rc=1
	step "The demo lab end to end (tools/iplb-demo up, run, down)"
	make check-demo DEMO_TESTS_ARGS="-v" || rc=1
	step "Topotests (pytest on FRR's topotest library, in network namespaces)"
	make check-topotests TOPOTESTS_ARGS="-v --log-cli-level=ERROR -p no:cacheprovider" || rc=1
	((rc == 0)) && step "check: all suites passed" || step "check: FAILED"
	return $rc
}

run_demo() {
	local mode=$1
	local sleeper=
	# Ctrl-C at any point (bringing up, traffic, or waiting) removes the lab.
	trap 'echo; kill $sleeper 2>/dev/null || true; tools/iplb-demo down; exit 0' INT TERM HUP
	step "Bringing up the lab (network namespaces, FRR, iplbd; under a minute)"
	tools/iplb-demo up || die "the lab did not come up (remove what is left: ./quickstart.sh demo --down)"
	step "Traffic routed three ways: shortest path, ECMP, iplb (about 2 minutes)"
	tools/iplb-demo run || printf 'quickstart: some runs failed (see above); the lab stays up\n' >&2
	[[ $mode == no-wait ]] && { trap - INT TERM HUP; return; }
	printf '\nThe lab is up: try vtysh -N dc-h0 (show iplb status, show iplb table).\n'
	printf 'Press Ctrl-C to stop and remove it (or run ./quickstart.sh demo --down).\n'
	# wait returns as soon as a signal arrives, so the trap runs at once.
	while :; do
		sleep 3600 &
		sleeper=$!
		wait "$sleeper" || true
	done
}

main() {
	local cmd=${1:-} opt=${2:-}
	case "$cmd" in
	demo | check) ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	[[ $EUID -eq 0 ]] || die "run as root (it installs packages, creates namespaces and starts FRR)"

	if [[ $cmd == demo && $opt == --down ]]; then
		tools/iplb-demo down
		return
	fi
	case "$opt" in
	"" | --no-wait) ;;
	*) usage >&2; exit 2 ;;
	esac

	install_packages
	ensure_frr_user
	build
	if [[ $cmd == check ]]; then
		run_check
	else
		run_demo "${opt#--}"
	fi
}

main "$@"

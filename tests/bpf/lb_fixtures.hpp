// SPDX-License-Identifier: GPL-2.0-or-later
// What the load balancer's packet tests (mux_test.cpp, backend_test.cpp)
// share: the programs loaded from their skeletons and owned, per-CPU counters
// summed, a network namespace of a test's own (interfaces, routes and
// neighbours for the FIB lookups, sockets for the backend's lookups), and
// BPF_PROG_TEST_RUN with the context that names the interface a frame
// arrived on.
#pragma once

#include "datapath/bpf_detail.hpp"
#include "datapath/bpf_programs.hpp"
#include "util/ipv6.hpp"
#include "util/unique_fd.hpp"

#include "iplb_lb_layout.h"

#include "packets.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace iplb::test {

// The network of the mux's packet tests (mux_test.cpp, mux_mptcp_test.cpp):
// the mux's own addresses (outer sources), a client, a VIP and DIPs of both
// families, a router that sends ICMP errors.
namespace mux_net {
inline const uint32_t mux_source = addr("10.0.0.1");
inline const Addr6 mux_source6 = addr6("fc00::1");
inline const uint32_t client = addr("198.51.100.7");
inline const Addr6 client6 = addr6("2001:db8:c::7");
inline const uint32_t vip = addr("192.0.2.10");
inline const Addr6 vip6 = addr6("2001:db8::10");
inline const uint32_t router = addr("203.0.113.1");
inline const Addr6 router6 = addr6("2001:db8:ff::1");

// DIP n (1-based: entry 0 of the table is "none").
inline uint32_t dip(uint16_t n)
{
	return addr("10.1.0.0") + n;
}
inline Addr6 dip6(uint16_t n)
{
	Addr6 a = addr6("fc00:1::");
	a[14] = static_cast<uint8_t>(n >> 8);
	a[15] = static_cast<uint8_t>(n);
	return a;
}
} // namespace mux_net

// A loaded skeleton (iplb_mux, iplb_backend), destroyed with its maps.
template <typename Skeleton>
struct SkeletonDeleter {
	void operator()(Skeleton *s) const { Skeleton::destroy(s); }
};
template <typename Skeleton>
using SkeletonPtr = std::unique_ptr<Skeleton, SkeletonDeleter<Skeleton>>;

// Opens and loads; on failure, the verifier's last lines in `error`.
template <typename Skeleton>
SkeletonPtr<Skeleton> load_skeleton(std::string &error)
{
	SkeletonPtr<Skeleton> skeleton(Skeleton::open());
	if (!skeleton) {
		error = std::string("cannot open the skeleton: ") + std::strerror(errno);
		return nullptr;
	}
	if (int rc = Skeleton::load(skeleton.get()); rc != 0) {
		error = std::string("cannot load the program (root?): ") + std::strerror(-rc);
		return nullptr;
	}
	return skeleton;
}

// A per-CPU array's element, summed over CPUs by the loader's own sum; a read
// that fails fails the test (and reads as zeros).
template <typename Counters>
Counters sum_per_cpu(int map_fd, uint32_t index)
{
	auto total = bpf_detail::sum_per_cpu<Counters>(map_fd, index);
	if (!total) {
		ADD_FAILURE() << total.error().message;
		Counters none;
		std::memset(&none, 0, sizeof(none));
		return none;
	}
	return *total;
}

// An address as the maps hold it: 4 words in network order, IPv4 in [0].
std::array<uint32_t, 4> address_words(const IpAddress &address);
union iplb_addr lb_addr(const IpAddress &address);
iplb_vip_key vip_key(const IpAddress &address, uint8_t protocol, uint16_t port);

// The calling thread (the test's) in a network namespace of its own until
// destroyed; the namespace, its interfaces and sockets go with it. Commands
// run with std::system inherit it. Needs root.
class PrivateNetns {
public:
	PrivateNetns();
	~PrivateNetns();
	PrivateNetns(const PrivateNetns &) = delete;
	PrivateNetns &operator=(const PrivateNetns &) = delete;

	bool entered() const { return entered_; }

private:
	UniqueFd home_;
	bool entered_ = false;
};

// Runs shell commands (iproute2, sysctl) in the current namespace; the first
// that fails is returned with its exit status, empty if all succeeded.
std::string run_commands(const std::vector<std::string> &commands);

// BPF_PROG_TEST_RUN of an XDP program as if the frame arrived on ifindex
// (xdp_md.ingress_ifindex, receive queue 0); of a tc program with
// __sk_buff.ifindex (and ingress_ifindex) set. 0: no context, the loopback.
Result<TestRun, Error> run_xdp(int prog_fd, std::span<const uint8_t> frame, uint32_t ifindex);
Result<TestRun, Error> run_tc(int prog_fd, std::span<const uint8_t> frame, uint32_t ifindex);

// CLOCK_REALTIME and CLOCK_BOOTTIME now, in ns.
int64_t realtime_ns();
int64_t boottime_ns();

} // namespace iplb::test

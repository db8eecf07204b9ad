// SPDX-License-Identifier: GPL-2.0-or-later
// The eBPF programs of kernel/, loaded through their libbpf skeletons, and
// their maps: the host's encapsulation table and the relay's decapsulation
// addresses. Owning a program keeps it (and its maps) loaded; attaching it
// to an interface is the caller's business.
#pragma once

#include "topology/prefix.hpp"
#include "util/ipv4.hpp"
#include "util/result.hpp"
#include "util/status.hpp"

#include "iplb_datapath.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

struct iplb_host;
struct iplb_relay;

namespace iplb {

class HostProgram {
public:
	static Result<HostProgram, Error> load();

	int prog_fd() const;

	// source: the outer source address (none: the packet's own);
	// fib_redirect: send encapsulated packets out by the FIB towards the
	// first relay rather than where the inner destination was routed.
	Status set_config(std::optional<Ipv4> source, bool fib_redirect);
	// One map update: a lookup sees the old record or the new one, whole.
	Status put_route(const Ipv4Prefix &prefix, const iplb_route &record);
	Status delete_route(const Ipv4Prefix &prefix);
	Result<std::optional<iplb_route>, Error> route(const Ipv4Prefix &prefix) const;

	// Summed over CPUs.
	Result<iplb_counters, Error> route_counters(uint32_t id) const;
	Result<iplb_list_counters, Error> list_counters(uint32_t id, uint32_t list) const;

private:
	struct Close {
		void operator()(iplb_host *skeleton) const;
	};
	explicit HostProgram(std::unique_ptr<iplb_host, Close> skeleton)
	    : skeleton_(std::move(skeleton))
	{
	}
	std::unique_ptr<iplb_host, Close> skeleton_;
};

class RelayProgram {
public:
	static Result<RelayProgram, Error> load();

	int prog_fd() const;
	Status add_local(Ipv4 address);
	Status remove_local(Ipv4 address);
	Result<iplb_relay_counters, Error> counters() const; // summed over CPUs

private:
	struct Close {
		void operator()(iplb_relay *skeleton) const;
	};
	explicit RelayProgram(std::unique_ptr<iplb_relay, Close> skeleton)
	    : skeleton_(std::move(skeleton))
	{
	}
	std::unique_ptr<iplb_relay, Close> skeleton_;
};

// BPF_PROG_TEST_RUN of a tc program over one Ethernet frame: its verdict and
// the frame as the program left it.
struct TestRun {
	int verdict = 0;
	std::vector<uint8_t> frame;
};
Result<TestRun, Error> test_run(int prog_fd, std::span<const uint8_t> frame);

} // namespace iplb

// SPDX-License-Identifier: GPL-2.0-or-later
// A subscription to the kernel's MPTCP path-manager events in the caller's
// network namespace: a generic netlink socket (libnl-genl-3 resolves the
// family and its multicast group) that the daemon's loop polls. Joining
// the group needs CAP_NET_ADMIN on kernels that mark it so (6.8 and later).
#pragma once

#include "mptcp/mptcp_event.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct nl_sock;

namespace iplb::mptcp {

// What one receive() read.
struct EventBatch {
	std::vector<Event> events;
	// Messages refused by the decoder (counted and skipped), with the
	// first reason.
	uint64_t malformed = 0;
	std::string first_error;
	// The socket overflowed (ENOBUFS): events were lost, so whatever is
	// kept from them must be read again from the kernel's state.
	bool lost = false;
};

class EventSource {
public:
	// Resolves mptcp_pm and joins mptcp_pm_events. Fails with the reason
	// when the kernel has no MPTCP (no such family) or the group cannot be
	// joined.
	static Result<EventSource, Error> open();

	EventSource(EventSource &&) noexcept = default;
	EventSource &operator=(EventSource &&) noexcept = default;
	~EventSource();

	int fd() const;
	uint16_t family_id() const { return family_id_; }
	// Everything queued now, without blocking.
	Result<EventBatch, Error> receive();

private:
	struct Close {
		void operator()(nl_sock *sock) const;
	};
	EventSource(std::unique_ptr<nl_sock, Close> sock, uint16_t family_id)
	    : sock_(std::move(sock)), family_id_(family_id)
	{
	}

	std::unique_ptr<nl_sock, Close> sock_;
	uint16_t family_id_ = 0;
	std::vector<uint8_t> buffer_ = std::vector<uint8_t>(64 * 1024);
};

} // namespace iplb::mptcp

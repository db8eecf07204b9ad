// SPDX-License-Identifier: GPL-2.0-or-later
// The eBPF host datapath as the daemon runs it: opened on its pin directory
// (re-adopting the maps and links a previous iplbd left, so a restart keeps
// the table and never detaches), its settings written, attached to the
// configured interfaces and detached from the others, and its table offered
// to the pipeline. Closing leaves everything pinned: the kernel goes on
// forwarding with the last table while no daemon runs (a restart); releasing
// detaches it (the datapath is no longer configured).
#pragma once

#include "datapath/bpf_programs.hpp"
#include "datapath/bpf_route_table.hpp"

#include <optional>
#include <set>
#include <string>

namespace iplb {

struct HostDatapathConfig {
	std::string pin_root{default_pin_root};
	std::string instance{default_instance};
	std::set<std::string> interfaces;
	HostConfig settings;

	friend bool operator==(const HostDatapathConfig &, const HostDatapathConfig &) = default;
};

class HostDatapath {
public:
	// Brings the datapath to `config`. Goes as far as it can: an interface
	// that cannot be attached is reported and the others are still done.
	Status apply(const HostDatapathConfig &config);
	// Lets go of the programs; pins, links and table stay (a daemon that
	// exits: the kernel goes on forwarding).
	void close();
	// Detaches the program from every interface it is attached to, then
	// closes: a datapath no longer configured must not go on with a table
	// nobody updates. The table stays pinned (iplbctl purge removes it).
	void release();
	// Reads back which configured interfaces still exist and still hold
	// our link (an interface can go, an operator can detach): what
	// healthy() says afterwards.
	void verify();

	bool open() const { return program_.has_value(); }
	// Open and attached to every configured interface.
	bool healthy() const;
	const std::set<std::string> &attached() const { return attached_; }
	const std::optional<HostDatapathConfig> &config() const { return config_; }
	const std::string &last_error() const { return last_error_; }
	uint64_t errors() const { return errors_; }
	// The table, while open.
	RouteTable *table() { return table_ ? &*table_ : nullptr; }

private:
	Status fail(Error error);
	void detach_from(const std::string &ifname);

	std::optional<HostDatapathConfig> config_;
	std::optional<PinDir> pins_;
	std::optional<HostProgram> program_;
	std::optional<BpfRouteTable> table_;
	std::set<std::string> attached_;
	std::string last_error_;
	uint64_t errors_ = 0;
};

} // namespace iplb

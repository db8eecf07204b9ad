// SPDX-License-Identifier: GPL-2.0-or-later
// The eBPF host datapath as the daemon runs it: opened on its pin directory
// (re-adopting the maps and links a previous iplbd left, so a restart keeps
// the table and never detaches), its settings written, attached to the
// configured interfaces and detached from the others, and its table offered
// to the pipeline. Closing leaves everything pinned: the kernel goes on
// forwarding with the last table while no daemon runs (a restart); releasing
// detaches it (the datapath is no longer configured).
//
// What it reports is what the kernel does: reconcile() reads the kernel's
// own state (the programs each interface's TCX hooks run, the pins and the
// maps they name, the settings) rather than the pins alone, repairs what
// differs from the configuration, and reports as problems what it cannot.
//
// The orphan rule: the instances this daemon opened are recorded
// (OwnedInstances). An instance the configuration no longer names is
// released (detached, its table left pinned) — at once when the
// configuration changes (another instance: the new one is attached first),
// and, after a restart, once the startup configuration has been loaded
// (release_orphans()).
#pragma once

#include "datapath/bpf_programs.hpp"
#include "datapath/bpf_route_table.hpp"
#include "datapath/owned_instances.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace iplb {

// How long the table stays in force without its owner: iplbd renews the
// lease every second; a daemon gone for longer (stopped for good, or not
// restarted) leaves a table nobody updates, and the program then leaves
// packets alone. Longer than watchfrr takes to restart a daemon: at once
// the first time, after its 60 s minimum interval when it restarts again.
inline constexpr std::chrono::seconds default_owner_lease{90};

struct HostDatapathConfig {
	std::string pin_root{default_pin_root};
	std::string instance{default_instance};
	std::set<std::string> interfaces;
	HostConfig settings;
	std::chrono::seconds lease{default_owner_lease};

	friend bool operator==(const HostDatapathConfig &, const HostDatapathConfig &) = default;
};

class HostDatapath {
public:
	explicit HostDatapath(OwnedInstances record = OwnedInstances{}) : record_(std::move(record))
	{
	}
	HostDatapath(const HostDatapath &) = delete;
	HostDatapath &operator=(const HostDatapath &) = delete;

	void set_record(OwnedInstances record) { record_ = std::move(record); }

	// Called with the table of an instance just opened, before it is
	// attached anywhere: the caller fills it, so that no packet meets an
	// empty or stale table.
	using FillTable = std::function<void(RouteTable &)>;

	// Brings the datapath to `config`. Goes as far as it can: an interface
	// that cannot be attached is reported and the others are still done.
	// Another instance than the open one is opened, filled and attached
	// before the old one is released (make before break).
	Status apply(const HostDatapathConfig &config, const FillTable &fill = {});
	// Lets go of the programs; pins, links and table stay (a daemon that
	// exits: the kernel goes on forwarding).
	void close();
	// Detaches the program from every interface it is attached to, then
	// closes and forgets the instance: a datapath no longer configured
	// must not go on with a table nobody updates. The table stays pinned
	// (iplbctl purge removes it).
	void release();

	// Compares the kernel's state with the configuration and repairs what
	// it can: pins restored, settings rewritten, the program attached
	// again where the kernel no longer runs it, links of interfaces no
	// longer configured detached. What it repaired, one line each;
	// problems() says what is still wrong.
	std::vector<std::string> reconcile();

	// Instances of the record other than the configured one: what a
	// previous iplbd left. Released by release_orphans(); the names and
	// what was detached, one line each.
	std::vector<InstanceRef> orphans() const;
	std::vector<std::string> release_orphans();

	bool open() const { return program_.has_value(); }
	// Open, attached to every configured interface, and nothing wrong.
	bool healthy() const;
	// What is wrong now, one line each (empty when healthy).
	const std::vector<std::string> &problems() const { return problems_; }
	const std::set<std::string> &attached() const { return attached_; }
	const std::optional<HostDatapathConfig> &config() const { return config_; }
	uint64_t errors() const { return errors_; }
	uint64_t repairs() const { return repairs_; }
	// The table, while open.
	RouteTable *table() { return table_ ? &*table_ : nullptr; }

private:
	// Every host link pinned in `pins`; the interfaces it was on.
	static std::set<std::string> detach_all(const PinDir &pins);
	InstanceRef ref() const { return {config_->pin_root, config_->instance}; }
	Status open_instance(const HostDatapathConfig &config);
	void attach_configured();
	void renew_lease();
	// A check begins: the problems found so far become the previous ones.
	void start_check();
	void note(Error error);

	OwnedInstances record_;
	std::optional<HostDatapathConfig> config_;
	std::optional<PinDir> pins_;
	std::optional<HostProgram> program_;
	std::optional<BpfRouteTable> table_;
	std::set<std::string> attached_;
	std::vector<std::string> problems_, previous_problems_;
	uint64_t errors_ = 0, repairs_ = 0;
};

} // namespace iplb

// SPDX-License-Identifier: GPL-2.0-or-later
#include "datapath/host_datapath.hpp"

#include <net/if.h>

namespace iplb {

void HostDatapath::detach_from(const std::string &ifname)
{
	// Both hooks; a link already gone (with its interface) is no error.
	for (bool ingress : {false, true})
		(void)detach(*pins_, {ifname, "host", ingress});
}

Status HostDatapath::fail(Error error)
{
	errors_++;
	last_error_ = error.message;
	return unexpected(std::move(error));
}

Status HostDatapath::apply(const HostDatapathConfig &config)
{
	if (config_ &&
	    (config.pin_root != config_->pin_root || config.instance != config_->instance))
		close(); // another instance: the old one stays as it is, pinned
	config_ = config;

	if (!program_) {
		auto pins = prepare_pin_dir(config.pin_root, config.instance);
		if (!pins)
			return fail(pins.error());
		auto program = HostProgram::open(*pins);
		if (!program)
			return fail(program.error());
		pins_ = std::move(*pins);
		program_.emplace(std::move(*program));
		table_.emplace(program_->maps());
		// What a previous iplbd attached is ours to keep or detach.
		attached_.clear();
		if (auto found = attached_interfaces(*pins_); found)
			for (const AttachedInterface &a : *found)
				if (a.program == "host")
					attached_.insert(a.ifname);
	}
	if (auto s = program_->maps().set_config(config.settings); !s)
		return fail(Error{"datapath settings: " + s.error().message});

	std::optional<Error> first;
	for (const std::string &ifname : config.interfaces) {
		// Attaching over our own pinned link swaps the program in place (a
		// restart with a new build); the interface never goes without one.
		if (auto s = program_->attach(ifname); !s) {
			attached_.erase(ifname);
			if (!first)
				first = Error{"interface " + ifname + ": " + s.error().message};
			continue;
		}
		attached_.insert(ifname);
	}
	for (auto it = attached_.begin(); it != attached_.end();) {
		if (config.interfaces.count(*it)) {
			++it;
			continue;
		}
		detach_from(*it);
		it = attached_.erase(it);
	}
	if (first)
		return fail(std::move(*first));
	return ok();
}

void HostDatapath::verify()
{
	if (!pins_)
		return;
	auto found = attached_interfaces(*pins_);
	if (!found)
		return; // unreadable now: keep what we knew
	std::set<std::string> linked;
	for (const AttachedInterface &a : *found)
		if (a.program == "host" && !a.ingress && if_nametoindex(a.ifname.c_str()) != 0)
			linked.insert(a.ifname);
	attached_ = std::move(linked);
}

void HostDatapath::release()
{
	if (pins_)
		for (const std::string &ifname : attached_)
			detach_from(ifname);
	close();
}

void HostDatapath::close()
{
	table_.reset();
	program_.reset();
	pins_.reset();
	attached_.clear();
}

bool HostDatapath::healthy() const
{
	if (!program_ || !config_)
		return false;
	for (const std::string &ifname : config_->interfaces)
		if (!attached_.count(ifname) || if_nametoindex(ifname.c_str()) == 0)
			return false;
	return true;
}

} // namespace iplb

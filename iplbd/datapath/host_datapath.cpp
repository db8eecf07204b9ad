// SPDX-License-Identifier: GPL-2.0-or-later
#include "datapath/host_datapath.hpp"

#include "datapath/tcx_link.hpp"

#include <net/if.h>

#include <algorithm>

namespace iplb {

namespace {

bool exists(const std::string &ifname)
{
	return if_nametoindex(ifname.c_str()) != 0;
}

std::string joined(const std::set<std::string> &names)
{
	std::string out;
	for (const std::string &name : names)
		out += (out.empty() ? "" : " ") + name;
	return out;
}

} // namespace

std::set<std::string> HostDatapath::detach_all(const PinDir &pins)
{
	// Released: the table has no owner any more (iplbctl show says nothing
	// of a lease), whoever attaches it next.
	if (auto maps = HostMaps::from_pins(pins); maps)
		(void)maps->set_owner_lease(std::nullopt);
	std::set<std::string> detached;
	auto found = attached_interfaces(pins);
	if (!found)
		return detached;
	for (const AttachedInterface &a : *found)
		if (a.program == "host" && detach(pins, a))
			detached.insert(a.ifname);
	return detached;
}

void HostDatapath::note(Error error)
{
	// A fault is counted once, not at every check it persists through.
	if (std::ranges::find(previous_problems_, error.message) == previous_problems_.end())
		errors_++;
	problems_.push_back(std::move(error.message));
}

void HostDatapath::start_check()
{
	previous_problems_ = std::move(problems_);
	problems_.clear();
}

Status HostDatapath::open_instance(const HostDatapathConfig &config)
{
	auto pins = prepare_pin_dir(config.pin_root, config.instance);
	if (!pins)
		return unexpected(pins.error());
	auto program = HostProgram::open(*pins);
	if (!program)
		return unexpected(program.error());
	// Recorded before anything is attached: a crash from here on leaves
	// an instance the next iplbd knows it owns.
	if (auto s = record_.add({config.pin_root, config.instance}); !s)
		note(Error{"cannot record the instance: " + s.error().message});
	pins_ = std::move(*pins);
	program_.emplace(std::move(*program));
	table_.emplace(program_->maps());
	// What a previous iplbd attached is ours to keep or detach.
	attached_.clear();
	if (auto found = attached_interfaces(*pins_); found)
		for (const AttachedInterface &a : *found)
			if (a.program == "host")
				attached_.insert(a.ifname);
	return ok();
}

void HostDatapath::renew_lease()
{
	if (auto s = program_->renew_lease(config_->lease); !s)
		note(Error{"owner's lease: " + s.error().message});
}

void HostDatapath::attach_configured()
{
	for (const std::string &ifname : config_->interfaces) {
		if (!exists(ifname)) {
			attached_.erase(ifname);
			note(Error{"interface " + ifname + ": no such interface"});
			continue;
		}
		// Attaching over our own pinned link swaps the program in place (a
		// restart with a new build); the interface never goes without one.
		if (auto s = program_->attach(ifname); !s) {
			attached_.erase(ifname);
			note(Error{"interface " + ifname + ": " + s.error().message});
			continue;
		}
		attached_.insert(ifname);
	}
	for (auto it = attached_.begin(); it != attached_.end();) {
		if (config_->interfaces.count(*it)) {
			++it;
			continue;
		}
		for (bool ingress : {false, true})
			(void)detach(*pins_, {*it, "host", ingress}); // gone with its interface
		it = attached_.erase(it);
	}
}

Status HostDatapath::apply(const HostDatapathConfig &config, const FillTable &fill)
{
	start_check();
	// Another instance: the old one is taken aside, and released only once
	// the new one is filled and attached.
	std::optional<InstanceRef> old_ref;
	std::optional<PinDir> old_pins;
	std::optional<HostProgram> old_program;
	if (config_ && program_ &&
	    (config.pin_root != config_->pin_root || config.instance != config_->instance)) {
		old_ref = ref();
		table_.reset(); // a view of the old maps
		old_pins = std::move(pins_);
		old_program = std::move(program_);
		pins_.reset();
		program_.reset();
		attached_.clear();
	}
	config_ = config;

	std::optional<Error> failed;
	if (!program_) {
		if (auto s = open_instance(config); !s) {
			failed = s.error();
			note(s.error());
		} else {
			renew_lease();
			if (fill)
				fill(*table_);
		}
	}
	if (program_ && old_pins) {
		// Where the old instance runs, its links are swapped to the new
		// program in place: no moment with both, or with none.
		if (auto found = attached_interfaces(*old_pins); found)
			for (const AttachedInterface &a : *found)
				if (a.program == "host" && !a.ingress &&
				    config.interfaces.count(a.ifname) &&
				    program_->take_over(*old_pins, a.ifname))
					attached_.insert(a.ifname);
	}
	if (program_) {
		if (auto s = program_->maps().set_config(config.settings); !s)
			note(Error{"datapath settings: " + s.error().message});
		renew_lease();
		attach_configured();
	}
	if (old_pins) {
		// The configuration no longer names it: nothing may go on
		// encapsulating with its table.
		detach_all(*old_pins);
		(void)record_.remove(*old_ref);
	}
	if (failed)
		return unexpected(std::move(*failed));
	if (!problems_.empty())
		return unexpected(Error{problems_.front()});
	return ok();
}

std::vector<std::string> HostDatapath::reconcile()
{
	std::vector<std::string> repaired;
	if (!config_ || !program_)
		return repaired; // not open: apply() again is the repair
	start_check();

	auto pins = prepare_pin_dir(config_->pin_root, config_->instance);
	if (!pins) {
		note(Error{"pins: " + pins.error().message});
	} else if (auto restored = program_->restore_pins(); !restored) {
		note(Error{"pins: " + restored.error().message});
	} else if (!restored->empty()) {
		std::set<std::string> names(restored->begin(), restored->end());
		repaired.push_back("pins restored in " + pins->path + ": " + joined(names));
	}

	renew_lease();
	auto settings = program_->maps().config();
	if (!settings || *settings != config_->settings) {
		if (auto s = program_->maps().set_config(config_->settings); !s)
			note(Error{"datapath settings: " + s.error().message});
		else
			repaired.push_back(
				"settings rewritten (they differed from the configuration)");
	}

	std::set<std::string> running;
	for (const std::string &ifname : config_->interfaces) {
		if (!exists(ifname)) {
			note(Error{"interface " + ifname + ": no such interface"});
			continue;
		}
		auto hooks = program_->hooks(ifname);
		if (!hooks) {
			note(Error{"interface " + ifname + ": " + hooks.error().message});
			continue;
		}
		if (!hooks->egress || !hooks->ingress) {
			// A link whose pin went, or whose interface was replaced: the
			// kernel no longer runs the program there. A fresh link.
			for (auto direction : {TcxDirection::egress, TcxDirection::ingress})
				(void)detach_tcx(
					tcx_pin_path(pins_->path, "host", direction, ifname));
			if (auto s = program_->attach(ifname); !s) {
				note(Error{"interface " + ifname + ": " + s.error().message});
				continue;
			}
			repaired.push_back("interface " + ifname +
					   ": attached again (the kernel no longer ran the "
					   "program there)");
		}
		for (uint32_t id : hooks->other_hosts)
			note(Error{"interface " + ifname + ": another iplb host program (id " +
				   std::to_string(id) +
				   ") runs there too, and would encapsulate the same packets"});
		running.insert(ifname);
	}
	if (auto found = attached_interfaces(*pins_); found) {
		std::set<std::string> stray;
		for (const AttachedInterface &a : *found)
			if (a.program == "host" && !config_->interfaces.count(a.ifname) &&
			    detach(*pins_, a))
				stray.insert(a.ifname);
		if (!stray.empty())
			repaired.push_back("detached from " + joined(stray) + " (not configured)");
	}
	attached_ = std::move(running);
	repairs_ += repaired.size();
	return repaired;
}

std::vector<InstanceRef> HostDatapath::orphans() const
{
	std::vector<InstanceRef> out;
	auto refs = record_.load();
	if (!refs)
		return out;
	for (const InstanceRef &r : *refs)
		if (!config_ || !program_ || r != ref())
			out.push_back(r);
	return out;
}

std::vector<std::string> HostDatapath::release_orphans()
{
	std::vector<std::string> released;
	for (const InstanceRef &orphan : orphans()) {
		std::string line = "instance " + orphan.instance + " (" + orphan.pin_root + ")";
		if (auto pins = existing_pin_dir(orphan.pin_root, orphan.instance); pins) {
			const auto detached = detach_all(*pins);
			line += detached.empty() ? ": attached nowhere"
						 : ": detached from " + joined(detached);
		} else {
			line += ": its pins are gone";
		}
		if (auto s = record_.remove(orphan); !s)
			line += " (record not updated: " + s.error().message + ")";
		released.push_back(std::move(line));
	}
	return released;
}

void HostDatapath::release()
{
	if (pins_) {
		detach_all(*pins_);
		(void)record_.remove(ref());
	}
	close();
	config_.reset();
	problems_.clear();
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
	if (!program_ || !config_ || !problems_.empty())
		return false;
	for (const std::string &ifname : config_->interfaces)
		if (!attached_.count(ifname))
			return false;
	return true;
}

} // namespace iplb

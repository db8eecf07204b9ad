// SPDX-License-Identifier: GPL-2.0-or-later
// Which datapath instances this daemon has opened, kept in a file of its
// state directory (FRR's run directory: like the pins, gone at reboot). A
// restarted iplbd reads it to find what a previous one left attached and
// its configuration no longer names (a crash before `write memory`), and
// releases it: nothing goes on encapsulating with a table nobody updates.
#pragma once

#include "util/result.hpp"
#include "util/status.hpp"

#include <compare>
#include <set>
#include <string>

namespace iplb {

struct InstanceRef {
	std::string pin_root, instance;

	friend auto operator<=>(const InstanceRef &, const InstanceRef &) = default;
};

class OwnedInstances {
public:
	// An empty path keeps the record in memory only (tests, iplbctl).
	explicit OwnedInstances(std::string path = {}) : path_(std::move(path)) {}

	const std::string &path() const { return path_; }
	// The record as the file has it (none: empty). A malformed line is an
	// error: a record we cannot read must not be taken for "nothing".
	Result<std::set<InstanceRef>, Error> load() const;
	Status add(const InstanceRef &ref);
	Status remove(const InstanceRef &ref);

private:
	// Written whole to a temporary file, then renamed over the record: a
	// crash leaves the old record or the new one.
	Status save(const std::set<InstanceRef> &refs);

	std::string path_;
	std::set<InstanceRef> memory_; // without a path
};

} // namespace iplb

// SPDX-License-Identifier: GPL-2.0-or-later
// Attaching a tc program to an interface as a TCX link (kernel 6.6+), pinned
// so that it stays after the process exits. Attaching again over a pinned
// link swaps the program atomically (bpf_link_update): a restarted iplbd
// replaces its program with no moment where none runs.
#pragma once

#include "util/result.hpp"
#include "util/status.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace iplb {

enum class TcxDirection { ingress, egress };

// The link's pin: <dir>/link-<program>-<ingress|egress>-<ifname>.
std::string tcx_pin_path(const std::string &dir, const std::string &program, TcxDirection direction,
			 const std::string &ifname);

Status attach_tcx(int prog_fd, const std::string &ifname, TcxDirection direction,
		  const std::string &pin_path);
// Unpinning releases the link, which detaches the program.
Status detach_tcx(const std::string &pin_path);

// What the kernel runs, whatever any pin says: the ids of the programs
// attached to the interface's TCX hook, in the order they run.
Result<std::vector<uint32_t>, Error> tcx_programs(unsigned ifindex, TcxDirection direction);
// The kernel's id of a program or map, by descriptor.
Result<uint32_t, Error> program_id(int prog_fd);
Result<uint32_t, Error> map_id(int map_fd);
// A loaded program's name (the kernel keeps its first 15 characters).
Result<std::string, Error> program_name(uint32_t id);

} // namespace iplb

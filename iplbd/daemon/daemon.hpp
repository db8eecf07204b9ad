// SPDX-License-Identifier: GPL-2.0-or-later
// Everything one iplbd instance holds, independent of FRR: its status and
// its LSDB feed. The C interface (capi/) exposes it to the FRR glue.
#pragma once

#include "lsdb/api_session.hpp"
#include "status/daemon_status.hpp"
#include "util/io_driver.hpp"

namespace iplb {

class Daemon {
public:
	explicit Daemon(IoDriver &io) : lsdb_(io, ApiSessionConfig{}) {}

	DaemonStatus &status() { return status_; }
	const DaemonStatus &status() const { return status_; }
	ApiSession &lsdb() { return lsdb_; }
	const ApiSession &lsdb() const { return lsdb_; }

private:
	DaemonStatus status_;
	ApiSession lsdb_;
};

} // namespace iplb

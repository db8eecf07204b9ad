// SPDX-License-Identifier: GPL-2.0-or-later
// A real etcd cluster on localhost for the client's tests: N members of
// Debian's etcd (etcd-server), ports in a high range, data under a fresh
// temporary directory; every member is stopped and the directory removed by
// the destructor, and the members die with the test process (PDEATHSIG).
#pragma once

#include "util/result.hpp"
#include "util/status.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace iplb::cluster::testing {

class EtcdCluster {
public:
	struct Member {
		std::string name;
		int client_port = 0;
		int peer_port = 0;
		pid_t pid = -1; // -1 once stopped
		std::string endpoint;
		std::string log_path;
		std::vector<std::string> args; // its command line
	};

	// The etcd binary: $IPLB_ETCD if set, else on PATH or /usr/bin/etcd.
	static std::optional<std::string> find_etcd();

	// Starts `members` members and waits, up to timeout, until each one
	// answers a read that needs a quorum.
	static Result<std::unique_ptr<EtcdCluster>, Error>
	start(const std::string &etcd, size_t members, std::chrono::seconds timeout);
	~EtcdCluster();
	EtcdCluster(const EtcdCluster &) = delete;
	EtcdCluster &operator=(const EtcdCluster &) = delete;

	std::vector<std::string> endpoints() const;
	const std::vector<Member> &members() const { return members_; }
	const std::string &directory() const { return directory_; }
	// SIGKILL, as a crash would: no goodbye to the peers.
	void kill(size_t member);
	// Starts a killed member again on its data (it rejoins the cluster).
	Status restart(size_t member);
	// The last lines of a member's log, for failure messages.
	std::string log_tail(size_t member, size_t lines = 15) const;

private:
	// Only start() makes one: the constructor needs a key only it has.
	struct Key {
		explicit Key() = default;
	};

public:
	explicit EtcdCluster(Key) {}

private:
	void stop_all();
	static Result<pid_t, Error> spawn(Member &member, int log_mode);

	std::string directory_;
	std::vector<Member> members_;
};

// A cluster for a test suite: started, or why the suite skips (no etcd)
// or fails (it did not start).
struct SuiteCluster {
	std::unique_ptr<EtcdCluster> cluster;
	std::string skip_reason;
	std::string start_error;
	double start_seconds = 0;
};
SuiteCluster start_suite_cluster(size_t members);

} // namespace iplb::cluster::testing

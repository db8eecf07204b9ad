// SPDX-License-Identifier: GPL-2.0-or-later
#include "etcd_cluster.hpp"
#include "test_ports.hpp"

#include "cluster/etcd_client.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace iplb::cluster::testing {
namespace {

// 2 * members consecutive free ports in 30000-49999, starting from a place
// that depends on the pid so that two runs at once (two worktrees) differ.
std::optional<int> free_port_range(size_t members)
{
	const int span = static_cast<int>(2 * members);
	int base = 30000 + static_cast<int>(::getpid() % 2000) * 10;
	for (int attempt = 0; attempt < 200; ++attempt, base += 10) {
		if (base + span >= 50000)
			base = 30000;
		bool all = true;
		for (int port = base; port < base + span && all; ++port)
			all = port_free(port);
		if (all)
			return base;
	}
	return std::nullopt;
}

// Waits up to `timeout` for pid to exit; true if it did.
bool reap(pid_t pid, std::chrono::milliseconds timeout)
{
	const auto deadline = std::chrono::steady_clock::now() + timeout;
	while (true) {
		int status = 0;
		const pid_t done = ::waitpid(pid, &status, WNOHANG);
		if (done == pid || (done < 0 && errno == ECHILD))
			return true;
		if (std::chrono::steady_clock::now() >= deadline)
			return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(20));
	}
}

} // namespace

std::optional<std::string> EtcdCluster::find_etcd()
{
	// IPLB_ETCD names another binary (or, missing, shows the skip).
	if (const char *chosen = ::getenv("IPLB_ETCD")) {
		if (::access(chosen, X_OK) == 0)
			return std::string(chosen);
		return std::nullopt;
	}
	if (const char *path = ::getenv("PATH")) {
		std::stringstream dirs(path);
		std::string dir;
		while (std::getline(dirs, dir, ':')) {
			const std::string candidate = dir + "/etcd";
			if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0)
				return candidate;
		}
	}
	if (::access("/usr/bin/etcd", X_OK) == 0)
		return "/usr/bin/etcd";
	return std::nullopt;
}

Result<std::unique_ptr<EtcdCluster>, Error>
EtcdCluster::start(const std::string &etcd, size_t members, std::chrono::seconds timeout)
{
	auto cluster = std::make_unique<EtcdCluster>(Key{});
	char directory[] = "/tmp/iplb-etcd-XXXXXX";
	if (::mkdtemp(directory) == nullptr)
		return unexpected(Error{std::string("mkdtemp: ") + strerror(errno)});
	cluster->directory_ = directory;
	const auto base = free_port_range(members);
	if (!base)
		return unexpected(Error{"no free range of ports in 30000-49999"});
	std::string initial_cluster;
	for (size_t i = 0; i < members; ++i) {
		Member member;
		member.name = "m" + std::to_string(i);
		member.client_port = *base + static_cast<int>(2 * i);
		member.peer_port = member.client_port + 1;
		member.endpoint = "http://127.0.0.1:" + std::to_string(member.client_port);
		member.log_path = cluster->directory_ + "/" + member.name + ".log";
		if (!initial_cluster.empty())
			initial_cluster += ",";
		initial_cluster +=
			member.name + "=http://127.0.0.1:" + std::to_string(member.peer_port);
		cluster->members_.push_back(member);
	}
	const std::string token = "iplb-test-" + std::to_string(::getpid());
	for (auto &member : cluster->members_) {
		const std::string peer = "http://127.0.0.1:" + std::to_string(member.peer_port);
		const std::vector<std::string> args = {
			etcd,
			"--name=" + member.name,
			"--data-dir=" + cluster->directory_ + "/" + member.name + ".etcd",
			"--listen-client-urls=" + member.endpoint,
			"--advertise-client-urls=" + member.endpoint,
			"--listen-peer-urls=" + peer,
			"--initial-advertise-peer-urls=" + peer,
			"--initial-cluster=" + initial_cluster,
			"--initial-cluster-state=new",
			"--initial-cluster-token=" + token,
			"--logger=zap",
			"--log-outputs=stderr",
		};
		member.args = args;
		if (auto spawned = spawn(member, O_TRUNC); !spawned)
			return unexpected(spawned.error());
	}
	// Ready when each member serves a linearizable read (needs a leader).
	const auto deadline = std::chrono::steady_clock::now() + timeout;
	for (size_t i = 0; i < members; ++i) {
		EtcdClient probe({cluster->members_[i].endpoint},
				 HttpTimeouts{std::chrono::milliseconds(300),
					      std::chrono::milliseconds(1000)});
		while (true) {
			if (probe.get("/iplb-test/ready"))
				break;
			int status = 0;
			if (::waitpid(cluster->members_[i].pid, &status, WNOHANG) ==
			    cluster->members_[i].pid) {
				cluster->members_[i].pid = -1;
				return unexpected(Error{"etcd member " + cluster->members_[i].name +
							" exited at start:\n" +
							cluster->log_tail(i)});
			}
			if (std::chrono::steady_clock::now() >= deadline)
				return unexpected(Error{"etcd member " + cluster->members_[i].name +
							" not ready after " +
							std::to_string(timeout.count()) + " s:\n" +
							cluster->log_tail(i)});
			std::this_thread::sleep_for(std::chrono::milliseconds(100));
		}
	}
	return cluster;
}

Result<pid_t, Error> EtcdCluster::spawn(Member &member, int log_mode)
{
	const int log =
		::open(member.log_path.c_str(), O_WRONLY | O_CREAT | log_mode | O_CLOEXEC, 0644);
	if (log < 0)
		return unexpected(Error{member.log_path + ": " + strerror(errno)});
	std::vector<char *> argv;
	for (const auto &arg : member.args)
		argv.push_back(const_cast<char *>(arg.c_str()));
	argv.push_back(nullptr);
	const pid_t parent = ::getpid();
	const pid_t pid = ::fork();
	if (pid < 0) {
		::close(log);
		return unexpected(Error{std::string("fork: ") + strerror(errno)});
	}
	if (pid == 0) {
		// Die with the test, whatever ends it.
		::prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (::getppid() != parent)
			::_exit(127);
		::dup2(log, STDOUT_FILENO);
		::dup2(log, STDERR_FILENO);
		::execv(argv[0], argv.data());
		::_exit(127);
	}
	::close(log);
	member.pid = pid;
	return pid;
}

Status EtcdCluster::restart(size_t index)
{
	auto &member = members_.at(index);
	if (member.pid > 0)
		return ok();
	// Its data directory is still there: it rejoins with its log.
	auto spawned = spawn(member, O_APPEND);
	if (!spawned)
		return unexpected(spawned.error());
	return ok();
}

EtcdCluster::~EtcdCluster()
{
	stop_all();
	if (!directory_.empty()) {
		std::error_code ignored;
		std::filesystem::remove_all(directory_, ignored);
	}
}

// The data is thrown away, so no graceful stop: etcd's SIGTERM took 1.7 s
// for a lone member and over 5 s for a cluster's last two (presumably the
// leader handing over to a member that is stopping too).
void EtcdCluster::stop_all()
{
	for (size_t i = 0; i < members_.size(); ++i)
		kill(i);
}

std::vector<std::string> EtcdCluster::endpoints() const
{
	std::vector<std::string> out;
	for (const auto &member : members_)
		out.push_back(member.endpoint);
	return out;
}

void EtcdCluster::kill(size_t index)
{
	auto &member = members_.at(index);
	if (member.pid <= 0)
		return;
	::kill(member.pid, SIGKILL);
	reap(member.pid, std::chrono::seconds(5));
	member.pid = -1;
}

std::string EtcdCluster::log_tail(size_t index, size_t lines) const
{
	std::ifstream in(members_.at(index).log_path);
	std::vector<std::string> all;
	for (std::string line; std::getline(in, line);)
		all.push_back(line);
	std::string out;
	for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i)
		out += all[i] + "\n";
	return out;
}

SuiteCluster start_suite_cluster(size_t members)
{
	SuiteCluster out;
	const auto etcd = EtcdCluster::find_etcd();
	if (!etcd) {
		out.skip_reason = ::getenv("IPLB_ETCD")
					  ? std::string("IPLB_ETCD=") + ::getenv("IPLB_ETCD") +
						    " is not an executable"
					  : "etcd is not installed (apt-get install etcd-server; "
					    "./quickstart.sh installs it)";
		return out;
	}
	const auto start = std::chrono::steady_clock::now();
	auto cluster = EtcdCluster::start(*etcd, members, std::chrono::seconds(30));
	out.start_seconds =
		std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
	if (!cluster)
		out.start_error = cluster.error().message;
	else
		out.cluster = std::move(cluster).value();
	return out;
}

} // namespace iplb::cluster::testing

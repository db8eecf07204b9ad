// SPDX-License-Identifier: GPL-2.0-or-later
#include "redis_server.hpp"
#include "test_ports.hpp"

#include "redis/redis_client.hpp"

#include <arpa/inet.h>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace iplb::cluster::testing {

std::optional<std::string> RedisServer::find_redis()
{
	if (const char *set = std::getenv("IPLB_REDIS"); set && *set)
		return std::string(set);
	if (::access("/usr/bin/redis-server", X_OK) == 0)
		return std::string("/usr/bin/redis-server");
	return std::nullopt;
}

Result<std::unique_ptr<RedisServer>, Error> RedisServer::start(const std::string &binary,
							       std::vector<std::string> extra)
{
	char pattern[] = "/tmp/iplb-redis-XXXXXX";
	if (!::mkdtemp(pattern))
		return unexpected(Error{std::string("mkdtemp: ") + std::strerror(errno)});
	// Away from the etcd tests' range (30000-49999).
	int port = 50000 + static_cast<int>(::getpid() % 1000) * 5;
	for (int attempt = 0; attempt < 200 && !(port_free(port) && port_free(port + 1)); ++attempt)
		port = port + 7 >= 60000 ? 50000 : port + 7;
	for (auto &arg : extra)
		if (arg == "{bus}")
			arg = std::to_string(port + 1);
	auto server = std::make_unique<RedisServer>(binary, pattern, port, std::move(extra));
	if (auto started = server->spawn(); !started)
		return unexpected(started.error());
	return server;
}

RedisServer::~RedisServer()
{
	stop();
	std::error_code ignored;
	std::filesystem::remove_all(directory_, ignored);
}

Status RedisServer::spawn()
{
	const std::string log_path = directory_ + "/redis.log";
	const std::vector<std::string> args = {binary_,	 "--port",	 std::to_string(port_),
					       "--bind", "127.0.0.1",	 "--save",
					       "",	 "--appendonly", "no",
					       "--dir",	 directory_,	 "--logfile",
					       log_path};
	std::vector<std::string> all = args;
	all.insert(all.end(), extra_.begin(), extra_.end());
	std::vector<char *> argv;
	for (const auto &arg : all)
		argv.push_back(const_cast<char *>(arg.c_str()));
	argv.push_back(nullptr);
	const pid_t parent = ::getpid();
	const pid_t pid = ::fork();
	if (pid < 0)
		return unexpected(Error{std::string("fork: ") + std::strerror(errno)});
	if (pid == 0) {
		::prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (::getppid() != parent)
			::_exit(127);
		const int null = ::open("/dev/null", O_WRONLY);
		::dup2(null, STDOUT_FILENO);
		::dup2(null, STDERR_FILENO);
		::execv(argv[0], argv.data());
		::_exit(127);
	}
	pid_ = pid;
	const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
	while (std::chrono::steady_clock::now() < deadline) {
		if (auto client =
			    redis::Client::connect(endpoint(), std::chrono::milliseconds(200))) {
			if (auto pong = client->command({"PING"}); pong)
				return ok();
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(50));
	}
	return unexpected(Error{"redis-server on port " + std::to_string(port_) +
				" did not answer in 10 s (see " + log_path + ")"});
}

void RedisServer::stop()
{
	if (pid_ < 0)
		return;
	::kill(pid_, SIGKILL);
	int status = 0;
	::waitpid(pid_, &status, 0);
	pid_ = -1;
}

Status RedisServer::restart()
{
	stop();
	return spawn();
}

Result<std::unique_ptr<RedisCluster>, Error> RedisCluster::start(const std::string &binary,
								 int masters)
{
	auto cluster = std::make_unique<RedisCluster>();
	for (int i = 0; i < masters; i++) {
		// {bus}: the port after the server's (RedisServer::start).
		auto node =
			RedisServer::start(binary, {"--cluster-enabled", "yes", "--cluster-port",
						    "{bus}", "--cluster-config-file", "nodes.conf",
						    "--cluster-node-timeout", "2000"});
		if (!node)
			return unexpected(node.error());
		cluster->nodes_.push_back(std::move(*node));
	}
	const auto call = [&](size_t i,
			      std::vector<std::string> args) -> Result<redis::Reply, Error> {
		auto client = redis::Client::connect(cluster->nodes_[i]->endpoint(),
						     std::chrono::milliseconds(1000));
		if (!client)
			return unexpected(client.error());
		return client->command(std::span<const std::string>(args));
	};
	for (int i = 0; i < masters; i++) {
		const int first = 16384 * i / masters, last = 16384 * (i + 1) / masters - 1;
		if (auto added = call(i, {"CLUSTER", "ADDSLOTSRANGE", std::to_string(first),
					  std::to_string(last)});
		    !added)
			return unexpected(added.error());
		if (i > 0)
			if (auto met = call(0, {"CLUSTER", "MEET", "127.0.0.1",
						std::to_string(cluster->nodes_[i]->port()),
						std::to_string(cluster->nodes_[i]->port() + 1)});
			    !met)
				return unexpected(met.error());
	}
	const auto ready = [&] {
		for (int i = 0; i < masters; i++) {
			auto info = call(i, {"CLUSTER", "INFO"});
			if (!info || !info->string() ||
			    info->string()->find("cluster_state:ok") == std::string::npos)
				return false;
			auto slots = call(i, {"CLUSTER", "SLOTS"});
			if (!slots || !slots->array() ||
			    slots->array()->size() != static_cast<size_t>(masters))
				return false;
		}
		return true;
	};
	const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
	while (!ready()) {
		if (std::chrono::steady_clock::now() >= deadline)
			return unexpected(Error{"the Redis Cluster was not ready in 20 s (see " +
						cluster->nodes_[0]->directory() + "/redis.log)"});
		std::this_thread::sleep_for(std::chrono::milliseconds(100));
	}
	return cluster;
}

std::vector<std::string> RedisCluster::endpoints() const
{
	std::vector<std::string> out;
	for (const auto &node : nodes_)
		out.push_back(node->endpoint());
	return out;
}

} // namespace iplb::cluster::testing

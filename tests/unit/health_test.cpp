// SPDX-License-Identifier: GPL-2.0-or-later
// The load balancer's health checks (iplbd/health/): the status line parser
// and validation as pure functions, then the checker against small servers
// on 127.0.0.1 and ::1 (ports from the kernel). Waits are bounded (5 s) and
// wait for the expected state, never for a fixed time.
#include "health/check.hpp"
#include "health/checker.hpp"
#include "util/unique_fd.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace iplb::health {
namespace {

using namespace std::chrono_literals;

constexpr auto wait_bound = 5s;

IpAddress loopback(int family)
{
	return *parse_ip_address(family == AF_INET6 ? "::1" : "127.0.0.1");
}

// Quick probes, so that each test takes a fraction of a second.
CheckSpec quick(CheckSpec::Kind kind, int family, uint16_t port)
{
	CheckSpec spec;
	spec.kind = kind;
	spec.address = loopback(family);
	spec.port = port;
	spec.interval = 100ms;
	spec.timeout = 80ms;
	spec.rise = 2;
	spec.fall = 2;
	return spec;
}

// A TCP server on loopback, answering each connection as its mode says, on
// a thread of its own. stop() and start() keep the port.
class TestServer {
public:
	enum class Mode {
		accept_close, // accept, close at once
		http,	      // read the request, send `reply`, close
		silent,	      // accept, never answer, hold the connection until stopped
	};

	explicit TestServer(int family) : family_(family) {}
	~TestServer() { stop(); }

	// False (with errno) if the socket cannot be had, e.g. no IPv6.
	bool start(Mode mode, std::string reply = {})
	{
		{
			std::lock_guard lock(mutex_);
			mode_ = mode;
			reply_ = std::move(reply);
		}
		listener_ = UniqueFd(::socket(family_, SOCK_STREAM | SOCK_CLOEXEC, 0));
		if (!listener_)
			return false;
		const int on = 1;
		::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
		sockaddr_storage storage{};
		socklen_t length = 0;
		if (family_ == AF_INET6) {
			sockaddr_in6 sin6{};
			sin6.sin6_family = AF_INET6;
			sin6.sin6_addr = in6addr_loopback;
			sin6.sin6_port = htons(port_);
			std::memcpy(&storage, &sin6, sizeof sin6);
			length = sizeof sin6;
		} else {
			sockaddr_in sin{};
			sin.sin_family = AF_INET;
			sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			sin.sin_port = htons(port_);
			std::memcpy(&storage, &sin, sizeof sin);
			length = sizeof sin;
		}
		if (::bind(listener_.get(), reinterpret_cast<sockaddr *>(&storage), length) != 0 ||
		    ::listen(listener_.get(), 64) != 0)
			return false;
		length = sizeof storage;
		::getsockname(listener_.get(), reinterpret_cast<sockaddr *>(&storage), &length);
		port_ = family_ == AF_INET6
				? ntohs(reinterpret_cast<sockaddr_in6 *>(&storage)->sin6_port)
				: ntohs(reinterpret_cast<sockaddr_in *>(&storage)->sin_port);
		stop_ = UniqueFd(::eventfd(0, EFD_CLOEXEC));
		thread_ = std::thread([this] { serve(); });
		return true;
	}

	void stop()
	{
		if (!thread_.joinable())
			return;
		const uint64_t one = 1;
		EXPECT_EQ(::write(stop_.get(), &one, sizeof one), static_cast<ssize_t>(sizeof one));
		thread_.join();
		listener_.reset();
		held_.clear();
	}

	void set_mode(Mode mode, std::string reply = {})
	{
		std::lock_guard lock(mutex_);
		mode_ = mode;
		reply_ = std::move(reply);
	}

	uint16_t port() const { return port_; }
	std::size_t accepted() const { return accepted_; }
	std::string last_request() const
	{
		std::lock_guard lock(mutex_);
		return last_request_;
	}

private:
	void serve()
	{
		for (;;) {
			pollfd fds[2] = {{stop_.get(), POLLIN, 0}, {listener_.get(), POLLIN, 0}};
			if (::poll(fds, 2, -1) < 0)
				continue;
			if (fds[0].revents)
				return;
			UniqueFd connection(
				::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
			if (!connection)
				continue;
			++accepted_;
			Mode mode;
			std::string reply;
			{
				std::lock_guard lock(mutex_);
				mode = mode_;
				reply = reply_;
			}
			if (mode == Mode::silent)
				held_.push_back(std::move(connection));
			else if (mode == Mode::http)
				answer(connection.get(), reply);
		}
	}

	// The checker sends its whole request at once; read it up to the blank
	// line (bounded by a receive timeout), then answer.
	void answer(int fd, const std::string &reply)
	{
		timeval bound{2, 0};
		::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
		std::string request;
		char buffer[512];
		while (request.find("\r\n\r\n") == std::string::npos) {
			const auto n = ::recv(fd, buffer, sizeof buffer, 0);
			if (n <= 0)
				break;
			request.append(buffer, static_cast<std::size_t>(n));
		}
		{
			std::lock_guard lock(mutex_);
			last_request_ = request;
		}
		::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
	}

	int family_;
	uint16_t port_ = 0;
	UniqueFd listener_;
	UniqueFd stop_;
	std::thread thread_;
	std::vector<UniqueFd> held_; // the server thread's, until stop()
	std::atomic<std::size_t> accepted_{0};
	mutable std::mutex mutex_;
	Mode mode_ = Mode::accept_close;
	std::string reply_;
	std::string last_request_;
};

// The checker's callbacks, in order, and waits on them.
class Recorder {
public:
	HealthChecker::OnChange callback()
	{
		return [this](const std::string &id, Health health) {
			{
				std::lock_guard lock(mutex_);
				events_.emplace_back(id, health);
			}
			changed_.notify_all();
		};
	}
	// Waits until `count` events came; returns them all.
	std::vector<std::pair<std::string, Health>> wait(std::size_t count)
	{
		std::unique_lock lock(mutex_);
		changed_.wait_for(lock, wait_bound, [&] { return events_.size() >= count; });
		return events_;
	}
	std::vector<std::pair<std::string, Health>> events() const
	{
		std::lock_guard lock(mutex_);
		return events_;
	}

private:
	mutable std::mutex mutex_;
	std::condition_variable changed_;
	std::vector<std::pair<std::string, Health>> events_;
};

using Events = std::vector<std::pair<std::string, Health>>;

// Polls the checker's status until `done` holds for `id`, at most wait_bound.
bool wait_status(const HealthChecker &checker, const std::string &id,
		 const std::function<bool(const TargetStatus &)> &done)
{
	const auto deadline = Clock::now() + wait_bound;
	while (Clock::now() < deadline) {
		const auto all = checker.status();
		const auto it = all.find(id);
		if (it != all.end() && done(it->second))
			return true;
		std::this_thread::sleep_for(5ms);
	}
	return false;
}

// --- the status line -------------------------------------------------------

TEST(HealthParse, ValidStatusLines)
{
	EXPECT_EQ(parse_http_status("HTTP/1.0 200 OK"), 200);
	EXPECT_EQ(parse_http_status("HTTP/1.1 302 Found"), 302);
	EXPECT_EQ(parse_http_status("HTTP/1.1 503 Service Unavailable\r"), 503);
	EXPECT_EQ(parse_http_status("HTTP/1.1 204"), 204);  // no SP before an empty reason
	EXPECT_EQ(parse_http_status("HTTP/1.1 200 "), 200); // empty reason
	EXPECT_EQ(parse_http_status("HTTP/1.1 100 Continue"), 100);
	EXPECT_EQ(parse_http_status("HTTP/1.1 599 x"), 599);
	EXPECT_EQ(parse_http_status("HTTP/1.1 200 all\tgood \x80\xff"), 200); // tab, obs-text
}

TEST(HealthParse, InvalidStatusLines)
{
	for (const std::string_view line : {
		     "",
		     "garbage",
		     "HTTP/1.1",
		     "HTTP/1.1 ",
		     "HTTP/1.1 20",	    // truncated code
		     "HTTP/1.1 2000 OK",    // four digits
		     "HTTP/1.1 20a OK",	    // not a digit
		     "HTTP/1.1 099 Low",    // below 100
		     "HTTP/1.1 600 High",   // above 599
		     "HTTP/1.1200 OK",	    // no space after the version
		     "HTTP/1.1 200OK",	    // no space after the code
		     "HTTP/1.1  200 OK",    // two spaces
		     "HTTP/2 200",	    // no minor version: not an HTTP/1.x line
		     "HTTP/2 200 OK",	    //
		     "HTTP/11.1 200 OK",    // two-digit major
		     "HTTP/1. 200 OK",	    // missing minor
		     "http/1.1 200 OK",	    // the name is case-sensitive
		     " HTTP/1.1 200 OK",    // leading space
		     "HTTP/1.1 200 O\x01K", // control character in the reason
		     "HTTP/1.1 200 OK\n",   // the line end is not part of the line
		     "HTTP/1.1 200 OK\r\r",
	     }) {
		EXPECT_EQ(parse_http_status(line), std::nullopt) << '"' << line << '"';
	}
	EXPECT_EQ(parse_http_status(std::string_view("HTTP/1.1 200 O\0K", 16)), std::nullopt);
}

// --- validation ------------------------------------------------------------

TEST(HealthValidate, DefaultsAreGlbsAndValid)
{
	CheckSpec spec;
	EXPECT_EQ(spec.kind, CheckSpec::Kind::tcp);
	EXPECT_EQ(spec.port, 80);
	EXPECT_EQ(spec.http_path, "/");
	EXPECT_EQ(spec.interval, 2000ms);
	EXPECT_EQ(spec.timeout, 1000ms);
	EXPECT_EQ(spec.rise, 3u);
	EXPECT_EQ(spec.fall, 3u);
	spec.address = *parse_ip_address("10.0.0.1");
	EXPECT_TRUE(validate(spec));
	spec.kind = CheckSpec::Kind::http;
	spec.http_path = "/healthz?full=1&x=%20";
	EXPECT_TRUE(validate(spec));
	spec.address = *parse_ip_address("2001:db8::1");
	EXPECT_TRUE(validate(spec));
	spec.rise = spec.fall = 100;
	spec.interval = spec.timeout = 3600s;
	EXPECT_TRUE(validate(spec));
}

TEST(HealthValidate, EveryRefusalWithItsMessage)
{
	const auto refusal = [](const std::function<void(CheckSpec &)> &change) {
		CheckSpec spec;
		spec.kind = CheckSpec::Kind::http;
		spec.address = *parse_ip_address("10.0.0.1");
		change(spec);
		const auto status = validate(spec);
		return status ? std::string("(accepted)") : status.error().message;
	};
	EXPECT_EQ(refusal([](CheckSpec &s) { s.timeout = 0ms; }),
		  "timeout must be positive, not 0 ms");
	EXPECT_EQ(refusal([](CheckSpec &s) { s.timeout = -5ms; }),
		  "timeout must be positive, not -5 ms");
	EXPECT_EQ(refusal([](CheckSpec &s) { s.interval = 999ms; }),
		  "interval (999 ms) must be at least the timeout (1000 ms)");
	EXPECT_EQ(refusal([](CheckSpec &s) { s.interval = 3600001ms; }),
		  "interval (3600001 ms) must be at most 3600000 ms");
	EXPECT_EQ(refusal([](CheckSpec &s) { s.rise = 0; }), "rise must be in 1..100, not 0");
	EXPECT_EQ(refusal([](CheckSpec &s) { s.rise = 101; }), "rise must be in 1..100, not 101");
	EXPECT_EQ(refusal([](CheckSpec &s) { s.fall = 0; }), "fall must be in 1..100, not 0");
	EXPECT_EQ(refusal([](CheckSpec &s) { s.fall = 101; }), "fall must be in 1..100, not 101");
	EXPECT_EQ(refusal([](CheckSpec &s) { s.port = 0; }), "port must not be 0");
	EXPECT_EQ(refusal([](CheckSpec &s) { s.address = *parse_ip_address("0.0.0.0"); }),
		  "cannot check 0.0.0.0: the unspecified address");
	EXPECT_EQ(refusal([](CheckSpec &s) { s.address = *parse_ip_address("239.1.2.3"); }),
		  "cannot check 239.1.2.3: a multicast address");
	EXPECT_EQ(refusal([](CheckSpec &s) { s.address = *parse_ip_address("255.255.255.255"); }),
		  "cannot check 255.255.255.255: the broadcast address");
	EXPECT_EQ(refusal([](CheckSpec &s) { s.address = *parse_ip_address("::"); }),
		  "cannot check ::: the unspecified address");
	EXPECT_EQ(refusal([](CheckSpec &s) { s.address = *parse_ip_address("ff02::1"); }),
		  "cannot check ff02::1: a multicast address");
	EXPECT_EQ(refusal([](CheckSpec &s) { s.http_path = ""; }),
		  "http path must start with '/': \"\"");
	EXPECT_EQ(refusal([](CheckSpec &s) { s.http_path = "healthz"; }),
		  "http path must start with '/': \"healthz\"");
	EXPECT_EQ(refusal([](CheckSpec &s) { s.http_path = "/" + std::string(1024, 'a'); }),
		  "http path longer than 1024 bytes");
	for (const char *path : {"/a b", "/a\tb", "/a\r\nX: y", "/\x7f", "/caf\xc3\xa9"})
		EXPECT_EQ(refusal([&](CheckSpec &s) { s.http_path = path; }),
			  "http path must be printable ASCII without spaces")
			<< path;
	// The path is a matter of http checks only.
	EXPECT_EQ(refusal([](CheckSpec &s) {
			  s.kind = CheckSpec::Kind::tcp;
			  s.http_path = "";
		  }),
		  "(accepted)");
}

TEST(HealthRequest, HostHeaderByFamilyAndPort)
{
	CheckSpec spec;
	spec.kind = CheckSpec::Kind::http;
	spec.address = *parse_ip_address("10.0.0.1");
	spec.http_path = "/healthz";
	EXPECT_EQ(http_request(spec), "GET /healthz HTTP/1.0\r\nHost: 10.0.0.1\r\nConnection: "
				      "close\r\nUser-Agent: iplb-health\r\n\r\n");
	spec.address = *parse_ip_address("2001:db8::1");
	spec.port = 8080;
	EXPECT_EQ(http_request(spec), "GET /healthz HTTP/1.0\r\nHost: [2001:db8::1]:8080\r\n"
				      "Connection: close\r\nUser-Agent: iplb-health\r\n\r\n");
}

// --- the checker -----------------------------------------------------------

class HealthCheckerFamily : public ::testing::TestWithParam<int> {};

TEST_P(HealthCheckerFamily, TcpUpDownUpOnTheSamePort)
{
	const int family = GetParam();
	TestServer server(family);
	if (!server.start(TestServer::Mode::accept_close))
		GTEST_SKIP() << "no loopback listener: " << std::strerror(errno);
	Recorder recorder;
	HealthChecker checker(recorder.callback());
	ASSERT_TRUE(
		checker.set_targets({{"b1", quick(CheckSpec::Kind::tcp, family, server.port())}}));
	EXPECT_EQ(recorder.wait(1), (Events{{"b1", Health::up}}));
	auto status = checker.status().at("b1");
	EXPECT_EQ(status.health, Health::up);
	EXPECT_GE(status.consecutive_ok, 2u); // rise
	EXPECT_EQ(status.consecutive_fail, 0u);
	EXPECT_EQ(status.last_error, "");

	server.stop();
	EXPECT_EQ(recorder.wait(2), (Events{{"b1", Health::up}, {"b1", Health::down}}));
	status = checker.status().at("b1");
	EXPECT_EQ(status.health, Health::down);
	EXPECT_GE(status.consecutive_fail, 2u); // fall
	EXPECT_EQ(status.consecutive_ok, 0u);
	EXPECT_EQ(status.last_error, "connect: Connection refused");

	ASSERT_TRUE(server.start(TestServer::Mode::accept_close)) << std::strerror(errno);
	EXPECT_EQ(recorder.wait(3),
		  (Events{{"b1", Health::up}, {"b1", Health::down}, {"b1", Health::up}}));
}

TEST_P(HealthCheckerFamily, HttpStatusDecides)
{
	const int family = GetParam();
	TestServer server(family);
	if (!server.start(TestServer::Mode::http, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
		GTEST_SKIP() << "no loopback listener: " << std::strerror(errno);
	Recorder recorder;
	HealthChecker checker(recorder.callback());
	auto spec = quick(CheckSpec::Kind::http, family, server.port());
	spec.http_path = "/healthz";
	ASSERT_TRUE(checker.set_targets({{"web", spec}}));
	EXPECT_EQ(recorder.wait(1), (Events{{"web", Health::up}}));
	EXPECT_EQ(server.last_request(), http_request(spec));

	server.set_mode(TestServer::Mode::http, "HTTP/1.1 503 Service Unavailable\r\n\r\n");
	EXPECT_EQ(recorder.wait(2), (Events{{"web", Health::up}, {"web", Health::down}}));
	EXPECT_EQ(checker.status().at("web").last_error, "HTTP status 503");

	// A redirect is healthy, as in GLB; so is a bare LF line end.
	server.set_mode(TestServer::Mode::http, "HTTP/1.0 302 Found\n\n");
	EXPECT_EQ(recorder.wait(3),
		  (Events{{"web", Health::up}, {"web", Health::down}, {"web", Health::up}}));
}

INSTANTIATE_TEST_SUITE_P(Loopback, HealthCheckerFamily, ::testing::Values(AF_INET, AF_INET6),
			 [](const auto &instance) {
				 return instance.param == AF_INET6 ? "v6" : "v4";
			 });

TEST(HealthChecker, RefusedPortGoesDownFromUnknown)
{
	// A port bound but never listened on: connections are refused, at once.
	UniqueFd bound(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	sockaddr_in sin{};
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ(::bind(bound.get(), reinterpret_cast<sockaddr *>(&sin), sizeof sin), 0);
	socklen_t length = sizeof sin;
	ASSERT_EQ(::getsockname(bound.get(), reinterpret_cast<sockaddr *>(&sin), &length), 0);

	Recorder recorder;
	HealthChecker checker(recorder.callback());
	auto spec = quick(CheckSpec::Kind::tcp, AF_INET, ntohs(sin.sin_port));
	spec.fall = 3;
	ASSERT_TRUE(checker.set_targets({{"gone", spec}}));
	EXPECT_EQ(recorder.wait(1), (Events{{"gone", Health::down}}));
	const auto status = checker.status().at("gone");
	EXPECT_GE(status.consecutive_fail, 3u); // more if this thread is slow to look
	EXPECT_EQ(status.consecutive_ok, 0u);
	EXPECT_EQ(status.last_error, "connect: Connection refused");
}

TEST(HealthChecker, HttpFailures)
{
	struct Case {
		TestServer::Mode mode;
		std::string reply;
		std::string error;
	};
	const std::vector<Case> cases = {
		{TestServer::Mode::silent, "", "timeout after 80 ms waiting for the status line"},
		{TestServer::Mode::http, "garbage\r\n\r\n", "malformed status line \"garbage\""},
		{TestServer::Mode::http, "HTTP/1.1 200", // no line end, then closed
		 "connection closed before a status line, after \"HTTP/1.1 200\""},
		// Reads the request, answers nothing, closes (closing without reading
		// it would reset the connection, which the checker may see first).
		{TestServer::Mode::http, "", "connection closed before a status line, after \"\""},
		{TestServer::Mode::http, std::string(1100, 'x'),
		 "no status line in the first 1024 bytes"},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.error);
		TestServer server(AF_INET);
		ASSERT_TRUE(server.start(c.mode, c.reply));
		Recorder recorder;
		HealthChecker checker(recorder.callback());
		ASSERT_TRUE(checker.set_targets(
			{{"web", quick(CheckSpec::Kind::http, AF_INET, server.port())}}));
		EXPECT_EQ(recorder.wait(1), (Events{{"web", Health::down}}));
		EXPECT_EQ(checker.status().at("web").last_error, c.error);
	}
}

TEST(HealthChecker, SetTargetsKeepsUnchangedDropsRemoved)
{
	TestServer server(AF_INET);
	ASSERT_TRUE(server.start(TestServer::Mode::accept_close));
	Recorder recorder;
	HealthChecker checker(recorder.callback());
	const auto a = quick(CheckSpec::Kind::tcp, AF_INET, server.port());
	auto b = a;
	b.rise = 1;
	ASSERT_TRUE(checker.set_targets({{"a", a}, {"b", b}}));
	ASSERT_TRUE(
		wait_status(checker, "a", [](const auto &s) { return s.health == Health::up; }));
	ASSERT_TRUE(
		wait_status(checker, "b", [](const auto &s) { return s.health == Health::up; }));
	const auto before = checker.status().at("a");

	// An invalid set changes nothing.
	auto invalid = a;
	invalid.rise = 0;
	const auto refused = checker.set_targets({{"a", a}, {"c", invalid}});
	ASSERT_FALSE(refused);
	EXPECT_EQ(refused.error().message, "target c: rise must be in 1..100, not 0");
	EXPECT_EQ(checker.status().size(), 2u);

	// a unchanged, b removed, c new.
	auto c = a;
	c.rise = 3;
	// Kept and new told apart by `since` (the last change of health, or the
	// configuration), not by counters a probe may move meanwhile.
	const auto replaced = Clock::now();
	ASSERT_TRUE(checker.set_targets({{"a", a}, {"c", c}}));
	auto now = checker.status();
	ASSERT_EQ(now.size(), 2u);
	EXPECT_EQ(now.at("a").health, Health::up);
	EXPECT_EQ(now.at("a").since, before.since);
	EXPECT_GE(now.at("a").probes, before.probes);
	EXPECT_GE(now.at("c").since, replaced);
	ASSERT_TRUE(
		wait_status(checker, "c", [](const auto &s) { return s.health == Health::up; }));

	// A changed spec starts over.
	auto a2 = a;
	a2.fall = 5;
	const auto changed = Clock::now();
	ASSERT_TRUE(checker.set_targets({{"a", a2}, {"c", c}}));
	EXPECT_GE(checker.status().at("a").since, changed);
	ASSERT_TRUE(
		wait_status(checker, "a", [](const auto &s) { return s.health == Health::up; }));

	// Every event: the first ups of a and b (either order), c's, a's again;
	// nothing for b's removal.
	auto events = recorder.wait(4);
	ASSERT_EQ(events.size(), 4u);
	std::sort(events.begin(), events.begin() + 2);
	EXPECT_EQ(events, (Events{{"a", Health::up},
				  {"b", Health::up},
				  {"c", Health::up},
				  {"a", Health::up}}));
}

TEST(HealthChecker, CallbackMayChangeTargets)
{
	// Take a target out of the set as it goes down, from the callback (the
	// checker's own thread): no deadlock, no further event.
	TestServer server(AF_INET);
	ASSERT_TRUE(server.start(TestServer::Mode::accept_close));
	std::mutex mutex;
	std::condition_variable changed;
	Events events;
	std::unique_ptr<HealthChecker> checker;
	checker = std::make_unique<HealthChecker>([&](const std::string &id, Health health) {
		if (health == Health::down) {
			EXPECT_TRUE(checker->set_targets({}));
		}
		std::lock_guard lock(mutex);
		events.emplace_back(id, health);
		changed.notify_all();
	});
	ASSERT_TRUE(
		checker->set_targets({{"x", quick(CheckSpec::Kind::tcp, AF_INET, server.port())}}));
	ASSERT_TRUE(
		wait_status(*checker, "x", [](const auto &s) { return s.health == Health::up; }));
	server.stop();
	std::unique_lock lock(mutex);
	changed.wait_for(lock, wait_bound, [&] { return events.size() >= 2; });
	EXPECT_EQ(events, (Events{{"x", Health::up}, {"x", Health::down}}));
	lock.unlock();
	EXPECT_TRUE(checker->status().empty());
}

TEST(HealthChecker, DestroyedWithProbesInFlight)
{
	// Servers that never answer and a long timeout: when the checker goes,
	// every target has a probe waiting. Its destructor must not wait for them
	// (if it did, this test would take 10 s; it must not hang either way).
	TestServer server(AF_INET);
	ASSERT_TRUE(server.start(TestServer::Mode::silent));
	auto checker = std::make_unique<HealthChecker>([](const std::string &, Health) {});
	std::map<std::string, CheckSpec> targets;
	for (int i = 0; i < 8; ++i) {
		auto spec = quick(CheckSpec::Kind::http, AF_INET, server.port());
		spec.interval = 20s;
		spec.timeout = 10s;
		spec.http_path = "/" + std::to_string(i); // distinct specs, distinct probes
		targets.emplace("t" + std::to_string(i), spec);
	}
	ASSERT_TRUE(checker->set_targets(targets));
	const auto deadline = Clock::now() + wait_bound;
	while (server.accepted() < targets.size() && Clock::now() < deadline)
		std::this_thread::sleep_for(5ms);
	ASSERT_EQ(server.accepted(), targets.size());
	for (const auto &[id, status] : checker->status())
		EXPECT_EQ(status.probes, 0u) << id; // all still in flight
	checker.reset();
}

} // namespace
} // namespace iplb::health

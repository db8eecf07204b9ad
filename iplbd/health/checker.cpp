// SPDX-License-Identifier: GPL-2.0-or-later
#include "health/checker.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <system_error>
#include <utility>
#include <variant>

namespace iplb::health {

namespace {

// A status line longer than this is not one we want to read: real ones are
// a few dozen bytes.
constexpr std::size_t max_status_line = 1024;

std::string errno_text(std::string_view what, int error)
{
	return std::string(what) + ": " + std::strerror(error);
}

struct SocketAddress {
	sockaddr_storage storage{};
	socklen_t length = 0;
	int family = AF_INET;
};

SocketAddress socket_address(const IpAddress &address, uint16_t port)
{
	SocketAddress out;
	if (const auto *v4 = std::get_if<Ipv4>(&address)) {
		sockaddr_in sin{};
		sin.sin_family = AF_INET;
		sin.sin_port = htons(port);
		sin.sin_addr.s_addr = htonl(v4->value);
		std::memcpy(&out.storage, &sin, sizeof sin);
		out.length = sizeof sin;
		out.family = AF_INET;
		return out;
	}
	sockaddr_in6 sin6{};
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(port);
	std::memcpy(&sin6.sin6_addr, std::get<Ipv6>(address).bytes.data(), 16);
	std::memcpy(&out.storage, &sin6, sizeof sin6);
	out.length = sizeof sin6;
	out.family = AF_INET6;
	return out;
}

// A peer's bytes in an error message: printable, and not too many of them.
std::string quoted(std::string_view bytes)
{
	constexpr std::size_t limit = 64;
	std::string out = "\"";
	for (const char c : bytes.substr(0, limit))
		out += (c >= ' ' && c < 0x7f) ? c : '?';
	out += bytes.size() > limit ? "...\"" : "\"";
	return out;
}

template <typename T>
void saturating_increment(T &counter)
{
	if (counter < std::numeric_limits<T>::max())
		++counter;
}

} // namespace

HealthChecker::HealthChecker(OnChange on_change)
    : on_change_(std::move(on_change)), wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC))
{
	if (!wake_fd_)
		throw std::system_error(errno, std::generic_category(), "eventfd");
	thread_ = std::thread([this] { run(); });
}

HealthChecker::~HealthChecker()
{
	{
		std::lock_guard lock(mutex_);
		stopping_ = true;
	}
	wake();
	if (thread_.joinable())
		thread_.join();
}

void HealthChecker::wake()
{
	const uint64_t one = 1;
	// Can only fail if the counter is about to overflow, and then a wake-up
	// is pending anyway.
	[[maybe_unused]] const auto written = ::write(wake_fd_.get(), &one, sizeof one);
}

Status HealthChecker::set_targets(std::map<std::string, CheckSpec> targets)
{
	for (const auto &[id, spec] : targets) {
		if (auto valid = validate(spec); !valid)
			return unexpected(Error{"target " + id + ": " + valid.error().message});
	}
	// From another thread, wait for callbacks being delivered, so that none
	// reports a target removed here once this returns. From a callback
	// (on the checker's thread) deliver() itself skips removed targets.
	std::unique_lock<std::mutex> delivering;
	if (std::this_thread::get_id() != thread_.get_id())
		delivering = std::unique_lock(deliver_mutex_);
	{
		std::lock_guard lock(mutex_);
		const auto now = Clock::now();
		std::map<std::string, Target> next;
		for (auto &[id, spec] : targets) {
			auto old = targets_.find(id);
			if (old != targets_.end() && old->second.spec == spec) {
				next.emplace(id, std::move(old->second));
				continue;
			}
			Target target;
			target.spec = std::move(spec);
			target.generation = next_generation_++;
			target.status.since = now;
			target.next_due = now;
			next.emplace(id, std::move(target));
		}
		// Removed and changed targets close their probes' sockets here.
		targets_ = std::move(next);
	}
	wake();
	return ok();
}

std::map<std::string, TargetStatus> HealthChecker::status() const
{
	std::lock_guard lock(mutex_);
	std::map<std::string, TargetStatus> out;
	for (const auto &[id, target] : targets_)
		out.emplace(id, target.status);
	return out;
}

void HealthChecker::finish_probe(const std::string &id, Target &target, std::string error)
{
	target.probe.reset();
	auto &status = target.status;
	saturating_increment(status.probes);
	std::optional<Health> change;
	if (error.empty()) {
		saturating_increment(status.consecutive_ok);
		status.consecutive_fail = 0;
		if (status.health != Health::up && status.consecutive_ok >= target.spec.rise)
			change = Health::up;
	} else {
		saturating_increment(status.consecutive_fail);
		status.consecutive_ok = 0;
		if (status.health != Health::down && status.consecutive_fail >= target.spec.fall)
			change = Health::down;
	}
	status.last_error = std::move(error);
	if (change) {
		status.health = *change;
		status.since = Clock::now();
		pending_.push_back({id, target.generation, *change});
	}
}

void HealthChecker::start_probe(const std::string &id, Target &target, Clock::time_point now)
{
	const auto &spec = target.spec;
	target.next_due = now + spec.interval;
	const auto address = socket_address(spec.address, spec.port);
	UniqueFd fd(::socket(address.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	if (!fd) {
		finish_probe(id, target, errno_text("socket", errno));
		return;
	}
	Probe probe;
	probe.serial = next_probe_serial_++;
	probe.deadline = now + spec.timeout;
	if (spec.kind == CheckSpec::Kind::http)
		probe.request = http_request(spec);
	if (::connect(fd.get(), reinterpret_cast<const sockaddr *>(&address.storage),
		      address.length) == 0) {
		probe.stage = Probe::Stage::sending; // loopback may connect at once
	} else if (errno != EINPROGRESS) {
		finish_probe(id, target, errno_text("connect", errno));
		return;
	}
	probe.fd = std::move(fd);
	target.probe = std::move(probe);
	if (target.probe->stage == Probe::Stage::sending)
		advance_probe(id, target, POLLOUT);
}

void HealthChecker::advance_probe(const std::string &id, Target &target, short revents)
{
	auto &probe = *target.probe;
	const int fd = probe.fd.get();
	if (probe.stage == Probe::Stage::connecting) {
		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return;
		int error = 0;
		socklen_t length = sizeof error;
		if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0)
			error = errno;
		if (error != 0) {
			finish_probe(id, target, errno_text("connect", error));
			return;
		}
		probe.stage = Probe::Stage::sending;
	}
	if (probe.stage == Probe::Stage::sending) {
		if (target.spec.kind == CheckSpec::Kind::tcp) {
			finish_probe(id, target, {}); // connected is all a tcp check asks
			return;
		}
		while (probe.sent < probe.request.size()) {
			const auto n = ::send(fd, probe.request.data() + probe.sent,
					      probe.request.size() - probe.sent, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					return;
				if (errno == EINTR)
					continue;
				finish_probe(id, target, errno_text("send", errno));
				return;
			}
			probe.sent += static_cast<std::size_t>(n);
		}
		probe.stage = Probe::Stage::receiving;
		return; // poll says when the answer is there
	}
	if (!(revents & (POLLIN | POLLERR | POLLHUP)))
		return;
	char buffer[max_status_line];
	const auto n = ::recv(fd, buffer, max_status_line - probe.received.size(), 0);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			finish_probe(id, target, errno_text("recv", errno));
		return;
	}
	if (n == 0) {
		finish_probe(id, target,
			     "connection closed before a status line, after " +
				     quoted(probe.received));
		return;
	}
	probe.received.append(buffer, static_cast<std::size_t>(n));
	const auto end = probe.received.find('\n');
	if (end == std::string::npos) {
		if (probe.received.size() >= max_status_line)
			finish_probe(id, target,
				     "no status line in the first " +
					     std::to_string(max_status_line) + " bytes");
		return;
	}
	std::string_view line(probe.received.data(), end);
	if (!line.empty() && line.back() == '\r')
		line.remove_suffix(1);
	const auto code = parse_http_status(line);
	if (!code)
		finish_probe(id, target, "malformed status line " + quoted(line));
	else if (*code < 200 || *code > 399)
		finish_probe(id, target, "HTTP status " + std::to_string(*code));
	else
		finish_probe(id, target, {});
}

void HealthChecker::deliver(std::vector<Transition> transitions)
{
	std::lock_guard delivering(deliver_mutex_);
	for (const auto &transition : transitions) {
		{
			std::lock_guard lock(mutex_);
			if (stopping_)
				return;
			const auto it = targets_.find(transition.id);
			if (it == targets_.end() || it->second.generation != transition.generation)
				continue; // removed or changed meanwhile
		}
		on_change_(transition.id, transition.health);
	}
}

void HealthChecker::run()
{
	std::vector<pollfd> fds;
	// Which probe each pollfd (after the eventfd) was for: set_targets may
	// replace targets while poll waits unlocked.
	std::vector<std::pair<std::string, uint64_t>> polled;
	std::unique_lock lock(mutex_);
	while (!stopping_) {
		const auto now = Clock::now();
		for (auto &[id, target] : targets_) {
			if (target.probe && now >= target.probe->deadline) {
				const auto stage = target.probe->stage;
				const std::string_view doing =
					stage == Probe::Stage::connecting ? "connecting"
					: stage == Probe::Stage::sending
						? "sending the request"
						: "waiting for the status line";
				finish_probe(id, target,
					     "timeout after " +
						     std::to_string(target.spec.timeout.count()) +
						     " ms " + std::string(doing));
			}
			if (!target.probe && now >= target.next_due)
				start_probe(id, target, now);
		}
		if (!pending_.empty()) {
			auto transitions = std::exchange(pending_, {});
			lock.unlock();
			deliver(std::move(transitions));
			lock.lock();
			continue;
		}

		fds.assign(1, pollfd{wake_fd_.get(), POLLIN, 0});
		polled.clear();
		std::optional<Clock::time_point> wake_at;
		for (const auto &[id, target] : targets_) {
			auto when = target.next_due;
			if (target.probe) {
				const auto &probe = *target.probe;
				const short events =
					probe.stage == Probe::Stage::receiving ? POLLIN : POLLOUT;
				fds.push_back(pollfd{probe.fd.get(), events, 0});
				polled.emplace_back(id, probe.serial);
				when = probe.deadline;
			}
			wake_at = wake_at ? std::min(*wake_at, when) : when;
		}
		int timeout_ms = -1;
		if (wake_at) {
			// Rounded up, so that poll does not return just before a
			// deadline and spin.
			const auto wait =
				std::chrono::ceil<std::chrono::milliseconds>(*wake_at - now);
			timeout_ms = static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(
				wait.count(), 0, 60 * 1000));
		}

		lock.unlock();
		const int ready = ::poll(fds.data(), fds.size(), timeout_ms);
		lock.lock();
		if (ready <= 0)
			continue; // a timeout (handled above) or EINTR
		if (fds[0].revents) {
			uint64_t count = 0;
			[[maybe_unused]] const auto drained =
				::read(wake_fd_.get(), &count, sizeof count);
		}
		for (std::size_t i = 1; i < fds.size(); ++i) {
			if (!fds[i].revents)
				continue;
			const auto &[id, serial] = polled[i - 1];
			const auto it = targets_.find(id);
			if (it == targets_.end() || !it->second.probe ||
			    it->second.probe->serial != serial)
				continue; // replaced while poll waited
			advance_probe(id, it->second, fds[i].revents);
		}
	}
}

} // namespace iplb::health

// SPDX-License-Identifier: GPL-2.0-or-later
#include "mptcp/token_mirror.hpp"

#include "redis/keyspace.hpp"
#include "redis/redis_client.hpp"

#include <algorithm>
#include <cerrno>
#include <optional>
#include <poll.h>
#include <sys/eventfd.h>
#include <system_error>
#include <unistd.h>

namespace iplb::mptcp {
namespace {

using Clock = std::chrono::steady_clock;

// The two connections a mirror holds: one subscribed (it can do nothing
// else; in a cluster, any node's subscribers get every PUBLISH), and the
// keyspace for commands (the full read, the misses' lookups).
struct Connections {
	redis::Client subscriber;
	redis::Keyspace commands;
};

} // namespace

TokenMirror::TokenMirror(TokenDataplane &dataplane, TokenMirrorOptions options, LogSink log)
    : dataplane_(dataplane), options_(std::move(options)), log_(std::move(log)),
      stop_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC))
{
	if (!stop_fd_)
		throw std::system_error(errno, std::generic_category(), "eventfd");
	thread_ = std::thread([this] { run(); });
}

TokenMirror::~TokenMirror()
{
	const uint64_t one = 1;
	[[maybe_unused]] const auto written = ::write(stop_fd_.get(), &one, sizeof one);
	if (thread_.joinable())
		thread_.join();
}

TokenMirrorView TokenMirror::view() const
{
	std::lock_guard lock(mutex_);
	return view_;
}

void TokenMirror::log(LogLevel level, const std::string &message) const
{
	if (log_)
		log_(level, "mptcp tokens: " + message);
}

void TokenMirror::run()
{
	std::optional<Connections> redis;
	auto next_connect = Clock::now();
	auto next_read = Clock::now();
	// Tokens the last full read did not find: removed if the next misses
	// them too.
	std::set<uint32_t> absent_once;
	const std::string subflows_channel = subflow_channel(options_.prefix);
	TokenMirrorView counters;
	// Dropped joins whose token Redis did not have yet, until their "+".
	struct Parked {
		DroppedJoin join;
		Clock::time_point until;
	};
	std::multimap<uint32_t, Parked> parked;
	const auto replay = [&](const DroppedJoin &join) {
		if (auto sent = dataplane_.replay(join); !sent) {
			if (counters.replay_errors++ == 0)
				log(LogLevel::warning, sent.error().message +
							       " (dropped joins now wait for the "
							       "client's retransmission)");
			return;
		}
		counters.replayed++;
	};
	// A token just written: its parked joins go now.
	const auto release = [&](uint32_t token) {
		const auto [first, last] = parked.equal_range(token);
		for (auto it = first; it != last; ++it)
			replay(it->second.join);
		parked.erase(first, last);
	};

	const auto publish_view = [&] {
		std::lock_guard lock(mutex_);
		counters.redis_connected = redis.has_value();
		view_ = counters;
	};
	const auto lost = [&](const Error &error) {
		counters.redis_error = error.message;
		log(LogLevel::warning,
		    error.message + ": connecting again (the map keeps its tokens meanwhile)");
		redis.reset();
		next_connect = Clock::now() + options_.retry;
	};
	const auto set = [&](uint32_t token, const std::string &dip) {
		if (auto done = dataplane_.set_token(token, dip); !done) {
			counters.dataplane_errors++;
			log(LogLevel::error, done.error().message);
			return false;
		}
		return true;
	};
	const auto remove = [&](uint32_t token) {
		if (auto done = dataplane_.remove_token(token); !done) {
			counters.dataplane_errors++;
			log(LogLevel::error, done.error().message);
		}
	};
	const auto apply_subflow = [&](const SubflowUpdate &update) {
		auto done = update.added ? dataplane_.set_subflow(update.subflow, update.dip)
					 : dataplane_.remove_subflow(update.subflow);
		if (!done) {
			counters.dataplane_errors++;
			log(LogLevel::error, done.error().message);
			return false;
		}
		return true;
	};
	// The whole store against the map: what differs is written now, what
	// the map has beyond it goes at the second read in a row that misses it.
	// The subflows too after a (re)connect; while connected their pushes
	// keep the map up to date.
	const auto full_read = [&](bool with_subflows) -> bool {
		TokenStore store(redis->commands, options_.prefix);
		auto stored = store.all();
		if (!stored) {
			lost(stored.error());
			return false;
		}
		auto mapped = dataplane_.tokens();
		if (!mapped) {
			counters.dataplane_errors++;
			log(LogLevel::error, mapped.error().message);
			return true;
		}
		counters.full_reads++;
		for (const auto &[token, dip] : *stored) {
			absent_once.erase(token);
			const auto it = mapped->find(token);
			if (it == mapped->end() || it->second != dip) {
				if (!set(token, dip))
					counters.malformed++;
				else
					release(token);
			}
		}
		std::set<uint32_t> absent;
		for (const auto &[token, dip] : *mapped) {
			if (stored->contains(token))
				continue;
			if (absent_once.contains(token)) {
				remove(token);
				counters.stale_removed++;
			} else {
				absent.insert(token);
			}
		}
		absent_once = std::move(absent);
		if (with_subflows) {
			// Only written: stale ones go by their "-", by a new
			// connection on their 4-tuple, or out of the LRU.
			auto subflows = store.subflows();
			if (!subflows) {
				lost(subflows.error());
				return false;
			}
			for (const auto &[subflow, dip] : *subflows)
				if (apply_subflow(SubflowUpdate{true, subflow, dip}))
					counters.subflows_read++;
		}
		next_read = Clock::now() + options_.resync;
		return true;
	};

	const auto connect = [&]() -> Result<Connections, Error> {
		auto subscriber =
			redis::Client::connect_first(options_.redis, options_.redis_timeout);
		if (!subscriber)
			return unexpected(subscriber.error());
		const std::string first[] = {subscriber->endpoint()};
		auto commands = redis::Keyspace::connect(first, options_.redis_timeout);
		if (!commands)
			return unexpected(commands.error());
		const std::string channels[] = {token_channel(options_.prefix), subflows_channel};
		if (auto subscribed = subscriber->subscribe(channels); !subscribed)
			return unexpected(subscribed.error());
		return Connections{std::move(*subscriber), std::move(*commands)};
	};

	while (true) {
		const auto now = Clock::now();
		auto wake = redis ? next_read : next_connect;
		for (const auto &[token, join] : parked)
			wake = std::min(wake, join.until);
		const auto wait = std::clamp<int64_t>(
			std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count(),
			0, 1000);
		pollfd fds[3] = {{stop_fd_.get(), POLLIN, 0},
				 {dataplane_.misses_fd(), POLLIN, 0},
				 {redis ? redis->subscriber.fd() : -1, POLLIN, 0}};
		::poll(fds, 3, static_cast<int>(wait));
		if (fds[0].revents & POLLIN)
			break;

		if (!redis && Clock::now() >= next_connect) {
			if (auto connected = connect(); connected) {
				redis.emplace(std::move(*connected));
				counters.redis_error.clear();
				log(LogLevel::info,
				    "following Redis " + redis->subscriber.endpoint());
				full_read(true);
			} else {
				counters.redis_error = connected.error().message;
				next_connect = Clock::now() + options_.retry;
			}
		}

		// The channel: every message waiting, applied in order.
		while (redis) {
			auto message = redis->subscriber.next_message(std::chrono::milliseconds(0));
			if (!message) {
				lost(message.error());
				break;
			}
			if (!*message)
				break;
			if ((*message)->channel == subflows_channel) {
				const auto update = parse_subflow_update((*message)->payload);
				if (!update || !apply_subflow(*update))
					counters.malformed++;
				else
					counters.subflow_updates++;
				continue;
			}
			const auto update = parse_update((*message)->payload);
			if (!update) {
				counters.malformed++;
				continue;
			}
			counters.updates++;
			if (update->added) {
				absent_once.erase(update->token);
				if (!set(update->token, update->dip))
					counters.malformed++;
				else
					release(update->token);
			} else {
				remove(update->token);
			}
		}

		// The datapath's misses: looked up one by one; found, sent again.
		if (fds[1].revents & POLLIN) {
			auto misses = dataplane_.read_misses();
			if (!misses) {
				counters.dataplane_errors++;
				log(LogLevel::error, misses.error().message);
			} else {
				for (auto &join : *misses) {
					counters.misses++;
					const uint32_t token = join.token;
					if (!redis) {
						counters.miss_unanswered++;
						continue;
					}
					TokenStore store(redis->commands, options_.prefix);
					auto found = store.lookup(token);
					if (!found) {
						counters.miss_unanswered++;
						lost(found.error());
						continue;
					}
					if (!*found) {
						counters.miss_unknown++;
						parked.emplace(
							token,
							Parked{std::move(join),
							       Clock::now() + options_.park});
						continue;
					}
					if (!set(token, **found)) {
						counters.malformed++;
						continue;
					}
					counters.miss_found++;
					replay(join);
					release(token);
				}
			}
		}
		for (auto it = parked.begin(); it != parked.end();) {
			if (Clock::now() < it->second.until) {
				++it;
				continue;
			}
			counters.parked_expired++;
			it = parked.erase(it);
		}

		if (redis && Clock::now() >= next_read)
			full_read(false);
		publish_view();
	}
}

} // namespace iplb::mptcp

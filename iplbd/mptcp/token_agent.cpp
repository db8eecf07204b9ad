// SPDX-License-Identifier: GPL-2.0-or-later
#include "mptcp/token_agent.hpp"

#include "redis/redis_client.hpp"

#include <algorithm>
#include <cerrno>
#include <optional>
#include <poll.h>
#include <sys/eventfd.h>
#include <system_error>

namespace iplb::mptcp {
namespace {

using Clock = std::chrono::steady_clock;

} // namespace

TokenAgent::TokenAgent(EventSource events, TokenAgentOptions options, LogSink log)
    : events_(std::move(events)), options_(std::move(options)), log_(std::move(log)),
      stop_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC))
{
	if (!stop_fd_)
		throw std::system_error(errno, std::generic_category(), "eventfd");
	thread_ = std::thread([this] { run(); });
}

TokenAgent::~TokenAgent()
{
	const uint64_t one = 1;
	[[maybe_unused]] const auto written = ::write(stop_fd_.get(), &one, sizeof one);
	if (thread_.joinable())
		thread_.join();
}

TokenAgentView TokenAgent::view() const
{
	std::lock_guard lock(mutex_);
	return view_;
}

void TokenAgent::log(LogLevel level, const std::string &message) const
{
	if (log_)
		log_(level, "mptcp tokens: " + message);
}

void TokenAgent::run()
{
	std::optional<redis::Keyspace> client;
	auto next_connect = Clock::now();
	auto next_reconcile = Clock::now();
	TokenAgentView counters;
	const auto set_view = [&] {
		std::lock_guard lock(mutex_);
		counters.tokens = table_.connections().size();
		counters.subflows = table_.join_count();
		counters.pending = pending_.size() + pending_subflows_.size();
		counters.redis_connected = client.has_value();
		view_ = counters;
	};
	while (true) {
		const auto now = Clock::now();
		auto wake = client ? next_reconcile : next_connect;
		if (client && !(pending_.empty() && pending_subflows_.empty()))
			wake = now;
		const auto wait = std::max<int64_t>(
			0,
			std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count());
		pollfd fds[2] = {{events_.fd(), POLLIN, 0}, {stop_fd_.get(), POLLIN, 0}};
		::poll(fds, 2, static_cast<int>(std::min<int64_t>(wait, 1000)));
		if (fds[1].revents & POLLIN)
			break;

		// The kernel's events into the table; what changed is pending.
		if (auto batch = events_.receive(); batch) {
			counters.malformed_events += batch->malformed;
			if (batch->lost) {
				counters.lost_events++;
				log(LogLevel::warning,
				    "events lost (socket overflow): the next "
				    "reconcile sets Redis right for what is known");
			}
			for (const auto &event : batch->events) {
				const auto change = table_.apply(event);
				if (change.token != TokenChange::none)
					pending_[event.token] = change.token == TokenChange::added;
				for (const auto &subflow : change.joined)
					pending_subflows_[subflow] = true;
				for (const auto &subflow : change.left)
					pending_subflows_[subflow] = false;
			}
		} else {
			log(LogLevel::error, batch.error().message);
		}

		const auto lost = [&](const Error &error) {
			counters.redis_error = error.message;
			log(LogLevel::warning, error.message + ": connecting again");
			client.reset();
			next_connect = Clock::now() + options_.retry;
		};
		if (!client && Clock::now() >= next_connect) {
			auto connected =
				redis::Keyspace::connect(options_.redis, options_.redis_timeout);
			if (connected) {
				client.emplace(std::move(*connected));
				counters.redis_error.clear();
				// A Redis that restarted has forgotten everything:
				// publish the whole table again (idempotent).
				for (const auto &[token, connection] : table_.connections())
					pending_[token] = true;
				for (const auto &subflow : table_.joins())
					pending_subflows_[subflow] = true;
				next_reconcile = Clock::now();
				log(LogLevel::info,
				    "connected to Redis " + client->endpoint() +
					    (client->cluster()
						     ? " (a cluster of " +
							       std::to_string(client->nodes()) +
							       " masters)"
						     : std::string()));
			} else {
				counters.redis_error = connected.error().message;
				next_connect = Clock::now() + options_.retry;
			}
		}
		if (client) {
			TokenStore store(*client, options_.prefix);
			for (auto it = pending_.begin(); client && it != pending_.end();) {
				const auto [token, publish] = *it;
				if (publish) {
					auto done = store.publish(token, options_.dip);
					if (!done) {
						lost(done.error());
						break;
					}
					if (const auto *collision =
						    std::get_if<Collision>(&*done)) {
						counters.collisions[token] = collision->owner;
						log(LogLevel::warning,
						    "token " + token_hex(token) +
							    " collides: " + collision->owner +
							    " holds it (its joins cannot reach "
							    "us)");
					} else {
						counters.published++;
					}
				} else {
					auto done = store.withdraw(token, options_.dip);
					if (!done) {
						lost(done.error());
						break;
					}
					counters.collisions.erase(token);
					counters.withdrawn += *done ? 1 : 0;
				}
				it = pending_.erase(it);
			}
			// Tokens first: a join subflow's connection is announced
			// before the subflow.
			for (auto it = pending_subflows_.begin();
			     client && it != pending_subflows_.end();) {
				const auto &[subflow, publish] = *it;
				if (publish) {
					if (auto done =
						    store.publish_subflow(subflow, options_.dip);
					    !done) {
						lost(done.error());
						break;
					}
					counters.subflows_published++;
				} else {
					auto done = store.withdraw_subflow(subflow, options_.dip);
					if (!done) {
						lost(done.error());
						break;
					}
					counters.subflows_withdrawn += *done ? 1 : 0;
				}
				it = pending_subflows_.erase(it);
			}
		}
		if (client && pending_.empty() && pending_subflows_.empty() &&
		    Clock::now() >= next_reconcile) {
			TokenStore store(*client, options_.prefix);
			auto owned = store.owned_by(options_.dip);
			auto owned_subflows = owned ? store.subflows_owned_by(options_.dip)
						    : unexpected(owned.error());
			if (!owned_subflows) {
				lost(owned_subflows.error());
			} else {
				counters.reconciles++;
				for (const uint32_t token : *owned)
					if (!table_.contains(token)) {
						pending_[token] = false;
						counters.stale_withdrawn++;
					}
				for (const auto &[token, connection] : table_.connections())
					if (!owned->contains(token) &&
					    !counters.collisions.contains(token))
						pending_[token] = true;
				const auto held = table_.joins();
				for (const auto &subflow : *owned_subflows)
					if (!held.contains(subflow)) {
						pending_subflows_[subflow] = false;
						counters.stale_subflows_withdrawn++;
					}
				for (const auto &subflow : held)
					if (!owned_subflows->contains(subflow))
						pending_subflows_[subflow] = true;
				next_reconcile = Clock::now() + options_.reconcile;
			}
		}
		set_view();
	}
}

} // namespace iplb::mptcp

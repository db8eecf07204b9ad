// SPDX-License-Identifier: GPL-2.0-or-later
// A client of etcd v3 through its JSON gateway (docs/LB.md, "Control plane:
// the etcd client"): keys, prefixes, transactions, leases, and watches.
//
// Calls block (bounded by HttpTimeouts) and are serialised; the daemon's
// event-loop integration will replace the transport, not this interface.
// Endpoints are tried in order from the last one that answered; a transport
// error (refused, timed out) or an unavailable member (HTTP 503: no leader)
// moves to the next. Any other etcd error is the call's answer.
#pragma once

#include "cluster/etcd_codec.hpp"
#include "cluster/http_transport.hpp"
#include "util/result.hpp"
#include "util/status.hpp"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace iplb::cluster {

// "http://host:port" (or https), no path: what `lb etcd endpoints` will take.
Status validate_endpoint(std::string_view endpoint);

class EtcdWatch;

class EtcdClient {
public:
	using WatchCallback = std::function<void(const WatchEvent &)>;
	using WatchErrorCallback = std::function<void(const Error &)>;

	// endpoints: http://host:port each (validate_endpoint); transport: the
	// HTTP layer (a CurlTransport with timeouts when null).
	explicit EtcdClient(std::vector<std::string> endpoints, HttpTimeouts timeouts = {},
			    std::unique_ptr<HttpTransport> transport = nullptr);
	~EtcdClient();
	EtcdClient(const EtcdClient &) = delete;
	EtcdClient &operator=(const EtcdClient &) = delete;

	std::span<const std::string> endpoints() const { return endpoints_; }
	// The endpoint the next call tries first (the last one that answered).
	const std::string &current_endpoint() const;

	// The store's revision after the put.
	Result<Revision, Error> put(std::string_view key, std::string_view value,
				    LeaseId lease = 0);
	Result<std::optional<KeyValue>, Error> get(std::string_view key);
	// Every key starting with prefix, in key order, and the revision read.
	Result<RangeResult, Error> get_prefix(std::string_view prefix);
	// How many keys were deleted (0 or 1).
	Result<int64_t, Error> erase(std::string_view key);
	Result<int64_t, Error> erase_prefix(std::string_view prefix);
	Result<TxnResult, Error> txn(const Txn &txn);
	// Compare-and-swap: put if the key's mod_revision is expected
	// (0: if the key is absent). succeeded says whether it was written.
	Result<TxnResult, Error> put_if_mod_revision(std::string_view key, std::string_view value,
						     Revision expected, LeaseId lease = 0);
	Result<TxnResult, Error> put_if_absent(std::string_view key, std::string_view value,
					       LeaseId lease = 0);

	Result<LeaseId, Error> grant_lease(int64_t ttl_seconds);
	// The lease's TTL after the refresh (seconds); an error once it is gone.
	Result<int64_t, Error> keep_alive(LeaseId lease);
	Status revoke(LeaseId lease);

	// What the member at endpoint (one of endpoints()) says of itself: its
	// ID and its leader's. Asks that endpoint only, no failover.
	Result<MemberStatus, Error> member_status(std::string_view endpoint);

	// Delivers every put and delete under prefix from start_revision on
	// (0: from now), in revision order, on a thread of the watch's own,
	// until the watch is stopped or destroyed. When its endpoint fails it
	// resumes on the next from the revision after the last event, so no
	// event is lost or repeated; on_error hears of each such failure, and
	// of the end of the watch when it cannot go on (its start revision
	// compacted: read again and watch from the read's revision + 1).
	std::unique_ptr<EtcdWatch> watch_prefix(std::string_view prefix, Revision start_revision,
						WatchCallback on_event,
						WatchErrorCallback on_error = {});

private:
	struct Answer {
		const std::string &endpoint;
		std::string body;
	};
	// Posts to each endpoint in turn until one answers; errors name every
	// endpoint tried and etcd's own message.
	Result<Answer, Error> call(std::string_view path, std::string_view body);
	template <typename T>
	Result<T, Error> decoded(const Result<Answer, Error> &answer, std::string_view path,
				 Result<T, Error> (*decode)(std::string_view));

	std::vector<std::string> endpoints_;
	HttpTimeouts timeouts_;
	std::unique_ptr<HttpTransport> transport_;
	std::mutex mutex_;
	std::atomic<size_t> current_ = 0; // read by current_endpoint() without the lock
};

// A running watch (EtcdClient::watch_prefix). Callbacks run on its thread,
// one at a time; an exception from on_event ends the watch (reported to
// on_error). stop() (or the destructor) returns within about a second (at
// once when the thread is waiting for data), after the last callback has
// returned; never call it from a callback.
class EtcdWatch {
public:
	EtcdWatch(std::vector<std::string> endpoints, std::string key, std::string range_end,
		  Revision start_revision, HttpTimeouts timeouts,
		  EtcdClient::WatchCallback on_event, EtcdClient::WatchErrorCallback on_error);
	~EtcdWatch();
	EtcdWatch(const EtcdWatch &) = delete;
	EtcdWatch &operator=(const EtcdWatch &) = delete;

	void stop();
	// False once stopped, or ended by an error it cannot resume from.
	bool running() const { return running_; }
	// The revision the watch would resume from (the last event's + 1).
	Revision next_revision() const { return next_revision_; }
	// Whether etcd confirmed the watch on the current stream.
	bool created() const { return created_; }

private:
	enum class StreamEnd { stopped, failed, fatal };
	void run();
	StreamEnd stream(const std::string &endpoint);
	bool wait_stopping(std::chrono::milliseconds delay);
	void report(const Error &error);

	std::vector<std::string> endpoints_;
	std::string key_;
	std::string range_end_;
	HttpTimeouts timeouts_;
	EtcdClient::WatchCallback on_event_;
	EtcdClient::WatchErrorCallback on_error_;
	CurlMulti multi_;
	std::atomic<bool> stopping_{false};
	std::atomic<bool> running_{true};
	std::atomic<bool> created_{false};
	std::atomic<Revision> next_revision_;
	std::mutex mutex_;
	std::condition_variable wake_;
	std::thread thread_;
};

} // namespace iplb::cluster

// SPDX-License-Identifier: GPL-2.0-or-later
// The HTTP layer under EtcdClient, behind an interface: the blocking libcurl
// transport here is what the first users need; the daemon will put a
// non-blocking driver on FRR's event loop behind the same calls, and unit
// tests can answer with canned bodies.
#pragma once

#include "cluster/curl_handles.hpp"
#include "util/result.hpp"

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>

namespace iplb::cluster {

// Any HTTP answer, whatever its status: the caller reads etcd's error from
// the body. A failure to get one (no connection, a timeout) is an Error.
struct HttpReply {
	long status = 0;
	std::string body;
};

class HttpTransport {
public:
	virtual ~HttpTransport() = default;
	virtual Result<HttpReply, Error> post(std::string_view url, std::string_view json_body) = 0;
};

struct HttpTimeouts {
	// A member that is down refuses at once; one whose host is gone lets the
	// connect hang, so this bounds how long a failover takes.
	std::chrono::milliseconds connect{1000};
	std::chrono::milliseconds total{5000};
};

// One curl easy handle, reused so that the connection to an endpoint stays
// open between calls; calls are serialised (a handle is not shared across
// threads).
class CurlTransport final : public HttpTransport {
public:
	explicit CurlTransport(HttpTimeouts timeouts = {});
	Result<HttpReply, Error> post(std::string_view url, std::string_view json_body) override;

private:
	HttpTimeouts timeouts_;
	std::mutex mutex_;
	CurlEasy easy_;
	CurlSlist headers_;
};

} // namespace iplb::cluster

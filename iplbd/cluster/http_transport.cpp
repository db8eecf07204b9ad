// SPDX-License-Identifier: GPL-2.0-or-later
#include "cluster/http_transport.hpp"

#include <stdexcept>

namespace iplb::cluster {
namespace {

size_t append_body(char *data, size_t size, size_t count, void *user)
{
	static_cast<std::string *>(user)->append(data, size * count);
	return size * count;
}

} // namespace

void curl_global_once()
{
	static std::once_flag once;
	std::call_once(once, [] {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			throw std::runtime_error("curl_global_init failed");
	});
}

CurlSlist json_headers()
{
	CurlSlist headers(curl_slist_append(nullptr, "Content-Type: application/json"));
	if (!headers)
		throw std::bad_alloc();
	// gRPC metadata "hasleader" (the gateway forwards Grpc-Metadata-*), as
	// etcd's own clientv3 sends: a member without a leader then answers "no
	// leader" (503, so the client moves on) at once, and cancels a watch
	// when it loses its leader. Without it, measured on 3.4.23 with quorum
	// lost: a put hung 7 s and failed with "context deadline exceeded"
	// (HTTP 500), and a watch was created and then stayed silent.
	if (!curl_slist_append(headers.get(), "Grpc-Metadata-hasleader: true"))
		throw std::bad_alloc();
	return headers;
}

CurlTransport::CurlTransport(HttpTimeouts timeouts) : timeouts_(timeouts)
{
	curl_global_once();
	easy_.reset(curl_easy_init());
	if (!easy_)
		throw std::runtime_error("curl_easy_init failed");
	headers_ = json_headers();
}

Result<HttpReply, Error> CurlTransport::post(std::string_view url, std::string_view json_body)
{
	std::lock_guard lock(mutex_);
	CURL *easy = easy_.get();
	// Reset drops the previous call's options but keeps the connection
	// cache, which is why the handle is reused.
	curl_easy_reset(easy);
	HttpReply reply;
	char error_text[CURL_ERROR_SIZE] = "";
	const std::string url_text(url);
	curl_easy_setopt(easy, CURLOPT_URL, url_text.c_str());
	curl_easy_setopt(easy, CURLOPT_POST, 1L);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
			 static_cast<curl_off_t>(json_body.size()));
	curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, std::string(json_body).c_str());
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers_.get());
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, append_body);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, &reply.body);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_text);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
			 static_cast<long>(timeouts_.connect.count()));
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(timeouts_.total.count()));
	// No SIGALRM for timeouts: the daemon has threads and signal handlers.
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	// The gateway speaks HTTP/1.1; no proxy from the environment.
	curl_easy_setopt(easy, CURLOPT_NOPROXY, "*");
	const CURLcode code = curl_easy_perform(easy);
	if (code != CURLE_OK)
		return unexpected(Error{*error_text ? std::string(error_text)
						    : std::string(curl_easy_strerror(code))});
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &reply.status);
	return reply;
}

} // namespace iplb::cluster

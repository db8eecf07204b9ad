// SPDX-License-Identifier: GPL-2.0-or-later
// The watch: one streamed POST to /v3/watch at a time, read through a curl
// multi handle so that stop() can wake the thread from its poll at once
// (curl_multi_wakeup) instead of waiting for data or a timeout.
#include "cluster/etcd_client.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <stdexcept>

namespace iplb::cluster {
namespace {

// A poll never sleeps longer than this, so a lost wakeup costs at most this.
constexpr int poll_timeout_ms = 200;
// After every endpoint failed in a row, before the next round.
constexpr std::chrono::milliseconds round_backoff{500};

struct StreamState {
	JsonStreamSplitter splitter;
	std::vector<std::string> objects;
	std::string error;
	const std::atomic<bool> *stopping = nullptr;
};

size_t on_stream_data(char *data, size_t size, size_t count, void *user)
{
	auto &state = *static_cast<StreamState *>(user);
	if (*state.stopping)
		return 0; // aborts the transfer
	auto objects = state.splitter.feed(std::string_view(data, size * count));
	if (!objects) {
		state.error = objects.error().message;
		return 0;
	}
	for (auto &object : *objects)
		state.objects.push_back(std::move(object));
	return size * count;
}

} // namespace

EtcdWatch::EtcdWatch(std::vector<std::string> endpoints, std::string key, std::string range_end,
		     Revision start_revision, HttpTimeouts timeouts,
		     EtcdClient::WatchCallback on_event, EtcdClient::WatchErrorCallback on_error)
    : endpoints_(std::move(endpoints)), key_(std::move(key)), range_end_(std::move(range_end)),
      timeouts_(timeouts), on_event_(std::move(on_event)), on_error_(std::move(on_error)),
      next_revision_(start_revision)
{
	curl_global_once();
	multi_.reset(curl_multi_init());
	if (!multi_)
		throw std::runtime_error("curl_multi_init failed");
	thread_ = std::thread([this] { run(); });
}

EtcdWatch::~EtcdWatch()
{
	stop();
}

void EtcdWatch::stop()
{
	{
		std::lock_guard lock(mutex_);
		stopping_ = true;
	}
	wake_.notify_all();
	curl_multi_wakeup(multi_.get());
	if (thread_.joinable())
		thread_.join();
	running_ = false;
}

bool EtcdWatch::wait_stopping(std::chrono::milliseconds delay)
{
	std::unique_lock lock(mutex_);
	return wake_.wait_for(lock, delay, [this] { return stopping_.load(); });
}

void EtcdWatch::report(const Error &error)
{
	if (on_error_)
		on_error_(error);
}

void EtcdWatch::run()
{
	if (endpoints_.empty()) {
		report(Error{"no etcd endpoint configured"});
		running_ = false;
		return;
	}
	size_t index = 0;
	size_t failures_in_a_row = 0;
	while (!stopping_) {
		const std::string &endpoint = endpoints_[index];
		const Revision before = next_revision_;
		const StreamEnd end = stream(endpoint);
		if (end == StreamEnd::stopped)
			break;
		if (end == StreamEnd::fatal) {
			running_ = false;
			return;
		}
		// A stream that delivered something was healthy: start counting
		// failures again.
		failures_in_a_row = next_revision_ != before ? 1 : failures_in_a_row + 1;
		index = (index + 1) % endpoints_.size();
		if (failures_in_a_row >= endpoints_.size() && wait_stopping(round_backoff))
			break;
	}
	running_ = false;
}

EtcdWatch::StreamEnd EtcdWatch::stream(const std::string &endpoint)
{
	created_ = false;
	CurlEasy easy(curl_easy_init());
	if (!easy) {
		report(Error{"curl_easy_init failed"});
		return StreamEnd::fatal;
	}
	const CurlSlist headers = json_headers();
	const std::string url = endpoint + "/v3/watch";
	const std::string body = encode_watch_create(key_, range_end_, next_revision_);
	StreamState state;
	state.stopping = &stopping_;
	char error_text[CURL_ERROR_SIZE] = "";
	CURL *handle = easy.get();
	curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
	curl_easy_setopt(handle, CURLOPT_POSTFIELDS, body.c_str());
	curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
	curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
	curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_stream_data);
	curl_easy_setopt(handle, CURLOPT_WRITEDATA, &state);
	curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_text);
	curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS,
			 static_cast<long>(timeouts_.connect.count()));
	curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(handle, CURLOPT_NOPROXY, "*");
	// The stream is silent while nothing changes: keepalive probes are
	// what notices a member whose host vanished without closing it.
	curl_easy_setopt(handle, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(handle, CURLOPT_TCP_KEEPIDLE, 5L);
	curl_easy_setopt(handle, CURLOPT_TCP_KEEPINTVL, 2L);

	CURLM *multi = multi_.get();
	curl_multi_add_handle(multi, handle);
	// Removed from the multi handle on every way out, before easy goes.
	struct Detach {
		CURLM *multi;
		CURL *easy;
		~Detach() { curl_multi_remove_handle(multi, easy); }
	} detach{multi, handle};

	CURLcode result = CURLE_OK;
	bool done = false;
	while (!stopping_ && !done) {
		int running = 0;
		const CURLMcode code = curl_multi_perform(multi, &running);
		if (code != CURLM_OK) {
			report(Error{"etcd at " + endpoint +
				     ": watch: " + curl_multi_strerror(code)});
			return StreamEnd::failed;
		}
		int queued = 0;
		while (CURLMsg *message = curl_multi_info_read(multi, &queued)) {
			if (message->msg == CURLMSG_DONE) {
				result = message->data.result;
				done = true;
			}
		}
		// Deliver what arrived, in order, before looking at how it ended.
		for (auto &text : state.objects) {
			if (stopping_)
				return StreamEnd::stopped;
			const auto parsed = nlohmann::json::parse(text, nullptr, false);
			auto response = decode_watch_message(parsed);
			if (!response) {
				report(Error{"etcd at " + endpoint +
					     ": watch: " + response.error().message});
				return StreamEnd::failed;
			}
			if (response->compact_revision != 0) {
				report(Error{"etcd at " + endpoint + ": watch from revision " +
					     std::to_string(next_revision_) +
					     ": compacted up to revision " +
					     std::to_string(response->compact_revision) +
					     "; read again and watch from there"});
				return StreamEnd::fatal;
			}
			if (response->canceled) {
				report(Error{"etcd at " + endpoint +
					     ": watch canceled: " + response->cancel_reason});
				return StreamEnd::fatal;
			}
			if (response->created) {
				created_ = true;
				// A watch "from now" resumes after what now was.
				if (next_revision_ == 0)
					next_revision_ = response->revision + 1;
				continue;
			}
			for (const auto &event : response->events) {
				// An exception must not end the thread (std::terminate).
				try {
					on_event_(event);
				} catch (const std::exception &e) {
					report(Error{std::string("watch callback failed: ") +
						     e.what() + "; watch stopped"});
					return StreamEnd::fatal;
				}
				next_revision_ = std::max<Revision>(next_revision_,
								    event.kv.mod_revision + 1);
			}
			// A progress notification (no events): nothing up to its
			// revision is left to deliver.
			if (response->events.empty())
				next_revision_ =
					std::max<Revision>(next_revision_, response->revision + 1);
		}
		state.objects.clear();
		if (done || stopping_)
			break;
		curl_multi_poll(multi, nullptr, 0, poll_timeout_ms, nullptr);
	}
	if (stopping_)
		return StreamEnd::stopped;
	std::string why =
		!state.error.empty() ? state.error
		: result != CURLE_OK
			? std::string(*error_text ? error_text : curl_easy_strerror(result))
			: std::string("the stream ended");
	long status = 0;
	curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
	if (status != 0 && status != 200)
		why += " (HTTP " + std::to_string(status) + ")";
	report(Error{"etcd at " + endpoint + ": watch: " + why + "; resuming from revision " +
		     std::to_string(next_revision_) + " on the next endpoint"});
	return StreamEnd::failed;
}

} // namespace iplb::cluster

// SPDX-License-Identifier: GPL-2.0-or-later
// libcurl's handles as owners, so no path forgets a cleanup.
#pragma once

#include <memory>
#include <string>

#include <curl/curl.h>

namespace iplb::cluster {

struct CurlEasyDeleter {
	void operator()(CURL *handle) const { curl_easy_cleanup(handle); }
};
struct CurlMultiDeleter {
	void operator()(CURLM *handle) const { curl_multi_cleanup(handle); }
};
struct CurlSlistDeleter {
	void operator()(curl_slist *list) const { curl_slist_free_all(list); }
};

using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlMulti = std::unique_ptr<CURLM, CurlMultiDeleter>;
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// curl_global_init once per process, before the first handle: it is not
// safe to race with other threads' first handles.
void curl_global_once();

// The header list every request to the gateway sends (http_transport.cpp
// says why each one).
CurlSlist json_headers();

} // namespace iplb::cluster

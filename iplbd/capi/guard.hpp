// SPDX-License-Identifier: GPL-2.0-or-later
// What every function of the C interface is written with: no C++ exception
// may unwind into the C glue (undefined behaviour, and in practice the
// daemon's end), so each body runs in guarded(), which turns any exception
// into the function's documented failure value, logs it and fills errbuf.
// Plus the conversions between C strings and the core's types.
#pragma once

#include "capi/iplb_core.h"
#include "util/result.hpp"
#include "util/status.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

namespace iplb::capi {

inline void copy_text(std::string_view text, char *buf, size_t len) noexcept
{
	if (buf == nullptr || len == 0)
		return;
	std::snprintf(buf, len, "%.*s", static_cast<int>(text.size()), text.data());
}

inline std::string_view text_of(const char *text) noexcept
{
	return text != nullptr ? std::string_view(text) : std::string_view{};
}

// A malloc'd copy, for C callers to free(); NULL if it cannot be made.
inline char *c_string(const std::string &text) noexcept
{
	char *out = static_cast<char *>(std::malloc(text.size() + 1));
	if (out != nullptr)
		std::memcpy(out, text.c_str(), text.size() + 1);
	return out;
}

// Where a caught exception is reported: the function's name, the glue's log
// (ops->log of the core it was called on), a message kept for later, and
// errbuf; each optional. Plain pointers: a Failure is built before guarded()
// runs, on every call (event-loop callbacks included), so building it must
// neither allocate nor throw.
struct Failure {
	const char *function;
	const iplb_io_ops *ops = nullptr;
	std::optional<std::string> *keep = nullptr; // the first failure only
	char *errbuf = nullptr;
	size_t errlen = 0;
};

template <typename R, typename Body>
R guarded(const Failure &where, R failed, Body &&body) noexcept
{
	std::string message;
	try {
		return body();
	} catch (const std::exception &e) {
		message = e.what();
	} catch (...) {
		message = "an unknown exception";
	}
	try {
		message = std::string(where.function) + ": internal error: " + message;
		if (where.ops != nullptr && where.ops->log != nullptr)
			where.ops->log(where.ops->ctx, 0, message.c_str());
		if (where.keep != nullptr && !*where.keep)
			*where.keep = message;
		copy_text(message, where.errbuf, where.errlen);
	} catch (...) {
		copy_text("internal error", where.errbuf, where.errlen);
	}
	return failed;
}

// The same, for functions with nothing to return.
template <typename Body>
void guarded(const Failure &where, Body &&body) noexcept
{
	guarded(where, 0, [&] {
		body();
		return 0;
	});
}

// A Result's error into errbuf: false; its value into `out`: true.
template <typename T>
bool take(Result<T, Error> result, T &out, char *errbuf, size_t errlen)
{
	if (!result) {
		copy_text(result.error().message, errbuf, errlen);
		return false;
	}
	out = std::move(*result);
	return true;
}

// A Status's error into errbuf: false; ok: true.
inline bool take(const Status &status, char *errbuf, size_t errlen)
{
	if (!status)
		copy_text(status.error().message, errbuf, errlen);
	return status.has_value();
}

} // namespace iplb::capi

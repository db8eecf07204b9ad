// SPDX-License-Identifier: GPL-2.0-or-later
// A value or a typed error, returned across module boundaries of the core.
// (std::expected is C++23; the core is C++20.)
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace iplb {

// The error side of a Result, so that a Result<std::string, std::string>
// can still tell its two sides apart.
template <typename E>
struct Unexpected {
	E error;
};

template <typename E>
Unexpected<std::decay_t<E>> unexpected(E &&error)
{
	return {std::forward<E>(error)};
}

template <typename T, typename E>
class [[nodiscard]] Result {
public:
	Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
	template <typename F>
	Result(Unexpected<F> failure) : state_(std::in_place_index<1>, std::move(failure.error))
	{
	}

	bool has_value() const noexcept { return state_.index() == 0; }
	explicit operator bool() const noexcept { return has_value(); }

	const T &value() const &
	{
		assert(has_value());
		return std::get<0>(state_);
	}
	T &value() &
	{
		assert(has_value());
		return std::get<0>(state_);
	}
	T &&value() &&
	{
		assert(has_value());
		return std::get<0>(std::move(state_));
	}
	const E &error() const &
	{
		assert(!has_value());
		return std::get<1>(state_);
	}

	const T &operator*() const & { return value(); }
	T &operator*() & { return value(); }
	const T *operator->() const { return &value(); }
	T *operator->() { return &value(); }

private:
	std::variant<T, E> state_;
};

// An error that is only a message for an operator: what is wrong and with
// which token.
struct Error {
	std::string message;
};

} // namespace iplb

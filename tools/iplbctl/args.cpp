// SPDX-License-Identifier: GPL-2.0-or-later
#include "cli.hpp"

#include <algorithm>
#include <charconv>

namespace iplbctl {

Args::Args(std::span<const std::string> words, std::vector<std::string_view> flags)
{
	for (size_t i = 0; i < words.size(); i++) {
		const std::string &w = words[i];
		if (w.size() < 2 || w[0] != '-')
			throw UsageError("unexpected argument '" + w + "'");
		const bool is_flag = std::find(flags.begin(), flags.end(), w) != flags.end();
		if (is_flag) {
			options_.emplace_back(w, std::nullopt);
			continue;
		}
		if (i + 1 >= words.size())
			throw UsageError("option " + w + " needs a value");
		options_.emplace_back(w, words[++i]);
	}
	used_.assign(options_.size(), false);
}

std::optional<std::string> Args::value(std::string_view name)
{
	std::optional<std::string> found;
	for (size_t i = 0; i < options_.size(); i++)
		if (options_[i].first == name) {
			if (found)
				throw UsageError("option " + std::string(name) + " given twice");
			found = options_[i].second;
			used_[i] = true;
		}
	return found;
}

std::string Args::required(std::string_view name)
{
	auto v = value(name);
	if (!v)
		throw UsageError("missing option " + std::string(name));
	return *v;
}

unsigned Args::number(std::string_view name, unsigned fallback, unsigned min, unsigned max)
{
	auto v = value(name);
	if (!v)
		return fallback;
	unsigned n = 0;
	auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
	if (ec != std::errc{} || end != v->data() + v->size() || n < min || n > max)
		throw UsageError(std::string(name) + " must be a number in " + std::to_string(min) +
				 "-" + std::to_string(max) + ", not '" + *v + "'");
	return n;
}

unsigned long number_arg(const std::string &key, const std::string &value, unsigned long min,
			 unsigned long max, const std::string &unit)
{
	unsigned long n = 0;
	auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
	if (ec != std::errc{} || end != value.data() + value.size() || value.empty() || n < min ||
	    n > max)
		throw UsageError(key + " must be " + std::to_string(min) + "-" +
				 std::to_string(max) + (unit.empty() ? "" : " " + unit) +
				 ", not '" + value + "'");
	return n;
}

bool Args::flag(std::string_view name)
{
	bool found = false;
	for (size_t i = 0; i < options_.size(); i++)
		if (options_[i].first == name && !options_[i].second) {
			found = true;
			used_[i] = true;
		}
	return found;
}

void Args::finish() const
{
	for (size_t i = 0; i < options_.size(); i++)
		if (!used_[i])
			throw UsageError("unknown option '" + options_[i].first + "'");
}

} // namespace iplbctl

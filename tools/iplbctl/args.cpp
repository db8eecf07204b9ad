// SPDX-License-Identifier: GPL-2.0-or-later
#include "cli.hpp"

#include <algorithm>
#include <charconv>

namespace iplbctl {

Args::Args(std::span<const std::string> words, std::vector<std::string_view> flags)
{
	for (size_t i = 0; i < words.size(); i++) {
		const std::string &w = words[i];
		if (w.size() < 2 || w[0] != '-') {
			// Reported by finish(), which knows what was expected.
			if (!stray_)
				stray_ = w;
			continue;
		}
		const bool is_flag = std::find(flags.begin(), flags.end(), w) != flags.end();
		if (is_flag || i + 1 >= words.size()) {
			// An option without a value: value() refuses it, finish()
			// names it if it is not an option at all.
			options_.emplace_back(w, std::nullopt);
			continue;
		}
		options_.emplace_back(w, words[++i]);
	}
	used_.assign(options_.size(), false);
}

void Args::known(std::string_view name)
{
	if (std::find(known_.begin(), known_.end(), name) == known_.end())
		known_.emplace_back(name);
}

std::optional<std::string> Args::value(std::string_view name)
{
	known(name);
	std::optional<std::string> found;
	bool seen = false;
	for (size_t i = 0; i < options_.size(); i++)
		if (options_[i].first == name) {
			if (seen)
				throw UsageError("option " + std::string(name) + " given twice");
			if (!options_[i].second)
				throw UsageError("option " + std::string(name) + " needs a value");
			found = options_[i].second;
			seen = true;
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
	known(name);
	bool found = false;
	for (size_t i = 0; i < options_.size(); i++)
		if (options_[i].first == name && !options_[i].second) {
			found = true;
			used_[i] = true;
		}
	return found;
}

std::string Args::expected() const
{
	std::string out;
	for (size_t i = 0; i < known_.size(); i++)
		out += (i == 0 ? "" : i + 1 == known_.size() ? " or " : ", ") + known_[i];
	return out.empty() ? "no argument" : out;
}

std::vector<std::pair<std::string, std::string>>
keyword_pairs(std::span<const std::string> words, std::initializer_list<std::string_view> keywords)
{
	std::vector<std::pair<std::string, std::string>> pairs;
	for (size_t i = 0; i < words.size(); i += 2) {
		const std::string &key = words[i];
		if (std::find(keywords.begin(), keywords.end(), key) == keywords.end()) {
			std::string expected;
			size_t n = 0;
			for (std::string_view k : keywords)
				expected += std::string(n++ == 0	       ? ""
							: n == keywords.size() ? " or "
									       : ", ") +
					    std::string(k);
			throw UsageError("unknown keyword '" + key + "': expected " + expected);
		}
		if (i + 1 >= words.size())
			throw UsageError("'" + key + "' needs a value");
		pairs.emplace_back(key, words[i + 1]);
	}
	return pairs;
}

void Args::finish() const
{
	for (size_t i = 0; i < options_.size(); i++)
		if (!used_[i])
			throw UsageError("unknown option '" + options_[i].first + "': expected " +
					 expected());
	if (stray_)
		throw UsageError("unexpected argument '" + *stray_ + "': expected " + expected());
}

} // namespace iplbctl

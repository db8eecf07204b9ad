// SPDX-License-Identifier: GPL-2.0-or-later
// The bucket assignment of iplbd/lb against a Maglev lookup table on the
// same backend changes (docs/LB.md "Bucket assignment"):
//
//   iplb-lb-compare [--sizes 10,100,1000] [--connections 100000]
//                   [--maglev-size 65537] [--seed 1]
//
// For each pool size N: N backends of weight 100, then four changes in a
// row (add one, remove one, double one's weight, drain one). After each, for
// both tables: the fraction of entries remapped against the ideal (how much
// of the weighted shares changed hands), the entries moved between two
// backends the change left alone (collateral: their flows break without
// connection state), max/mean load, the fraction of simulated connections
// (random 5-tuples hashed to an entry) whose backend changed, and the runs
// of adjacent entries with one backend (TCAM rules of a hardware mux).
//
// Maglev is written here from the paper (Eisenbud et al., NSDI'16, section
// 3.4): offset and skip from two hashes of the backend's name, each backend
// fills the next free entry of its permutation in turn. Weights as Katran's
// MaglevHashV2: every round each backend earns its weight, and takes one
// entry per (largest weight) earned, so entries follow weights without their
// sum having to match the table size. Maglev has no draining state: a
// draining backend leaves its table (its flows then need connection state).
#include "lb/assign.hpp"
#include "lb/bucket_map.hpp"
#include "util/splitmix.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace iplb;
using namespace iplb::lb;
using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(const std::string &message)
{
	std::fprintf(stderr, "iplb-lb-compare: %s\n", message.c_str());
	std::exit(2);
}

uint64_t parse_number(std::string_view text, std::string_view option)
{
	uint64_t value = 0;
	const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
	if (ec != std::errc{} || end != text.data() + text.size())
		fail("'" + std::string(text) + "' is not a number (" + std::string(option) + ")");
	return value;
}

struct Options {
	std::vector<uint32_t> sizes{10, 100, 1000};
	uint64_t connections = 100'000;
	uint32_t maglev_size = 65537;
	uint64_t seed = 1;
};

bool is_prime(uint32_t n)
{
	if (n < 2)
		return false;
	for (uint32_t d = 2; uint64_t{d} * d <= n; d++)
		if (n % d == 0)
			return false;
	return true;
}

Options parse_options(int argc, char **argv)
{
	Options options;
	for (int i = 1; i < argc; i++) {
		const std::string_view name = argv[i];
		if (name == "--help" || name == "-h") {
			std::printf("usage: iplb-lb-compare [--sizes 10,100,1000] "
				    "[--connections 100000] [--maglev-size 65537] [--seed 1]\n");
			std::exit(0);
		}
		if (i + 1 >= argc)
			fail("missing value after " + std::string(name));
		const std::string_view value = argv[++i];
		if (name == "--sizes") {
			options.sizes.clear();
			for (size_t start = 0; start <= value.size();) {
				const size_t comma = std::min(value.find(',', start), value.size());
				const uint64_t n =
					parse_number(value.substr(start, comma - start), name);
				if (n < 2 ||
				    uint64_t{buckets_per_backend} * (n + 1) > max_bucket_count)
					fail("pool size " + std::to_string(n) +
					     " is out of range 2.." +
					     std::to_string(max_bucket_count / buckets_per_backend -
							    1));
				options.sizes.push_back(static_cast<uint32_t>(n));
				start = comma + 1;
			}
		} else if (name == "--connections") {
			options.connections = parse_number(value, name);
			if (options.connections == 0)
				fail("--connections must be at least 1");
		} else if (name == "--maglev-size") {
			const uint64_t m = parse_number(value, name);
			if (m > UINT32_MAX || !is_prime(static_cast<uint32_t>(m)))
				fail("Maglev's table size must be a prime: " + std::string(value));
			options.maglev_size = static_cast<uint32_t>(m);
		} else if (name == "--seed") {
			options.seed = parse_number(value, name);
		} else {
			fail("unknown option " + std::string(name));
		}
	}
	for (const uint32_t n : options.sizes)
		if (n + 1 >= options.maglev_size)
			fail("Maglev's table (" + std::to_string(options.maglev_size) +
			     ") must be larger than the pool (" + std::to_string(n + 1) + ")");
	return options;
}

// FNV-1a: the backend's name as one number, mixed by SplitMix64 with a
// seed per use (Maglev needs two independent hashes of the name).
uint64_t name_hash(std::string_view name, uint64_t seed)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (const char c : name)
		h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ULL;
	return splitmix64(h ^ seed);
}

// A lookup table of either kind: entry -> index in the pool (-1: none).
using Table = std::vector<int32_t>;

Table maglev_table(const std::vector<Backend> &pool, uint32_t size)
{
	struct Member {
		int32_t index;
		uint64_t offset, skip, next = 0, credit = 0;
		uint32_t weight;
	};
	std::vector<Member> members;
	uint32_t max_weight_seen = 0;
	for (size_t i = 0; i < pool.size(); i++) {
		if (pool[i].state != BackendState::active)
			continue;
		const std::string name = to_string(pool[i].dip);
		members.push_back({static_cast<int32_t>(i),
				   name_hash(name, 0x6f66667365740000) % size,
				   name_hash(name, 0x736b697000000000) % (size - 1) + 1, 0, 0,
				   pool[i].weight});
		max_weight_seen = std::max(max_weight_seen, pool[i].weight);
	}
	Table table(size, -1);
	if (members.empty())
		return table;
	// The order of turns: by DIP, so that a change of the pool's order
	// changes nothing.
	std::sort(members.begin(), members.end(), [&](const Member &a, const Member &b) {
		return pool[a.index].dip < pool[b.index].dip;
	});
	uint32_t filled = 0;
	while (true) {
		for (Member &m : members) {
			m.credit += m.weight;
			if (m.credit < max_weight_seen)
				continue;
			m.credit -= max_weight_seen;
			uint64_t entry = (m.offset + m.next * m.skip) % size;
			while (table[entry] >= 0) {
				m.next++;
				entry = (m.offset + m.next * m.skip) % size;
			}
			table[entry] = m.index;
			m.next++;
			if (++filled == size)
				return table;
		}
	}
}

Table bucket_table(const std::vector<Backend> &pool, const BucketMap &map)
{
	std::map<Dip, int32_t> index;
	for (size_t i = 0; i < pool.size(); i++)
		index[pool[i].dip] = static_cast<int32_t>(i);
	Table table(map.buckets.size(), -1);
	for (size_t b = 0; b < map.buckets.size(); b++) {
		const auto &owner = map.buckets[b].owner;
		if (b > 0 && owner == map.buckets[b - 1].owner)
			table[b] = table[b - 1];
		else if (owner)
			table[b] = index.at(*owner);
	}
	return table;
}

// What a change did to a table, in fractions.
struct Effect {
	double remapped = 0;
	double collateral = 0;
	double connections = 0;
	double imbalance = 0;
	size_t runs = 0;
	double milliseconds = 0;
};

// Tables index a pool; both pools are the same list of DIPs with the
// changed one at `changed` (an added backend is last in `after`, a removed
// one is absent from it). Entries compare by DIP.
Effect effect(const std::vector<Backend> &before_pool, const Table &before,
	      const std::vector<Backend> &after_pool, const Table &after, const Dip &changed,
	      const std::vector<uint64_t> &flows)
{
	const auto dip = [](const std::vector<Backend> &pool, int32_t i) -> const Dip * {
		return i < 0 ? nullptr : &pool[static_cast<size_t>(i)].dip;
	};
	const auto same = [](const Dip *a, const Dip *b) {
		return a == b || (a && b && *a == *b);
	};
	Effect e;
	size_t remapped = 0, collateral = 0;
	for (size_t entry = 0; entry < after.size(); entry++) {
		const Dip *was = dip(before_pool, before[entry]);
		const Dip *is = dip(after_pool, after[entry]);
		if (same(was, is))
			continue;
		remapped++;
		if (!(was && *was == changed) && !(is && *is == changed))
			collateral++;
	}
	e.remapped = double(remapped) / double(after.size());
	e.collateral = double(collateral) / double(after.size());
	size_t moved_flows = 0;
	for (const uint64_t hash : flows) {
		const size_t entry = hash % after.size();
		moved_flows +=
			!same(dip(before_pool, before[entry]), dip(after_pool, after[entry]));
	}
	e.connections = double(moved_flows) / double(flows.size());
	std::vector<uint64_t> held(after_pool.size());
	for (const int32_t i : after)
		if (i >= 0)
			held[static_cast<size_t>(i)]++;
	std::vector<uint32_t> weights;
	for (const Backend &b : after_pool)
		weights.push_back(b.state == BackendState::active ? b.weight : 0);
	e.imbalance = imbalance(held, weights);
	for (size_t entry = 0; entry < after.size(); entry++)
		e.runs += entry == 0 || after[entry] != after[entry - 1];
	return e;
}

// The least any table must remap: how much weighted share changed hands.
double ideal_remap(const std::vector<Backend> &before, const std::vector<Backend> &after)
{
	const auto shares = [](const std::vector<Backend> &pool) {
		std::vector<std::pair<Dip, double>> out;
		double total = 0;
		for (const Backend &b : pool)
			if (b.state == BackendState::active)
				total += b.weight;
		for (const Backend &b : pool)
			if (b.state == BackendState::active)
				out.push_back({b.dip, b.weight / total});
		return out;
	};
	const auto old_shares = shares(before);
	const auto new_shares = shares(after);
	double lost = 0;
	for (const auto &[dip, share] : old_shares) {
		double now = 0;
		for (const auto &[d, s] : new_shares)
			if (d == dip)
				now = s;
		lost += std::max(0.0, share - now);
	}
	return lost;
}

Dip backend_dip(uint32_t n)
{
	return Dip{Ipv4{0x0a000000u + n}}; // 10.0.0.0/8, n > 0
}

struct Change {
	const char *name;
	Dip changed;
	std::vector<Backend> pool;
};

// Four changes in a row, each from the pool the previous one left.
std::vector<Change> changes_for(std::vector<Backend> pool, uint32_t n)
{
	std::vector<Change> changes;
	const Dip added = backend_dip(n + 1);
	pool.push_back({added, 100, BackendState::active});
	changes.push_back({"add one", added, pool});
	const Dip removed = pool[n / 2].dip;
	pool.erase(pool.begin() + n / 2);
	changes.push_back({"remove one", removed, pool});
	pool[n / 3].weight = 200;
	changes.push_back({"weight x2", pool[n / 3].dip, pool});
	pool[n / 5 + 1].state = BackendState::draining;
	changes.push_back({"drain one", pool[n / 5 + 1].dip, pool});
	return changes;
}

double since(Clock::time_point start)
{
	return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void print_row(uint32_t n, const char *change, const char *algorithm, size_t table_size,
	       double ideal, const Effect &e)
{
	std::printf(
		"%5u  %-10s  %-6s  %7zu  %8.3f%%  %7.3f%%  %10.3f%%  %8.3f%%  %9.4f  %7zu  %8.1f\n",
		n, change, algorithm, table_size, 100 * e.remapped, 100 * ideal, 100 * e.collateral,
		100 * e.connections, e.imbalance, e.runs, e.milliseconds);
}

} // namespace

int main(int argc, char **argv)
{
	const Options options = parse_options(argc, argv);
	std::string command = argv[0];
	for (int i = 1; i < argc; i++)
		command += std::string(" ") + argv[i];
	std::printf("# iplb-lb-compare: bucket assignment (iplbd/lb) against Maglev (NSDI'16 3.4)\n"
		    "# command: %s\n"
		    "# ours: B = default_bucket_count(N); maglev: M = %u; %llu connections; "
		    "seed %llu\n"
		    "# remapped: entries whose backend changed; ideal: weighted share that "
		    "changed hands;\n"
		    "# collateral: entries moved between two backends the change left alone;\n"
		    "# conns: simulated connections whose backend changed; imbalance: max/mean "
		    "load;\n"
		    "# runs: ranges of adjacent entries with one backend; ms: time to compute the "
		    "table\n",
		    command.c_str(), options.maglev_size,
		    static_cast<unsigned long long>(options.connections),
		    static_cast<unsigned long long>(options.seed));
	std::printf("%5s  %-10s  %-6s  %7s  %9s  %8s  %11s  %9s  %9s  %7s  %8s\n", "N", "change",
		    "table", "entries", "remapped", "ideal", "collateral", "conns", "imbalance",
		    "runs", "ms");

	// Random 5-tuples hashed as a mux would (one 64-bit hash per flow);
	// the same flows for both tables.
	SplitMix64 rng(options.seed);
	std::vector<uint64_t> flows(options.connections);
	for (uint64_t &flow : flows) {
		const uint64_t source = rng.next(), ports = rng.next();
		flow = splitmix64(source ^ splitmix64(ports ^ 6 /* TCP */));
	}

	const auto start_all = Clock::now();
	uint32_t now = 1'700'000'000;
	for (const uint32_t n : options.sizes) {
		std::vector<Backend> pool;
		for (uint32_t i = 1; i <= n; i++)
			pool.push_back({backend_dip(i), 100, BackendState::active});
		const uint32_t size = default_bucket_count(n);
		auto start = Clock::now();
		auto first = assign(pool, {}, size, now);
		if (!first)
			fail(first.error().message);
		BucketMap map = *first;
		Table ours = bucket_table(pool, map);
		Table maglev = maglev_table(pool, options.maglev_size);
		std::vector<Backend> before = pool;
		for (const Change &change : changes_for(pool, n)) {
			now += 60;
			start = Clock::now();
			auto next = assign(change.pool, map, size, now);
			if (!next)
				fail(next.error().message);
			const double ours_ms = since(start);
			const Table next_ours = bucket_table(change.pool, *next);
			start = Clock::now();
			const Table next_maglev = maglev_table(change.pool, options.maglev_size);
			const double maglev_ms = since(start);
			const double ideal = ideal_remap(before, change.pool);
			Effect e =
				effect(before, ours, change.pool, next_ours, change.changed, flows);
			e.milliseconds = ours_ms;
			print_row(n, change.name, "ours", next_ours.size(), ideal, e);
			e = effect(before, maglev, change.pool, next_maglev, change.changed, flows);
			e.milliseconds = maglev_ms;
			print_row(n, change.name, "maglev", next_maglev.size(), ideal, e);
			map = std::move(*next);
			ours = next_ours;
			maglev = next_maglev;
			before = change.pool;
		}
	}
	std::printf("# total %.1f s\n", since(start_all) / 1000);
	return 0;
}

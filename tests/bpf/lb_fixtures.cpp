// SPDX-License-Identifier: GPL-2.0-or-later
// The load balancer's test helpers (lb_fixtures.hpp says what they are).
#include "lb_fixtures.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <sched.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>

namespace iplb::test {

std::array<uint32_t, 4> address_words(const IpAddress &address)
{
	std::array<uint32_t, 4> words{};
	if (const auto *v4 = std::get_if<Ipv4>(&address))
		words[0] = htonl(v4->value);
	else
		std::memcpy(words.data(), std::get<Ipv6>(address).bytes.data(), 16);
	return words;
}

union iplb_addr lb_addr(const IpAddress &address)
{
	union iplb_addr a;
	std::memset(&a, 0, sizeof(a));
	const auto words = address_words(address);
	std::memcpy(a.v6, words.data(), sizeof(a.v6));
	return a;
}

iplb_vip_key vip_key(const IpAddress &address, uint8_t protocol, uint16_t port)
{
	iplb_vip_key key;
	std::memset(&key, 0, sizeof(key));
	const auto words = address_words(address);
	std::memcpy(key.addr, words.data(), sizeof(key.addr));
	key.port = htons(port);
	key.protocol = protocol;
	key.v6 = is_v6(address) ? 1 : 0;
	return key;
}

PrivateNetns::PrivateNetns() : home_(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC))
{
	entered_ = home_ && ::unshare(CLONE_NEWNET) == 0;
}

PrivateNetns::~PrivateNetns()
{
	// Back home: the namespace has no other user and goes, with everything
	// in it.
	if (entered_)
		(void)::setns(home_.get(), CLONE_NEWNET);
}

std::string run_commands(const std::vector<std::string> &commands)
{
	for (const std::string &command : commands) {
		const std::string quiet = command + " >/dev/null";
		const int status = std::system(quiet.c_str());
		if (status != 0)
			return command + " (status " + std::to_string(status) + ")";
	}
	return {};
}

namespace {

Result<TestRun, Error> run_with_context(int prog_fd, std::span<const uint8_t> frame, void *context,
					uint32_t context_size)
{
	// Room for the most a program adds (an IPv6 tunnel: 80 bytes) and
	// more.
	std::vector<uint8_t> out(frame.size() + 256);
	bpf_test_run_opts opts;
	std::memset(&opts, 0, sizeof(opts));
	opts.sz = sizeof(opts);
	opts.data_in = frame.data();
	opts.data_size_in = static_cast<uint32_t>(frame.size());
	opts.data_out = out.data();
	opts.data_size_out = static_cast<uint32_t>(out.size());
	opts.ctx_in = context;
	opts.ctx_size_in = context_size;
	opts.repeat = 1;
	if (int rc = bpf_prog_test_run_opts(prog_fd, &opts); rc != 0)
		return unexpected(Error{std::string("BPF_PROG_TEST_RUN: ") + std::strerror(-rc)});
	out.resize(opts.data_size_out);
	return TestRun{static_cast<int>(opts.retval), std::move(out)};
}

} // namespace

Result<TestRun, Error> run_xdp(int prog_fd, std::span<const uint8_t> frame, uint32_t ifindex)
{
	if (!ifindex)
		return test_run(prog_fd, frame);
	// data and data_meta 0 (no metadata), data_end the frame's length: the
	// kernel refuses any other layout.
	xdp_md md;
	std::memset(&md, 0, sizeof(md));
	md.data_end = static_cast<uint32_t>(frame.size());
	md.ingress_ifindex = ifindex;
	md.rx_queue_index = 0;
	return run_with_context(prog_fd, frame, &md, sizeof(md));
}

Result<TestRun, Error> run_tc(int prog_fd, std::span<const uint8_t> frame, uint32_t ifindex)
{
	if (!ifindex)
		return test_run(prog_fd, frame);
	// Only a few fields may be set (mark, priority, the ifindexes, cb, ...);
	// the rest must be zero.
	__sk_buff skb;
	std::memset(&skb, 0, sizeof(skb));
	skb.ifindex = ifindex;
	skb.ingress_ifindex = ifindex;
	return run_with_context(prog_fd, frame, &skb, sizeof(skb));
}

int64_t realtime_ns()
{
	timespec ts{};
	::clock_gettime(CLOCK_REALTIME, &ts);
	return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

int64_t boottime_ns()
{
	timespec ts{};
	::clock_gettime(CLOCK_BOOTTIME, &ts);
	return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

} // namespace iplb::test

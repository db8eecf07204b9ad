// SPDX-License-Identifier: GPL-2.0-or-later
// What the eBPF benchmarks (bench/datapath, bench/lb) share: a small
// assembler for programs of our own (an empty one to time the kernel's clock
// reads, wrappers that give a program back the packet it changed, so that
// BPF_PROG_TEST_RUN's `repeat` times its real work), and the timing itself
// (single runs, the kernel's loop, min/median/max over rounds).
//
// Why wrappers: `repeat` runs a program N times on one packet (one skb for
// tc, one xdp_buff for XDP) and resets nothing in between, so a program that
// encapsulates or decapsulates sees its own output from the second run on
// and times another path. A wrapper undoes the change before tail-calling
// the program: every run does the full work on warm caches, and the figure
// is an upper bound of the program's cost (it includes the wrapper's). The
// program's own counters say whether it did: verify() checks N of N.
#pragma once

#include "util/unique_fd.hpp"

#include "packets.hpp"

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace iplb::bench {

using test::Bytes;

// tc's verdicts (kernel/compat.h), XDP's (linux/bpf.h).
constexpr int tcx_next = -1;
constexpr int tcx_pass = 0;
constexpr int tc_act_shot = 2;

class Assembler {
public:
	void mov(int dst, int32_t imm) { add(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
	void mov_reg(int dst, int src) { add(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0); }
	void add_imm(int dst, int32_t imm) { add(BPF_ALU64 | BPF_ADD | BPF_K, dst, 0, 0, imm); }
	void store_word(int16_t off, int32_t imm) // *(u32 *)(r10 + off) = imm
	{
		add(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, off, imm);
	}
	// *(u32 *)(dst + off) = imm, *(u16 *)(dst + off) = imm
	void store32(int dst, int16_t off, int32_t imm)
	{
		add(BPF_ST | BPF_MEM | BPF_W, dst, 0, off, imm);
	}
	void store16(int dst, int16_t off, int32_t imm)
	{
		add(BPF_ST | BPF_MEM | BPF_H, dst, 0, off, imm);
	}
	// dst = *(u32 *)(src + off): a context field
	void load32(int dst, int src, int16_t off)
	{
		add(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0);
	}
	void load_map(int dst, int map_fd)
	{
		add(BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_FD, 0, map_fd);
		add(0, 0, 0, 0, 0);
	}
	void call(bpf_func_id helper) { add(BPF_JMP | BPF_CALL, 0, 0, 0, helper); }
	void exit() { add(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

	// if (dst > src) goto label: returns the jump, for bind().
	size_t jump_if_greater(int dst, int src)
	{
		add(BPF_JMP | BPF_JGT | BPF_X, dst, src, 0, 0);
		return insns_.size() - 1;
	}
	// The jumps given land on the next instruction.
	void bind(std::initializer_list<size_t> jumps)
	{
		for (size_t j : jumps)
			insns_[j].off = static_cast<int16_t>(insns_.size() - j - 1);
	}

	UniqueFd load(const char *name, bpf_prog_type type = BPF_PROG_TYPE_SCHED_CLS,
		      bpf_attach_type expected_attach_type = bpf_attach_type{}) const
	{
		std::vector<char> log(1 << 16);
		bpf_prog_load_opts opts;
		std::memset(&opts, 0, sizeof(opts));
		opts.sz = sizeof(opts);
		opts.expected_attach_type = expected_attach_type;
		opts.log_size = static_cast<uint32_t>(log.size());
		opts.log_buf = log.data();
		UniqueFd fd(bpf_prog_load(type, name, "GPL", insns_.data(), insns_.size(), &opts));
		if (!fd) {
			const std::string why = std::strerror(errno);
			opts.log_level = 1;
			bpf_prog_load(type, name, "GPL", insns_.data(), insns_.size(), &opts);
			throw std::runtime_error(std::string("cannot load ") + name + ": " + why +
						 " (root needed?)\n" + log.data());
		}
		return fd;
	}

private:
	void add(uint8_t code, int dst, int src, int16_t off, int32_t imm)
	{
		bpf_insn insn;
		std::memset(&insn, 0, sizeof(insn));
		insn.code = code;
		insn.dst_reg = static_cast<uint8_t>(dst & 0xf);
		insn.src_reg = static_cast<uint8_t>(src & 0xf);
		insn.off = off;
		insn.imm = imm;
		insns_.push_back(insn);
	}
	std::vector<bpf_insn> insns_;
};

// A program that only returns `verdict`: the floor of the kernel's timing
// (its two clock reads around the run).
inline UniqueFd load_empty_program(int verdict, bpf_prog_type type = BPF_PROG_TYPE_SCHED_CLS,
				   bpf_attach_type expected_attach_type = bpf_attach_type{})
{
	Assembler a;
	a.mov(BPF_REG_0, verdict);
	a.exit();
	return a.load("iplb_bench_nop", type, expected_attach_type);
}

// Gives the packet back what the target program takes from it (or adds to
// it), then tail-calls the target.
class Wrapper {
public:
	// tc: writes `header` after the Ethernet header (what the target
	// removes). Without BPF_F_ADJ_ROOM_ENCAP_L3_IPV4: that marks the skb
	// as encapsulated and refuses the second run's push.
	static Wrapper push(int target, const Bytes &header)
	{
		if (header.size() % 4 || header.size() > 64)
			throw std::logic_error("header of 4-byte words, at most 64");
		Wrapper w(target);
		Assembler a;
		const auto len = static_cast<int32_t>(header.size());
		a.mov_reg(BPF_REG_6, BPF_REG_1);
		a.mov(BPF_REG_2, len);
		a.mov(BPF_REG_3, BPF_ADJ_ROOM_MAC);
		a.mov(BPF_REG_4, 0);
		a.call(BPF_FUNC_skb_adjust_room);
		for (int32_t i = 0; i < len; i += 4) {
			uint32_t word; // the bytes in memory order
			std::memcpy(&word, header.data() + i, 4);
			a.store_word(static_cast<int16_t>(i - len), static_cast<int32_t>(word));
		}
		a.mov_reg(BPF_REG_1, BPF_REG_6);
		a.mov(BPF_REG_2, 14);
		a.mov_reg(BPF_REG_3, BPF_REG_10);
		a.add_imm(BPF_REG_3, -len);
		a.mov(BPF_REG_4, len);
		a.mov(BPF_REG_5, 0);
		a.call(BPF_FUNC_skb_store_bytes);
		w.tail_call(a, tc_act_shot);
		w.prog_ = a.load("iplb_bench_push");
		return w;
	}

	// XDP: a frame as long as the target's output (encapsulated_len) loses
	// the `added` bytes in front (bpf_xdp_adjust_head(), a pointer move)
	// and gets its Ethernet header back (the target wrote over it); the
	// first run's frame, still as it arrived, is left alone.
	static Wrapper unpush_xdp(int target, bpf_attach_type expected_attach_type,
				  uint32_t encapsulated_len, int32_t added, const Bytes &ethernet)
	{
		if (ethernet.size() != 14)
			throw std::logic_error("an Ethernet header is 14 bytes");
		Wrapper w(target);
		Assembler a;
		a.mov_reg(BPF_REG_6, BPF_REG_1);
		a.load32(BPF_REG_2, BPF_REG_6, offsetof(xdp_md, data));
		a.load32(BPF_REG_3, BPF_REG_6, offsetof(xdp_md, data_end));
		a.mov_reg(BPF_REG_4, BPF_REG_2);
		a.add_imm(BPF_REG_4, static_cast<int32_t>(encapsulated_len));
		const size_t as_arrived = a.jump_if_greater(BPF_REG_4, BPF_REG_3);
		a.mov_reg(BPF_REG_1, BPF_REG_6);
		a.mov(BPF_REG_2, added);
		a.call(BPF_FUNC_xdp_adjust_head);
		a.load32(BPF_REG_2, BPF_REG_6, offsetof(xdp_md, data));
		a.load32(BPF_REG_3, BPF_REG_6, offsetof(xdp_md, data_end));
		a.mov_reg(BPF_REG_4, BPF_REG_2);
		a.add_imm(BPF_REG_4, 14);
		const size_t too_short = a.jump_if_greater(BPF_REG_4, BPF_REG_3);
		for (int16_t i = 0; i < 12; i += 4) {
			uint32_t word; // the bytes in memory order
			std::memcpy(&word, ethernet.data() + i, 4);
			a.store32(BPF_REG_2, i, static_cast<int32_t>(word));
		}
		uint16_t type;
		std::memcpy(&type, ethernet.data() + 12, 2);
		a.store16(BPF_REG_2, 12, type);
		a.bind({as_arrived, too_short});
		w.tail_call(a, XDP_ABORTED);
		w.prog_ = a.load("iplb_bench_unpush", BPF_PROG_TYPE_XDP, expected_attach_type);
		return w;
	}

	int fd() const { return prog_.get(); }

private:
	explicit Wrapper(int target)
	    : slots_(bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "iplb_bench_tail", 4, 4, 1, nullptr))
	{
		const uint32_t zero = 0;
		if (!slots_ || bpf_map_update_elem(slots_.get(), &zero, &target, BPF_ANY) != 0)
			throw std::runtime_error(std::string("cannot make a program array: ") +
						 std::strerror(errno));
	}

	void tail_call(Assembler &a, int32_t failed) const
	{
		a.mov_reg(BPF_REG_1, BPF_REG_6);
		a.load_map(BPF_REG_2, slots_.get());
		a.mov(BPF_REG_3, 0);
		a.call(BPF_FUNC_tail_call);
		a.mov(BPF_REG_0, failed); // the tail call failed
		a.exit();
	}

	UniqueFd slots_, prog_;
};

// ---------------------------------------------------------------------------
// Measuring

inline bpf_test_run_opts run_opts(const Bytes &frame, uint32_t repeat)
{
	bpf_test_run_opts opts;
	std::memset(&opts, 0, sizeof(opts));
	opts.sz = sizeof(opts);
	opts.data_in = frame.data();
	opts.data_size_in = static_cast<uint32_t>(frame.size());
	opts.repeat = repeat;
	return opts;
}

// How one program is run: on which frame, and what must come out.
struct Run {
	int prog_fd = -1;
	Bytes frame, expected;
	int verdict = tcx_next;
	std::function<uint64_t()> done; // the program's count of its work, if any
};

// One run, compared with what the fixtures say; with repeat > 1 (the kernel
// loop), the program must also have counted each run's work.
inline void verify(const std::string &name, const Run &r, uint32_t repeat)
{
	const uint64_t before = r.done ? r.done() : 0;
	Bytes out(r.frame.size() + 256);
	bpf_test_run_opts opts = run_opts(r.frame, repeat);
	opts.data_out = out.data();
	opts.data_size_out = static_cast<uint32_t>(out.size());
	if (int rc = bpf_prog_test_run_opts(r.prog_fd, &opts); rc != 0)
		throw std::runtime_error(name + ": BPF_PROG_TEST_RUN: " + std::strerror(-rc));
	out.resize(opts.data_size_out);
	const int verdict = static_cast<int>(opts.retval);
	if (verdict != r.verdict || out != r.expected)
		throw std::runtime_error(name + " (repeat " + std::to_string(repeat) +
					 "): not the expected output (verdict " +
					 std::to_string(verdict) + ", expected " +
					 std::to_string(r.verdict) + "); got\n" + test::hex(out) +
					 "\nexpected\n" + test::hex(r.expected) +
					 "\ndo the tests/bpf fixtures pass?");
	if (r.done && r.done() - before != repeat)
		throw std::runtime_error(name + ": " + std::to_string(r.done() - before) +
					 " runs of " + std::to_string(repeat) +
					 " did the work: the loop does not measure it");
}

// Mean of the kernel's duration over `packets` single runs, in ns.
inline double single_runs(const Run &r, uint64_t packets)
{
	bpf_test_run_opts opts = run_opts(r.frame, 1);
	uint64_t total = 0;
	for (uint64_t i = 0; i < packets; i++) {
		if (int rc = bpf_prog_test_run_opts(r.prog_fd, &opts); rc != 0)
			throw std::runtime_error(std::string("BPF_PROG_TEST_RUN: ") +
						 std::strerror(-rc));
		total += opts.duration;
	}
	return static_cast<double>(total) / static_cast<double>(packets);
}

// The kernel's own loop over one packet: its mean duration per run, in ns
// (whole ns: that is what the kernel reports).
inline double kernel_loop(const Run &r, uint32_t repeat)
{
	bpf_test_run_opts opts = run_opts(r.frame, repeat);
	if (int rc = bpf_prog_test_run_opts(r.prog_fd, &opts); rc != 0)
		throw std::runtime_error(std::string("BPF_PROG_TEST_RUN: ") + std::strerror(-rc));
	return opts.duration;
}

struct Stats {
	double min = 0, median = 0, max = 0;
};

inline Stats stats(std::vector<double> v)
{
	if (v.empty())
		return {};
	std::sort(v.begin(), v.end());
	const size_t n = v.size();
	return {v.front(), n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v.back()};
}

inline std::string fixed(double v, int digits = 1)
{
	char buf[32];
	std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
	return buf;
}

} // namespace iplb::bench

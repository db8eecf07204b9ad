// SPDX-License-Identifier: GPL-2.0-or-later
// Table-driven packet tests of the eBPF programs (in the spirit of Katran's
// lib/testing). A packet case is data: what it is about, the setup of the
// program's maps, an input frame, the frame and the verdict expected, and,
// where they matter, the counters expected. One runner feeds a case through
// BPF_PROG_TEST_RUN on a program loaded for that case alone, so that every
// case starts from empty maps and its counters are its own. Adding a case is
// adding a row to a program's table (host_test.cpp, relay_test.cpp).
//
// Expected frames are built with packets.hpp, never by the program under
// test. Where the program writes a value it derives from the flow hash (GUE's
// UDP source port, an IPv6 outer header's flow label), which the fixtures do
// not recompute, the expected frame is built with the value the program
// wrote in the outermost header (FlowHashFields): every other byte is still
// compared, and the value must be the same in every layer.
#pragma once

#include "datapath/bpf_programs.hpp"

#include "packets.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <utility>

namespace iplb::test {

// A tc program's verdicts (TCX_NEXT and TCX_PASS are kernel/compat.h's).
inline constexpr int tcx_next = -1;	  // not handled, or handled and on its way
inline constexpr int tcx_pass = 0;	  // handled: the chain ends, the stack takes it
inline constexpr int tc_act_shot = 2;	  // dropped
inline constexpr int tc_act_redirect = 7; // bpf_redirect*() took it

// An XDP program's (linux/bpf.h): the numbers overlap the tc ones, so each
// family's cases are printed with their own names.
inline constexpr int xdp_drop = 1;
inline constexpr int xdp_pass = 2;
inline constexpr int xdp_tx = 3;
inline constexpr int xdp_redirect = 4;

std::string verdict_name(int verdict);
std::string xdp_verdict_name(int verdict);

// Values of the outermost header the program derives from the flow hash;
// 0 where the frame has none.
struct FlowHashFields {
	uint16_t gue_source_port = 0; // of UDP to GUE's port 6080
	uint32_t flow_label = 0;      // of an IPv6 header
};
FlowHashFields flow_hash_fields(const Bytes &frame);

// The frame a case expects: fixed bytes, or bytes built from the values the
// program chose from the flow hash.
class ExpectedFrame {
public:
	using Builder = std::function<Bytes(const FlowHashFields &)>;

	ExpectedFrame(Bytes frame) : frame_(std::move(frame)) {}
	ExpectedFrame(Builder build) : build_(std::move(build)) {}

	bool uses_flow_hash() const { return static_cast<bool>(build_); }
	Bytes for_output(const FlowHashFields &chosen) const
	{
		return build_ ? build_(chosen) : frame_;
	}

private:
	Bytes frame_;
	Builder build_;
};

// One frame through one program. Setup and Counters are the program's
// (what its maps hold before, what its counters hold after).
template <typename Setup, typename Counters>
struct PacketCase {
	std::string description; // also the test's name (test_name)
	Setup setup = {};
	Bytes input;
	ExpectedFrame expected;
	int verdict = tcx_next;
	std::optional<Counters> counters = std::nullopt; // none: not checked
};

// The gtest name of a case: its description in CamelCase.
std::string test_name(const std::string &description);

template <typename Case>
std::string case_name(const ::testing::TestParamInfo<Case> &info)
{
	return test_name(info.param.description);
}

// gtest prints a case by its description, not its bytes.
template <typename Setup, typename Counters>
void PrintTo(const PacketCase<Setup, Counters> &c, std::ostream *os)
{
	*os << '"' << c.description << '"';
}

// The verdict, then the frame against what was expected (and a GUE source
// port the program chose in its range: 0xc000 | 14 bits of the flow hash).
void expect_output(const TestRun &out, const ExpectedFrame &expected, int verdict,
		   std::string (*name)(int) = verdict_name);

// The runner. A Target is one program family's side of it:
//   using Setup = ...; using Counters = ...;
//   void set_up(const Setup &);       // load the program, fill its maps
//   int prog_fd() const;              // the program to run
//   void expect_counters(const Counters &) const;
// and, where the family needs them:
//   Result<TestRun, Error> run(const Bytes &) const;  // instead of test_run()
//                                     // (a context: the ingress interface)
//   void expect_counters(const Counters &, const TestRun &) const;
//                                     // counters that depend on the output
//   static std::string verdict_name(int);
template <typename Target>
void run_packet_case(const PacketCase<typename Target::Setup, typename Target::Counters> &c)
{
	SCOPED_TRACE(c.description);
	Target target;
	ASSERT_NO_FATAL_FAILURE(target.set_up(c.setup));
	const auto out = [&] {
		if constexpr (requires { target.run(c.input); })
			return target.run(c.input);
		else
			return test_run(target.prog_fd(), c.input);
	}();
	ASSERT_TRUE(out) << out.error().message;
	if constexpr (requires { Target::verdict_name(0); })
		expect_output(*out, c.expected, c.verdict, Target::verdict_name);
	else
		expect_output(*out, c.expected, c.verdict);
	if (c.counters) {
		if constexpr (requires { target.expect_counters(*c.counters, *out); })
			target.expect_counters(*c.counters, *out);
		else
			target.expect_counters(*c.counters);
	}
}

} // namespace iplb::test

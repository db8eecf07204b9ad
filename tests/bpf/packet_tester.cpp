// SPDX-License-Identifier: GPL-2.0-or-later
// The table-driven packet tester: field readers, names, the comparison (packet_tester.hpp).
#include "packet_tester.hpp"

#include <cctype>

namespace iplb::test {

std::string verdict_name(int verdict)
{
	switch (verdict) {
	case tcx_next:
		return "TCX_NEXT";
	case tcx_pass:
		return "TCX_PASS";
	case tc_act_shot:
		return "TC_ACT_SHOT";
	case tc_act_redirect:
		return "TC_ACT_REDIRECT";
	default:
		return std::to_string(verdict);
	}
}

std::string xdp_verdict_name(int verdict)
{
	switch (verdict) {
	case 0:
		return "XDP_ABORTED";
	case xdp_drop:
		return "XDP_DROP";
	case xdp_pass:
		return "XDP_PASS";
	case xdp_tx:
		return "XDP_TX";
	case xdp_redirect:
		return "XDP_REDIRECT";
	default:
		return std::to_string(verdict);
	}
}

FlowHashFields flow_hash_fields(const Bytes &frame)
{
	FlowHashFields fields;
	if (frame.size() < 14)
		return fields;
	const unsigned ethertype = frame[12] << 8 | frame[13];
	size_t l4 = 0;
	uint8_t protocol = 0;
	if (ethertype == ethertype_ipv6 && frame.size() >= 14 + 40) {
		fields.flow_label = (frame[15] & 0xfu) << 16 | uint32_t{frame[16]} << 8 | frame[17];
		protocol = frame[20];
		l4 = 14 + 40;
	} else if (ethertype == 0x0800 && frame.size() >= 14 + 20) {
		protocol = frame[23];
		l4 = 14 + (frame[14] & 0xfu) * 4;
	}
	if (protocol == proto_udp && frame.size() >= l4 + 4 &&
	    (frame[l4 + 2] << 8 | frame[l4 + 3]) == 6080)
		fields.gue_source_port = static_cast<uint16_t>(frame[l4] << 8 | frame[l4 + 1]);
	return fields;
}

std::string test_name(const std::string &description)
{
	std::string name;
	bool word_start = true;
	for (const char c : description) {
		if (c == '\'') // "SYN's": SYNs
			continue;
		if (!std::isalnum(static_cast<unsigned char>(c))) {
			word_start = true;
			continue;
		}
		name += word_start ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
				   : c;
		word_start = false;
	}
	return name;
}

void expect_output(const TestRun &out, const ExpectedFrame &expected, int verdict,
		   std::string (*name)(int))
{
	EXPECT_EQ(name(out.verdict), name(verdict));
	const FlowHashFields chosen = flow_hash_fields(out.frame);
	if (expected.uses_flow_hash() && chosen.gue_source_port) {
		EXPECT_EQ(chosen.gue_source_port & 0xc000, 0xc000)
			<< "GUE source port " << chosen.gue_source_port
			<< " not in the ephemeral range";
	}
	const Bytes want = expected.for_output(chosen);
	EXPECT_EQ(out.frame, want) << "got\n" << hex(out.frame) << "\nexpected\n" << hex(want);
}

} // namespace iplb::test

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * XDP_PASS, nothing else: for the router's veths towards the muxes in
 * test_lb_survival.py. A veth delivers the frames its peer sends back with
 * XDP_TX (the mux on a stick) only when it has an XDP program itself; GRO
 * (NAPI) alone is not enough on 6.18 (measured: the frames stay in the
 * veth's ring). No headers, so that `clang -target bpf` needs no include
 * path.
 */
__attribute__((section("xdp"), used)) int xdp_pass(void *ctx)
{
	(void)ctx;
	return 2; /* XDP_PASS */
}

char LICENSE[] __attribute__((section("license"), used)) = "GPL";

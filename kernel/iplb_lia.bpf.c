// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iplb_lia: coupled congestion control for MPTCP subflows, RFC 6356's Linked
 * Increases Algorithm, as a BPF struct_ops tcp_congestion_ops.
 *
 * An MPTCP subflow (tp->is_mptcp) does slow start and loss recovery as Reno.
 * In congestion avoidance it grows by min(alpha / cwnd_total, 1 / cwnd_i) per
 * acknowledged packet, where, over the connection's subflows i,
 *
 *   alpha = cwnd_total * max_i(cwnd_i / rtt_i^2) / (sum_i cwnd_i / rtt_i)^2
 *
 * so that the subflows together take no more than one TCP flow would on the
 * best of their paths, and move traffic to the less congested ones. Written
 * as Reno's "one packet per w acknowledged" (tcp_cong_avoid_ai), the coupled
 * term is w = cwnd_total / alpha, in which cwnd_total cancels:
 *
 *   w = (sum_i cwnd_i / rtt_i)^2 / max_i(cwnd_i / rtt_i^2)
 *     = (sum_i cwnd_i * rtt_k / rtt_i)^2 / cwnd_k
 *
 * with k the subflow of the largest cwnd / rtt^2. Each term of the sum is at
 * most max(cwnd_k, cwnd_i) (k's ratio is the largest), which bounds the
 * fixed-point arithmetic below: windows are clamped to 2^20 packets, RTTs
 * scaled down together below 2^20, the sum kept in 1/256 packets (< 2^32 for
 * 9 terms), its square in a u64. Subflow i then grows by one packet per
 * max(cwnd_i, w) acknowledged. With one subflow w = cwnd: Reno.
 *
 * A subflow cannot see its siblings: each keeps its window and RTT in a slot
 * of its connection's entry in iplb_lia_conns (kernel/iplb_lia_layout.h),
 * claimed at its first congestion-avoidance call and released by .release.
 *
 * Plain TCP is left to cubic: every callback calls the kernel's cubictcp_*
 * kfuncs on the same private area, so making iplb_lia a namespace's default
 * changes nothing for TCP. The private area (icsk_ca_priv) holds either
 * cubic's struct bictcp or our state, and which one in its last word.
 */
#include <stdbool.h>

#include <linux/bpf.h>
#include <linux/types.h>

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "iplb_lia_layout.h"

/* The kernel's types, the members used only: CO-RE finds their offsets. */

/* Only passed on (a struct_ops argument, a kfunc's): never read. A member
 * all the same: libbpf takes a forward declaration for another kind of type
 * than the kernel's struct, and refuses the kfuncs' prototypes. */
struct sock {
	int __sk_common;
} __attribute__((preserve_access_index));

struct inet_connection_sock {
	void *icsk_ulp_data;
	__u64 icsk_ca_priv[13];
} __attribute__((preserve_access_index));

struct tcp_sock {
	struct inet_connection_sock inet_conn;
	__u32 snd_cwnd;
	__u32 snd_cwnd_cnt;
	__u32 snd_ssthresh;
	__u32 srtt_us;
	__u32 max_packets_out;
	__u8 is_cwnd_limited : 1;
	bool is_mptcp;
} __attribute__((preserve_access_index));

struct mptcp_subflow_context {
	struct sock *conn;
} __attribute__((preserve_access_index));

struct ack_sample {
	__u32 pkts_acked;
} __attribute__((preserve_access_index));

enum tcp_ca_event {
	CA_EVENT_TX_START = 0,
};

/* libbpf matches members by name: only what is set here. */
struct tcp_congestion_ops {
	__u32 (*ssthresh)(struct sock *sk);
	void (*cong_avoid)(struct sock *sk, __u32 ack, __u32 acked);
	void (*set_state)(struct sock *sk, __u8 new_state);
	void (*cwnd_event)(struct sock *sk, enum tcp_ca_event ev);
	void (*pkts_acked)(struct sock *sk, const struct ack_sample *sample);
	__u32 (*undo_cwnd)(struct sock *sk);
	void (*init)(struct sock *sk);
	void (*release)(struct sock *sk);
	__u32 flags;
	char name[16];
};

extern void cubictcp_init(struct sock *sk) __ksym;
extern __u32 cubictcp_recalc_ssthresh(struct sock *sk) __ksym;
extern void cubictcp_cong_avoid(struct sock *sk, __u32 ack, __u32 acked) __ksym;
extern void cubictcp_state(struct sock *sk, __u8 new_state) __ksym;
extern void cubictcp_cwnd_event(struct sock *sk,
				enum tcp_ca_event event) __ksym;
extern void cubictcp_acked(struct sock *sk,
			   const struct ack_sample *sample) __ksym;
extern __u32 tcp_slow_start(struct tcp_sock *tp, __u32 acked) __ksym;
extern void tcp_cong_avoid_ai(struct tcp_sock *tp, __u32 w, __u32 acked) __ksym;
extern __u32 tcp_reno_undo_cwnd(struct sock *sk) __ksym;
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct iplb_lia_config);
} iplb_lia_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, IPLB_LIA_MAX_CONNECTIONS);
	__type(key, __u64);
	__type(value, struct iplb_lia_conn);
} iplb_lia_conns SEC(".maps");

/* Which state the private area holds: magic numbers rather than 1 and 2,
 * as a passive subflow starts with a copy of its listener's area. */
#define MODE_CUBIC 0x63756263 /* "cubc" */
#define MODE_LIA 0x6c696121   /* "lia!" */

#define NO_SLOT 0xff

/* include/net/tcp.h: any user may choose it, and any network namespace may
 * make it its default, without an entry in tcp_allowed_congestion_control
 * (which only the initial namespace can write). LIA takes no more than one
 * TCP share at a bottleneck, and plain TCP runs cubic: as safe as cubic. */
#define TCP_CONG_NON_RESTRICTED 0x1
/* cubic's struct bictcp is 64 bytes on 6.18; the loader checks the running
 * kernel's against this (iplbd/datapath/congestion_control.cpp). */
#define CUBIC_AREA 96
#define CWND_MAX (1U << 20)
#define RTT_MAX (1U << 20)
#define SUM_SHIFT 8 /* the sum of cwnd_i * rtt_k / rtt_i in 1/256 packets */

struct lia_priv {
	union {
		__u8 cubic[CUBIC_AREA];
		struct {
			__u64 conn; /* the connection (msk); 0: not known yet */
			__u32 owner; /* our tag in the slot, 0: never claimed */
			__u8 slot;   /* NO_SLOT: none held */
		} lia;
	};
	__u32 mode;
};

_Static_assert(sizeof(struct lia_priv) <= 13 * sizeof(__u64),
	       "the private area is 13 u64 (icsk_ca_priv)");

static __always_inline struct tcp_sock *tcp_sk(struct sock *sk)
{
	return (struct tcp_sock *)sk;
}

static __always_inline struct lia_priv *priv_of(struct sock *sk)
{
	return (struct lia_priv *)tcp_sk(sk)->inet_conn.icsk_ca_priv;
}

static __always_inline __u32 now_ms(void)
{
	return (__u32)(bpf_ktime_get_ns() / 1000000);
}

/* The subflow's MPTCP connection, as a key: its mptcp_subflow_context's
 * conn (the msk). 0 if there is none yet. */
static __always_inline __u64 connection_of(struct tcp_sock *tp)
{
	struct mptcp_subflow_context *subflow;

	subflow = bpf_rdonly_cast(
		tp->inet_conn.icsk_ulp_data,
		bpf_core_type_id_kernel(struct mptcp_subflow_context));
	if (!subflow)
		return 0;
	return (__u64)subflow->conn;
}

static __always_inline void claim_slot(struct iplb_lia_conn *entry,
				       struct lia_priv *ca)
{
	ca->lia.slot = NO_SLOT;
	for (__u32 i = 0; i < IPLB_LIA_SLOTS; i++) {
		__u64 bit = 1ULL << i;

		if (entry->used & bit)
			continue;
		if (__sync_fetch_and_or(&entry->used, bit) & bit)
			continue;
		if (!ca->lia.owner)
			ca->lia.owner = bpf_get_prandom_u32() | 1;
		entry->slots[i].owner = ca->lia.owner;
		ca->lia.slot = i;
		return;
	}
}

/* The connection's entry with a slot of ours in it (created if there is
 * none: the first subflow, or one evicted), or NULL. */
static struct iplb_lia_conn *subflow_entry(struct tcp_sock *tp,
					   struct lia_priv *ca)
{
	struct iplb_lia_conn *entry;
	__u64 key;

	if (!ca->lia.conn)
		ca->lia.conn = connection_of(tp);
	key = ca->lia.conn;
	if (!key)
		return NULL;
	entry = bpf_map_lookup_elem(&iplb_lia_conns, &key);
	if (!entry) {
		struct iplb_lia_conn fresh;

		__builtin_memset(&fresh, 0, sizeof(fresh));
		/* Another subflow may create it at the same moment: keep
		 * theirs. */
		bpf_map_update_elem(&iplb_lia_conns, &key, &fresh, BPF_NOEXIST);
		entry = bpf_map_lookup_elem(&iplb_lia_conns, &key);
		if (!entry)
			return NULL;
	}
	/* Ours unless it was released, or the entry deleted and made again
	 * (our bit then belongs to someone else, or to no one). */
	__u8 slot = ca->lia.slot;
	if (slot >= IPLB_LIA_SLOTS || !(entry->used & (1ULL << slot)) ||
	    entry->slots[slot].owner != ca->lia.owner)
		claim_slot(entry, ca);
	return entry;
}

static __always_inline void publish(struct iplb_lia_conn *entry,
				    struct lia_priv *ca, __u32 cwnd,
				    __u32 srtt_us)
{
	__u8 slot = ca->lia.slot;

	if (slot >= IPLB_LIA_SLOTS)
		return;
	entry->slots[slot].cwnd = cwnd;
	entry->slots[slot].srtt_us = srtt_us;
	entry->slots[slot].stamp_ms = now_ms();
}

/*
 * Returns its argument, of which the verifier then knows nothing: a global
 * function is verified on its own, and its result is any scalar. The loops
 * below pass their sums through it after each slot: otherwise what a branch
 * taught the verifier about a sum (0 while every slot so far was left out, a
 * range after) stays known, later tests make it precise, and the verifier
 * keeps every combination of slots apart (over a million instructions
 * processed for coupled_window()).
 */
__attribute__((noinline)) __u64 iplb_lia_opaque(__u64 value)
{
	/* Or the compiler sees that it returns its argument, and uses that. */
	asm volatile("" : "+r"(value));
	return value;
}

/* Slot i's window and RTT (scaled down by shift, at least 1) if it counts:
 * held, not this subflow's (whose own values are fresher), written recently.
 * Read afresh by each pass: another CPU may write in between, so the window
 * is clamped here, and the RTT by the passes that scaled it. */
static __always_inline bool slot_values(struct iplb_lia_conn *entry, __u32 i,
					__u32 own, __u32 now, __u32 shift,
					__u64 *cwnd, __u64 *rtt)
{
	struct iplb_lia_slot *s = &entry->slots[i];
	__u64 c, r;

	if (i == own || !(entry->used & (1ULL << i)))
		return false;
	c = s->cwnd;
	r = s->srtt_us;
	if (!c || !r || now - s->stamp_ms > IPLB_LIA_STALE_MS)
		return false;
	r >>= shift;
	*cwnd = c < CWND_MAX ? c : CWND_MAX;
	*rtt = r ? r : 1;
	return true;
}

static __always_inline __u64 scaled_rtt(__u64 rtt)
{
	return rtt < RTT_MAX ? rtt : RTT_MAX - 1;
}

/*
 * The coupled w = cwnd_total / alpha (packets) over the connection's fresh
 * slots and this subflow's own values. Also records alpha in the entry, for
 * display.
 */
static __u32 coupled_window(struct iplb_lia_conn *entry, struct lia_priv *ca,
			    __u32 own_cwnd, __u32 own_rtt)
{
	__u64 c, r, cwnd, rtt, rmax, ck, rk, sum, total, w_fp;
	__u32 now = now_ms(), own = ca->lia.slot, shift = 0;

	if (own_cwnd > CWND_MAX)
		own_cwnd = CWND_MAX;
	if (!own_cwnd)
		own_cwnd = 1;
	if (!own_rtt)
		own_rtt = 1;

	/* The RTTs are scaled down together below RTT_MAX, so that
	 * cwnd * rtt * rtt < 2^60. */
	rmax = own_rtt;
	for (__u32 i = 0; i < IPLB_LIA_SLOTS; i++) {
		if (slot_values(entry, i, own, now, 0, &cwnd, &rtt) &&
		    rtt > rmax)
			rmax = rtt;
		rmax = iplb_lia_opaque(rmax);
	}
	for (__u32 i = 0; i < 16 && rmax >= RTT_MAX; i++) {
		rmax >>= 1;
		shift++;
	}
	shift = iplb_lia_opaque(shift) & 31;
	r = own_rtt >> shift;
	r = scaled_rtt(r ? r : 1);
	c = own_cwnd;

	/* k: the largest cwnd / rtt^2, compared without dividing. */
	ck = c;
	rk = r;
	for (__u32 i = 0; i < IPLB_LIA_SLOTS; i++) {
		if (slot_values(entry, i, own, now, shift, &cwnd, &rtt) &&
		    cwnd * rk * rk > ck * scaled_rtt(rtt) * scaled_rtt(rtt)) {
			ck = cwnd;
			rk = scaled_rtt(rtt);
		}
		ck = iplb_lia_opaque(ck);
		rk = iplb_lia_opaque(rk);
	}
	ck = ck < 1 ? 1 : ck < CWND_MAX ? ck : CWND_MAX;
	rk = rk < 1 ? 1 : rk < RTT_MAX ? rk : RTT_MAX - 1;

	/* sum_i cwnd_i * rtt_k / rtt_i: each term is at most the larger of
	 * cwnd_k and cwnd_i, unless a slot changed between the passes. */
	sum = (c * rk << SUM_SHIFT) / r;
	total = c;
	for (__u32 i = 0; i < IPLB_LIA_SLOTS; i++) {
		if (slot_values(entry, i, own, now, shift, &cwnd, &rtt)) {
			__u64 term = (cwnd * rk << SUM_SHIFT) / scaled_rtt(rtt);

			sum += term < (CWND_MAX << SUM_SHIFT)
				       ? term
				       : (CWND_MAX << SUM_SHIFT);
			total += cwnd;
		}
		sum = iplb_lia_opaque(sum);
		total = iplb_lia_opaque(total);
	}
	if (!sum || sum >= (1ULL << 32))
		return own_cwnd;
	/* w = sum^2 / cwnd_k, kept in 1/256 packets too */
	w_fp = sum * sum / (ck << SUM_SHIFT);
	if (!w_fp)
		w_fp = 1;
	entry->alpha =
		(__u32)(((total & 0xffffffff) << (10 + SUM_SHIFT)) / w_fp);
	entry->total_cwnd = (__u32)total;
	w_fp = (w_fp + (1 << (SUM_SHIFT - 1))) >> SUM_SHIFT;
	if (w_fp > (1U << 31))
		w_fp = 1U << 31;
	return w_fp ? (__u32)w_fp : 1;
}

/* Below this window a subflow grows as Reno (iplb_lia_config). */
static __always_inline __u32 min_coupled_cwnd(void)
{
	__u32 zero = 0;
	struct iplb_lia_config *config =
		bpf_map_lookup_elem(&iplb_lia_config, &zero);

	return config ? config->min_coupled_cwnd : 0;
}

/* tcp_is_cwnd_limited() of include/net/tcp.h */
static __always_inline bool cwnd_limited(struct tcp_sock *tp)
{
	if (BPF_CORE_READ_BITFIELD(tp, is_cwnd_limited))
		return true;
	if (tp->snd_cwnd < tp->snd_ssthresh)
		return tp->snd_cwnd < 2 * tp->max_packets_out;
	return false;
}

SEC("struct_ops/iplb_lia_init")
void BPF_PROG(iplb_lia_init, struct sock *sk)
{
	struct lia_priv *ca = priv_of(sk);

	if (tcp_sk(sk)->is_mptcp) {
		ca->mode = MODE_LIA;
		ca->lia.conn = 0;
		ca->lia.owner = 0;
		ca->lia.slot = NO_SLOT;
		return;
	}
	ca->mode = MODE_CUBIC;
	cubictcp_init(sk);
}

SEC("struct_ops/iplb_lia_release")
void BPF_PROG(iplb_lia_release, struct sock *sk)
{
	struct lia_priv *ca = priv_of(sk);
	struct iplb_lia_conn *entry;
	__u8 slot = ca->lia.slot;
	__u64 key, bit, left;

	if (ca->mode != MODE_LIA)
		return;
	ca->mode = 0;
	key = ca->lia.conn;
	if (!key || slot >= IPLB_LIA_SLOTS)
		return;
	entry = bpf_map_lookup_elem(&iplb_lia_conns, &key);
	if (!entry || entry->slots[slot].owner != ca->lia.owner)
		return;
	entry->slots[slot].cwnd = 0;
	entry->slots[slot].owner = 0;
	bit = 1ULL << slot;
	left = __sync_fetch_and_and(&entry->used, ~bit) & ~bit;
	/* The last subflow takes the entry with it. A subflow joining at
	 * this moment finds none and makes it again. */
	if (!left)
		bpf_map_delete_elem(&iplb_lia_conns, &key);
}

SEC("struct_ops/iplb_lia_ssthresh")
__u32 BPF_PROG(iplb_lia_ssthresh, struct sock *sk)
{
	struct lia_priv *ca = priv_of(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	struct iplb_lia_conn *entry;
	__u32 ssthresh;

	if (ca->mode == MODE_CUBIC)
		return cubictcp_recalc_ssthresh(sk);
	ssthresh = tp->snd_cwnd >> 1;
	if (ssthresh < 2)
		ssthresh = 2;
	/* Siblings see the reduction now, not after recovery. */
	if (ca->mode == MODE_LIA) {
		entry = subflow_entry(tp, ca);
		if (entry)
			publish(entry, ca, ssthresh, tp->srtt_us);
	}
	return ssthresh;
}

SEC("struct_ops/iplb_lia_cong_avoid")
void BPF_PROG(iplb_lia_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
	struct lia_priv *ca = priv_of(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	struct iplb_lia_conn *entry = NULL;
	__u32 w;

	if (ca->mode == MODE_CUBIC) {
		cubictcp_cong_avoid(sk, ack, acked);
		return;
	}
	if (ca->mode == MODE_LIA) {
		entry = subflow_entry(tp, ca);
		if (entry)
			publish(entry, ca, tp->snd_cwnd, tp->srtt_us);
	}
	if (!cwnd_limited(tp))
		return;
	if (tp->snd_cwnd < tp->snd_ssthresh) {
		acked = tcp_slow_start(tp, acked);
		if (!acked)
			return;
	}
	w = tp->snd_cwnd;
	if (entry && tp->snd_cwnd >= min_coupled_cwnd()) {
		__u32 coupled =
			coupled_window(entry, ca, tp->snd_cwnd, tp->srtt_us);
		if (coupled > w)
			w = coupled;
	}
	tcp_cong_avoid_ai(tp, w, acked);
}

SEC("struct_ops/iplb_lia_set_state")
void BPF_PROG(iplb_lia_set_state, struct sock *sk, __u8 new_state)
{
	if (priv_of(sk)->mode == MODE_CUBIC)
		cubictcp_state(sk, new_state);
}

SEC("struct_ops/iplb_lia_cwnd_event")
void BPF_PROG(iplb_lia_cwnd_event, struct sock *sk, enum tcp_ca_event event)
{
	if (priv_of(sk)->mode == MODE_CUBIC)
		cubictcp_cwnd_event(sk, event);
}

SEC("struct_ops/iplb_lia_pkts_acked")
void BPF_PROG(iplb_lia_pkts_acked, struct sock *sk,
	      const struct ack_sample *sample)
{
	if (priv_of(sk)->mode == MODE_CUBIC)
		cubictcp_acked(sk, sample);
}

SEC("struct_ops/iplb_lia_undo_cwnd")
__u32 BPF_PROG(iplb_lia_undo_cwnd, struct sock *sk)
{
	return tcp_reno_undo_cwnd(sk);
}

SEC(".struct_ops")
struct tcp_congestion_ops iplb_lia = {
	.init = (void *)iplb_lia_init,
	.release = (void *)iplb_lia_release,
	.ssthresh = (void *)iplb_lia_ssthresh,
	.cong_avoid = (void *)iplb_lia_cong_avoid,
	.set_state = (void *)iplb_lia_set_state,
	.cwnd_event = (void *)iplb_lia_cwnd_event,
	.pkts_acked = (void *)iplb_lia_pkts_acked,
	.undo_cwnd = (void *)iplb_lia_undo_cwnd,
	.flags = TCP_CONG_NON_RESTRICTED,
	.name = IPLB_LIA_NAME,
};

char LICENSE[] SEC("license") = "GPL";

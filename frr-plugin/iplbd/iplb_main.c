// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iplbd: multipath source routing and MPTCP-aware load balancing for
 * data-center networks, as an FRR daemon. Startup and signals.
 */
#include <zebra.h>

#include <lib/version.h>
#include "getopt.h"
#include "thread.h"
#include "command.h"
#include "log.h"
#include "memory.h"
#include "privs.h"
#include "sigevent.h"
#include "libfrr.h"
#include "if.h"
#include "vrf.h"
#include "lib_errors.h"
#include "filter.h"
#include "plist.h"

#include "iplbd/iplbd.h"
#include "iplbd/iplb_debug.h"
#include "iplbd/iplb_io.h"
#include "iplbd/iplb_nb.h"
#include "iplbd/iplb_settings.h"
#include "iplbd/iplb_vty.h"
#include "iplbd/iplb_zebra.h"

struct iplb_globals iplb_g;

/* The datapath: bpf() and a bpffs mount (SYS_ADMIN), TCX links (NET_ADMIN),
 * pins made by root (DAC_OVERRIDE). Raised only around its work. */
static zebra_capabilities_t iplb_caps[] = {
	ZCAP_SYS_ADMIN,
	ZCAP_NET_ADMIN,
	ZCAP_DAC_OVERRIDE,
};

struct zebra_privs_t iplb_privs = {
#if defined(FRR_USER) && defined(FRR_GROUP)
	.user = FRR_USER,
	.group = FRR_GROUP,
#endif
#if defined(VTY_GROUP)
	.vty_group = VTY_GROUP,
#endif
	.caps_p = iplb_caps,
	.cap_num_p = array_size(iplb_caps),
	.cap_num_i = 0,
};

static const struct option iplb_longopts[] = { { 0 } };

static struct frr_daemon_info iplbd_di;

/*
 * The orphan rule (docs/IPLBD.md) waits for the startup configuration: a
 * datapath instance a previous iplbd left is released once it is loaded and
 * does not name it. The end of an integrated configuration (vtysh -b, which
 * frrinit.sh and watchfrr run after starting a daemon) is FRR's
 * XFRR_end_configuration; a configuration file of our own (-f) is read
 * before frr_config_post. Without either (a daemon started by hand, nothing
 * sent), the fallback timer decides.
 */
#define IPLB_CONFIG_FALLBACK_SECONDS 30
static struct thread *iplb_config_fallback;

static void iplb_config_loaded(void)
{
	THREAD_OFF(iplb_config_fallback);
	iplb_core_config_loaded(iplb_g.core);
}

static void iplb_config_fallback_expired(struct thread *t)
{
	zlog_info("no configuration sent in %d s: taken as loaded",
		  IPLB_CONFIG_FALLBACK_SECONDS);
	iplb_config_loaded();
}

static int iplb_config_post(struct thread_master *master)
{
	if (iplbd_di.config_file)
		iplb_config_loaded();
	else
		thread_add_timer(master, iplb_config_fallback_expired, NULL,
				 IPLB_CONFIG_FALLBACK_SECONDS,
				 &iplb_config_fallback);
	return 0;
}

static void iplb_prefix_list_changed(struct prefix_list *plist)
{
	if (iplb_g.core)
		iplb_core_prefix_lists_changed(iplb_g.core);
}

static void iplb_sighup(void)
{
	zlog_info("SIGHUP received");
	vty_read_config(NULL, iplbd_di.config_file, config_default);
}

static void iplb_sigint(void)
{
	zlog_notice("Terminating on signal");
	/* zebra drops a departed client's routes: the VIPs go with it. */
	iplb_zebra_terminate();
	iplb_core_lsdb_enable(iplb_g.core, false);
	iplb_io_terminate();
	iplb_core_free(iplb_g.core);
	iplb_g.core = NULL;
	frr_fini();
	exit(0);
}

static void iplb_sigusr1(void)
{
	zlog_rotate();
}

static struct frr_signal_t iplb_signals[] = {
	{ .signal = SIGHUP, .handler = &iplb_sighup },
	{ .signal = SIGUSR1, .handler = &iplb_sigusr1 },
	{ .signal = SIGINT, .handler = &iplb_sigint },
	{ .signal = SIGTERM, .handler = &iplb_sigint },
};

/*
 * frr-interface and frr-vrf also give the configuration tree its implicit
 * top-level nodes: FRR's northbound cannot edit an empty tree.
 */
static const struct frr_yang_module_info *const iplbd_yang_modules[] = {
	&frr_filter_info,
	&frr_interface_info,
	&frr_vrf_info,
	&frr_iplbd_info,
};

/*
 * The TCP vty listens on the loopback only unless -A says otherwise: FRR's
 * default (no address) binds 0.0.0.0 and ::, and this daemon's vty
 * configures a datapath. libfrr applies -A over this value.
 */
static char iplb_vty_addr[] = "127.0.0.1";

/* clang-format off */
FRR_DAEMON_INFO(iplbd, IPLB,
	.vty_addr = iplb_vty_addr,
	.vty_port = IPLB_VTY_PORT,
	.proghelp = "iplb: multipath source routing and load balancing.",
	.signals = iplb_signals,
	.n_signals = array_size(iplb_signals),
	.privs = &iplb_privs,
	.yang_modules = iplbd_yang_modules,
	.n_yang_modules = array_size(iplbd_yang_modules),
);
/* clang-format on */

int main(int argc, char **argv)
{
	frr_preinit(&iplbd_di, argc, argv);
	frr_opt_add("", iplb_longopts, "");

	while (1) {
		int opt = frr_getopt(argc, argv, NULL);

		if (opt == EOF)
			break;
		switch (opt) {
		case 0:
			break;
		default:
			frr_help_exit(1);
		}
	}

	iplb_g.pathspace = iplbd_di.pathspace;
	iplb_g.master = frr_init();

	iplb_g.core = iplb_core_new(iplb_io_init(iplb_g.master));
	if (!iplb_g.core) {
		flog_err(EC_LIB_SYSTEM_CALL, "cannot allocate the iplb core");
		exit(1);
	}
	iplb_io_set_core(iplb_g.core);
	iplb_core_set_state_dir(iplb_g.core, frr_vtydir);
	cmd_init_config_callbacks(NULL, iplb_config_loaded);
	hook_register(frr_config_post, iplb_config_post);

	vrf_init(NULL, NULL, NULL, NULL);
	/* 'destinations prefix-list NAME': the lists, and a new selection of
	 * destinations whenever one changes. */
	access_list_init();
	prefix_list_init();
	prefix_list_add_hook(iplb_prefix_list_changed);
	prefix_list_delete_hook(iplb_prefix_list_changed);
	iplb_debug_init();
	iplb_vty_init();
	iplb_zebra_init(iplb_g.master);

	frr_config_fork();
	frr_run(iplb_g.master);

	/* Not reached. */
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * frr-iplbd configuration callbacks: validated candidate configuration in,
 * calls into the core out.
 */
#include <zebra.h>

#include "log.h"
#include "northbound.h"
#include "yang.h"

#include "iplbd/iplbd.h"
#include "iplbd/iplb_nb.h"

/* XPath: /frr-iplbd:iplb */
int iplb_create(struct nb_cb_create_args *args)
{
	/* The container only scopes its leaves; they carry the state. */
	return NB_OK;
}

int iplb_destroy(struct nb_cb_destroy_args *args)
{
	char errmsg[128];

	if (args->event != NB_EV_APPLY)
		return NB_OK;

	/* 'no router iplb': back to the defaults of every leaf. */
	if (!iplb_core_set_role(iplb_g.core, "host", errmsg, sizeof(errmsg)))
		zlog_err("%s: %s", __func__, errmsg);
	return NB_OK;
}

/* XPath: /frr-iplbd:iplb/role */
int iplb_role_modify(struct nb_cb_modify_args *args)
{
	const char *role = yang_dnode_get_string(args->dnode, NULL);
	struct iplb_core *probe;
	bool ok;

	switch (args->event) {
	case NB_EV_VALIDATE:
		/*
		 * YANG already limits the values; the core has the final word,
		 * asked on a scratch core so the running one stays untouched.
		 */
		probe = iplb_core_new();
		if (!probe) {
			snprintf(args->errmsg, args->errmsg_len,
				 "out of memory");
			return NB_ERR_RESOURCE;
		}
		ok = iplb_core_set_role(probe, role, args->errmsg,
					args->errmsg_len);
		iplb_core_free(probe);
		return ok ? NB_OK : NB_ERR_VALIDATION;
	case NB_EV_PREPARE:
	case NB_EV_ABORT:
		return NB_OK;
	case NB_EV_APPLY:
		if (!iplb_core_set_role(iplb_g.core, role, args->errmsg,
					args->errmsg_len))
			return NB_ERR_INCONSISTENCY;
		return NB_OK;
	}
	return NB_OK;
}

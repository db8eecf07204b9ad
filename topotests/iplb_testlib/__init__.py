# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers shared by iplb's topotests (FRR's own helpers are in `lib`)."""

# SPDX-License-Identifier: GPL-2.0-or-later
"""The evaluation lab behind `./quickstart.sh demo` (see tools/iplb-demo)."""

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Generates ./configure (autoconf, automake); run once after a clone.
set -e
cd "$(dirname "$0")"
mkdir -p m4
exec autoreconf --install --force

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Stages of the FRR tree that iplbd is built in, called by Makefile.am:
#
#   frr-tree.sh fetch     WORKDIR VERSION [DSC]   download Debian's source package
#   frr-tree.sh prepare   WORKDIR VERSION [DSC] PATCH...
#                                                 extract a pristine tree, apply patches
#   frr-tree.sh link      TREE FILE...            link iplbd's glue into TREE/iplbd
#   frr-tree.sh configure TREE ARG...             bootstrap and configure TREE
#   frr-tree.sh topotest-config TREE FRRDIR      point TREE's topotests at FRRDIR
#
# WORKDIR holds the downloaded package and the tree WORKDIR/frr-VERSION.
# DSC, when not empty, is a local .dsc used instead of `apt-get source`.

set -eu

die() {
	echo "frr-tree.sh: $*" >&2
	exit 1
}

# The newest downloaded .dsc of this upstream version.
find_dsc() {
	workdir=$1 version=$2 dsc=$3
	if [ -n "$dsc" ]; then
		[ -f "$dsc" ] || die "no such source package: $dsc"
		echo "$dsc"
		return
	fi
	found=$(ls -1 "$workdir"/frr_"$version"-*.dsc 2>/dev/null | sort -V | tail -n 1)
	[ -n "$found" ] || die "no frr_$version-*.dsc in $workdir (run 'make' again to fetch it)"
	echo "$found"
}

cmd_fetch() {
	workdir=$1 version=$2 dsc=${3:-}
	mkdir -p "$workdir"
	if [ -n "$dsc" ]; then
		find_dsc "$workdir" "$version" "$dsc" >/dev/null
		return
	fi
	echo "  FETCH    frr $version (apt-get source --download-only frr)"
	if ! (cd "$workdir" && apt-get source --download-only -q frr >fetch.log 2>&1); then
		cat "$workdir/fetch.log" >&2
		die "apt-get source frr failed. It needs a deb-src entry in the apt sources" \
			"(./quickstart.sh adds one), or configure --with-frr-dsc=FILE."
	fi
	find_dsc "$workdir" "$version" "" >/dev/null ||
		die "apt-get fetched a different FRR than $version; see $workdir"
}

cmd_prepare() {
	workdir=$1 version=$2 dsc=$3
	shift 3
	tree="$workdir/frr-$version"
	src=$(find_dsc "$workdir" "$version" "$dsc")

	echo "  EXTRACT  $(basename "$src") -> $tree"
	rm -rf "$tree" "$tree.new"
	dpkg-source --no-check -x "$src" "$tree.new" >"$workdir/extract.log" 2>&1 ||
		{ cat "$workdir/extract.log" >&2; die "dpkg-source -x $src failed"; }
	for patch in "$@"; do
		echo "  PATCH    $(basename "$patch")"
		patch -d "$tree.new" -p1 --batch --forward --quiet <"$patch" ||
			die "$(basename "$patch") does not apply to $(basename "$src")"
	done
	mv "$tree.new" "$tree"
}

cmd_link() {
	tree=$1
	shift
	[ -d "$tree" ] || die "no FRR tree at $tree"
	mkdir -p "$tree/iplbd"
	# Drop links to glue files that are no longer listed.
	for old in "$tree"/iplbd/*; do
		[ -L "$old" ] && rm -f "$old"
	done
	for file in "$@"; do
		[ -f "$file" ] || die "missing glue file $file"
		case "$file" in
		*.yang) ln -sfn "$file" "$tree/yang/$(basename "$file")" ;;
		*) ln -sfn "$file" "$tree/iplbd/$(basename "$file")" ;;
		esac
	done
	echo "  LINK     iplbd glue -> $tree/iplbd"
}

cmd_configure() {
	tree=$1
	shift
	echo "  BOOTSTRAP $tree"
	(cd "$tree" && ./bootstrap.sh) >"$tree/bootstrap.log" 2>&1 ||
		{ tail -n 30 "$tree/bootstrap.log" >&2; die "bootstrap of FRR failed"; }
	echo "  CONFIGURE $tree"
	(cd "$tree" && ./configure "$@") >"$tree/configure.log" 2>&1 ||
		{ tail -n 30 "$tree/configure.log" >&2; die "configure of FRR failed (see $tree/config.log)"; }
}

# FRR's topotest library reads the daemon directory from its pytest.ini
# (the routers ignore any other setting).
cmd_topotest_config() {
	tree=$1 frrdir=$2
	ini="$tree/tests/topotests/pytest.ini"
	[ -f "$ini" ] || die "no $ini"
	sed -i -e "s|^#\{0,1\}frrdir = .*|frrdir = $frrdir|" "$ini"
	grep -q "^frrdir = $frrdir\$" "$ini" || die "could not set frrdir in $ini"
}

[ $# -ge 1 ] || die "usage: frr-tree.sh fetch|prepare|link|configure ..."
stage=$1
shift
case "$stage" in
fetch) cmd_fetch "$@" ;;
prepare) cmd_prepare "$@" ;;
link) cmd_link "$@" ;;
configure) cmd_configure "$@" ;;
topotest-config) cmd_topotest_config "$@" ;;
*) die "unknown stage '$stage'" ;;
esac

#!/bin/sh
# Puts the FreedomBox manual (a 303-page PDF from Debian's freedombox-doc-en package, CC BY-SA 4.0) in a folder
# of its own, for `qa eval --questions benchmarks/data/freedombox-*.jsonl` (docs/benchmarks.md, "A second manual").
#     benchmarks/get_freedombox.sh /tmp/fbx
# The questions' pages are those of version 23.6.2+deb12u2; another version may move them.
set -eu
dest=${1:-/tmp/fbx}
work=$(mktemp -d)
chmod 777 "$work"  # apt-get download writes as its own user
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download freedombox-doc-en >/dev/null)
dpkg-deb -x "$work"/freedombox-doc-en_*.deb "$work/x"
mkdir -p "$dest"
cp "$work/x/usr/share/freedombox/manual/en/freedombox-manual.pdf" "$dest/"
echo "$dest/freedombox-manual.pdf ($(dpkg-deb -f "$work"/freedombox-doc-en_*.deb Version))"

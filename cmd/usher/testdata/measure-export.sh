#!/bin/sh
# measure-export.sh: the server's memory while it sends Download CSV of
# every user (issue 17: under 100 MB for 100,000 users).
#
# Builds usher, fills a fresh temporary data folder with `usher demo`,
# serves it on a free loopback port, signs in with curl as the demo
# administrator, downloads /settings/users.csv, and prints the server's
# VmHWM (peak resident memory) from /proc before and after, the time the
# download took and what it holds. Linux only (/proc).
#
#   go tool task measure:export            # 100,000 users
#   USERS=10000 sh cmd/usher/testdata/measure-export.sh
#
# LIMIT_MB (default 100) makes it fail when the peak during the download
# is over it. BIN names the binary to build (default /tmp/usher-x).
set -eu

users=${USERS:-100000}
limit=${LIMIT_MB:-100}
bin=${BIN:-/tmp/usher-x}
password='measure the export 1234'

. cmd/usher/testdata/demo-server.sh
demo_server

kb() { awk -v k="$1" '$1 == k":" { print $2 }' "/proc/$pid/status"; }
mb() { awk -v n="$1" 'BEGIN { printf "%.1f MB", n / 1024 }'; }

# Settings > Users once, as an administrator would before clicking.
curl -fsS -o /dev/null -b "$dir/jar" "$base/settings/users"

before=$(kb VmHWM)
rss=$(kb VmRSS)
# From here VmHWM is the peak of the download alone (clear_refs 5 resets it
# to the current size; Linux 4.0 and later).
reset=no
if echo 5 >"/proc/$pid/clear_refs" 2>/dev/null; then reset=yes; fi

out=$(curl -fsS -b "$dir/jar" -o "$dir/users.csv" -w '%{http_code} %{size_download} %{time_total}' "$base/settings/users.csv")
after=$(kb VmHWM)
set -- $out
lines=$(wc -l <"$dir/users.csv")

echo "users export of $users users: HTTP $1, $2 bytes, $lines lines (headings included), in $3 s"
echo "server VmHWM before the download: $(mb "$before") (VmRSS $(mb "$rss"))"
if [ "$reset" = yes ]; then
	echo "server VmHWM during the download: $(mb "$after") (peak since a reset just before it)"
else
	echo "server VmHWM after the download: $(mb "$after") (the process's peak; clear_refs unavailable)"
fi
head -c 3 "$dir/users.csv" | od -An -tx1 | grep -q 'ef bb bf' || { echo "the file does not start with a byte order mark"; exit 1; }
if [ "$lines" -ne $((users + 1)) ]; then echo "want $((users + 1)) lines"; exit 1; fi
if [ "$after" -gt $((limit * 1024)) ]; then echo "over $limit MB"; exit 1; fi

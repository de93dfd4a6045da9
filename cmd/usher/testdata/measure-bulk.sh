#!/bin/sh
# measure-bulk.sh: how Settings > Users answers while a bulk job runs
# (issue 18), next to the same load when nothing runs.
#
# Builds usher and usherload, fills a fresh temporary data folder with
# `usher demo`, serves it on a free loopback port, and signs in as the demo
# administrator. Then, twice, usherload loads /healthz and the users page
# made afresh (first page, and a search) with CLIENTS clients: once idle,
# once right after starting `Send new invitation` for every user of the
# Invitation expired tab (some 4,900 of 100,000 demo users) — the job runs
# in the server's background while the load goes on. Prints both tables,
# the job's size, and how long it took to finish under the load.
#
#   go tool task measure:bulk            # 100,000 users, 16 clients
#   USERS=20000 sh cmd/usher/testdata/measure-bulk.sh
set -eu

users=${USERS:-100000}
clients=${CLIENTS:-16}
dur=${DURATION:-8s}
bin=${BIN:-/tmp/usher-b}
load=${LOAD:-/tmp/usherload-b}
password='measure the bulk job 1234'
scenarios='healthz,first page (afresh),search (afresh)'

CGO_ENABLED=0 go build -trimpath -o "$load" ./cmd/usherload
. cmd/usher/testdata/demo-server.sh
# The built-in mailbox keeps the emails; the limit lets one administrator
# send them all within the hour.
demo_server USHER_SEND_LIMIT=1000000

measure() {
	"$load" -url "$base" -email admin@example.com -password "$password" -c "$clients" -d "$dur" -rounds 2 -scenarios "$scenarios" 2>/dev/null
}

echo "== idle: $users demo users, $clients clients"
measure

form='action=renew&all=1&status=expired&return=%2Fsettings%2Fusers%3Fstatus%3Dexpired'
ask=$(curl -fsS -b "$dir/jar" -H "Origin: $base" -d "$form" "$base/settings/users/bulk")
size=$(printf '%s' "$ask" | grep -o 'Send new invitations to [0-9,]* people' | head -1)
[ -n "$size" ] || { echo "no confirmation:"; printf '%s\n' "$ask" | head -50; exit 1; }
start=$(date +%s.%N)
code=$(curl -sS -o /dev/null -w '%{http_code}' -b "$dir/jar" -H "Origin: $base" -d "$form" "$base/settings/users/bulk/run")
if [ "$code" != 303 ]; then echo "starting the job answered $code"; exit 1; fi

echo
echo "== while the job runs: $size whose invitations expired"
measure
running=no
if curl -fsS -b "$dir/jar" "$base/settings/users" | grep -q 'Send new invitation: [0-9,]* of'; then running=yes; fi
echo "the job was still running when the load ended: $running"
if [ "$running" != yes ]; then echo "the job ended before the load did (or ran at once, being small): lower DURATION or raise USERS"; exit 1; fi
until curl -fsS -b "$dir/jar" "$base/settings/users" | grep -q 'new invitations\? sent\.'; do
	sleep 0.2
	if grep -q 'level=ERROR' "$dir/serve.log"; then grep 'level=ERROR' "$dir/serve.log"; exit 1; fi
done
end=$(date +%s.%N)
echo "the job finished $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s after it was started"

# demo-server.sh, sourced by the measure-*.sh scripts: a real usher serve
# on a fresh demo data folder, signed in.
#
# demo_server builds usher into $bin, fills a fresh temporary folder $dir
# with `usher demo --users $users` (the administrator's password
# $password), serves it on a free loopback port at $base (the process
# $pid; arguments are extra NAME=value settings for it), and signs in as
# the demo administrator with curl into the cookie jar $dir/jar. The
# folder and the server go when the script exits.

dir=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

demo_server() {
	CGO_ENABLED=0 go build -trimpath -o "$bin" ./cmd/usher
	USHER_ADMIN_PASSWORD=$password "$bin" demo --users "$users" --data-dir "$dir/data" >"$dir/demo.log" 2>&1
	grep "^Created" "$dir/demo.log" || { cat "$dir/demo.log"; exit 1; }

	# A free port: bind 0, read it back, let it go.
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	base=http://127.0.0.1:$port
	env USHER_DATA_DIR="$dir/data" USHER_ADDR="127.0.0.1:$port" "$@" "$bin" serve >"$dir/serve.log" 2>&1 &
	pid=$!
	i=0
	until curl -fsS "$base/healthz" >/dev/null 2>&1; do
		i=$((i + 1))
		if [ "$i" -gt 100 ]; then echo "usher serve did not start:"; cat "$dir/serve.log"; exit 1; fi
		sleep 0.1
	done

	code=$(curl -sS -o /dev/null -w '%{http_code}' -c "$dir/jar" -H "Origin: $base" \
		--data-urlencode email=admin@example.com --data-urlencode "password=$password" "$base/login")
	if [ "$code" != 303 ]; then echo "sign-in answered $code"; exit 1; fi
}

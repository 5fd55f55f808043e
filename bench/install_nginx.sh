#!/bin/sh
# Installs Debian's nginx for the benchmark when it is missing (`make bench` calls this). Only the
# binary is used: burst.py runs a private nginx (`nginx -p <temporary folder> -c <its own
# configuration>`) on a free port and stops it; the system service is never started or enabled.
set -eu
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "bench: nginx is missing; install Debian's nginx (apt-get install nginx-light) or run" \
        "the burst with --direct" >&2
    exit 1
fi
# Debian's maintainer scripts start a service they install unless policy-rc.d says no (101):
# provide one for the install only, unless the machine already has one.
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    made_policy=1
fi
cleanup() { if [ -n "$made_policy" ]; then rm -f "$policy"; fi; }
trap cleanup EXIT INT TERM
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light \
    || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx
# The package links the service for boot; the benchmark never serves through it.
if [ -d /run/systemd/system ]; then
    systemctl disable --now nginx >/dev/null 2>&1 || true
elif command -v update-rc.d >/dev/null 2>&1; then
    update-rc.d nginx disable >/dev/null 2>&1 || true
fi

#!/usr/bin/env bash
# Installs hipnat as a system service (docs/service.md):
#   a self-contained build in PREFIX/lib/hipnat, the command PREFIX/bin/hipnat, a config file and a host key under
#   /etc/hipnat (kept if present), and the systemd unit /etc/systemd/system/hipnat.service.
# Usage: sudo bash scripts/install.sh [--prefix /usr/local] [--destdir DIR] [--rid linux-x64] [--no-start]
# --destdir stages everything under DIR (for packaging or a test) and starts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=/usr/local destdir= rid= start=1
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
    --destdir) destdir=${2:?--destdir needs a directory}; shift 2 ;;
    --rid) rid=${2:?--rid needs a runtime identifier, e.g. linux-arm64}; shift 2 ;;
    --no-start) start=0; shift ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument '$1'; see --help" >&2; exit 2 ;;
  esac
done
case "$prefix" in /*) ;; *) echo "install.sh: --prefix must be an absolute path, not '$prefix'" >&2; exit 2 ;; esac
if [ -z "$rid" ]; then
  case "$(uname -m)" in
    x86_64) rid=linux-x64 ;;
    aarch64) rid=linux-arm64 ;;
    *) echo "install.sh: unknown machine '$(uname -m)'; pass --rid" >&2; exit 2 ;;
  esac
fi
if [ -z "$destdir" ] && [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (it writes $prefix, /etc/hipnat and /etc/systemd/system), or stage with --destdir" >&2
  exit 2
fi

lib="$destdir$prefix/lib/hipnat" bin="$destdir$prefix/bin" etc="$destdir/etc/hipnat" units="$destdir/etc/systemd/system"
echo "building a self-contained hipnat for $rid into $lib"
rm -rf "$lib"
dotnet publish src/Hipnat.Cli/Hipnat.Cli.csproj -c Release -r "$rid" --self-contained -p:DebugType=none -o "$lib" -nologo -v q
install -d -m 0755 "$bin" "$units"
ln -sfn "$prefix/lib/hipnat/hipnat" "$bin/hipnat"

install -d -m 0755 "$etc"
if [ ! -e "$etc/host.pem" ]; then
  "$lib/hipnat" keygen --out "$etc/host.pem" >/dev/null
  echo "created the host key $etc/host.pem (HIT $("$lib/hipnat" hit "$etc/host.pem"))"
fi
if [ ! -e "$etc/hipnat.json" ]; then
  install -m 0644 packaging/hipnat.json "$etc/hipnat.json"
  echo "wrote $etc/hipnat.json; add peers and relays there, then: systemctl reload hipnat"
fi

sed "s|@PREFIX@|$prefix|g" packaging/systemd/hipnat.service > "$units/hipnat.service"
chmod 0644 "$units/hipnat.service"
echo "installed $units/hipnat.service"

if [ -z "$destdir" ] && [ "$start" -eq 1 ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable --now hipnat.service
  systemctl --no-pager status hipnat.service | head -n 5 || true
elif [ -z "$destdir" ]; then
  echo "systemd is not running here (or --no-start): start it with 'systemctl enable --now hipnat' where it is"
fi

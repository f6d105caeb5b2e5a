#!/usr/bin/env bash
# Installs the real office suites that the round-trip tests drive: LibreOffice Calc
# (headless) and Gnumeric's ssconvert, CJK fonts for PDF output (and the notice's charts),
# poppler's pdfinfo/pdftotext to read the PDFs back, Dovecot (IMAP + LMTP) that the
# `xlflow collect` tests start on loopback ports (tests/imap_server.py; the package's
# own service is not needed and, where the machine runs services, not used), and headless
# Chromium, which renders the HTML notice of `xlflow notify` in the tests. Idempotent.
set -euo pipefail
need=()
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc-nogui)
command -v ssconvert >/dev/null 2>&1 || need+=(gnumeric)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
fc-list 2>/dev/null | grep -qi "noto sans cjk" || need+=(fonts-noto-cjk)
{ command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ]; } || need+=(dovecot-imapd)
[ -x /usr/lib/dovecot/lmtp ] || need+=(dovecot-lmtpd)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "install-system-deps: need root or sudo to install: ${need[*]}" >&2; exit 1; }
    sudo="sudo"
fi
echo "install-system-deps: installing ${need[*]} (apt)"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

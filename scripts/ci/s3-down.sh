#!/usr/bin/env bash
PIDFILE=${S3_PIDFILE:-/tmp/wdtk-s3-test.pid}
if [ -f "$PIDFILE" ]; then kill "$(cat "$PIDFILE")" 2>/dev/null || true; rm -f "$PIDFILE"; fi

#!/bin/sh
# Rebuilds the reduced ECharts bundle from the locked npm packages (package-lock.json):
#   cd tools/echarts && ./build.sh
# Writes reformer/web/owner/static/owner/vendor/echarts.custom.min.js and prints its size
# beside the full build's (raw and gzip). The file is served under a content-hashed name
# (`reformer serve` collects static files with the manifest storage), cached for a year.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --ignore-scripts >/dev/null
out=../../reformer/web/owner/static/owner/vendor/echarts.custom.min.js
version=$(node -p 'require("echarts/package.json").version')
./node_modules/.bin/esbuild entry.js --bundle --minify --format=iife --target=es2017 \
  --legal-comments=none --log-level=warning --define:process.env.NODE_ENV=\"production\" \
  --banner:js="/*! ECharts $version (Apache-2.0, see echarts-LICENSE.txt), reduced build: tools/echarts/entry.js */" \
  --outfile="$out"
size() { printf '%s: %s bytes raw, %s bytes gzip\n' "$1" "$(wc -c <"$2")" "$(gzip -9c "$2" | wc -c)"; }
size "full build (echarts/dist/echarts.min.js)" node_modules/echarts/dist/echarts.min.js
size "reduced build ($out)" "$out"

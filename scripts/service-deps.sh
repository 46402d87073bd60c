#!/usr/bin/env bash
# Run from the repository root: bash scripts/service-deps.sh
# Each service module's imports from its siblings (code lines only, doc comments excluded), and the
# App methods it calls that another module defines.
cd shared/service/src
defs=$(grep -rnoE "^\s+pub(\(crate\)|\(super\))? async fn [a-z_]+" --include=*.rs . | sed -E 's#^\./([^:]+):[0-9]+:.* fn ([a-z_]+)#\2 \1#')
for f in $(find . -name '*.rs' | sort); do
  m=${f#./}
  deps=$(grep -vE '^\s*//' "$f" | sed '/#\[cfg(test)\]/,$d' | grep -oE "crate::[a-z_]+(::[a-z_]+)?" | sed 's/crate:://; s/::sha$//' | sort -u | tr '\n' ' ')
  calls=$(grep -vE '^\s*//' "$f" | sed '/#\[cfg(test)\]/,$d' | grep -oE "self\.[a-z_]+\(" | sed 's/self\.//; s/($//' | sort -u | while read -r c; do
    echo "$defs" | awk -v c="$c" -v me="$m" '$1==c && $2!=me {print c"→"$2}'; done | sort -u | tr '\n' ' ')
  printf '%-26s uses: %s\n' "$m" "$deps"
  [ -n "$calls" ] && printf '%-26s App methods: %s\n' "" "$calls"
done

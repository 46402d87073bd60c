#!/usr/bin/env bash
# Run from the repository root: bash scripts/service-deps.sh
# Each service module's imports from its siblings (code lines only, doc comments excluded), and the
# App methods it calls that another module defines.
cd shared/service/src
defs=$(grep -rnoE "^\s+pub(\(crate\)|\(super\))? async fn [a-z_]+" --include=*.rs . | sed -E 's#^\./([^:]+):[0-9]+:.* fn ([a-z_]+)#\2 \1#')
for f in $(find . -name '*.rs' | sort); do
  m=${f#./}
  deps=$(grep -vE '^\s*//' "$f" | sed '/#\[cfg(test)\]/,$d' | grep -oE "crate::[a-z_]+(::[a-z_]+)?" | sed 's/crate:://; s/::sha$//' | sort -u | tr '\n' ' ')
  calls=$(grep -vE '^\s*//' "$f" | sed '/#\[cfg(test)\]/,$d' | tr '\n' ' ' | grep -oE "(self|app)\s*\.\s*[a-z_]+\s*\(" | sed -E 's/^(self|app)\s*\.\s*//; s/\s*\($//' | sort -u | while read -r c; do
    echo "$defs" | awk -v c="$c" -v me="$m" '$1==c && $2!=me {print c"→"$2}'; done | sort -u | tr '\n' ' ')
  printf '%-26s uses: %s\n' "$m" "$deps"
  rel=$(grep -oE "^(pub )?use [a-z_]+::[a-zA-Z_:{}, ]+" "$f" | grep -vE "use (crate|std|chrono|serde|serde_json|seikyu_[a-z]+|rust_decimal|thiserror|sha2|base64|tokio|tracing|getrandom)::" | sed -E 's/^(pub )?use //' | tr '\n' ' ')
  if [ -n "$rel" ]; then printf '%-26s child modules: %s\n' "" "$rel"; fi
  if [ -n "$calls" ]; then printf '%-26s App methods: %s\n' "" "$calls"; fi
done
exit 0

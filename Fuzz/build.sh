#!/usr/bin/env bash
# Builds the libFuzzer targets into Fuzz/.build/bin: swiftc straight over the module sources
# they need (CompactCodec, RPC, CashbackAPI), so the main package's build, products and
# dependency resolution are untouched and nothing is fetched.
#
#   Fuzz/build.sh            builds when a source, this script or the compiler changed
#
# -sanitize=fuzzer,address in ONE flag: libFuzzer's main and coverage plus AddressSanitizer.
# (-sanitize=fuzzer alone links a binary that exits 0 without fuzzing.) -assert-config Debug
# keeps `assert` on under -O: the codec asserts its own invariants.
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFTC=${SWIFTC:-swiftc}
out=Fuzz/.build
flags=(-sanitize=fuzzer,address -O -assert-config Debug -g -swift-version 6)
targets=(codec deframer timeout)

# The modules each target links, in dependency order.
modules_of() {
    case $1 in
    codec) echo CompactCodec RPC CashbackAPI ;;
    deframer | timeout) echo CompactCodec RPC ;;
    *) echo "unknown target $1" >&2; return 1 ;;
    esac
}

sources_of_module() { find "Sources/$1" -name '*.swift' | LC_ALL=C sort; }

inputs() {
    for module in CompactCodec RPC CashbackAPI; do sources_of_module "$module"; done
    find Fuzz/Support Fuzz/Targets -name '*.swift' | LC_ALL=C sort
    echo Fuzz/build.sh
}

stamp=$({ "$SWIFTC" --version 2>&1; echo "${flags[*]}"; inputs | xargs cat; } | sha256sum)
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ]; then
    echo "fuzz targets up to date in $out/bin"
    exit 0
fi

rm -rf "$out/modules" "$out/objects" "$out/bin" "$out/stamp"
mkdir -p "$out/modules" "$out/objects" "$out/bin"

for module in CompactCodec RPC CashbackAPI; do
    echo "compiling $module"
    # shellcheck disable=SC2046
    "$SWIFTC" "${flags[@]}" -parse-as-library -wmo -module-name "$module" -I "$out/modules" \
        -emit-module -emit-module-path "$out/modules/$module.swiftmodule" \
        -c -o "$out/objects/$module.o" $(sources_of_module "$module")
done

for target in "${targets[@]}"; do
    echo "linking fuzz-$target"
    objects=()
    for module in $(modules_of "$target"); do objects+=("$out/objects/$module.o"); done
    "$SWIFTC" "${flags[@]}" -parse-as-library -use-ld=lld -I "$out/modules" \
        -module-name "Fuzz_$target" Fuzz/Support/*.swift "Fuzz/Targets/$target"/*.swift \
        "${objects[@]}" -o "$out/bin/fuzz-$target"
done

echo "$stamp" >"$out/stamp"
echo "fuzz targets built in $out/bin"

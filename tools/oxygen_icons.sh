#!/usr/bin/env bash
# A real colour data set from Debian's packages, for the stabilisers' ablation
# (bench/stabilisers.sh): the Oxygen icon theme's 64x64 icons (KDE's, LGPL), one folder per
# category. Its symbolic links (aliases of the same icon under another name) are left out, and
# so are categories of fewer than 20 icons, so every image is one icon once.
#
#   tools/oxygen_icons.sh [OUT]      default OUT: data/oxygen-64
#
# Installs oxygen-icon-theme with apt-get when it is missing (idempotent).
set -euo pipefail
out=${1:-data/oxygen-64}
theme=/usr/share/icons/oxygen/base/64x64
if [[ ! -d $theme ]]; then
  sudo=""
  ((EUID == 0)) || sudo=sudo
  $sudo apt-get install -y -q oxygen-icon-theme
fi
rm -rf "$out"
for category in "$theme"/*/; do
  name=$(basename "$category")
  count=$(find "$category" -maxdepth 1 -type f -name '*.png' | wc -l)
  ((count >= 20)) || continue
  mkdir -p "$out/$name"
  find "$category" -maxdepth 1 -type f -name '*.png' -exec cp {} "$out/$name/" \;
done
echo "oxygen_icons: $(find "$out" -type f | wc -l) icons in $(find "$out" -mindepth 1 -type d | wc -l) classes in $out"

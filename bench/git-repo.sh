# SPDX-License-Identifier: LGPL-2.0-or-later
# Sourced by bench/filter.sh and bench/learn.sh: REPO=$DIR/repo-$FILES, a git
# repository of $FILES small C files in directories of 100, made once and
# kept between runs, with a warm index and page cache, as in daily use.
REPO="$DIR/repo-$FILES"
if [ ! -d "$REPO/.git" ]; then
	echo "== creating a git repository of $FILES files in $REPO"
	rm -rf "$REPO"
	mkdir -p "$REPO"
	(cd "$REPO" && git init -q &&
		/usr/bin/python3 -c "
import os
n = $FILES
for i in range(n):
    d = 'src/d%03d' % (i // 100)
    os.makedirs(d, exist_ok=True)
    with open('%s/f%05d.c' % (d, i), 'w') as f:
        f.write('int f%d(void) { return %d; }\n' % (i, i))
" && git add -A && git -c user.name=bench -c user.email=bench@localhost commit -q -m files)
fi
git -C "$REPO" status --porcelain >/dev/null

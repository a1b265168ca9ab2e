#!/usr/bin/env zsh
# Drives zsh's real completion system: for each LINE, types it into an interactive zsh (under
# zpty) with DIR first in fpath, presses TAB, and prints "== LINE" followed by every candidate
# completion functions added (one per line).
#
# usage: zsh -f zcomplete.zsh DIR LINE...     exit 77 when zsh/zpty is unavailable
zmodload zsh/zpty 2>/dev/null || exit 77
dir=$1
shift
zpty z zsh -f -i
zpty -w z 'PS1=""; RPS1=""; unsetopt zle_bracketed_paste 2>/dev/null'
zpty -w z "fpath=(${(q)dir} \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z "zstyle ':completion:*' list-grouped false; zstyle ':completion:*' insert-tab false"
# Every compadd that adds matches prints them; the quotes keep the echo of this line from matching.
zpty -w z 'compadd () { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return $?; fi; typeset -a __hits; builtin compadd -A __hits "$@"; local h; for h in $__hits; do print -r -- "<""HIT>$h"; done; }'
zpty -w z 'bindkey "^I" complete-word; done-line() { print -r -- "<""END>"; zle kill-buffer }; zle -N done-line; bindkey "^X" done-line'
for line in "$@"; do
	print -r -- "== $line"
	zpty -n -w z "$line"$'\t\x18'
	while zpty -r z out; do
		[[ $out == *'<END>'* ]] && break
		[[ $out == *'<HIT>'* ]] && print -r -- ${${out#*<HIT>}%%$'\r'*}
	done
done
zpty -d z

#!/usr/bin/env bats
# condvars: every signal and wait, each wait linked to its waker

load helpers

@test "500 round trips: every signal and every wait recorded" {
	record t.trace "$FIX/condpingpong"
	assert_success
	signals=$(echo "$output" | sed -n 's/.*signals=\([0-9]*\).*/\1/p')
	waits=$(echo "$output" | sed -n 's/.*waits=\([0-9]*\).*/\1/p')
	assert_equal "$signals" 1000
	assert_equal "$(events t.trace cond_signal)" "$signals"
	assert_equal "$(events t.trace cond_wait)" "$waits"
}

@test "each wait links to the signal that ended it" {
	record t.trace "$FIX/condpingpong"
	assert_success
	# key every signal by "tid timestamp"; a wait's waker and wake time
	# (its end minus wake_dt) must name one of them, from another thread
	"$CTRACE" dump t.trace | awk '
	function num(f, name,   i, kv) {
		for (i = 5; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == name) return kv[2]
		}
		return ""
	}
	function ns(s,   a) { split(s, a, "."); return a[1] * 1000000000 + a[2] }
	$4 == "cond_signal" { sig[$3 " " ns($1)] = 1 }
	$4 == "cond_wait" {
		w++
		end = ns($1) + num($0, "dur")
		key = num($0, "waker") " " (end - num($0, "wake_dt"))
		waits[w] = key; self[w] = $3
	}
	END {
		bad = 0
		for (i = 1; i <= w; i++) {
			split(waits[i], k, " ")
			if (!(waits[i] in sig) || k[1] == self[i]) bad++
		}
		printf "waits=%d unlinked=%d\n", w, bad
		exit bad != 0
	}' > links
	run cat links
	assert_output --regexp "^waits=[1-9][0-9]* unlinked=0$"
}

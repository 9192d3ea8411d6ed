# nesting.py - for the bats tests that read the Chrome JSON export:
# slices of one track must be nested or apart, never partly overlapping.

def partial_overlaps(spans):
    """spans: {track: [(start, end), ...]}; the number of slices that
    start inside another one of their track and end after it."""
    bad = 0
    for l in spans.values():
        l.sort(key=lambda s: (s[0], -s[1]))
        st = []
        for s in l:
            while st and st[-1][1] <= s[0]:
                st.pop()
            if st and s[1] > st[-1][1]:
                bad += 1
            st.append(s)
    return bad

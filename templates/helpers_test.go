package templates

import "testing"

func TestMembersText(t *testing.T) {
	for n, want := range map[int]string{0: "0 members", 1: "1 member", 2: "2 members", 11: "11 members"} {
		if got := MembersText(n); got != want {
			t.Errorf("MembersText(%d) = %q, want %q", n, got, want)
		}
	}
}

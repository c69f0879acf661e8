package postgres

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"guildhall/internal/guildhall"
)

// startTogether runs each fn in its own goroutine, released at the same
// moment, and waits for all of them.
func startTogether(fns ...func()) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for _, fn := range fns {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			fn()
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
}

// TestConcurrentJoinDecisions has many deciders approve and reject the same
// requests at once: each request gets exactly one decision, and exactly one
// call reports it decided.
func TestConcurrentJoinDecisions(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	f.db.SetMaxOpenConns(16)
	admins := []guildhall.Actor{f.person("Ada Admin"), f.person("Bea Admin"), f.person("Cy Admin")}
	g := f.group("Book Club", guildhall.Private, guildhall.GroupSettings{MembersCanApprove: true}, admins...)
	gil := f.person("Gil Member")
	f.member(g, gil, guildhall.RoleMember)
	deciders := append(admins, gil, f.person("Sam Siteadmin", siteAdminAccount))

	const requests = 12
	var ids []string
	for i := range requests {
		a := f.person(fmt.Sprintf("Requester %d", i))
		f.pending(g, a, epoch)
		ids = append(ids, a.ID)
	}

	var (
		mu   sync.Mutex
		wins = map[string][]string{} // requester → the decisions that won
	)
	record := func(decision string, id string, err error) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil:
			wins[id] = append(wins[id], decision)
		case !errors.Is(err, guildhall.ErrFailedPrecondition):
			t.Errorf("%s %s: %v", decision, id, err)
		}
	}
	var calls []func()
	for i := range 20 {
		actor := deciders[i%len(deciders)]
		order := rand.Perm(requests)
		batch := make([]string, requests)
		for j, k := range order {
			batch[j] = ids[k]
		}
		if i%2 == 0 {
			calls = append(calls, func() {
				results, err := f.ms.ApproveJoinRequests(f.ctx, actor, g.ID, batch)
				if err != nil {
					t.Errorf("approve: %v", err)
					return
				}
				for _, r := range results {
					record("approve", r.ID, r.Err)
				}
			})
			continue
		}
		rejections := make([]guildhall.MemberRejection, requests)
		for j, id := range batch {
			rejections[j] = guildhall.MemberRejection{AccountID: id, Reason: "Full."}
		}
		calls = append(calls, func() {
			results, err := f.ms.RejectJoinRequests(f.ctx, actor, g.ID, rejections)
			if err != nil {
				t.Errorf("reject: %v", err)
				return
			}
			for _, r := range results {
				record("reject", r.ID, r.Err)
			}
		})
	}
	startTogether(calls...)

	approved := 0
	for _, id := range ids {
		won := wins[id]
		if len(won) != 1 {
			t.Errorf("requester %s: %d winning decisions %v, want exactly 1", id, len(won), won)
			continue
		}
		var status guildhall.Status
		if err := f.db.GetContext(f.ctx, &status, `SELECT status FROM join_requests WHERE account_id = $1`, id); err != nil {
			t.Fatal(err)
		}
		isMember := f.count(`SELECT count(*) FROM group_members WHERE group_id = $1 AND account_id = $2`, g.ID, id)
		switch won[0] {
		case "approve":
			approved++
			if status != guildhall.Approved || isMember != 1 {
				t.Errorf("requester %s: approval won but status %s, member rows %d", id, status, isMember)
			}
		case "reject":
			if status != guildhall.Rejected || isMember != 0 {
				t.Errorf("requester %s: rejection won but status %s, member rows %d", id, status, isMember)
			}
		}
	}
	decisions := f.count(`SELECT count(*) FROM audit_log WHERE action IN ($1, $2)`,
		guildhall.ActionJoinRequestApproved, guildhall.ActionJoinRequestRejected)
	if decisions != requests {
		t.Errorf("%d decisions in the audit log, want %d", decisions, requests)
	}
	if n := f.reload(g).MembersCount; n != len(deciders)-1+approved {
		t.Errorf("members_count = %d, want %d", n, len(deciders)-1+approved)
	}
	f.wantCountsRight(g)
	t.Logf("%d approved, %d rejected", approved, requests-approved)
}

// TestPrivacyChangeRacingJoins changes a private group's privacy while 30
// members ask to join it: every join lands either before the change (and
// the change decides it) or after it (and sees the new privacy), so no
// request is left pending and no one is a member twice.
func TestPrivacyChangeRacingJoins(t *testing.T) {
	t.Parallel()
	tests := []struct {
		to guildhall.Privacy
		// joinedAfter is the answer a join that comes after the change gets.
		joinedAfter error
	}{
		{guildhall.Public, nil},
		{guildhall.Secret, guildhall.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run("to "+string(tt.to), func(t *testing.T) {
			t.Parallel()
			f := newMembershipFixture(t)
			f.db.SetMaxOpenConns(16)
			ada := f.person("Ada Admin")
			g := f.group("Book Club", guildhall.Private, guildhall.DefaultGroupSettings(), ada)
			const joiners = 30
			people := make([]guildhall.Actor, joiners)
			for i := range people {
				people[i] = f.person(fmt.Sprintf("Joiner %d", i))
			}

			var (
				mu                      sync.Mutex
				requested, joined, gone int
			)
			join := func(p guildhall.Actor) func() {
				return func() {
					res, err := f.ms.Join(f.ctx, p, g.ID, nil)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil && res.Request != nil:
						requested++
					case err == nil && res.Member != nil && tt.joinedAfter == nil:
						joined++
					case err != nil && tt.joinedAfter != nil && errors.Is(err, tt.joinedAfter):
						gone++
					default:
						t.Errorf("%s joins: %+v, %v", p.DisplayName, res, err)
					}
				}
			}
			flip := func() {
				to := tt.to
				if _, err := f.s.Groups.UpdateGroup(f.ctx, ada, g.ID, guildhall.GroupUpdate{Privacy: &to}); err != nil {
					t.Errorf("change privacy: %v", err)
				}
			}
			// A third asks before the change, a third at the same moment
			// as it, and a third after it.
			var before, during, after []func()
			for i, p := range people {
				switch i % 3 {
				case 0:
					before = append(before, join(p))
				case 1:
					during = append(during, join(p))
				default:
					after = append(after, join(p))
				}
			}
			startTogether(before...)
			startTogether(append(during, flip)...)
			startTogether(after...)
			if requested < joiners/3 || joined+gone < joiners/3 {
				t.Errorf("%d requests and %d joins after the change; want at least %d each", requested, joined+gone, joiners/3)
			}
			t.Logf("%d requests before the change, %d joins and %d refusals after it", requested, joined, gone)

			if n := f.count(`SELECT count(*) FROM join_requests WHERE group_id = $1 AND status = 'PENDING'`, g.ID); n != 0 {
				t.Errorf("%d requests left pending", n)
			}
			if n := f.count(`SELECT count(*) FROM join_requests WHERE group_id = $1`, g.ID); n != requested {
				t.Errorf("%d requests stored, %d reported", n, requested)
			}
			wantMembers := 1
			if tt.to == guildhall.Public {
				wantMembers += joiners
				if n := f.count(`SELECT count(*) FROM join_requests WHERE group_id = $1 AND status = 'APPROVED'`, g.ID); n != requested {
					t.Errorf("%d approved, want every one of the %d requests", n, requested)
				}
			} else if n := f.count(`SELECT count(*) FROM join_requests WHERE group_id = $1 AND status = 'REJECTED'`, g.ID); n != requested {
				t.Errorf("%d rejected, want every one of the %d requests", n, requested)
			}
			for _, p := range people {
				want := 0
				if tt.to == guildhall.Public {
					want = 1
				}
				if n := f.count(`SELECT count(*) FROM group_members WHERE group_id = $1 AND account_id = $2`, g.ID, p.ID); n != want {
					t.Errorf("%s: %d member rows, want %d", p.DisplayName, n, want)
				}
			}
			if n := f.reload(g).MembersCount; n != wantMembers {
				t.Errorf("members_count = %d, want %d", n, wantMembers)
			}
			f.wantCountsRight(g)
		})
	}
}

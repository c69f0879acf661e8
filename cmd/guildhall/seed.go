package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"guildhall/internal/guildhall"
	seeding "guildhall/internal/seed"
)

// seedCmd fills the database with seeded accounts, groups, memberships and
// a queue of join requests (internal/seed), for trying Guildhall at scale.
func seedCmd(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	var c config
	o := seeding.Defaults()
	fs := newFlagSet("seed")
	dbFlags(fs, &c)
	fs.IntVar(&o.Accounts, "accounts", o.Accounts, "member accounts to add (member-N@"+seeding.Domain+")")
	fs.IntVar(&o.Groups, "groups", o.Groups, "groups to add (7 in 10 public, 2 private, 1 secret)")
	fs.IntVar(&o.MembersPerGroup, "members-per-group", o.MembersPerGroup, "members of each group, its owner included")
	fs.IntVar(&o.Queue, "queue", o.Queue, "pending join requests in the queue group (0: no queue group)")
	fs.StringVar(&o.QueueGroup, "queue-group", o.QueueGroup, "name of the private group that holds the queue")
	fs.StringVar(&o.QueueOwner, "queue-owner", o.QueueOwner, "email of the queue group's owner (created when missing)")
	fs.StringVar(&o.Password, "password", o.Password, "password of every account the seed creates")
	fs.BoolVar(&o.Force, "force", false, "seed even though the database has real (not seeded) accounts")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return err
	}
	o.Progress = stderr
	db, closeDB, err := openDatabase(ctx, c, logger)
	if err != nil {
		return err
	}
	defer closeDB()
	hash, err := guildhall.DefaultPasswordHasher().Hash(o.Password)
	if err != nil {
		return err
	}
	res, err := seeding.Run(ctx, db.DB, o, hash)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sign in as %s (or any member-N@%s, N from %d) with password %q\n",
		seeding.MemberEmail(res.FirstMember), seeding.Domain, res.FirstMember, o.Password)
	if res.QueueSlug != "" {
		fmt.Fprintf(stdout, "the queue of %d waits at /groups/%s/requests for %s\n", o.Queue, res.QueueSlug, o.QueueOwner)
	}
	return nil
}

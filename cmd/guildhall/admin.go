package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"guildhall/internal/guildhall"
	"guildhall/internal/postgres"
)

func migrate(ctx context.Context, args []string, stdout io.Writer, logger *slog.Logger) error {
	var c config
	fs := newFlagSet("migrate")
	dbFlags(fs, &c)
	if err := parse(fs, args); err != nil {
		return err
	}
	_, closeDB, err := openDatabase(ctx, c, logger)
	if err != nil {
		return err
	}
	closeDB()
	fmt.Fprintln(stdout, "migrations are up to date")
	return nil
}

func userAdd(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, logger *slog.Logger) error {
	var c config
	var n guildhall.NewAccount
	var passwordStdin, privateProfile bool
	fs := newFlagSet("user add")
	dbFlags(fs, &c)
	fs.StringVar(&n.Email, "email", "", "email address")
	fs.StringVar(&n.DisplayName, "name", "", "display name")
	fs.StringVar(&n.Password, "password", "", "password")
	fs.BoolVar(&passwordStdin, "password-stdin", false, "read the password from standard input")
	fs.BoolVar(&n.SiteAdmin, "site-admin", false, "make the account a site admin")
	fs.BoolVar(&privateProfile, "private-profile", false, "start with a private profile")
	if err := parse(fs, args); err != nil {
		return err
	}
	if passwordStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read password: %w", err)
		}
		n.Password = strings.TrimRight(line, "\r\n")
	}
	n.PublicProfile = !privateProfile
	db, closeDB, err := openDatabase(ctx, c, logger)
	if err != nil {
		return err
	}
	defer closeDB()
	acct, err := postgres.NewServices(db, guildhall.DefaultPasswordHasher()).Accounts.CreateAccount(ctx, n)
	if err != nil {
		return err
	}
	role := "member"
	if acct.SiteAdmin {
		role = "site admin"
	}
	fmt.Fprintf(stdout, "created %s %s <%s> (id %s)\n", role, acct.DisplayName, acct.Email, acct.ID)
	return nil
}

func tokenCreate(ctx context.Context, args []string, stdout io.Writer, logger *slog.Logger) error {
	var c config
	var email, name string
	var elevated bool
	fs := newFlagSet("token create")
	dbFlags(fs, &c)
	fs.StringVar(&email, "email", "", "email of the account the token acts as")
	fs.StringVar(&name, "name", "", "a name to recognise the token by")
	fs.BoolVar(&elevated, "elevated", false, "skip every permission check (site admins only)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if email == "" {
		return errors.New("token create: --email is required")
	}
	db, closeDB, err := openDatabase(ctx, c, logger)
	if err != nil {
		return err
	}
	defer closeDB()
	services := postgres.NewServices(db, guildhall.DefaultPasswordHasher())
	acct, err := services.Accounts.AccountByEmail(ctx, email)
	if err != nil {
		return err
	}
	// The token acts as the account, so it may be elevated only when the
	// account could make an elevated token on its profile page.
	token, t, err := services.Tokens.CreateToken(ctx, guildhall.ActorFor(acct), name, elevated)
	if err != nil {
		return fmt.Errorf("token create: %w", err)
	}
	kind := "token"
	if t.Elevated {
		kind = "elevated token"
	}
	// Only the token goes to standard output, so TOKEN=$(guildhall token
	// create …) keeps just the token; what it is goes to the log.
	logger.Info("created "+kind+"; it is shown only this once", "name", t.Name, "account", acct.Email)
	fmt.Fprintln(stdout, token)
	return nil
}

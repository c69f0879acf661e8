package pgcluster

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// prepareForPostgresUser sets up running the binaries as the postgres OS
// user: it checks that the user can reach the data directory and hands the
// directory over to it.
func (c *Cluster) prepareForPostgresUser() error {
	u, err := user.Lookup(pgUserName)
	if err != nil {
		return fmt.Errorf("pgcluster: running as root, so the server must run as the %q OS user, but looking it up failed: %w", pgUserName, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return fmt.Errorf("pgcluster: uid of %q: %w", pgUserName, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return fmt.Errorf("pgcluster: gid of %q: %w", pgUserName, err)
	}
	groups := map[uint32]bool{uint32(gid): true}
	var extra []uint32
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.ParseUint(id, 10, 32); err == nil {
				groups[uint32(g)] = true
				if uint32(g) != uint32(gid) {
					extra = append(extra, uint32(g))
				}
			}
		}
	}
	if err := checkTraversable(c.dataDir, uint32(uid), groups); err != nil {
		return err
	}
	err = filepath.WalkDir(c.dataDir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, int(uid), int(gid))
	})
	if err != nil {
		return fmt.Errorf("pgcluster: chown %s to %s: %w", c.dataDir, pgUserName, err)
	}
	c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: extra}
	return nil
}

// checkTraversable reports an error naming the first ancestor of dir that
// the given user cannot search (execute permission on a directory).
func checkTraversable(dir string, uid uint32, groups map[uint32]bool) error {
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if ok {
			perm := fi.Mode().Perm()
			var can bool
			switch {
			case st.Uid == uid:
				can = perm&0o100 != 0
			case groups[st.Gid]:
				can = perm&0o010 != 0
			default:
				can = perm&0o001 != 0
			}
			if !can {
				return fmt.Errorf("pgcluster: running as root, so the server runs as the %q OS user, "+
					"but it cannot traverse %s (mode %v, owner uid %d, gid %d) to reach data directory %s; "+
					"put the data directory somewhere it can reach, e.g. a directory made with os.MkdirTemp(\"/tmp\", ...) and chmod 0755",
					pgUserName, p, perm, st.Uid, st.Gid, dir)
			}
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// command builds a command running one of the server binaries, as the
// postgres user when we are root, with a minimal environment and the data
// directory as working directory (the process must be able to reach it).
func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.binDir, name), args...)
	cmd.Env = c.env
	cmd.Dir = c.dataDir
	cmd.WaitDelay = 5 * time.Second
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd
}

// run runs a server binary and returns its combined output.
func (c *Cluster) run(ctx context.Context, name string, args ...string) (string, error) {
	var buf bytes.Buffer
	cmd := c.command(ctx, name, args...)
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	err := cmd.Run()
	return strings.TrimSpace(buf.String()), err
}

// readFrom returns the end of a file from offset, at most 8 KiB of it.
func readFrom(path string, offset int64) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read: %v)", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size()-offset > 8<<10 {
		offset = fi.Size() - 8<<10
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return fmt.Sprintf("(cannot read: %v)", err)
	}
	b, _ := io.ReadAll(f)
	return strings.TrimSpace(string(b))
}

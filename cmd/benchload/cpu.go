package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// CPU time per request is the figure a busy machine disturbs least: req/s
// falls when other work takes the cores, but the CPU seconds a request
// costs the server and its database stay about the same. It is read from
// /proc (Linux): the server process, and the database cluster's
// postmaster with its children (the backends that served the requests,
// and those that exited since, through the postmaster's cutime).

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times; 100 on
// every Linux this runs on.
const clockTicks = 100

// cpuMeter reads the CPU time used so far by the processes it watches.
type cpuMeter struct {
	pid        int    // the server (or the yardstick's process)
	postmaster string // the cluster's postmaster.pid file; empty: the database is not watched
}

// server is the CPU time of the server process alone, or 0 when /proc
// cannot tell (not Linux).
func (m cpuMeter) server() time.Duration {
	return time.Duration(procTicks(m.pid, true)) * time.Second / clockTicks
}

// database is the CPU time of the database cluster alone.
func (m cpuMeter) database() time.Duration {
	var ticks int64
	if m.postmaster != "" {
		if pm := postmasterPID(m.postmaster); pm > 0 {
			ticks += procTicks(pm, true)
			for _, c := range children(pm) {
				ticks += procTicks(c, false)
			}
		}
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// procTicks is utime+stime of pid, and cutime+cstime (its reaped
// children) when withChildren.
func procTicks(pid int, withChildren bool) int64 {
	f := statFields(pid)
	if len(f) < 17 {
		return 0
	}
	// After the ")" that closes the command: field 3 is state; utime is 14,
	// stime 15, cutime 16, cstime 17 (1-based, as proc(5) numbers them).
	n := func(i int) int64 { v, _ := strconv.ParseInt(f[i-3], 10, 64); return v }
	t := n(14) + n(15)
	if withChildren {
		t += n(16) + n(17)
	}
	return t
}

// statFields are the fields of /proc/pid/stat after the command name.
func statFields(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}

// children lists the processes whose parent is pid.
func children(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		c, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f := statFields(c); len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, c)
		}
	}
	return out
}

// postmasterPID is the first line of the cluster's postmaster.pid.
func postmasterPID(file string) int {
	f, err := os.Open(file)
	if err != nil {
		return 0
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	pid, _ := strconv.Atoi(strings.TrimSpace(line))
	return pid
}

// startYardstickProcess runs the yardstick in a process of its own (this
// binary with --serve-yardstick), so that its CPU time is its own and not
// the load generator's. It returns the base URL, the process id and a stop
// function.
func startYardstickProcess(dbURL string) (string, int, func(), error) {
	self, err := os.Executable()
	if err != nil {
		return "", 0, nil, err
	}
	cmd := exec.Command(self, "--serve-yardstick", dbURL)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", 0, nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", 0, nil, err
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		stop()
		return "", 0, nil, fmt.Errorf("yardstick process: %w", err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return strings.TrimSpace(line), cmd.Process.Pid, stop, nil
}

// postmasterFile is where a private cluster in dataDir keeps its pid.
func postmasterFile(dataDir string) string {
	if dataDir == "" {
		return ""
	}
	return filepath.Join(dataDir, "pgdata", "postmaster.pid")
}

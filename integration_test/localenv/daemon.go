package localenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// StartBackgroundEmulator starts the emulator on addr as a background
// process that outlives this one (its own session, output appended to
// logPath), and waits until it listens. It returns the process id.
func StartBackgroundEmulator(addr, logPath string) (int, error) {
	cmd, err := spawnEmulator(addr, logPath, true, nil)
	if err != nil {
		return 0, err
	}
	return cmd.Process.Pid, nil
}

// spawnEmulator starts the emulator binary on addr with flags and waits
// until it listens. detach puts it in its own session so that it outlives
// this process; otherwise it is killed when this process dies. Its output
// is appended to logPath, or discarded when logPath is "".
func spawnEmulator(addr, logPath string, detach bool, flags []string) (*exec.Cmd, error) {
	bin := EmulatorPath()
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("Cloud Spanner emulator binary not found at %s (install google-cloud-cli-spanner-emulator or set REVREPL_SPANNER_EMULATOR): %w", bin, err)
	}
	cmd := exec.Command(bin, EmulatorArgs(addr, flags)...)
	see := ""
	if logPath != "" {
		log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, err
		}
		defer log.Close()
		cmd.Stdout, cmd.Stderr = log, log
		see = "; see " + logPath
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if detach {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // reaps it whenever it exits
	deadline := time.After(20 * time.Second)
	for !Reachable(addr) {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("the Spanner emulator exited (%v) without listening on %s%s", err, addr, see)
		case <-deadline:
			cmd.Process.Kill()
			return nil, fmt.Errorf("the Spanner emulator did not listen on %s within 20s%s", addr, see)
		case <-time.After(50 * time.Millisecond):
		}
	}
	return cmd, nil
}

// IsEmulatorProcess reports whether pid is a running Spanner emulator
// (so that a stale pid reused by another process is never signalled).
func IsEmulatorProcess(pid int) bool {
	if pid <= 0 {
		return false
	}
	cmdline, err := os.ReadFile(filepath.Join("/proc", fmt.Sprint(pid), "cmdline"))
	if err != nil {
		return false
	}
	args := strings.Split(string(cmdline), "\x00")
	return len(args) > 0 && filepath.Base(args[0]) == filepath.Base(EmulatorPath())
}

// StopEmulatorProcess stops the emulator process pid (if it still is one)
// and waits up to 10 s for it to go.
func StopEmulatorProcess(pid int) error {
	if !IsEmulatorProcess(pid) {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("stopping the emulator (pid %d): %w", pid, err)
	}
	for range 200 {
		if !IsEmulatorProcess(pid) || zombie(pid) {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	return nil
}

// zombie reports a process that has exited but is not yet reaped (its
// parent is this process, in tests).
func zombie(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", fmt.Sprint(pid), "stat"))
	if err != nil {
		return false
	}
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}
